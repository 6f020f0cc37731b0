"""Charts of the attention maps page: one head as a heatmap, one token across every head, and the tables behind them.

Charts take an Extraction (or arrays), never a model (BertViz's rule). Axes use `run.labels()` order
("0 [CLS]", "1 i", "2 ##r", "3 [UNK]"): tokens as the model read them, unique, in the text's order. Tooltips name
tokens by `run.labels(with_text=True)`, which adds the text a token covers where the model read something else
("3 [UNK] (text “他”)").

Size policy (docs/DESIGN.md "the UI never draws N² cells for thousands of tokens"):
- `head_heatmap` draws one rect per (query, key) cell up to HEATMAP_MAX_CELLS tokens per axis. Above that it
  pools the map into blocks of consecutive tokens (at most HEATMAP_MAX_CELLS blocks per axis): the colour is the
  largest weight in the block (so sharp diagonals and sinks stay visible), the tooltip gives max and mean.
- `token_heads_strip` pools key tokens the same way when a strip would exceed STRIP_MAX_ROWS rows.
- The all-heads overview is a raster image (explorer.views.raster): no Vega rows at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import altair as alt
import numpy as np
import pandas as pd

from explorer.analysis.heads import head_name
from explorer.tokens import read_as_written
from explorer.views.pooling import block_ends, block_labels, block_starts, pool
from explorer.views.style import MASKED_COLOUR, WEIGHT_SCHEME

HEATMAP_MAX_CELLS = 96  # tokens per axis drawn one rect each; above, blocks (the browser draws ~9k rects in <1 s)
STRIP_MAX_ROWS = 20_000  # rows of a heads x keys strip before key tokens are pooled into blocks
# Axes of every map follow the order of the chart's rows (sort=None): the frames are built in text order, query-
# major, so each axis lists its tokens in the text's order. A sort list would cost the browser one comparison per
# label for every cell on every draw (Vega-Lite turns it into `datum.key === "0 [CLS]" ? 0 : …`, and Streamlit
# runs Vega's expressions through an interpreter): 0.5–1 s at 512 tokens.
IN_ROW_ORDER = None
# The rects of every map: masked cells (no score) drawn grey, not dropped; no ARIA description per cell (Vega
# would build one string per cell on every draw; the title, captions and CSV say what the chart shows).
CELLS = {"invalid": "show", "aria": False}
if TYPE_CHECKING:
    from explorer.extract import Extraction


# --- data behind the charts ---------------------------------------------------------------------------------


def attention_frame(run: Extraction, layer: int, head: int) -> pd.DataFrame:
    """Long form of one head's map: one row per (query, key) cell, row-major (query 0's keys first).

    Columns: query_index, query_token, key_index, key_token, weight (softmax), score (scaled q·k plus mask;
    -inf where a causal mask hides the key). This is what the CSV download of a heatmap holds.
    """
    check_layer_head(run, layer, head)
    nq, nk = run.n_tokens, run.n_keys
    qi, ki = np.divmod(np.arange(nq * nk), nk)  # row-major: query index, key index
    return pd.DataFrame(
        {
            "query_index": qi,
            "query_token": take(run.tokens, qi),
            "key_index": ki,
            "key_token": take(run.key_tokens, ki),
            "weight": run.attn[layer, head].reshape(-1).astype(np.float64),  # [N*N]
            "score": run.scores[layer, head].reshape(-1).astype(np.float64),  # [N*N]
        }
    )


CSV_MAX_CELLS = 2**20  # cells of one map a chart's CSV lists one by one (~40 MB); beyond, the blocks the chart shows


def map_csv_frame(run: Extraction, picks: list[tuple[int, int]], chart: alt.TopLevelMixin) -> pd.DataFrame:
    """The CSV behind a map chart: every cell of the picked heads (attention_frame, with layer and head columns
    for several) while they hold at most CSV_MAX_CELLS cells, else the rows the chart draws (shown_frame)."""
    if len(picks) * run.n_tokens * run.n_keys > CSV_MAX_CELLS:
        return shown_frame(chart)
    if len(picks) == 1:
        return attention_frame(run, *picks[0])
    return heads_frame(run, picks)


def shown_frame(chart: alt.TopLevelMixin) -> pd.DataFrame:
    """The rows a chart draws (a pooled map's blocks, a window's cells), with a `panel` column (its title) when
    it has several panels: the CSV of a long run's chart, where every cell of the whole map would be N² rows."""
    frames = []

    def walk(c) -> None:
        if isinstance(c.data, pd.DataFrame):
            title = c.title if isinstance(c.title, str) else ""
            frames.append(c.data.assign(panel=title) if title else c.data)
        for attr in ("hconcat", "vconcat", "layer"):
            parts = getattr(c, attr, alt.Undefined)
            for part in [] if parts is alt.Undefined else parts:
                walk(part)

    walk(chart)
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


