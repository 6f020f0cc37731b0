"""The real app in a real browser: `streamlit run` on a free port, headless Chromium via Playwright, every page.

Each page must draw a chart (or image) and show no exception and no st.error. Screenshots go to a temp
folder (and, with SCREENS_DIR set, into that folder for a person to look at).
Without Chromium the test is skipped locally and fails under CI (CI=true).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import REPO
from tests.support.browser import (
    CHART,
    DRAWN,
    MAIN_H1,
    PAGES,
    SCREENS,
    free_port,
    keep_screens,
    problems,
    screenshot_whole_page,
    settle,
    sidebar_text,
    start_server,
    stop,
    wait_healthy,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_every_page_draws_without_errors(app_url, browser, tmp_path):
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    shots = tmp_path / "screens"
    shots.mkdir()
    visited = []
    try:
        page.goto(app_url, wait_until="domcontentloaded")
        settle(page)
        text = sidebar_text(page)
        assert text.strip()
        for i, (path, title) in enumerate(p for p in PAGES if (REPO / p[0]).exists()):
            if i > 0:  # the first page is the default one; the others through the sidebar navigation
                page.locator('[data-testid="stSidebarNav"] a', has_text=title).first.click()
                page.wait_for_timeout(300)
            shot = shots / f"{i + 1}_{Path(path).stem}.png"
            try:
                settle(page, DRAWN.get(path, CHART))
            finally:  # a screenshot either way: it shows what went wrong
                screenshot_whole_page(page, shot)
            found = problems(page)
            assert not found, f"{title}: the page shows an error or exception: {found}"
            assert page.locator(MAIN_H1).first.inner_text().strip() == title
            assert sidebar_text(page) == text, f"{title}: the sidebar lost its text on the page switch"
            visited.append(title)
    finally:
        keep_screens(shots.glob("*.png"))
        context.close()
    assert visited and visited[0] == "Attention maps"


def test_error_message_not_traceback_in_the_browser(app_url, browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    try:
        page.goto(app_url, wait_until="domcontentloaded")
        settle(page)
        box = page.locator('[data-testid="stSidebar"] textarea').first
        box.fill("")
        box.press("Control+Enter")
        page.wait_for_selector('[data-testid="stAlertContentError"]', timeout=30_000)
        text = page.locator('[data-testid="stAlertContentError"]').first.inner_text()
        assert "text is empty" in text
        assert page.locator('[data-testid="stException"]').count() == 0
    finally:
        context.close()


def test_a_click_on_the_separation_heatmap_picks_that_head(app_url, browser):
    """The subspaces heatmap is a selection chart: clicking layer 4's head 3 moves the head selectors there."""
    context = browser.new_context(viewport={"width": 1280, "height": 1400})
    page = context.new_page()
    try:
        page.goto(f"{app_url}/subspaces", wait_until="domcontentloaded")
        settle(page)
        heatmap = page.locator('[data-testid="stVegaLiteChart"]').first
        cells = heatmap.locator("g.mark-rect").first.bounding_box()  # 6 layers (rows) × 12 heads (columns)
        assert "L4 H3: separation" not in page.locator("[data-testid=stMain]").inner_text()
        page.mouse.click(cells["x"] + cells["width"] * 3.5 / 12, cells["y"] + cells["height"] * 4.5 / 6)
        page.wait_for_function("() => document.body.innerText.includes('L4 H3: separation')", timeout=30_000)
        settle(page)
        assert not problems(page)
    finally:
        context.close()


def test_charts_speak_chinese_when_the_interface_does(app_url, browser):
    """Switched to 简体中文, the attention map's own axis titles are drawn in Chinese (not only the captions)."""
    context = browser.new_context(viewport={"width": 1280, "height": 1400})
    page = context.new_page()
    try:
        page.goto(app_url, wait_until="domcontentloaded")
        settle(page)
        page.get_by_text("简体中文").click()
        page.wait_for_function("() => document.body.innerText.includes('单个注意力头')", timeout=30_000)
        settle(page)
        drawn = page.locator('[data-testid="stVegaLiteChart"] svg').first.text_content()
        assert "键（被关注的词元）" in drawn and "查询（发出关注的词元）" in drawn
        assert "key (attended to)" not in drawn
        assert not problems(page)
    finally:
        context.close()


def test_a_deep_link_to_a_page_is_the_first_request(browser, tmp_path):
    """A fresh server whose first visitor opens a page's own URL still runs the entry script (sidebar, model)."""
    pages = [p for p in PAGES[1:] if (REPO / p[0]).exists()]
    if not pages:
        pytest.skip("only the default page exists")
    path, title = pages[0]
    port = free_port()
    url = f"http://localhost:{port}"
    server = start_server(port)
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        wait_healthy(url, server)
        page = context.new_page()
        page.goto(f"{url}/{Path(path).stem}", wait_until="domcontentloaded")
        settle(page, DRAWN.get(path, CHART))
        screenshot_whole_page(page, (SCREENS or tmp_path) / "deep_link.png")
        assert not problems(page)
        assert sidebar_text(page).strip()
        landed = page.locator(MAIN_H1).first.inner_text().strip()
        assert landed == title
    finally:
        context.close()
        stop(server)


@pytest.fixture(scope="module")
def long_model(tmp_path_factory):
    """A tiny random Qwen2 with room for 8,192 positions, in a temp folder."""
    import json

    from tests.support.tiny_models import make_tiny

    folder = make_tiny("qwen2", tmp_path_factory.mktemp("long") / "tiny-long")
    config = json.loads((folder / "config.json").read_text())
    config["max_position_embeddings"] = 8192
    (folder / "config.json").write_text(json.dumps(config))
    return folder


def test_every_page_draws_a_long_run(app_url, browser, long_model, tmp_path):
    """8,192 tokens through the real server and browser: every page draws, with no exception or error box."""
    words = "the cat sat on the mat because it was tired apple pie and apple juice".split()
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    try:
        page.goto(app_url, wait_until="domcontentloaded")
        settle(page)
        sidebar = page.locator('[data-testid="stSidebar"]')
        sidebar.locator('[data-testid="stSelectbox"]').first.click()
        page.get_by_role("option", name="Local folder").click()
        page.get_by_label("Folder").fill(str(long_model))
        page.keyboard.press("Enter")
        page.get_by_text("tiny-long").first.wait_for(timeout=90_000)
        page.get_by_role("textbox", name="Text").fill(" ".join(words * 700))
        page.keyboard.press("Control+Enter")
        settle(page)
        limit = page.get_by_role("spinbutton", name="Token limit")
        limit.fill("8192")
        limit.press("Enter")
        page.get_by_text("8192 tokens in this run.").wait_for(timeout=120_000)
        for path, title in PAGES:
            page.locator('[data-testid="stSidebarNav"] a', has_text=title).first.click()
            page.wait_for_timeout(300)
            shot = tmp_path / f"long_{Path(path).stem}.png"
            try:
                settle(page, DRAWN.get(path, CHART), timeout_ms=180_000)
            finally:
                page.screenshot(path=str(shot))
            found = problems(page)
            assert not found, f"{title} at 8,192 tokens: the page shows an error or exception: {found}"
            assert page.locator(MAIN_H1).first.inner_text().strip() == title
    finally:
        keep_screens(tmp_path.glob("long_*.png"))
        context.close()
