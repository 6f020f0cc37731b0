"""Charts to the page: each Altair chart converted to Vega-Lite once, then drawn from that spec on every rerun.

    from app.charts import draw
    draw(chart, key="attn_map", pad=True)

st.altair_chart converts (and schema-validates) the whole chart on every rerun, ~15–40 ms a chart, so a page
of ten charts spent most of a control change there. Charts come from app.state.cached(), which hands back the
same object for the same view, so the spec is kept per chart object (a small LRU holding the chart, so its id
is never reused while kept). The spec is what Streamlit itself would send: the "none" theme, and each data frame
as Arrow bytes named by their content hash. It is not validated again here: the views' tests validate every
chart against the Vega-Lite schema, and the browser tests fail on any chart Vega cannot draw.

The titles inside a chart (chart, axes, legends, tooltips) are drawn in the interface language: the English
spec is translated once per chart and language (app.i18n.charts), and kept beside the English one.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st
from streamlit import dataframe_util

from app.i18n import language
from app.i18n.charts import translated_spec

SPEC_CACHE_SIZE = 256  # charts whose specs are kept (a page draws up to ~15; a few pages and sessions' worth)
PAD = {"type": "pad"}  # explorer.views.style.PAD as Vega-Lite: width/height are the plot's own size

_SPECS: OrderedDict[tuple[int, str], tuple[alt.TopLevelMixin, dict]] = OrderedDict()  # (id(chart), language) ->
_LOCK = threading.Lock()
_COMPOSED = ("layer", "hconcat", "vconcat", "concat")


def draw(chart: alt.TopLevelMixin, *, key: str, pad: bool = False, width: str | int = "content", **select: Any):
    """st.vega_lite_chart of the chart's cached spec; pad=True sizes width/height as the plot alone (PAD).
    `select` (on_select=, selection_mode=) is passed on for a chart with a selection; its state is returned."""
    spec = dict(vega_lite_spec(chart, language()))  # shallow: Streamlit moves the datasets out of the dict it gets
    if pad:
        spec["autosize"] = PAD
    return st.vega_lite_chart(spec, width=width, key=key, **select)


def vega_lite_spec(chart: alt.TopLevelMixin, code: str = "en") -> dict:
    """The chart's Vega-Lite spec with its titles in language `code`, made once per chart object and language
    (read-only: callers copy before changing it)."""
    with _LOCK:
        hit = _SPECS.get((id(chart), code))
        if hit is not None and hit[0] is chart:
            _SPECS.move_to_end((id(chart), code))
            return hit[1]
    if code != "en":
        spec = translated_spec(vega_lite_spec(chart), code)
    else:
        datasets: dict[str, bytes] = {}
        spec = _named_data(chart, datasets).to_dict(validate=False)
        _drop_default_theme(spec)
        spec["datasets"] = {**spec.get("datasets", {}), **datasets}
    with _LOCK:
        _SPECS[(id(chart), code)] = (chart, spec)
        while len(_SPECS) > SPEC_CACHE_SIZE:
            _SPECS.popitem(last=False)
    return spec


def _named_data(chart: Any, datasets: dict[str, bytes]) -> Any:
    """A shallow copy of the chart tree with every data frame swapped for a named dataset of its Arrow bytes
    (the cached chart itself is never changed)."""
    copy = chart.copy(deep=False)
    data = getattr(copy, "data", alt.Undefined)
    if isinstance(data, pd.DataFrame):
        arrow = dataframe_util.convert_anything_to_arrow_bytes(data)
        name = "data-" + hashlib.sha256(arrow).hexdigest()[:24]
        datasets[name] = arrow
        copy.data = alt.NamedData(name=name)
    for attr in _COMPOSED:
        parts = getattr(copy, attr, alt.Undefined)
        if parts is not alt.Undefined:
            setattr(copy, attr, [_named_data(part, datasets) for part in parts])
    inner = getattr(copy, "spec", alt.Undefined)
    if isinstance(inner, alt.TopLevelMixin | alt.Chart):
        copy.spec = _named_data(inner, datasets)
    return copy


def _drop_default_theme(spec: dict) -> None:
    """Remove what Altair's default theme adds (Streamlit converts under the "none" theme and styles charts
    itself), without switching the process-wide theme for other threads."""
    if alt.theme.active != "default":
        return
    view = spec.get("config", {}).get("view", {})
    for name, value in alt.theme.get()().get("config", {}).get("view", {}).items():
        if view.get(name) == value:
            view.pop(name)
    if "config" in spec and not spec["config"].get("view", True):
        spec["config"].pop("view")
    if spec.get("config") == {}:
        spec.pop("config")