def take(names: list[str], index: np.ndarray) -> pd.Categorical:
    """names[index] as a categorical column: N² strings built from codes, fast, and dictionary-encoded when sent."""
    categories, codes = np.unique(np.asarray(names, dtype=str), return_inverse=True)
    return pd.Categorical.from_codes(codes[index], categories=categories)


def heads_frame(run: Extraction, picks: list[tuple[int, int]]) -> pd.DataFrame:
    """attention_frame of several heads stacked, with layer and head columns (the side-by-side view's data)."""
    return pd.concat(
        [attention_frame(run, layer, head).assign(layer=layer, head=head) for layer, head in picks], ignore_index=True
    )


def two_texts_frame(run_a: Extraction, run_b: Extraction, layer: int, head: int) -> pd.DataFrame:
    """Both texts' cells of one head, long form, with a `text` column ("A" or "B")."""
    return pd.concat(
        [attention_frame(run_a, layer, head).assign(text="A"), attention_frame(run_b, layer, head).assign(text="B")],
        ignore_index=True,
    )


def check_layer_head(run: Extraction, layer: int, head: int) -> None:
    if not 0 <= layer < run.n_layers:
        raise ValueError(f"Layer {layer} does not exist: this run has layers 0 to {run.n_layers - 1}.")
    if not 0 <= head < run.n_heads:
        raise ValueError(f"Head {head} does not exist: this run has heads 0 to {run.n_heads - 1}.")


def score_labels(scores: np.ndarray) -> np.ndarray:
    """Scores as tooltip text: "masked" where the mask hid the key (-inf), else 4 decimals."""
    out = np.char.mod("%.4f", np.where(np.isfinite(scores), scores, 0.0)).astype(object)
    out[~np.isfinite(scores)] = "masked"
    return out


def cell_frame(
    weights: np.ndarray,
    scores: np.ndarray,
    labels: list[str],
    key_labels: list[str],
    tips: list[str] | None = None,
    key_tips: list[str] | None = None,
) -> pd.DataFrame:
    """One row per (query, key) cell of a [rows, keys] map: labels, their tooltip names (`tips`, the labels with
    the text where the model read something else; the labels when not given), weight, score (NaN where masked),
    its tooltip text and whether the mask hid the key."""
    masked = ~np.isfinite(scores)
    qi, ki = np.divmod(np.arange(weights.size), weights.shape[1])
    return pd.DataFrame(
        {
            "query": take(labels, qi),
            "key": take(key_labels, ki),
            "query_tip": take(labels if tips is None else tips, qi),
            "key_tip": take(key_labels if key_tips is None else key_tips, ki),
            "weight": weights.reshape(-1),
            "score": np.where(masked, np.nan, scores).reshape(-1),
            "score_text": score_labels(scores.reshape(-1)),
            "masked": masked.reshape(-1),
        }
    )


