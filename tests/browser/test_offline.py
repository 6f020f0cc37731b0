"""Offline in a real browser: every page of the app, on the bundled model, asks no host but the app's own.

A classroom may have no internet (or a firewall that makes each outside request hang), and what a student types
should not leave the machine. Every request the page makes (documents, scripts, styles, fonts, images, fetches,
websockets) must go to the app's server; so must every resource the page points at (the favicon included, which
headless Chromium may not fetch). Without Chromium the test is skipped locally and fails under CI (CI=true).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.support import REPO
from tests.support.browser import (
    CHART,
    DRAWN,
    MAIN_H1,
    PAGES,
    problems,
    settle,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}
NOT_NETWORK = {"data", "blob", "about", "chrome-error"}  # drawn in the page itself: no host is asked
# What the page points at for its own drawing (links to read, <a href>, are not fetched and are not listed).
RESOURCES_JS = """() => Array.from(document.querySelectorAll(
    'link[href], script[src], img[src], iframe[src], source[src], video[src], audio[src], embed[src], object[data]'
)).map(e => e.href || e.src || e.data)"""


def outside(urls) -> list[str]:
    """The URLs that name a host other than this machine."""
    found = []
    for url in urls:
        parts = urlparse(url)
        if parts.scheme not in NOT_NETWORK and (parts.hostname or "") not in LOCAL_HOSTS:
            found.append(url)
    return sorted(set(found))


def test_every_page_asks_no_outside_host(app_url, browser):
    url = app_url  # a fresh `streamlit run` with the repository's .streamlit/config.toml (conftest.py)
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    requested: list[str] = []
    context.on("request", lambda request: requested.append(request.url))  # every page and worker of the context
    page = context.new_page()
    page.on("websocket", lambda ws: requested.append(ws.url))
    pointed_at: list[str] = []
    visited = []
    try:
        for i, (path, title) in enumerate(p for p in PAGES if (REPO / p[0]).exists()):
            # Each page by its own URL (the first page is the default one, at the root), as a bookmark opens it.
            page.goto(f"{url}/{Path(path).stem if i else ''}", wait_until="domcontentloaded")
            settle(page, DRAWN.get(path, CHART))
            assert not problems(page), f"{title}: {problems(page)}"
            assert page.locator(MAIN_H1).first.inner_text().strip() == title
            pointed_at += page.evaluate(RESOURCES_JS)
            visited.append(title)
    finally:
        context.close()
    assert visited and visited[0] == "Attention maps"
    assert any(urlparse(u).path.endswith(".js") for u in requested)  # the recording saw the page load
    assert outside(requested) == [], "requests to hosts other than the app's own"
    assert outside(pointed_at) == [], "resources on hosts other than the app's own"
