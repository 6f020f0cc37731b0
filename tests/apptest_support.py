"""AppTest helpers for every page test: start the app, switch pages, read what a chart was sent.

Why `app_test()` instead of a bare `AppTest.from_file(...)`: AppTest resets
`PagesManager.uses_pages_directory` before every run, and since this repo has a `pages/` folder, Streamlit
then falls back to the old (v1) multipage mode from the second run on: it runs the page file *alone*,
skipping streamlit_app.py, so the shared sidebar (model, text, token limit) vanishes and its widgets cannot
be set. A real `streamlit run` does not do this (st.navigation switches v1 off for the whole process), so
the helper keeps it switched off in tests too.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import app_test as _app_test_module

APP = str(Path(__file__).resolve().parents[1] / "streamlit_app.py")
TIMEOUT = 60  # seconds; the first run in a process loads the model


class _NavigationOnlyPagesManager(PagesManager):
    """A PagesManager that never switches to the pages/-folder (v1) mode, as under a real `streamlit run`."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        PagesManager.uses_pages_directory = False


_app_test_module.PagesManager = _NavigationOnlyPagesManager


def app_test(timeout: float = TIMEOUT) -> AppTest:
    """The app, run once (bundled model, default example text)."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.run()
    return at


def on_page(page: str, timeout: float = TIMEOUT) -> AppTest:
    """The app switched to a page, e.g. on_page("pages/compare.py")."""
    at = app_test(timeout)
    at.switch_page(page)
    at.run()
    return at


def charts(at: AppTest) -> list:
    """The Altair/Vega-Lite charts drawn in this run, in order."""
    return list(at.get("vega_lite_chart"))


def chart_frame(element) -> pd.DataFrame:
    """The rows Streamlit sent for a chart (its one Arrow dataset)."""
    (dataset,) = element.proto.datasets
    frame = pa.ipc.open_stream(dataset.data.data).read_all().to_pandas()
    for name, column in frame.items():  # categorical (dictionary-encoded) columns back to plain values
        if isinstance(column.dtype, pd.CategoricalDtype):
            frame[name] = column.astype(object)
    return frame


def errors(at: AppTest) -> list[str]:
    """Messages of every st.error shown (main area and sidebar)."""
    return [e.value for e in at.error]
