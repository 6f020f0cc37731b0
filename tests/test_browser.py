"""Old import path, kept only for benchmarks/app.py (it reuses the browser test's server and Chromium helpers).

No tests here (they are in tests/browser/test_browser.py). Temporary: delete this file once benchmarks/app.py
imports from tests.browser.test_browser.
"""

from tests.browser.test_browser import (
    CHART,
    CHROMIUM,
    CHROMIUM_ARGS,
    free_port,
    settle,
    start_server,
    stop,
    wait_healthy,
)

__all__ = ["CHART", "CHROMIUM", "CHROMIUM_ARGS", "free_port", "settle", "start_server", "stop", "wait_healthy"]
