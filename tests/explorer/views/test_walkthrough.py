"""explorer/views/walkthrough.py: every cell a chart is given is drawn, and every chart fits the page at 1280 px."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from explorer.analysis.heads import head_name
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
