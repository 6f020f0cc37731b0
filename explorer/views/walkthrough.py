"""Charts of the walkthrough page: matrices step by step, scaled vs unscaled softmax, pooling bars."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from explorer.views.attention import grey_where
from explorer.views.style import WEIGHT_SCHEME

MATRIX_MAX_ROWS = 48  # rows (tokens) a walkthrough matrix shows before it keeps only the first ones
MATRIX_MAX_COLS = 64  # columns (dimensions) likewise


def matrix_frame(values: np.ndarray, row_labels: list[str], col_labels: list[str] | None = None) -> pd.DataFrame:
    """Long form (row, col, value) of a 2-D array, cut to MATRIX_MAX_ROWS × MATRIX_MAX_COLS."""
    v = np.asarray(values, dtype=np.float64)[:MATRIX_MAX_ROWS, :MATRIX_MAX_COLS]
    rows = list(row_labels)[: v.shape[0]]
    cols = list(col_labels)[: v.shape[1]] if col_labels is not None else [str(j) for j in range(v.shape[1])]
    r, c = np.meshgrid(np.arange(v.shape[0]), np.arange(v.shape[1]), indexing="ij")
    flat = v.ravel()
    return pd.DataFrame(
        {
            "row": np.asarray(rows, dtype=object)[r.ravel()],
            "col": np.asarray(cols, dtype=object)[c.ravel()],
            "value": np.where(np.isfinite(flat), flat, np.nan),
            "shown": np.where(np.isfinite(flat), np.char.mod("%+.4f", np.nan_to_num(flat)), "masked (−∞)"),
        }
    )


def matrix_heatmap(
    values: np.ndarray,
    row_labels: list[str],
    col_labels: list[str] | None = None,
    *,
    title: str = "",
    x_title: str = "dimension",
    y_title: str = "token",
    kind: str = "signed",
    cell: int = 14,
) -> alt.Chart:
    """A matrix as cells: kind "signed" (red–blue around 0, for vectors and scores) or "weight" (blues, 0..1).

    -inf entries (masked) are drawn grey. Large matrices are cut to their first rows/columns (matrix_frame).
    """
    frame = matrix_frame(values, row_labels, col_labels)
    rows = list(dict.fromkeys(frame["row"]))
    cols = list(dict.fromkeys(frame["col"]))
    finite = frame["value"].dropna()
    if kind == "weight":
        scale = alt.Scale(scheme=WEIGHT_SCHEME, domain=[0, max(float(finite.max()) if len(finite) else 1.0, 1e-9)])
    else:
        m = float(finite.abs().max()) if len(finite) else 1.0
        scale = alt.Scale(scheme="redblue", reverse=True, domain=[-(m or 1.0), m or 1.0])
    base = alt.Chart(frame, title=title).encode(
        x=alt.X("col:N", sort=cols, title=x_title, axis=alt.Axis(labelAngle=-60, labelLimit=90)),
        y=alt.Y("row:N", sort=rows, title=y_title, axis=alt.Axis(labelLimit=120)),
        tooltip=[alt.Tooltip("row:N", title=y_title), alt.Tooltip("col:N", title=x_title), alt.Tooltip("shown:N")],
    )
    cells = base.mark_rect().encode(
        color=grey_where(alt.Color("value:Q", scale=scale, title="value"), "!isValid(datum.value)")
    )
    return cells.properties(width=max(120, min(900, cell * len(cols))), height=max(60, cell * len(rows)))


SCALED, UNSCALED = "q·k/√d_k (scaled)", "q·k (not scaled)"


def scaling_frame(weights_scaled: np.ndarray, weights_unscaled: np.ndarray, key_labels: list[str]) -> pd.DataFrame:
    """One query's softmax with and without ÷√d_k, long form (key, softmax of, weight)."""
    n = len(key_labels)
    return pd.DataFrame(
        {
            "key": list(key_labels) * 2,
            "softmax of": [SCALED] * n + [UNSCALED] * n,
            "weight": np.concatenate([weights_scaled, weights_unscaled]).astype(np.float64),
        }
    )


def scaling_bars(weights_scaled: np.ndarray, weights_unscaled: np.ndarray, key_labels: list[str]) -> alt.Chart:
    """One query's attention with and without ÷√d_k, side by side per key token (why √d_k: sharper without it)."""
    n = len(key_labels)
    frame = scaling_frame(weights_scaled, weights_unscaled, key_labels)
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("key:N", sort=list(key_labels), title="key token", axis=alt.Axis(labelAngle=-60)),
            xOffset=alt.XOffset("softmax of:N", sort=[SCALED, UNSCALED]),
            y=alt.Y("weight:Q", title="attention weight", scale=alt.Scale(domain=[0, 1])),
            color=alt.Color(
                "softmax of:N",
                scale=alt.Scale(domain=[SCALED, UNSCALED], range=["#3b6ea8", "#e07b39"]),
                title=None,
            ),
            tooltip=[alt.Tooltip("key:N"), alt.Tooltip("softmax of:N"), alt.Tooltip("weight:Q", format=".4f")],
        )
        .properties(width=max(240, 26 * n), height=220)
    )


def weight_frame(weights: np.ndarray, labels: list[str]) -> pd.DataFrame:
    """One row of attention weights with its tokens (token, weight)."""
    return pd.DataFrame({"token": list(labels), "weight": np.asarray(weights, dtype=np.float64)})


def weight_bars(weights: np.ndarray, labels: list[str], *, title: str = "", y_title: str = "weight") -> alt.Chart:
    """One row of attention weights as bars over the tokens, in text order."""
    frame = weight_frame(weights, labels)
    return (
        alt.Chart(frame, title=title)
        .mark_bar(color="#3b6ea8")
        .encode(
            x=alt.X("token:N", sort=list(labels), title="token (key = value)", axis=alt.Axis(labelAngle=-60)),
            y=alt.Y("weight:Q", title=y_title),
            tooltip=[alt.Tooltip("token:N"), alt.Tooltip("weight:Q", format=".4f")],
        )
        .properties(width=max(240, 22 * len(labels)), height=200)
    )
