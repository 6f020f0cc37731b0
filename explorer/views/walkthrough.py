"""Charts of the walkthrough page: matrices step by step, scaled vs unscaled softmax, pooling bars.

Every chart here fits the page's main column at a 1280 px window with the sidebar open (820 px): a matrix's plot
area is at most PLOT_WIDTH wide, its cells narrowing to fit, so its row labels and legend stay in view. A chart
draws every row and column it is given; the page chooses which (a window of rows, keys or dimensions) and says so.

Drawing, not the server, was most of a control change at 512 tokens (a layer change redrew ~23,000 cells over nine
charts: 2 s in Chromium). What keeps it short: 32-wide windows (~10,000 cells), Vega's canvas renderer instead of
one SVG element per cell, no ARIA text per cell, axes in the frame's own order (a sort list becomes a chain of
`datum.col === "0" ? 0 : …` per cell, run by Streamlit's expression interpreter), and the masked-cell tooltip
formula only on a matrix that has masked cells.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from explorer.views.attention import CELLS, IN_ROW_ORDER, grey_where
from explorer.views.style import WEIGHT_SCHEME

PLOT_WIDTH = 544  # px: a chart's plot area; with row labels (≤ 140) and legend (≤ 90) it fits in 820 px
ROW_HEIGHT = 16  # px per matrix row: every token's label has room
MAX_CELL, MIN_CELL = 16, 4  # px: a matrix cell's width, from roomy to the narrowest that is still seen
# How much of a matrix the page shows at once (the page's window controls move these windows)
MATRIX_ROWS = 32  # query rows (tokens)
MATRIX_KEYS = 32  # key columns of the scores and weights (and K, V rows)
MATRIX_DIMS = 32  # columns of a d_model-wide matrix (E, concat, output)
# Every chart here is drawn on a canvas (Streamlit's own choice only above 2,000 rows of a chart without a
# transform): embed options travel in the spec's usermeta, which only a top-level chart may have.
CANVAS = {"embedOptions": {"renderer": "canvas"}}
# The cells (CELLS) and axes (IN_ROW_ORDER) are drawn as every map's are: see explorer/views/attention.py.


def window_bounds(start: int, total: int, size: int) -> tuple[int, int]:
    """(a, b): the `size` items from `start` (kept inside 0..total), the whole range when it is not longer."""
    if total <= size:
        return 0, total
    a = min(max(int(start), 0), total - size)
    return a, a + size


def dim_labels(start: int, stop: int) -> list[str]:
    """Column labels of a window of dimensions: their own indices."""
    return [str(j) for j in range(start, stop)]


def cell_width(n_cols: int, plot_width: int = PLOT_WIDTH, largest: int = MAX_CELL) -> int:
    """Width of one cell (or one bar) so that n_cols of them fit in plot_width, between MIN_CELL and `largest`."""
    return int(min(largest, max(MIN_CELL, plot_width // max(n_cols, 1))))


def matrix_frame(values: np.ndarray, row_labels: list[str], col_labels: list[str] | None = None) -> pd.DataFrame:
    """Long form (row, col, value, masked) of a 2-D array: every cell it is given, row by row; a masked (-inf) cell
    has no value (NaN) and masked True. Rows and columns are categorical when their labels are unique (cheap to
    send: one dictionary of labels and a code per cell)."""
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 2:
        raise ValueError(f"A walkthrough matrix is 2-D; got shape {v.shape}.")
    rows = list(row_labels)
    cols = list(col_labels) if col_labels is not None else dim_labels(0, v.shape[1])
    if (len(rows), len(cols)) != v.shape:
        raise ValueError(f"{len(rows)} row and {len(cols)} column labels for a matrix of shape {v.shape}.")
    flat = v.ravel()
    finite = np.isfinite(flat)
    return pd.DataFrame(
        {
            "row": _labels(rows, np.repeat(np.arange(v.shape[0]), v.shape[1])),
            "col": _labels(cols, np.tile(np.arange(v.shape[1]), v.shape[0])),
            "value": np.where(finite, flat, np.nan),
            "masked": ~finite,
        }
    )


def _labels(labels: list[str], codes: np.ndarray) -> pd.Categorical | np.ndarray:
    """labels[codes], as a Categorical when the labels are unique (else plain strings)."""
    if len(set(labels)) == len(labels):
        return pd.Categorical.from_codes(codes, categories=labels)
    return np.asarray(labels, dtype=object)[codes]


def matrix_heatmap(
    values: np.ndarray,
    row_labels: list[str],
    col_labels: list[str] | None = None,
    *,
    title: str = "",
    x_title: str = "dimension",
    y_title: str = "token",
    kind: str = "signed",
) -> alt.Chart:
    """A matrix as cells: kind "signed" (red–blue around 0, for vectors and scores) or "weight" (blues, 0..1).

    -inf entries (masked) are drawn grey. Every cell is drawn: cells narrow (cell_width) so that the plot stays
    within PLOT_WIDTH; every row has ROW_HEIGHT px, so every row label shows. Rows and columns keep the order of
    their labels.
    """
    cells = _cells(values, row_labels, col_labels, title=title, x_title=x_title, y_title=y_title, kind=kind)
    return cells.properties(usermeta=CANVAS)


def _cells(
    values: np.ndarray,
    row_labels: list[str],
    col_labels: list[str] | None,
    *,
    title: str,
    x_title: str,
    y_title: str = "token",
    kind: str,
) -> alt.Chart:
    """matrix_heatmap without the top-level properties (a part of a stack may not have them)."""
    frame = matrix_frame(values, row_labels, col_labels)
    n_rows, n_cols = np.shape(values)
    finite = frame["value"].dropna()
    # Axis, scale and legend as plain dicts: Altair validates alt.Axis/alt.Scale/alt.Legend against the schema as
    # they are made (~0.5 ms each), and the page builds a dozen of these charts on a control change.
    if kind == "weight":
        scale = {"scheme": WEIGHT_SCHEME, "domain": [0, max(float(finite.max()) if len(finite) else 1.0, 1e-9)]}
    else:
        m = float(finite.abs().max()) if len(finite) else 1.0
        scale = {"scheme": "redblue", "reverse": True, "domain": [-(m or 1.0), m or 1.0]}
    width = cell_width(n_cols)
    # Every row label (ROW_HEIGHT leaves room; Streamlit's theme would drop every other one, and move the first and
    # last off their rows), and every column label while the cells are wide enough for a 10 px font turned upright.
    x_axis = {
        "labelAngle": -90,
        "labelLimit": 90,
        "labelFontSize": 10 if width < 12 else 11,
        "labelOverlap": width < 10,
        "labelFlush": False,
    }
    y_axis = {"labelLimit": 120, "labelFontSize": 11, "labelOverlap": False, "labelFlush": False}
    # The tooltip's number is written by the browser: formatting every cell here costs more than the chart. Only a
    # matrix with masked cells needs a formula per cell (to say "masked") and a grey for them.
    masked = bool(frame["masked"].any())
    value = alt.Tooltip("shown:N" if masked else "value:Q", title="value", format=alt.Undefined if masked else "+.4f")
    shown = {"calculate": "datum.masked ? 'masked (−∞)' : format(datum.value, '+.4f')", "as": "shown"}
    base = alt.Chart(frame, title=title, transform=[shown] if masked else alt.Undefined).encode(
        x=alt.X("col:N", sort=IN_ROW_ORDER, title=x_title, axis=x_axis),
        y=alt.Y("row:N", sort=IN_ROW_ORDER, title=y_title, axis=y_axis),
        tooltip=[alt.Tooltip("row:N", title=y_title), alt.Tooltip("col:N", title=x_title), value],
    )
    colour = alt.Color("value:Q", scale=scale, title="value", legend={"gradientLength": 120})
    if masked:
        colour = grey_where(colour, "!isValid(datum.value)")
    cells = base.mark_rect(**CELLS).encode(color=colour)
    return cells.properties(width=width * n_cols, height=max(48, ROW_HEIGHT * n_rows))


# One matrix of a stack: (values, row labels, column labels, title, x title)
Part = tuple[np.ndarray, list[str], list[str], str, str]


def matrix_stack(parts: list[Part], *, kind: str = "signed") -> alt.VConcatChart:
    """Matrices one above the other (Q, K, V; scores before and after step 3; concat and output), each with its
    own title and colour legend, every cell drawn (matrix_heatmap)."""
    charts = [_cells(v, rows, cols, title=title, x_title=x_title, kind=kind) for v, rows, cols, title, x_title in parts]
    return alt.vconcat(*charts, spacing=28, usermeta=CANVAS).resolve_scale(color="independent")


def matrix_stack_frame(parts: list[Part]) -> pd.DataFrame:
    """Long form of a stack: matrix_frame of each part, with its title in a "matrix" column first."""
    frames = [matrix_frame(v, rows, cols).assign(matrix=title) for v, rows, cols, title, _ in parts]
    frame = pd.concat(frames, ignore_index=True)
    return frame[["matrix", *frames[0].columns.drop("matrix")]]


SCALED, UNSCALED = "q·k/√d_k (scaled)", "q·k (not scaled)"


def scaling_frame(
    weights_scaled: np.ndarray,
    weights_unscaled: np.ndarray,
    key_labels: list[str],
    names: tuple[str, str] = (SCALED, UNSCALED),
) -> pd.DataFrame:
    """One query's softmax with and without step 3, long form (key, softmax of, weight)."""
    n = len(key_labels)
    return pd.DataFrame(
        {
            "key": list(key_labels) * 2,
            "softmax of": [names[0]] * n + [names[1]] * n,
            "weight": np.concatenate([weights_scaled, weights_unscaled]).astype(np.float64),
        }
    )


