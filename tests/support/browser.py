"""Driving the real app in headless Chromium: start `streamlit run` on a free port, wait for it, settle a page.

Shared by the browser tests (tests/browser/, whose conftest.py holds the app_url and browser fixtures) and by
benchmarks/app.py.
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
