"""Old import path, kept only for benchmarks/app.py (`from tests.apptest_support import app_test, charts`).

Temporary: delete this file once benchmarks/app.py imports from tests.support.apptest.
"""

from tests.support.apptest import app_test, charts

__all__ = ["app_test", "charts"]