def scaling_bars(
    weights_scaled: np.ndarray,
    weights_unscaled: np.ndarray,
    key_labels: list[str],
    names: tuple[str, str] = (SCALED, UNSCALED),
    *,
    title: str = "",
) -> alt.Chart:
    """One query's attention with and without step 3 (names: the two softmaxes' legend entries), side by side per
    key token, sized to fit PLOT_WIDTH."""
    n = len(key_labels)
    frame = scaling_frame(weights_scaled, weights_unscaled, key_labels, names)
    return (
        alt.Chart(frame, title=title)
        .mark_bar()
        .encode(
            x=alt.X(
                "key:N",
                sort=list(key_labels),
                title="key token",
                axis=_token_axis(n, 26),
            ),
            xOffset=alt.XOffset("softmax of:N", sort=list(names)),
            y=alt.Y("weight:Q", title="attention weight", scale={"domain": [0, 1]}),
            color=alt.Color(
                "softmax of:N",
                scale={"domain": list(names), "range": ["#3b6ea8", "#e07b39"]},
                title=None,
                legend={"orient": "top", "labelLimit": 400},
            ),
            tooltip=[alt.Tooltip("key:N"), alt.Tooltip("softmax of:N"), alt.Tooltip("weight:Q", format=".4f")],
        )
        .properties(width=max(200, cell_width(n, PLOT_WIDTH, 26) * n), height=220, usermeta=CANVAS)
    )


