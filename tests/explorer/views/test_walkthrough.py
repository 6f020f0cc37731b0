"""explorer/views/walkthrough.py: every cell a chart is given is drawn, and every chart fits the page at 1280 px."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
import vl_convert as vlc

from explorer.analysis.heads import head_name
from explorer.views.style import MASKED_COLOUR
from explorer.views.walkthrough import (
    PLOT_WIDTH,
    ROW_HEIGHT,
    cell_width,
    dim_labels,
    matrix_frame,
    matrix_heatmap,
    matrix_stack,
    matrix_stack_frame,
    scaling_bars,
    weight_bars,
    window_bounds,
)

RNG = np.random.default_rng(0)


def data(spec: dict) -> list[pd.DataFrame]:
    """The inline datasets of a chart's spec, in order."""
    return [pd.DataFrame(values) for values in spec["datasets"].values()]


def test_names_and_windows():
    assert head_name(0, 10) == "L0 H10"
    assert window_bounds(0, 24, 48) == (0, 24)  # short: everything
    assert window_bounds(50, 100, 48) == (50, 98)
    assert window_bounds(90, 100, 48) == (52, 100)  # kept inside the text
    assert window_bounds(-3, 100, 48) == (0, 48)
    assert dim_labels(64, 67) == ["64", "65", "66"]


@pytest.mark.parametrize("shape", [(24, 32), (48, 48), (48, 64), (100, 70)])
def test_a_matrix_draws_every_cell_it_is_given_within_the_plot_width(shape):
    values = RNG.normal(size=shape)
    values[0, -1] = -np.inf  # a masked cell
    rows = [f"{i} tok" for i in range(shape[0])]
    cols = dim_labels(100, 100 + shape[1])
    spec = matrix_heatmap(values, rows, cols, title="Q (L0 H10)").to_dict()  # validated against Vega-Lite
    (frame,) = data(spec)
    assert len(frame) == values.size and list(dict.fromkeys(frame["row"])) == rows  # no row or column left out
    assert list(dict.fromkeys(frame["col"])) == cols
    np.testing.assert_allclose(frame["value"].to_numpy(float), np.where(np.isfinite(values), values, np.nan).ravel())
    masked = frame.iloc[shape[1] - 1]
    assert pd.isna(masked["value"]) and masked["masked"] and frame["masked"].sum() == 1
    assert "masked (−∞)" in spec["transform"][0]["calculate"]  # the tooltip says so
    assert spec["width"] <= PLOT_WIDTH and spec["width"] == cell_width(shape[1]) * shape[1]
    assert spec["height"] == ROW_HEIGHT * shape[0]
    assert spec["encoding"]["y"]["axis"]["labelOverlap"] is False  # every token's label shows


def test_matrix_frame_refuses_labels_that_do_not_match():
    with pytest.raises(ValueError):
        matrix_frame(np.zeros((3, 2)), ["a", "b"], ["x", "y"])


def test_a_stack_keeps_each_matrix_and_its_own_legend():
    q, k = RNG.normal(size=(5, 4)), RNG.normal(size=(7, 4)) * 10
    parts = [
        (q, [f"q{i}" for i in range(5)], dim_labels(0, 4), "Q (L1 H2)", "d_k"),
        (k, [f"k{i}" for i in range(7)], dim_labels(0, 4), "K (L1 H2)", "d_k"),
    ]
    spec = matrix_stack(parts).to_dict()
    assert spec["resolve"] == {"scale": {"color": "independent"}}
    assert [part["title"] for part in spec["vconcat"]] == ["Q (L1 H2)", "K (L1 H2)"]
    domains = [part["encoding"]["color"]["scale"]["domain"] for part in spec["vconcat"]]
    assert domains[0][1] == pytest.approx(np.abs(q).max()) and domains[1][1] == pytest.approx(np.abs(k).max())
    frame = matrix_stack_frame(parts)
    assert list(frame.columns[:2]) == ["matrix", "row"] and len(frame) == q.size + k.size
    np.testing.assert_allclose(frame.loc[frame["matrix"] == "K (L1 H2)", "value"], k.ravel())


