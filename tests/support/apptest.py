"""AppTest helpers for every page test: start the app, switch pages, read what a chart was sent.

Why `app_test()` instead of a bare `AppTest.from_file(...)`: AppTest resets
`PagesManager.uses_pages_directory` before every run, and since this repo has a `pages/` folder, Streamlit
then falls back to the old (v1) multipage mode from the second run on: it runs the page file *alone*,
skipping streamlit_app.py, so the shared sidebar (model, text, token limit) vanishes and its widgets cannot
be set. A real `streamlit run` does not do this (st.navigation switches v1 off for the whole process), so
the helper keeps it switched off in tests too.
"""

from __future__ import annotations

import functools
import json

import pandas as pd
import pyarrow as pa
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import app_test as _app_test_module

from tests.support import REPO

APP = str(REPO / "streamlit_app.py")
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


def use_model_folder(at: AppTest, folder, text: str | None = None) -> AppTest:
    """Pick "Local folder" in the sidebar, give it `folder` (and the text, when given) and run the app."""
    at.selectbox(key="sidebar_model_source").set_value("folder")
    at.run()  # the folder field appears
    at.text_input(key="sidebar_model_path").set_value(str(folder))
    if text is not None:
        at.text_area(key="sidebar_text").input(text)
    return at.run()


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


CHARTS = ("vega_lite_chart", "image", "imgs")  # what needs a caption: Altair charts and st.image
HEADINGS = ("title", "header", "subheader")  # a new section: the previous chart's caption must come before it


def in_page_order(block) -> list:
    """Every element under an AppTest block (at.main, an expander, a column...), depth first, in page order."""
    found = []
    for _, child in sorted(getattr(block, "children", {}).items()):
        found.append(child)
        found.extend(in_page_order(child))
    return found


def _describe(element, number: int) -> str:
    """'chart 2 ("Head × head similarity…")', 'image 1', 'table 3' or 'subheader "Head roles"'."""
    if element.type in HEADINGS:
        return f"{element.type} {element.value!r}"
    kind = {"vega_lite_chart": "chart", "dataframe": "table"}.get(element.type, "image")
    title = json.loads(element.proto.spec).get("title", "") if element.type == "vega_lite_chart" else ""
    title = title.get("text", "") if isinstance(title, dict) else title
    return f"{kind} {number} ({str(title)[:60]!r})" if title else f"{kind} {number}"


def assert_every_chart_has_a_caption(at: AppTest, tables: bool = False) -> None:
    """Each chart or image of the main area (and each table, with tables=True) is followed by a non-empty
    st.caption before the next chart, image, table or heading, and before the end of the page.

    Buttons, widgets and markdown in between are fine (download buttons usually sit between a chart and its
    caption); a chart's caption inside its own column counts, as it comes right after it in page order."""
    kinds = (*CHARTS, "dataframe") if tables else CHARTS
    waiting = None  # the element that still needs its caption
    count = 0
    for element in in_page_order(at.main):
        if element.type == "caption" and str(element.value).strip():
            waiting = None
        elif element.type in kinds or element.type in HEADINGS:
            if element.type in kinds:
                count += 1
            here = _describe(element, count)
            assert waiting is None, f"{waiting} has no caption: the next thing drawn is {here}"
            waiting = here if element.type in kinds else None
    assert waiting is None, f"{waiting} has no caption: it is the last thing on the page"


def count_calls(monkeypatch, module, name: str) -> list[tuple]:
    """Wrap module.name so that every real call is recorded as (args, kwargs); returns that list.

    The wrapper keeps the function's module, name and signature (functools.wraps), so app.state.cached() keys it
    as the original: a call it answers from the cache is not recorded.
    """
    calls: list[tuple] = []
    real = getattr(module, name)

    @functools.wraps(real)
    def counting(*args, **kwargs):
        calls.append((args, kwargs))
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, counting)
    return calls