def _token_axis(n: int, most_px: int) -> dict:
    """An x axis of n token labels, upright; Vega thins them out only when a token gets under 10 px."""
    thin = cell_width(n, PLOT_WIDTH, most_px) < 10
    return {"labelAngle": -90, "labelLimit": 90, "labelOverlap": thin, "labelFlush": False}


def weight_frame(weights: np.ndarray, labels: list[str]) -> pd.DataFrame:
    """One row of attention weights with its tokens (token, weight)."""
    return pd.DataFrame({"token": list(labels), "weight": np.asarray(weights, dtype=np.float64)})


def weight_bars(weights: np.ndarray, labels: list[str], *, title: str = "", y_title: str = "weight") -> alt.Chart:
    """One row of attention weights as bars over the tokens, in text order, sized to fit PLOT_WIDTH."""
    frame = weight_frame(weights, labels)
    return (
        alt.Chart(frame, title=title)
        .mark_bar(color="#3b6ea8")
        .encode(
            x=alt.X(
                "token:N",
                sort=list(labels),
                title="token (key = value)",
                axis=_token_axis(len(labels), 22),
            ),
            y=alt.Y("weight:Q", title=y_title),
            tooltip=[alt.Tooltip("token:N"), alt.Tooltip("weight:Q", format=".4f")],
        )
        .properties(width=max(200, cell_width(len(labels), PLOT_WIDTH, 22) * len(labels)), height=200, usermeta=CANVAS)
    )
