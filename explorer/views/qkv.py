"""Charts of the Q/K/V page: q and k vectors, q∘k products, scaled scores, weight-subspace overlap."""

from __future__ import annotations

from typing import TYPE_CHECKING

import altair as alt
import numpy as np
import pandas as pd

from explorer.analysis.heads import head_name
from explorer.tokens import with_text
from explorer.views.attention import grey_where
from explorer.views.style import PAD

if TYPE_CHECKING:
    from explorer.analysis.qk import QKProducts


def vector_strip(values: np.ndarray, *, title: str, label: str = "q") -> alt.Chart:
    """One vector [d_head] as bars over its dimensions, coloured red–blue around 0 (value in the tooltip)."""
    v = np.asarray(values, dtype=np.float64)
    frame = pd.DataFrame({"dim": np.arange(v.size), "vector": label, "value": v})
    m = float(np.abs(v).max()) or 1.0
    return (
        alt.Chart(frame, title=title)
        .mark_bar()
        .encode(
            x=alt.X("dim:O", title="dimension of the head", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("value:Q", title=label),
            color=alt.Color(
                "value:Q", scale=alt.Scale(scheme="redblue", reverse=True, domain=[-m, m]), title=label, legend=None
            ),
            tooltip=[alt.Tooltip("dim:O"), alt.Tooltip("value:Q", format="+.4f")],
        )
        .properties(width=max(240, 16 * v.size), height=110, autosize=PAD)
    )


def key_tips(parts: QKProducts, labels: list[str]) -> np.ndarray:
    """[K] the keys' labels ("5 [UNK]") with the text each covers where the model read something else
    ("5 [UNK] (text “他”)"): what tooltips name a key by."""
    return np.asarray([with_text(label, text) for label, text in zip(labels, parts.tokens, strict=True)], dtype=object)


def qk_frame(parts: QKProducts, labels: list[str]) -> pd.DataFrame:
    """Long form of explorer.analysis.qk.qk_products: one row per (key, dimension): k, q∘k; dot/score/weight per key.

    labels: the keys' axis labels (run.key_labels() at parts' keys); key_tip adds the text each key covers where
    the model read something else."""
    k = parts.k  # [N, d]
    n, d = k.shape
    key, dim = np.divmod(np.arange(n * d), d)
    labels_arr = np.asarray(labels, dtype=object)
    masked = parts.masked
    scores = parts.scores
    return pd.DataFrame(
        {
            "key_index": parts.key_indices[key],  # the key's position in the text
            "key": labels_arr[key],
            "key_tip": key_tips(parts, labels)[key],
            "dim": dim,
            "k": k.reshape(-1),
            "q": np.tile(parts.q, n),
            "product": parts.products.reshape(-1),
            "dot": parts.dot[key],
            "score": np.where(masked, np.nan, scores)[key],
            "weight": parts.weights[key],
            "masked": masked[key],
        }
    )


def qk_matrix_heatmap(
    parts: QKProducts, labels: list[str], *, value: str = "product", key_labels: bool = True
) -> alt.Chart:
    """Keys down, head dimensions across: k_j (value="k") or q ∘ k_j (value="product"), red–blue around 0.

    A row of q ∘ k adds up to q·k_j, the raw score of key j before ÷√d_k. Masked keys (causal) are grey.
    """
    frame = qk_frame(parts, labels)
    col = "product" if value == "product" else "k"
    m = float(np.abs(frame[col]).max()) or 1.0
    n = parts.k.shape[0]
    order = list(dict.fromkeys(frame["key"]))
    title = "q ∘ k for every key (rows add up to q·k)" if col == "product" else "k vector of every key"
    show = n <= 80 and key_labels
    colour = alt.Color(
        f"{col}:Q",
        scale=alt.Scale(scheme="redblue", reverse=True, domain=[-m, m]),
        title="q∘k" if col == "product" else "k",
    )
    return (
        alt.Chart(frame, title=title)
        .mark_rect(invalid="show")  # masked cells (no score) drawn grey, not dropped
        .encode(
            x=alt.X("dim:O", title="dimension of the head"),
            y=alt.Y("key:N", sort=order, axis=alt.Axis(labels=show, ticks=show, title="key" if key_labels else None)),
            color=grey_where(colour) if col == "product" else colour,
            tooltip=[
                alt.Tooltip("key_tip:N", title="key"),
                alt.Tooltip("dim:O"),
                alt.Tooltip("q:Q", format="+.4f"),
                alt.Tooltip("k:Q", format="+.4f"),
                alt.Tooltip("product:Q", title="q∘k", format="+.4f"),
            ],
        )
        .properties(width=max(200, 8 * parts.k.shape[1]), height=int(min(900, max(160, 14 * n))))
    )


def score_frame(parts: QKProducts, labels: list[str]) -> pd.DataFrame:
    """One row per key: key, key_tip (see qk_frame), dot (q·k), score (q·k × scale; NaN where masked), weight
    (softmax), masked."""
    masked = parts.masked
    return pd.DataFrame(
        {
            "key_index": parts.key_indices,  # the keys' positions in the text
            "key": np.asarray(labels, dtype=object),
            "key_tip": key_tips(parts, labels),
            "dot": parts.dot,
            "score": np.where(masked, np.nan, parts.scores),
            "weight": parts.weights,
            "masked": masked,
        }
    )


def score_bars(parts: QKProducts, labels: list[str], *, column: str = "weight", key_labels: bool = True) -> alt.Chart:
    """One bar per key: "dot" (q·k, the row sums of q∘k), "score" (÷√d_k, i.e. × scale) or "weight" (softmax)."""
    frame = score_frame(parts, labels)
    titles = {
        "dot": "q·k (sum of each row of q∘k)",
        "score": f"scaled score q·k × {parts.scale:.4g}",
        "weight": "softmax weight",
    }
    n = len(frame)
    order = list(frame["key"])
    show = n <= 80 and key_labels
    return (
        alt.Chart(frame, title=titles[column])
        .mark_bar(color="#4c78a8" if column == "weight" else "#72b7b2")
        .encode(
            x=alt.X(f"{column}:Q", title={"dot": "q·k", "score": "score", "weight": "weight"}[column]),
            y=alt.Y("key:N", sort=order, axis=alt.Axis(labels=show, ticks=show, title="key" if key_labels else None)),
            tooltip=[
                alt.Tooltip("key_tip:N", title="key"),
                alt.Tooltip("dot:Q", title="q·k", format="+.4f"),
                alt.Tooltip("score:Q", title="scaled", format="+.4f"),
                alt.Tooltip("weight:Q", format=".4f"),
            ],
        )
        .properties(width=180, height=int(min(900, max(160, 14 * n))))
    )


def subspace_overlap_frame(overlap: np.ndarray, layer_a: int, layer_b: int) -> pd.DataFrame:
    """Long form of a head × head subspace overlap matrix: head_a ("L.H"), head_b, overlap (mean cos²)."""
    ha, hb = np.divmod(np.arange(overlap.size), overlap.shape[1])
    return pd.DataFrame(
        {
            "head_a": [head_name(layer_a, h) for h in ha],
            "head_b": [head_name(layer_b, h) for h in hb],
            "overlap": overlap.reshape(-1),
        }
    )


def subspace_overlap_heatmap(overlap: np.ndarray, layer_a: int, layer_b: int, which: str = "q") -> alt.Chart:
    """Heads of layer_a down, heads of layer_b across: mean cos² of the principal angles between their W subspaces."""
    frame = subspace_overlap_frame(overlap, layer_a, layer_b)
    order_a = list(dict.fromkeys(frame["head_a"]))
    order_b = list(dict.fromkeys(frame["head_b"]))
    side = int(min(560, max(260, 26 * overlap.shape[0])))
    return (
        alt.Chart(frame, title=f"Overlap of W_{which.upper()} head subspaces (mean cos² of principal angles)")
        .mark_rect()
        .encode(
            x=alt.X("head_b:N", sort=order_b, title=f"head of layer {layer_b}"),
            y=alt.Y("head_a:N", sort=order_a, title=f"head of layer {layer_a}"),
            color=alt.Color("overlap:Q", scale=alt.Scale(scheme="viridis", domain=[0, 1]), title="mean cos²"),
            tooltip=[alt.Tooltip("head_a:N"), alt.Tooltip("head_b:N"), alt.Tooltip("overlap:Q", format=".3f")],
        )
        .properties(width=side, height=side, autosize=PAD)
    )


def neuron_view(parts: QKProducts, labels: list[str]) -> alt.HConcatChart:
    """BertViz's neuron view for any family: k vectors | q ∘ k (each on its own red–blue scale) | row sums q·k."""
    return alt.hconcat(
        qk_matrix_heatmap(parts, labels, value="k"),
        qk_matrix_heatmap(parts, labels, value="product", key_labels=False),
        score_bars(parts, labels, column="dot", key_labels=False),
    ).resolve_scale(color="independent")


def softmax_view(parts: QKProducts, labels: list[str]) -> alt.HConcatChart:
    """Scaled scores (q·k ÷ √d_k, i.e. × the model's scale) beside their softmax, one bar per key."""
    return alt.hconcat(score_bars(parts, labels, column="score"), score_bars(parts, labels, column="weight"))