def test_bars_fit_and_name_their_two_softmaxes():
    n = 48
    a, b = RNG.dirichlet(np.ones(n)), RNG.dirichlet(np.ones(n))
    names = ("cos × 5.66 (temperature)", "cos (no temperature)")
    spec = scaling_bars(a, b, [f"{i} t" for i in range(n)], names).to_dict()
    assert spec["encoding"]["color"]["scale"]["domain"] == list(names)
    assert spec["width"] <= PLOT_WIDTH
    assert weight_bars(a, [f"{i} t" for i in range(n)]).to_dict()["width"] <= PLOT_WIDTH


# --- What the browser draws: Vega-Lite rendered by vl-convert (the same Vega the page runs) -----------------------


def drawn_svg(chart) -> str:
    return vlc.vegalite_to_svg(chart.to_dict(), vl_version="6.4")


def cell_paths(svg: str) -> list[str]:
    """The rect marks of a one-matrix chart, as SVG <path> elements (one per cell drawn)."""
    group = re.search(r'<g class="mark-rect role-mark[^"]*"[^>]*>(.*?)</g>', svg, re.S)
    return re.findall(r"<path[^>]*>", group.group(1)) if group else []


def test_every_walkthrough_chart_is_drawn_on_a_canvas_without_aria_per_cell():
    """Streamlit picks the canvas renderer itself only for charts of 2,000+ rows without a transform; these ask for
    it in the spec, at the top level only (a part of a stack may not carry usermeta)."""
    values = RNG.normal(size=(4, 3))
    heat = matrix_heatmap(values, ["a", "b", "c", "d"]).to_dict()
    stack = matrix_stack([(values, ["a", "b", "c", "d"], dim_labels(0, 3), "Q (L0 H0)", "d_k")] * 2).to_dict()
    bars = scaling_bars(values[0], values[1], ["x", "y", "z"]).to_dict()
    pool = weight_bars(values[0], ["x", "y", "z"]).to_dict()
    for spec in (heat, stack, bars, pool):
        assert spec["usermeta"] == {"embedOptions": {"renderer": "canvas"}}
    assert all("usermeta" not in part for part in stack["vconcat"])
    assert heat["mark"]["aria"] is False and all(part["mark"]["aria"] is False for part in stack["vconcat"])


def test_axes_follow_the_labels_order_without_a_sort_formula_per_cell():
    """Labels in no sorted order come out in their own order, top to bottom and left to right, and the compiled
    Vega has no per-cell sort index (a chain of comparisons per cell, interpreted in Streamlit's browser)."""
    rows = ["3 zebra", "1 apple", "2 mango"]
    cols = ["17", "3", "250", "9"]
    chart = matrix_heatmap(RNG.normal(size=(3, 4)), rows, cols)
    vega = json.dumps(vlc.vegalite_to_vega(chart.to_dict(), vl_version="6.4"))
    assert "sort_index" not in vega and "indexof" not in vega
    svg = drawn_svg(chart)
    texts = re.findall(r'<text[^>]*transform="translate\(([-\d.]+),\s*([-\d.]+)\)[^"]*"[^>]*>([^<]*)</text>', svg)
    y_labels = [(float(y), label) for x, y, label in texts if label in rows]
    x_labels = [(float(x), label) for x, y, label in texts if label in cols]
    assert [label for _, label in sorted(y_labels)] == rows
    assert [label for _, label in sorted(x_labels)] == cols


def test_masked_cells_are_drawn_grey_and_only_a_masked_matrix_has_a_formula_per_cell():
    values = RNG.normal(size=(3, 3))
    plain = matrix_heatmap(values, ["a", "b", "c"]).to_dict()
    assert "transform" not in plain and "condition" not in plain["encoding"]["color"]
    assert plain["encoding"]["tooltip"][2]["format"] == "+.4f"
    values[np.triu_indices(3, 1)] = -np.inf  # a causal mask: three cells hidden
    chart = matrix_heatmap(values, ["a", "b", "c"])
    spec = chart.to_dict()
    assert spec["transform"][0]["as"] == "shown" and spec["mark"]["invalid"] == "show"
    paths = cell_paths(drawn_svg(chart))
    assert len(paths) == 9  # the masked cells are drawn, not dropped
    assert sum(f'fill="{MASKED_COLOUR}"' in p for p in paths) == 3
