"""The real app in a real browser: `streamlit run` on a free port, headless Chromium via Playwright, every page.

Each page must draw a chart (or image) and show no exception and no st.error. Screenshots go to a temp
folder (and, with SCREENS_DIR set, into that folder for a person to look at).
Without Chromium the test is skipped locally and fails under CI (CI=true).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support import REPO

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]  # fmt: skip
# Screenshots always go to pytest's temp folder; SCREENS_DIR=/some/folder copies them there to look at.
SCREENS = Path(os.environ["SCREENS_DIR"]) if os.environ.get("SCREENS_DIR") else None
# Navigation titles, in order (streamlit_app.PAGES); a page is visited when its file exists.
PAGES = [
    ("pages/attention.py", "Attention maps"),
    ("pages/compare.py", "Head comparison"),
    ("pages/qkv.py", "Q/K/V vectors"),
    ("pages/walkthrough.py", "How attention is computed"),
    ("pages/subspaces.py", "Representation subspaces"),
    ("pages/export.py", "Export"),
]
CHART = (
    '[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg.marks, '
    '[data-testid="stImage"] img, [data-testid="stFullScreenFrame"] img'
)
TABLE = '[data-testid="stDataFrame"]'
DRAWN = {"pages/export.py": TABLE}  # what shows that a page is drawn: a chart or image unless listed here
MAIN_HEIGHT_JS = (
    "() => Math.max(0, ...Array.from(document.querySelectorAll("
    "'[data-testid=stMain], [data-testid=stMainBlockContainer]'), e => e.scrollHeight))"
)
MAIN_H1 = '[data-testid="stMain"] h1'
# The script run is over (Streamlit marks the app "notRunning") and no element from the last run is left stale.
SCRIPT_DONE_JS = (
    "() => !!document.querySelector('[data-testid=stApp][data-test-script-state=notRunning]')"
    " && document.querySelectorAll('[data-stale=true]').length === 0"
)
PROBLEMS = '[data-testid="stException"], [data-testid="stAlertContentError"]'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    cmd = [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port),
           "--server.headless", "true", "--server.address", "localhost"]  # fmt: skip
    return subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_healthy(url: str, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"streamlit exited with {server.returncode}: {server.stdout.read()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"streamlit did not answer on {url} within {timeout} s")


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


@pytest.fixture(scope="module")
def app_url():
    port = free_port()
    url = f"http://localhost:{port}"
    server = start_server(port)
    try:
        wait_healthy(url, server)
        yield url
    finally:
        stop(server)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as err:  # pragma: no cover - requirements-dev installs it
        missing(f"playwright is not installed: {err}")
    if not Path(CHROMIUM).exists():
        missing(f"Chromium not found at {CHROMIUM}")
    with sync_playwright() as p:
        try:
            b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        except Exception as err:  # a broken install: same policy as a missing one
            missing(f"Chromium did not start: {err}")
        yield b
        b.close()


def missing(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI needs the browser: .ci/run installs chromium)")
    pytest.skip(reason)


def settle(page, drawn: str = CHART, timeout_ms: int = 90_000) -> None:
    """Wait until the script run is over and something is drawn."""
    page.wait_for_selector(f"{drawn}, {PROBLEMS}", state="visible", timeout=timeout_ms)  # drawn, or failed
    page.wait_for_function(SCRIPT_DONE_JS, timeout=timeout_ms)
    page.wait_for_timeout(800)  # let Vega finish painting before the screenshot


def screenshot_whole_page(page, path: Path) -> None:
    """Streamlit scrolls inside its main block, so full_page alone shows one screen: grow the viewport first."""
    size = page.viewport_size
    tall = page.evaluate(MAIN_HEIGHT_JS)
    page.set_viewport_size({"width": size["width"], "height": int(min(max(tall + 80, size["height"]), 8000))})
    page.wait_for_timeout(600)  # charts re-lay out
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)


def keep_screens(paths) -> None:
    """Copy screenshots into SCREENS_DIR, when it is set, for a person to look at."""
    if SCREENS is not None:
        SCREENS.mkdir(parents=True, exist_ok=True)
        for f in paths:
            shutil.copy(f, SCREENS / f.name)


def sidebar_text(page) -> str:
    return page.locator('[data-testid="stSidebar"] textarea').first.input_value()


def problems(page) -> list[str]:
    return [e.inner_text()[:300] for e in page.query_selector_all(PROBLEMS)]


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