def map_colour(value: str, weights: np.ndarray, scores: np.ndarray, domain: tuple[float, float] | None = None):
    """The colour encoding of a map: weights on Blues from 0 to their max (or `domain`), or raw scores on a
    red–blue scale centred on 0."""
    if value == "attn":
        top = float(weights.max()) if weights.size else 1.0
        scale = alt.Scale(scheme=WEIGHT_SCHEME, domain=list(domain or (0.0, top if top > 0 else 1.0)))
        return alt.Color("weight:Q", scale=scale, title="weight")
    finite = scores[np.isfinite(scores)]
    m = float(np.abs(finite).max()) if finite.size else 1.0
    scale = alt.Scale(scheme="redblue", reverse=True, domain=list(domain or (-m, m)), domainMid=0)
    return alt.Color("score:Q", scale=scale, title="raw score")


def grey_where(colour: alt.Color, test: str = "datum.masked") -> alt.Color:
    """The colour encoding, with cells where the Vega expression `test` holds drawn in MASKED_COLOUR.

    A value condition inside the field definition, equal in Vega-Lite to alt.condition(test, value, colour), but
    built without Altair's schema inference (alt.condition costs ~25 ms a chart, on every control change)."""
    colour = colour.copy(deep=False)
    colour.condition = {"test": test, "value": MASKED_COLOUR}
    return colour  # pair it with mark_rect(**CELLS): Vega-Lite drops cells whose field is null by default


# --- one head --------------------------------------------------------------------------------------------------


def head_heatmap(
    run: Extraction,
    layer: int,
    head: int,
    *,
    value: str = "attn",
    title: str | None = None,
    domain: tuple[float, float] | None = None,
    size: int | None = None,
    per_axis: int = HEATMAP_MAX_CELLS,
) -> alt.Chart:
    """One head's attention map: query tokens down (y), key tokens across (x), in the text's order.

    value: "attn" colours by softmax weight (scale [0, max of this map], or `domain`, e.g. a shared one when
    heads stand side by side); "scores" colours by the raw scaled score q·k/√d (diverging, centred on 0).
    Masked cells (causal models: keys after the query) are grey and their score reads "masked".
    Above `per_axis` tokens on an axis (default HEATMAP_MAX_CELLS) the map is pooled into at most `per_axis` blocks
    of tokens per axis (see the module docstring), and " (blocks of tokens)" ends the title (default: the head's
    name). size: width and height in pixels (default grows with the number of tokens, 240 to 640).
    """
    check_layer_head(run, layer, head)
    if value not in ("attn", "scores"):
        raise ValueError(f"value must be 'attn' or 'scores', not {value!r}.")
    nq, nk = run.n_tokens, run.n_keys
    pooled = max(nq, nk) > per_axis

    if not pooled:
        labels, key_labels = run.labels(), run.key_labels()
        weights = run.attn[layer, head]  # [Nq, Nk]
        scores = run.scores[layer, head]  # [Nq, Nk]
        tips, key_tips = run.labels(with_text=True), run.key_labels(with_text=True)
        frame = cell_frame(weights, scores, labels, key_labels, tips, key_tips)  # query-major: axes in text order
        rows, cols = nq, nk
        tooltip = [
            alt.Tooltip("query_tip:N", title="query"),
            alt.Tooltip("key_tip:N", title="key"),
            alt.Tooltip("weight:Q", title="weight", format=".4f"),
            alt.Tooltip("score_text:N", title="raw score"),
        ]
    else:
        # Blocks of consecutive tokens; colour = largest weight in the block (max keeps thin lines visible).
        q_edges, k_edges = block_starts(nq, per_axis), block_starts(nk, per_axis)
        q_ends, k_ends = block_ends(q_edges, nq), block_ends(k_edges, nk)
        w_max, w_sum, s_max, b_masked = pooled_head(run, layer, head, q_edges, k_edges)  # [Bq, Bk] each
        weights, scores = w_max, s_max  # the colour scales below follow the blocks' values
        cells = np.outer(q_ends - q_edges + 1, k_ends - k_edges + 1)  # tokens per block pair
        names = block_labels(run.shown_tokens, q_edges, q_ends)
        key_names = block_labels(run.key_shown_tokens, k_edges, k_ends)
        qi, ki = np.divmod(np.arange(len(q_edges) * len(k_edges)), len(k_edges))
        frame = pd.DataFrame(
            {
                "query": take(list(names), qi),
                "key": take(list(key_names), ki),
                "weight": w_max.reshape(-1),
                "mean_weight": (w_sum / cells).reshape(-1),
                "score": np.where(b_masked, np.nan, s_max).reshape(-1),
                "score_text": score_labels(s_max.reshape(-1)),
                "masked": b_masked.reshape(-1),
            }
        )
        rows, cols = len(names), len(key_names)
        tooltip = [
            alt.Tooltip("query:N", title="query tokens"),
            alt.Tooltip("key:N", title="key tokens"),
            alt.Tooltip("weight:Q", title="max weight", format=".4f"),
            alt.Tooltip("mean_weight:Q", title="mean weight", format=".4f"),
            alt.Tooltip("score_text:N", title="max raw score"),
        ]

    colour = map_colour(value, weights, scores, domain)

    def extent(cells: int) -> int:
        return size or int(min(640, max(240, 16 * cells)))

    width, height = extent(cols), extent(rows)
    # Every token's label when rows are tall enough to read; else Vega keeps every other one (the tooltip names all).
    axis_x = alt.Axis(
        labelAngle=-60, labelLimit=90, title="key (attended to)", labelFontSize=10,
        labelOverlap=width / cols < 11, ticks=cols <= 80,
    )  # fmt: skip
    axis_y = alt.Axis(
        labelLimit=110, title="query (attending)", labelFontSize=10, labelOverlap=height / rows < 11,
        ticks=rows <= 80,
    )  # fmt: skip
    title = (head_name(layer, head) if title is None else title) + (" (blocks of tokens)" if pooled else "")
    return (
        alt.Chart(frame, title=title)
        .mark_rect(**CELLS)
        .encode(
            x=alt.X("key:N", sort=IN_ROW_ORDER, axis=axis_x),
            y=alt.Y("query:N", sort=IN_ROW_ORDER, axis=axis_y),
            color=grey_where(colour),
            tooltip=tooltip,
        )
        .properties(width=width, height=height)
    )


