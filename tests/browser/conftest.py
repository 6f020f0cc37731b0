"""Fixtures of the real-browser tests: a fresh `streamlit run` per test module, and one headless Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, free_port, missing, start_server, stop, wait_healthy


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
