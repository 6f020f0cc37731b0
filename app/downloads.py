"""Download buttons beside a chart: PNG, SVG and CSV of what it shows, each made only when its button is clicked.

    from app.downloads import download_row
    st.altair_chart(chart)
    download_row(chart, frame, stem="attn_L3_H7", key="attn_map")

st.download_button takes a callable for `data` (Streamlit >= 1.49): the callable runs on the click, on a
separate thread, so a rerun of the page renders nothing. Renders are also cached by the chart's spec, so
clicking PNG after SVG (or twice) reuses the one vl-convert render. CSV text cells are formula-safe
(explorer.csvsafe: a token or sentence that a spreadsheet would run as a formula starts with ').
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import streamlit as st

from app.safe import plain
from explorer.csvsafe import neutralise_frame
from explorer.io.rendering import spec_svg, svg_to_png
from explorer.io.selection import safe_stem

if TYPE_CHECKING:
    import altair as alt
    import pandas as pd

    Frame = pd.DataFrame | Callable[[], pd.DataFrame]  # a table, or a function that makes it on the click


@dataclass(frozen=True)
class DownloadFile:
    """One download: button label, file name, MIME type and the function that makes its bytes."""

    label: str
    file_name: str
    mime: str
    make: Callable[[], bytes]


_SVG_CACHE: OrderedDict[str, bytes] = OrderedDict()  # spec digest -> SVG, most recent last
_SVG_CACHE_SIZE = 16
_SVG_LOCK = threading.Lock()  # download callables run on Streamlit's worker threads


def _chart_svg(chart: alt.TopLevelMixin) -> bytes:
    """SVG of a chart, rendered once per distinct spec (kept for the last _SVG_CACHE_SIZE specs)."""
    import altair as alt

    with alt.data_transformers.disable_max_rows():
        spec = chart.to_dict()
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()
    with _SVG_LOCK:
        if digest in _SVG_CACHE:
            _SVG_CACHE.move_to_end(digest)
            return _SVG_CACHE[digest]
    svg = spec_svg(spec)
    with _SVG_LOCK:
        _SVG_CACHE[digest] = svg
        while len(_SVG_CACHE) > _SVG_CACHE_SIZE:
            _SVG_CACHE.popitem(last=False)
    return svg


def _csv(frame) -> bytes:
    """The table as CSV, its text cells formula-safe (tokens and sentences are user text; numbers stay numbers)."""
    table = frame() if callable(frame) else frame
    return neutralise_frame(table).to_csv(index=False).encode()


def download_files(chart: alt.TopLevelMixin | None, frame: Frame | None, stem: str) -> list[DownloadFile]:
    """The PNG, SVG (when there is a chart) and CSV (when there is a frame) downloads, none made yet."""
    name = safe_stem(stem)
    files = []
    if chart is not None:
        files.append(DownloadFile("PNG", f"{name}.png", "image/png", lambda: svg_to_png(_chart_svg(chart))))
        files.append(DownloadFile("SVG", f"{name}.svg", "image/svg+xml", lambda: _chart_svg(chart)))
    if frame is not None:
        files.append(DownloadFile("CSV", f"{name}.csv", "text/csv", lambda: _csv(frame)))
    return files


def download_row(chart: alt.TopLevelMixin | None, frame: Frame | None, stem: str, key: str) -> None:
    """A row of small download buttons (PNG, SVG, CSV) for one chart and the data it shows.

    frame: the table behind the chart, or a function that makes it: a 512-token head is 262,144 rows, so pass
    `lambda: attention_frame(run, l, h)` to build it only when CSV is clicked, not on every rerun.
    stem: file name without extension (made safe with explorer.io.selection.safe_stem); key: a unique widget-key prefix.
    Clicking downloads without rerunning the page (on_click="ignore").
    """
    with st.container(horizontal=True, gap="small"):
        for file in download_files(chart, frame, stem):
            st.download_button(
                file.label,
                data=file.make,
                file_name=file.file_name,
                mime=file.mime,
                key=f"{key}_{file.file_name.rsplit('.', 1)[1]}",
                on_click="ignore",
                icon=":material/download:",
                type="tertiary",
                help=f"Download {plain(file.file_name)}",
            )