WINDOW_CELLS = 64  # query and key rows an exact window of a long map shows
POOL_CHUNK_BYTES = 32 * 2**20  # one map's rows pooled_head reads at once


def window_heatmap(
    run: Extraction, layer: int, head: int, query_start: int, key_start: int, *, value: str = "attn", size: int = 64
) -> alt.Chart:
    """An exact window of one head's map: `size` query rows from query_start against `size` keys from key_start,
    one cell per token pair (the pooled overview's detail). Only those rows are computed."""
    check_layer_head(run, layer, head)
    q0 = int(np.clip(query_start, 0, max(0, run.n_tokens - size)))
    k0 = int(np.clip(key_start, 0, max(0, run.n_keys - size)))
    q1, k1 = min(run.n_tokens, q0 + size), min(run.n_keys, k0 + size)
    weights = run.attn[layer, head, q0:q1][:, k0:k1]  # [rows, keys]
    scores = run.scores[layer, head, q0:q1][:, k0:k1]
    labels, key_labels = run.labels()[q0:q1], run.key_labels()[k0:k1]
    tips, key_tips = run.labels(with_text=True)[q0:q1], run.key_labels(with_text=True)[k0:k1]
    frame = cell_frame(weights, scores, labels, key_labels, tips, key_tips)
    colour = map_colour(value, weights, scores)
    axis = dict(labelFontSize=9, labelOverlap=True)
    return (
        alt.Chart(frame, title=f"{head_name(layer, head)}: queries {q0}–{q1 - 1} × keys {k0}–{k1 - 1}, exact")
        .mark_rect(**CELLS)
        .encode(
            x=alt.X("key:N", sort=IN_ROW_ORDER, axis=alt.Axis(labelAngle=-60, title="key (attended to)", **axis)),
            y=alt.Y("query:N", sort=IN_ROW_ORDER, axis=alt.Axis(title="query (attending)", **axis)),
            color=grey_where(colour),
            tooltip=[
                alt.Tooltip("query_tip:N", title="query"),
                alt.Tooltip("key_tip:N", title="key"),
                alt.Tooltip("weight:Q", format=".4f"),
                alt.Tooltip("score_text:N", title="raw score"),
            ],
        )
        .properties(width=560, height=560)
    )


