"""Charts of the head comparison page: heads side by side, two texts, similarity matrix, MDS map."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import altair as alt
import numpy as np
import pandas as pd

from explorer.analysis.heads import head_name
from explorer.views.attention import CELLS, HEATMAP_MAX_CELLS, IN_ROW_ORDER, check_layer_head, head_heatmap, take
from explorer.views.pooling import block_ends, block_starts, pool
from explorer.views.style import PAD

if TYPE_CHECKING:
    from explorer.extract import Extraction

# Cells of all the maps one chart of several heads draws (side by side, two texts). A control change redraws the
# whole chart, and the browser draws about 12,000 cells in half a second: 3 maps of 512 tokens are pooled into
# 57 × 57 blocks (9,747 cells) rather than 86 × 86 (22,188), a short text's maps keep every token.
PANELS_MAX_CELLS = 12_000


def per_axis(maps: int) -> int:
    """Tokens (or blocks of tokens) per axis of each of `maps` maps drawn in one chart: HEATMAP_MAX_CELLS at most,
    fewer when the maps together would draw more than PANELS_MAX_CELLS cells."""
    return min(HEATMAP_MAX_CELLS, math.isqrt(PANELS_MAX_CELLS // maps))


def heads_side_by_side(
    run: Extraction, picks: list[tuple[int, int]], *, size: int | None = None
) -> alt.HConcatChart | alt.VConcatChart:
    """Two to four heads' maps on one colour scale ([0, largest weight of the picked heads]): two or three in a row,
    four as a 2 × 2 grid; pooled into blocks of tokens above per_axis(len(picks)) tokens."""
    for layer, head in picks:
        check_layer_head(run, layer, head)
    top = max(float(run.attn[layer, head].max()) for layer, head in picks) or 1.0
    side = size or (200 if len(picks) == 3 else 300)
    cells = per_axis(len(picks))
    charts = [head_heatmap(run, layer, head, domain=(0.0, top), size=side, per_axis=cells) for layer, head in picks]
    if len(charts) != 4:  # in a row: the query labels once, at the left (the panels share their rows' order)
        charts = [charts[0], *(_without_query_labels(c) for c in charts[1:])]
    if len(charts) == 4:
        return alt.vconcat(alt.hconcat(*charts[:2]), alt.hconcat(*charts[2:])).resolve_scale(color="shared")
    return alt.hconcat(*charts).resolve_scale(color="shared")


def _without_query_labels(chart: alt.Chart) -> alt.Chart:
    """The chart with no query labels or axis title on its left: beside a panel that has them, so that a row of
    panels fits the page at 1280 px wide."""
    chart = chart.copy(deep=True)
    chart.encoding.y.axis = alt.Axis(labels=False, ticks=False, title=None)
    return chart


def difference_heatmap(
    difference: np.ndarray,
    labels: list[str],
    *,
    title: str = "B − A",
    size: int | None = None,
    tips: list[str] | None = None,
    per_axis: int = HEATMAP_MAX_CELLS,
) -> alt.Chart:
    """A signed [N, N] map (text B's weights minus text A's) on a red–blue scale centred on 0.

    Above `per_axis` tokens it is pooled into at most `per_axis` blocks of tokens per axis, each showing its
    largest-magnitude value.
    labels: axis labels of both axes (e.g. "3 apple"; text B's tokens where the two texts differ, run.labels()).
    tips: what the tooltip names each token by (run.labels(with_text=True): "3 [UNK] (text “他”)"); the labels
    when not given.
    """
    n = difference.shape[0]
    labels_arr = np.asarray(labels, dtype=object)
    tips_arr = labels_arr if tips is None else np.asarray(tips, dtype=object)
    if n > per_axis:
        edges = block_starts(n, per_axis)
        ends = block_ends(edges, n)
        values = pool(np.asarray(difference, dtype=np.float64), edges, "absmax")
        labels_arr = np.array(
            [f"{a}–{b} {str(labels[a]).split(' ', 1)[-1]}…" for a, b in zip(edges, ends, strict=True)]
        )
        labels_arr = tips_arr = labels_arr.astype(object)
        title = f"{title} (blocks of tokens)"
    else:
        values = np.asarray(difference, dtype=np.float64)
    nb = values.shape[0]
    qi, ki = np.divmod(np.arange(nb * nb), nb)
    frame = pd.DataFrame(  # query-major: both axes in text order (IN_ROW_ORDER)
        {
            "query": take(list(labels_arr), qi),  # categorical: N² rows from N names
            "key": take(list(labels_arr), ki),
            "query_tip": take(list(tips_arr), qi),
            "key_tip": take(list(tips_arr), ki),
            "difference": values.reshape(-1),
        }
    )
    m = float(np.abs(values).max()) or 1.0
    side = size or int(min(640, max(240, 16 * nb)))
    show = nb <= 80
    return (
        alt.Chart(frame, title=title)
        .mark_rect(**CELLS)
        .encode(
            x=alt.X(
                "key:N",
                sort=IN_ROW_ORDER,
                axis=alt.Axis(labelAngle=-60, labels=show, ticks=show, title="key (attended to)"),
            ),
            y=alt.Y("query:N", sort=IN_ROW_ORDER, axis=alt.Axis(labels=show, ticks=show, title="query (attending)")),
            color=alt.Color(
                "difference:Q",
                scale=alt.Scale(scheme="redblue", reverse=True, domain=[-m, m], domainMid=0),
                title="B − A",
            ),
            tooltip=[
                alt.Tooltip("query_tip:N", title="query"),
                alt.Tooltip("key_tip:N", title="key"),
                alt.Tooltip("difference:Q", format="+.4f"),
            ],
        )
        .properties(width=side, height=side)
    )


def head_similarity_frame(
    distance: np.ndarray, n_heads: int, order: np.ndarray | None = None, names: list[str] | None = None
) -> pd.DataFrame:
    """Long form of a head × head JS distance matrix: head_a, head_b ("L0 H10" names, or `names`), distance,
    similarity = 1 − distance. frame.attrs["order"] holds the axis order (clustering order when given)."""
    m = distance.shape[0]
    if names is None:
        names = [head_name(i // n_heads, i % n_heads) for i in range(m)]
    names = np.asarray(names, dtype=object)
    a, b = np.divmod(np.arange(m * m), m)
    frame = pd.DataFrame(
        {
            "head_a": names[a],
            "head_b": names[b],
            "distance": distance.reshape(-1),
            "similarity": 1.0 - distance.reshape(-1),
        }
    )
    frame.attrs["order"] = list(names[np.arange(m) if order is None else np.asarray(order)])
    return frame


def head_similarity_heatmap(
    distance: np.ndarray, n_heads: int, order: np.ndarray | None = None, *, by_layer: bool = False
) -> alt.Chart:
    """All heads against all heads: 1 − Jensen–Shannon distance, bright = similar, axes in clustering order.

    by_layer: `distance` is a layer × layer matrix (explorer.compare.layer_distance), named "L0", "L1", ...
    """
    m = distance.shape[0]
    names = [f"L{i}" if by_layer else head_name(i // n_heads, i % n_heads) for i in range(m)]
    order = np.arange(m) if order is None else np.asarray(order)
    # Rows in clustering order, so that the axes, which follow the rows (IN_ROW_ORDER), are in that order too.
    frame = head_similarity_frame(distance[np.ix_(order, order)], n_heads, names=[names[i] for i in order])
    frame.attrs.pop("order")
    side = int(min(720, max(300, 9 * m)))
    show = m <= 96
    what = "layer (mean over its heads)" if by_layer else "head (L layer H head)"
    title = (
        "Layer × layer similarity (1 − mean JS distance of their heads)"
        if by_layer
        else ("Head × head similarity (1 − Jensen–Shannon distance)")
    )
    return (
        alt.Chart(frame, title=title)
        .mark_rect(**CELLS)
        .encode(
            x=alt.X("head_b:N", sort=IN_ROW_ORDER, axis=alt.Axis(labels=show, labelFontSize=8, title=what)),
            y=alt.Y("head_a:N", sort=IN_ROW_ORDER, axis=alt.Axis(labels=show, labelFontSize=8, title=what)),
            color=alt.Color("similarity:Q", scale=alt.Scale(scheme="viridis", domain=[0, 1]), title="1 − JS"),
            tooltip=[
                alt.Tooltip("head_a:N", title="layer" if by_layer else "head"),
                alt.Tooltip("head_b:N", title="vs"),
                alt.Tooltip("distance:Q", title="JS distance", format=".3f"),
            ],
        )
        .properties(width=side, height=side, autosize=PAD)
    )


def head_mds_scatter(points: pd.DataFrame) -> alt.Chart:
    """Heads as points in 2-D (classical MDS of the JS distances), coloured by layer; near = attend alike.

    points: explorer.compare.head_map(...) (columns layer, head, name, x, y), optionally with a "label" column.
    """
    tooltip = [alt.Tooltip("name:N", title="head"), "layer:O", "head:O"]
    if "label" in points.columns:
        tooltip.append(alt.Tooltip("label:N", title="role"))
    base = alt.Chart(points, title="Map of all heads (MDS of Jensen–Shannon distances)")
    dots = base.mark_circle(size=90, opacity=0.85).encode(
        x=alt.X("x:Q", title="MDS 1", axis=alt.Axis(labels=False, ticks=False)),
        y=alt.Y("y:Q", title="MDS 2", axis=alt.Axis(labels=False, ticks=False)),
        color=alt.Color("layer:O", scale=alt.Scale(scheme="viridis"), title="layer"),
        tooltip=tooltip,
    )
    text = base.mark_text(dx=9, align="left", fontSize=9, color="#555").encode(
        x=alt.X("x:Q"), y=alt.Y("y:Q"), text=alt.Text("name:N")
    )
    return (dots + text).properties(width=520, height=440, autosize=PAD)


def two_texts_chart(
    run_a: Extraction, run_b: Extraction, layer: int, head: int, difference: np.ndarray | None, *, size: int = 280
) -> alt.HConcatChart | alt.VConcatChart:
    """One head on text A and on text B side by side (one shared blue scale), and B − A (red–blue) below them when
    it exists; pooled into blocks of tokens above per_axis(maps) tokens."""
    top = max(float(run_a.attn[layer, head].max()), float(run_b.attn[layer, head].max())) or 1.0
    cells = per_axis(2 if difference is None else 3)
    name = head_name(layer, head)
    chart_a = head_heatmap(run_a, layer, head, domain=(0.0, top), size=size, title=f"Text A, {name}", per_axis=cells)
    chart_b = head_heatmap(run_b, layer, head, domain=(0.0, top), size=size, title=f"Text B, {name}", per_axis=cells)
    pair = alt.hconcat(chart_a, _without_query_labels(chart_b)).resolve_scale(color="shared")
    if difference is None:
        return pair
    diff = difference_heatmap(difference, run_b.labels(), size=size, tips=run_b.labels(with_text=True), per_axis=cells)
    return alt.vconcat(pair, diff).resolve_scale(color="independent")