def pooled_head(
    run: Extraction, layer: int, head: int, q_edges: np.ndarray, k_edges: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One head's map pooled into blocks, one block of query rows at a time (never the whole [Nq, Nk] map):
    (max weight, summed weight, max score, all masked), each [Bq, Bk]."""
    bq, bk = len(q_edges), len(k_edges)
    w_max, w_sum = np.empty((bq, bk), np.float32), np.empty((bq, bk), np.float32)
    s_max, b_masked = np.empty((bq, bk), np.float32), np.empty((bq, bk), bool)
    ends = np.append(q_edges[1:], run.n_tokens)
    budget_rows = max(1, POOL_CHUNK_BYTES // (4 * max(run.n_keys, 1)))  # rows read at once
    b = 0
    while b < bq:  # a chunk of whole query blocks, as many as fit in the budget (at least one)
        e = b + 1
        while e < bq and ends[e] - q_edges[b] <= budget_rows:
            e += 1
        start, stop = int(q_edges[b]), int(ends[e - 1])
        rel = q_edges[b:e] - start  # block starts within the chunk
        w = run.attn[layer, head, start:stop]  # [rows, Nk]
        s = run.scores[layer, head, start:stop]
        w_max[b:e] = np.maximum.reduceat(pool(w, k_edges, "max", axes=(-1,)), rel, axis=0)
        w_sum[b:e] = np.add.reduceat(pool(w, k_edges, "sum", axes=(-1,)), rel, axis=0)
        s_max[b:e] = np.maximum.reduceat(pool(s, k_edges, "max", axes=(-1,)), rel, axis=0)  # masked: -inf
        b_masked[b:e] = np.logical_and.reduceat(pool(~np.isfinite(s), k_edges, "all", axes=(-1,)), rel, axis=0)
        b = e
    return w_max, w_sum, s_max, b_masked


# --- one query token, every head -------------------------------------------------------------------------------


def token_name(run: Extraction, index: int) -> str:
    """A query token named for a title, as the model read it: “he” (token 12); “[UNK]” (token 10, text “他”)."""
    shown, text = run.shown_tokens[index], run.tokens[index]
    return f"“{shown}” (token {index}" + ("" if read_as_written(shown, text) else f", text “{text}”") + ")"


def token_heads_frame(run: Extraction, token_index: int, layer: int | None = None) -> pd.DataFrame:
    """Where one query token attends in every head: rows (layer, head, key_index, key_token, weight, score)."""
    if not 0 <= token_index < run.n_tokens:
        raise ValueError(f"Token {token_index} does not exist: this run has tokens 0 to {run.n_tokens - 1}.")
    layers = range(run.n_layers) if layer is None else [layer]
    if layer is not None:
        check_layer_head(run, layer, 0)
    n, H = run.n_keys, run.n_heads
    parts = []
    for l in layers:
        w = run.attn[l, :, token_index]  # [H, N]: one query row per head, nothing more
        s = run.scores[l, :, token_index]  # [H, N]
        h, k = np.divmod(np.arange(H * n), n)
        parts.append(
            pd.DataFrame(
                {
                    "layer": l,
                    "head": h,
                    "key_index": k,
                    "key_token": take(run.key_tokens, k),
                    "weight": w.reshape(-1).astype(np.float64),
                    "score": s.reshape(-1).astype(np.float64),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def token_heads_strip(run: Extraction, token_index: int, layer: int | None = None) -> alt.Chart:
    """For one query token, where every head attends: heads down ("L3 H7"), key tokens across, colour = weight.

    layer=None shows all layers' heads (layers × heads rows); a layer shows that layer's heads only.
    Keys after the token are grey for causal models. Key tokens are pooled into blocks (max weight) when the
    strip would exceed STRIP_MAX_ROWS rows.
    """
    frame = token_heads_frame(run, token_index, layer)
    n = run.n_keys
    labels = run.key_labels()
    layers = range(run.n_layers) if layer is None else [layer]
    row_names = [f"L{l} H{h}" if layer is None else f"H{h}" for l in layers for h in range(run.n_heads)]
    n_rows = len(row_names)
    masked = ~np.isfinite(frame["score"].to_numpy())
    if n_rows * n <= STRIP_MAX_ROWS:
        r, k = np.divmod(np.arange(n_rows * n), n)
        data = pd.DataFrame(  # head-major: rows and keys in order
            {
                "row": take(row_names, r),
                "key": take(labels, k),
                "key_tip": take(run.key_labels(with_text=True), k),
                "weight": frame["weight"],
                "score_text": score_labels(frame["score"].to_numpy()),
                "masked": masked,
            }
        )
        n_cols = n
        tooltip = [
            alt.Tooltip("row:N", title="head"),
            alt.Tooltip("key_tip:N", title="key"),
            alt.Tooltip("weight:Q", format=".4f"),
            alt.Tooltip("score_text:N", title="raw score"),
        ]
    else:
        edges = block_starts(n, max(1, STRIP_MAX_ROWS // n_rows))
        ends = block_ends(edges, n)
        w = frame["weight"].to_numpy().reshape(n_rows, n)  # [rows, N]
        m = masked.reshape(n_rows, n)
        w_max = pool(w, edges, "max", axes=(-1,))  # [rows, B]
        m_all = pool(m, edges, "all", axes=(-1,))
        names = block_labels(run.key_shown_tokens, edges, ends)
        nb = len(edges)
        r, b = np.divmod(np.arange(n_rows * nb), nb)
        data = pd.DataFrame(
            {
                "row": take(row_names, r),
                "key": take(list(names), b),
                "weight": w_max.reshape(-1),
                "masked": m_all.reshape(-1),
            }
        )
        n_cols = nb
        tooltip = [
            alt.Tooltip("row:N", title="head"),
            alt.Tooltip("key:N", title="key tokens"),
            alt.Tooltip("weight:Q", title="max weight", format=".4f"),
        ]
    top = float(data["weight"].max()) or 1.0
    colour = alt.Color("weight:Q", scale=alt.Scale(scheme=WEIGHT_SCHEME, domain=[0.0, top]), title="weight")
    width = int(min(900, max(300, 18 * n_cols)))
    height = int(min(900, max(120, 12 * n_rows)))
    key_axis = alt.Axis(labelAngle=-60, labelFontSize=10, labelOverlap=width / n_cols < 11, title="key")
    row_axis = alt.Axis(labelFontSize=10, labelOverlap=height / n_rows < 11, title="layer and head")
    where = "every layer" if layer is None else f"layer {layer}"
    return (
        alt.Chart(data, title=f"Where {token_name(run, token_index)} attends, {where}")
        .mark_rect(**CELLS)
        .encode(
            x=alt.X("key:N", sort=IN_ROW_ORDER, axis=key_axis),
            y=alt.Y("row:N", sort=IN_ROW_ORDER, axis=row_axis),
            color=grey_where(colour),
            tooltip=tooltip,
        )
        .properties(width=width, height=height)
    )
