"""Altair chart builders for attention maps, and the fast raster path (PNG) for large grids of heads.

Charts take an Extraction (or arrays), never a model (BertViz's rule). Axes use `run.labels()` order
("0 [CLS]", "1 I", ...) so repeated tokens stay apart and the order is the text's.

Size policy (DESIGN.md "the UI never draws N² cells for thousands of tokens"):
- `head_heatmap` draws one rect per (query, key) cell up to HEATMAP_MAX_CELLS tokens per axis. Above that it
  pools the map into blocks of consecutive tokens (at most HEATMAP_MAX_CELLS blocks per axis): the colour is the
  largest weight in the block (so sharp diagonals and sinks stay visible), the tooltip gives max and mean.
- `all_heads_png` draws every head of every layer as one raster PNG with numpy + PIL: no Vega rows at all.
- `token_heads_strip` pools key tokens the same way when a strip would exceed STRIP_MAX_ROWS rows.
"""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING

import altair as alt
import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from explorer.extract import Extraction
    from explorer.subspaces import SenseSeparation

# Charts here can hold more than Altair's default 5,000 rows (Streamlit sends them as Arrow anyway).
alt.data_transformers.disable_max_rows()

HEATMAP_MAX_CELLS = 150  # tokens per axis drawn one rect each; above this, blocks of tokens
STRIP_MAX_ROWS = 20_000  # rows of a heads x keys strip before key tokens are pooled into blocks
MASKED_COLOUR = "#d4d4d4"  # cells a causal mask hides (score -inf)
WEIGHT_SCHEME = "blues"
# For a single (not concatenated) chart: `chart.properties(autosize=PAD)` makes width/height the plot's own size,
# axes and legend on top. (Streamlit's default, "fit", squeezes the plot into the given size, labels included.)
# Concatenated charts must not carry autosize in their parts, so the builders here leave it to the caller.
PAD = alt.AutoSizeParams(type="pad")
# ColorBrewer "Blues" (9 stops), the same ramp as Vega's "blues", for the raster path.
_BLUES = np.array(
    [
        [247, 251, 255],
        [222, 235, 247],
        [198, 219, 239],
        [158, 202, 225],
        [107, 174, 214],
        [66, 146, 198],
        [33, 113, 181],
        [8, 81, 156],
        [8, 48, 107],
    ],
    dtype=np.float32,
)
_MASKED_RGB = np.array([212, 212, 212], dtype=np.uint8)
_BACKGROUND_RGB = (255, 255, 255)


# --- data behind the charts ---------------------------------------------------------------------------------


def attention_frame(run: Extraction, layer: int, head: int) -> pd.DataFrame:
    """Long form of one head's map: one row per (query, key) cell, row-major (query 0's keys first).

    Columns: query_index, query_token, key_index, key_token, weight (softmax), score (scaled q·k plus mask;
    -inf where a causal mask hides the key). This is what the CSV download of a heatmap holds.
    """
    _check_layer_head(run, layer, head)
    n = run.n_tokens
    qi, ki = np.divmod(np.arange(n * n), n)  # row-major: query index, key index
    return pd.DataFrame(
        {
            "query_index": qi,
            "query_token": _take(run.tokens, qi),
            "key_index": ki,
            "key_token": _take(run.tokens, ki),
            "weight": run.attn[layer, head].reshape(-1).astype(np.float64),  # [N*N]
            "score": run.scores[layer, head].reshape(-1).astype(np.float64),  # [N*N]
        }
    )


def _take(names: list[str], index: np.ndarray) -> pd.Categorical:
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


def image_width(png: bytes) -> int:
    """Pixel width of a PNG (to show small grids at their own size rather than stretched)."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as im:
        return im.width


def _check_layer_head(run: Extraction, layer: int, head: int) -> None:
    from explorer.errors import ExplorerError

    if not 0 <= layer < run.n_layers:
        raise ExplorerError(f"Layer {layer} does not exist: this run has layers 0 to {run.n_layers - 1}.")
    if not 0 <= head < run.n_heads:
        raise ExplorerError(f"Head {head} does not exist: this run has heads 0 to {run.n_heads - 1}.")


def _block_edges(n: int, max_cells: int) -> np.ndarray:
    """Start index of each block when n tokens are pooled into at most max_cells consecutive blocks."""
    size = math.ceil(n / max_cells)
    return np.arange(0, n, size)


def _block_labels(run: Extraction, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Axis labels for blocks of tokens: "40–43 apple…" (first and last index, then the first token)."""
    return np.array([f"{a}–{b} {run.tokens[a]}…" for a, b in zip(starts, ends, strict=True)], dtype=object)


def _score_labels(scores: np.ndarray) -> np.ndarray:
    """Scores as tooltip text: "masked" where the mask hid the key (-inf), else 4 decimals."""
    out = np.char.mod("%.4f", np.where(np.isfinite(scores), scores, 0.0)).astype(object)
    out[~np.isfinite(scores)] = "masked"
    return out


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
) -> alt.Chart:
    """One head's attention map: query tokens down (y), key tokens across (x), in the text's order.

    value: "attn" colours by softmax weight (scale [0, max of this map], or `domain`, e.g. a shared one when
    heads stand side by side); "scores" colours by the raw scaled score q·k/√d (diverging, centred on 0).
    Masked cells (causal models: keys after the query) are grey and their score reads "masked".
    Above HEATMAP_MAX_CELLS tokens the map is pooled into blocks of tokens (see the module docstring).
    size: width and height in pixels (default grows with the number of tokens, 240 to 640).
    """
    _check_layer_head(run, layer, head)
    if value not in ("attn", "scores"):
        from explorer.errors import ExplorerError

        raise ExplorerError(f"value must be 'attn' or 'scores', not {value!r}.")
    n = run.n_tokens
    weights = run.attn[layer, head]  # [N, N]
    scores = run.scores[layer, head]  # [N, N]
    masked = ~np.isfinite(scores)  # [N, N]
    labels = run.labels()
    pooled = n > HEATMAP_MAX_CELLS

    if not pooled:
        qi, ki = np.divmod(np.arange(n * n), n)
        frame = pd.DataFrame(
            {
                "query": _take(labels, qi),
                "key": _take(labels, ki),
                "weight": weights.reshape(-1),
                "score": np.where(masked, np.nan, scores).reshape(-1),
                "score_text": _score_labels(scores.reshape(-1)),
                "masked": masked.reshape(-1),
            }
        )
        order = list(labels)
        tooltip = [
            alt.Tooltip("query:N", title="query"),
            alt.Tooltip("key:N", title="key"),
            alt.Tooltip("weight:Q", title="weight", format=".4f"),
            alt.Tooltip("score_text:N", title="raw score"),
        ]
    else:
        # Blocks of consecutive tokens; colour = largest weight in the block (max keeps thin lines visible).
        edges = _block_edges(n, HEATMAP_MAX_CELLS)  # [B]
        ends = np.append(edges[1:], n) - 1
        w_max = np.maximum.reduceat(np.maximum.reduceat(weights, edges, axis=0), edges, axis=1)  # [B, B]
        w_sum = np.add.reduceat(np.add.reduceat(weights, edges, axis=0), edges, axis=1)  # [B, B]
        cells = np.outer(ends - edges + 1, ends - edges + 1)  # tokens per block pair
        finite = np.where(masked, -np.inf, scores)
        s_max = np.maximum.reduceat(np.maximum.reduceat(finite, edges, axis=0), edges, axis=1)  # [B, B]
        b_masked = np.logical_and.reduceat(np.logical_and.reduceat(masked, edges, axis=0), edges, axis=1)
        block_labels = _block_labels(run, edges, ends)
        nb = len(edges)
        qi, ki = np.divmod(np.arange(nb * nb), nb)
        frame = pd.DataFrame(
            {
                "query": _take(list(block_labels), qi),
                "key": _take(list(block_labels), ki),
                "weight": w_max.reshape(-1),
                "mean_weight": (w_sum / cells).reshape(-1),
                "score": np.where(b_masked, np.nan, s_max).reshape(-1),
                "score_text": _score_labels(s_max.reshape(-1)),
                "masked": b_masked.reshape(-1),
            }
        )
        order = list(block_labels)
        tooltip = [
            alt.Tooltip("query:N", title="query tokens"),
            alt.Tooltip("key:N", title="key tokens"),
            alt.Tooltip("weight:Q", title="max weight", format=".4f"),
            alt.Tooltip("mean_weight:Q", title="mean weight", format=".4f"),
            alt.Tooltip("score_text:N", title="max raw score"),
        ]

    if value == "attn":
        top = float(weights.max()) if weights.size else 1.0
        scale = alt.Scale(scheme=WEIGHT_SCHEME, domain=list(domain or (0.0, top if top > 0 else 1.0)))
        colour = alt.Color("weight:Q", scale=scale, title="weight")
    else:
        finite_scores = scores[np.isfinite(scores)]
        m = float(np.abs(finite_scores).max()) if finite_scores.size else 1.0
        scale = alt.Scale(scheme="redblue", reverse=True, domain=list(domain or (-m, m)), domainMid=0)
        colour = alt.Color("score:Q", scale=scale, title="raw score")

    cells = len(order)
    side = size or int(min(640, max(240, 16 * cells)))
    # Every token's label when rows are tall enough to read; else Vega keeps every other one (the tooltip names all).
    common = dict(labelFontSize=10, labelOverlap=side / cells < 11, ticks=cells <= 80)
    axis_x = alt.Axis(labelAngle=-60, labelLimit=90, title="key (attended to)", **common)
    axis_y = alt.Axis(labelLimit=110, title="query (attending)", **common)
    if title is None:
        title = f"Layer {layer}, head {head}" + (" (blocks of tokens)" if pooled else "")
    return (
        alt.Chart(frame, title=title)
        .mark_rect()
        .encode(
            x=alt.X("key:N", sort=order, axis=axis_x),
            y=alt.Y("query:N", sort=order, axis=axis_y),
            color=alt.condition("datum.masked", alt.value(MASKED_COLOUR), colour),
            tooltip=tooltip,
        )
        .properties(width=side, height=side)
    )


# --- every head at once, as one raster ---------------------------------------------------------------------------


def _pixel_starts(n: int, cell_px: int) -> np.ndarray:
    """For each of cell_px output pixels, the first source token it covers (repeats when n < cell_px)."""
    return np.floor(np.arange(cell_px) * n / cell_px).astype(np.int64)


def _blues(x: np.ndarray) -> np.ndarray:
    """Map values in [0, 1] to RGB uint8 on the Blues ramp. x: [...] -> [..., 3]."""
    pos = np.clip(x, 0.0, 1.0) * (len(_BLUES) - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, len(_BLUES) - 1)
    frac = (pos - lo)[..., None]
    return (_BLUES[lo] * (1 - frac) + _BLUES[hi] * frac + 0.5).astype(np.uint8)


def head_raster(
    weights: np.ndarray, masked: np.ndarray, cell_px: int, top: float | None = None, gamma: float = 1.0
) -> np.ndarray:
    """One map as an RGB image [cell_px, cell_px, 3]: max-pooled (or repeated) to cell_px, Blues, masked grey.

    weights, masked: [N, N]. top: the weight shown darkest (default: this map's max). gamma < 1 brightens faint
    weights (colour = (weight / top) ** gamma).
    """
    n = weights.shape[0]
    starts = _pixel_starts(n, cell_px)  # [P]
    if n >= cell_px:  # several tokens per pixel: keep the largest weight
        w = np.maximum.reduceat(np.maximum.reduceat(weights, starts, axis=0), starts, axis=1)  # [P, P]
        m = np.logical_and.reduceat(np.logical_and.reduceat(masked, starts, axis=0), starts, axis=1)
    else:  # several pixels per token: nearest neighbour
        w = weights[np.ix_(starts, starts)]
        m = masked[np.ix_(starts, starts)]
    top = float(w.max()) if top is None else top
    rgb = _blues((w / (top if top > 0 else 1.0)) ** gamma)  # [P, P, 3]
    rgb[m] = _MASKED_RGB
    return rgb


def all_heads_png(
    run: Extraction,
    *,
    cell_px: int = 112,
    gap_px: int = 4,
    normalize: str = "head",
    gamma: float = 0.5,
    max_side_px: int = 4000,
) -> bytes:
    """Every head of every layer as one PNG: layers down, heads across, labelled "L0".."H11".

    Each cell is one head's map (queries down, keys across), max-pooled or repeated to cell_px pixels; colour is
    weight / max of that head (normalize="head", shows each head's pattern) or weight on [0, 1]
    (normalize="global", comparable across heads), raised to `gamma` (0.5: square root, so the faint spread of
    long texts still shows). Masked cells are grey. Reads run.attn one layer at a time.
    The cell size shrinks so the image stays within max_side_px on each side (many-head models).
    """
    from PIL import Image, ImageDraw, ImageFont

    L, H, n = run.n_layers, run.n_heads, run.n_tokens
    cell_px = max(8, min(cell_px, (max_side_px - 40) // max(L, H) - gap_px))
    if n < cell_px:  # short texts: a whole number of pixels per token, so every token's row is as tall
        cell_px = n * max(1, round(cell_px / n))
    font_px = max(10, min(16, cell_px // 6))
    font = ImageFont.load_default(size=font_px)
    left, top_margin = 4 * font_px, 2 * font_px  # room for "L12" and "H31"
    width = left + H * (cell_px + gap_px)
    height = top_margin + L * (cell_px + gap_px)
    canvas = np.full((height, width, 3), 255, dtype=np.uint8)  # [height, width, RGB]

    for layer in range(L):
        attn = run.attn[layer]  # [H, N, N]
        masked = ~np.isfinite(run.scores[layer])  # [H, N, N]
        y0 = top_margin + layer * (cell_px + gap_px)
        for head in range(H):
            x0 = left + head * (cell_px + gap_px)
            top = 1.0 if normalize == "global" else None
            canvas[y0 : y0 + cell_px, x0 : x0 + cell_px] = head_raster(attn[head], masked[head], cell_px, top, gamma)

    image = Image.fromarray(canvas)
    draw = ImageDraw.Draw(image)
    for head in range(H):
        x = left + head * (cell_px + gap_px) + cell_px // 2
        draw.text((x, top_margin // 2), f"H{head}", fill=(40, 40, 40), font=font, anchor="mm")
    for layer in range(L):
        y = top_margin + layer * (cell_px + gap_px) + cell_px // 2
        draw.text((left - font_px // 2, y), f"L{layer}", fill=(40, 40, 40), font=font, anchor="rm")
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=False, compress_level=6)
    return buf.getvalue()


# --- one query token, every head -------------------------------------------------------------------------------


def token_heads_frame(run: Extraction, token_index: int, layer: int | None = None) -> pd.DataFrame:
    """Where one query token attends in every head: rows (layer, head, key_index, key_token, weight, score)."""
    from explorer.errors import ExplorerError

    if not 0 <= token_index < run.n_tokens:
        raise ExplorerError(f"Token {token_index} does not exist: this run has tokens 0 to {run.n_tokens - 1}.")
    layers = range(run.n_layers) if layer is None else [layer]
    if layer is not None:
        _check_layer_head(run, layer, 0)
    n, H = run.n_tokens, run.n_heads
    parts = []
    for l in layers:
        w = run.attn[l][:, token_index, :]  # [H, N]
        s = run.scores[l][:, token_index, :]  # [H, N]
        h, k = np.divmod(np.arange(H * n), n)
        parts.append(
            pd.DataFrame(
                {
                    "layer": l,
                    "head": h,
                    "key_index": k,
                    "key_token": _take(run.tokens, k),
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
    n = run.n_tokens
    labels = run.labels()
    layers = range(run.n_layers) if layer is None else [layer]
    row_order = [f"L{l} H{h}" if layer is None else f"H{h}" for l in layers for h in range(run.n_heads)]
    n_rows = len(row_order)
    masked = ~np.isfinite(frame["score"].to_numpy())
    if n_rows * n <= STRIP_MAX_ROWS:
        r, k = np.divmod(np.arange(n_rows * n), n)
        data = pd.DataFrame(
            {
                "row": _take(row_order, r),
                "key": _take(labels, k),
                "weight": frame["weight"],
                "score_text": _score_labels(frame["score"].to_numpy()),
                "masked": masked,
            }
        )
        key_order = list(labels)
        tooltip = [
            alt.Tooltip("row:N", title="head"),
            alt.Tooltip("key:N", title="key"),
            alt.Tooltip("weight:Q", format=".4f"),
            alt.Tooltip("score_text:N", title="raw score"),
        ]
    else:
        edges = _block_edges(n, max(1, STRIP_MAX_ROWS // n_rows))
        ends = np.append(edges[1:], n) - 1
        w = frame["weight"].to_numpy().reshape(n_rows, n)  # [rows, N]
        m = masked.reshape(n_rows, n)
        w_max = np.maximum.reduceat(w, edges, axis=1)  # [rows, B]
        m_all = np.logical_and.reduceat(m, edges, axis=1)
        block_labels = _block_labels(run, edges, ends)
        nb = len(edges)
        r, b = np.divmod(np.arange(n_rows * nb), nb)
        data = pd.DataFrame(
            {
                "row": _take(row_order, r),
                "key": _take(list(block_labels), b),
                "weight": w_max.reshape(-1),
                "score_text": np.where(m_all.reshape(-1), "masked", "").astype(object),
                "masked": m_all.reshape(-1),
            }
        )
        key_order = list(block_labels)
        tooltip = [
            alt.Tooltip("row:N", title="head"),
            alt.Tooltip("key:N", title="key tokens"),
            alt.Tooltip("weight:Q", title="max weight", format=".4f"),
        ]
    top = float(data["weight"].max()) or 1.0
    colour = alt.Color("weight:Q", scale=alt.Scale(scheme=WEIGHT_SCHEME, domain=[0.0, top]), title="weight")
    width = int(min(900, max(300, 18 * len(key_order))))
    height = int(min(900, max(120, 12 * n_rows)))
    key_axis = alt.Axis(labelAngle=-60, labelFontSize=10, labelOverlap=width / len(key_order) < 11, title="key")
    row_axis = alt.Axis(labelFontSize=10, labelOverlap=height / n_rows < 11, title="layer and head")
    where = "every layer" if layer is None else f"layer {layer}"
    return (
        alt.Chart(data, title=f"Where “{run.tokens[token_index]}” (token {token_index}) attends, {where}")
        .mark_rect()
        .encode(
            x=alt.X("key:N", sort=key_order, axis=key_axis),
            y=alt.Y("row:N", sort=row_order, axis=row_axis),
            color=alt.condition("datum.masked", alt.value(MASKED_COLOUR), colour),
            tooltip=tooltip,
        )
        .properties(width=width, height=height)
    )


# --- head comparison and Q/K/V vectors (pages/compare.py, pages/qkv.py) ---------------------------------------------


def heads_side_by_side(
    run: Extraction, picks: list[tuple[int, int]], *, size: int | None = None
) -> alt.HConcatChart | alt.VConcatChart:
    """Two to four heads' maps on one colour scale ([0, largest weight of the picked heads]): two or three in a row,
    four as a 2 × 2 grid."""
    for layer, head in picks:
        _check_layer_head(run, layer, head)
    top = max(float(run.attn[layer][head].max()) for layer, head in picks) or 1.0
    side = size or (200 if len(picks) == 3 else 300)
    charts = [head_heatmap(run, layer, head, domain=(0.0, top), size=side) for layer, head in picks]
    if len(charts) == 4:
        return alt.vconcat(alt.hconcat(*charts[:2]), alt.hconcat(*charts[2:])).resolve_scale(color="shared")
    return alt.hconcat(*charts).resolve_scale(color="shared")


def _pool_signed(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Pool a signed [N, N] map into blocks, keeping in each block the value of largest magnitude."""
    hi = np.maximum.reduceat(np.maximum.reduceat(values, edges, axis=0), edges, axis=1)  # [B, B]
    lo = np.minimum.reduceat(np.minimum.reduceat(values, edges, axis=0), edges, axis=1)  # [B, B]
    return np.where(np.abs(hi) >= np.abs(lo), hi, lo)


def difference_heatmap(
    difference: np.ndarray, labels: list[str], *, title: str = "B − A", size: int | None = None
) -> alt.Chart:
    """A signed [N, N] map (text B's weights minus text A's) on a red–blue scale centred on 0.

    Above HEATMAP_MAX_CELLS tokens it is pooled into blocks of tokens, each showing its largest-magnitude value.
    labels: axis labels of both axes (e.g. "3 apple"; text B's tokens where the two texts differ).
    """
    n = difference.shape[0]
    labels_arr = np.asarray(labels, dtype=object)
    if n > HEATMAP_MAX_CELLS:
        edges = _block_edges(n, HEATMAP_MAX_CELLS)
        ends = np.append(edges[1:], n) - 1
        values = _pool_signed(np.asarray(difference, dtype=np.float64), edges)
        labels_arr = np.array(
            [f"{a}–{b} {str(labels[a]).split(' ', 1)[-1]}…" for a, b in zip(edges, ends, strict=True)]
        )
        labels_arr = labels_arr.astype(object)
        title = f"{title} (blocks of tokens)"
    else:
        values = np.asarray(difference, dtype=np.float64)
    nb = values.shape[0]
    qi, ki = np.divmod(np.arange(nb * nb), nb)
    frame = pd.DataFrame({"query": labels_arr[qi], "key": labels_arr[ki], "difference": values.reshape(-1)})
    m = float(np.abs(values).max()) or 1.0
    order = list(labels_arr)
    side = size or int(min(640, max(240, 16 * nb)))
    show = nb <= 80
    return (
        alt.Chart(frame, title=title)
        .mark_rect()
        .encode(
            x=alt.X(
                "key:N", sort=order, axis=alt.Axis(labelAngle=-60, labels=show, ticks=show, title="key (attended to)")
            ),
            y=alt.Y("query:N", sort=order, axis=alt.Axis(labels=show, ticks=show, title="query (attending)")),
            color=alt.Color(
                "difference:Q",
                scale=alt.Scale(scheme="redblue", reverse=True, domain=[-m, m], domainMid=0),
                title="B − A",
            ),
            tooltip=["query:N", "key:N", alt.Tooltip("difference:Q", format="+.4f")],
        )
        .properties(width=side, height=side)
    )


def head_similarity_frame(
    distance: np.ndarray, n_heads: int, order: np.ndarray | None = None, names: list[str] | None = None
) -> pd.DataFrame:
    """Long form of a head × head JS distance matrix: head_a, head_b ("L.H" names, or `names`), distance,
    similarity = 1 − distance. frame.attrs["order"] holds the axis order (clustering order when given)."""
    m = distance.shape[0]
    if names is None:
        names = [f"{i // n_heads}.{i % n_heads}" for i in range(m)]
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
    names = [f"L{i}" for i in range(distance.shape[0])] if by_layer else None
    frame = head_similarity_frame(distance, n_heads, order, names)
    axis_order = frame.attrs.pop("order")
    m = distance.shape[0]
    side = int(min(720, max(300, 9 * m)))
    show = m <= 96
    what = "layer (mean over its heads)" if by_layer else "head (layer.head)"
    title = (
        "Layer × layer similarity (1 − mean JS distance of their heads)"
        if by_layer
        else ("Head × head similarity (1 − Jensen–Shannon distance)")
    )
    return (
        alt.Chart(frame, title=title)
        .mark_rect()
        .encode(
            x=alt.X("head_b:N", sort=axis_order, axis=alt.Axis(labels=show, labelFontSize=8, title=what)),
            y=alt.Y("head_a:N", sort=axis_order, axis=alt.Axis(labels=show, labelFontSize=8, title=what)),
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
    text = base.mark_text(dx=9, align="left", fontSize=9, color="#555").encode(x="x:Q", y="y:Q", text="name:N")
    return (dots + text).properties(width=520, height=440, autosize=PAD)


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
            tooltip=["dim:O", alt.Tooltip("value:Q", format="+.4f")],
        )
        .properties(width=max(240, 16 * v.size), height=110, autosize=PAD)
    )


def qk_frame(parts: dict, labels: list[str]) -> pd.DataFrame:
    """Long form of explorer.compare.qk_products: one row per (key, dimension): k, q∘k; dot/score/weight per key."""
    k = parts["k"]  # [N, d]
    n, d = k.shape
    key, dim = np.divmod(np.arange(n * d), d)
    labels_arr = np.asarray(labels, dtype=object)
    masked = np.asarray(parts["masked"])
    scores = np.asarray(parts["scores"])
    return pd.DataFrame(
        {
            "key_index": key,
            "key": labels_arr[key],
            "dim": dim,
            "k": k.reshape(-1),
            "q": np.tile(parts["q"], n),
            "product": parts["products"].reshape(-1),
            "dot": parts["dot"][key],
            "score": np.where(masked, np.nan, scores)[key],
            "weight": parts["weights"][key],
            "masked": masked[key],
        }
    )


def qk_matrix_heatmap(parts: dict, labels: list[str], *, value: str = "product", key_labels: bool = True) -> alt.Chart:
    """Keys down, head dimensions across: k_j (value="k") or q ∘ k_j (value="product"), red–blue around 0.

    A row of q ∘ k adds up to q·k_j, the raw score of key j before ÷√d_k. Masked keys (causal) are grey.
    """
    frame = qk_frame(parts, labels)
    col = "product" if value == "product" else "k"
    m = float(np.abs(frame[col]).max()) or 1.0
    n = parts["k"].shape[0]
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
        .mark_rect()
        .encode(
            x=alt.X("dim:O", title="dimension of the head"),
            y=alt.Y("key:N", sort=order, axis=alt.Axis(labels=show, ticks=show, title="key" if key_labels else None)),
            color=alt.condition("datum.masked", alt.value(MASKED_COLOUR), colour) if col == "product" else colour,
            tooltip=[
                "key:N",
                "dim:O",
                alt.Tooltip("q:Q", format="+.4f"),
                alt.Tooltip("k:Q", format="+.4f"),
                alt.Tooltip("product:Q", title="q∘k", format="+.4f"),
            ],
        )
        .properties(width=max(200, 8 * parts["k"].shape[1]), height=int(min(900, max(160, 14 * n))))
    )


def score_frame(parts: dict, labels: list[str]) -> pd.DataFrame:
    """One row per key: key, dot (q·k), score (q·k × scale; NaN where masked), weight (softmax), masked."""
    masked = np.asarray(parts["masked"])
    return pd.DataFrame(
        {
            "key_index": np.arange(len(masked)),
            "key": np.asarray(labels, dtype=object),
            "dot": parts["dot"],
            "score": np.where(masked, np.nan, parts["scores"]),
            "weight": parts["weights"],
            "masked": masked,
        }
    )


def score_bars(parts: dict, labels: list[str], *, column: str = "weight", key_labels: bool = True) -> alt.Chart:
    """One bar per key: "dot" (q·k, the row sums of q∘k), "score" (÷√d_k, i.e. × scale) or "weight" (softmax)."""
    frame = score_frame(parts, labels)
    titles = {
        "dot": "q·k (sum of each row of q∘k)",
        "score": f"scaled score q·k × {parts['scale']:.4g}",
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
                "key:N",
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
            "head_a": [f"{layer_a}.{h}" for h in ha],
            "head_b": [f"{layer_b}.{h}" for h in hb],
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
            tooltip=["head_a:N", "head_b:N", alt.Tooltip("overlap:Q", format=".3f")],
        )
        .properties(width=side, height=side, autosize=PAD)
    )


# --- the step-by-step walkthrough (pages/walkthrough.py) -----------------------------------------------------

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
        tooltip=[alt.Tooltip("row:N", title=y_title), alt.Tooltip("col:N", title=x_title), "shown:N"],
    )
    cells = base.mark_rect().encode(
        color=alt.condition(
            "isValid(datum.value)", alt.Color("value:Q", scale=scale, title="value"), alt.value(MASKED_COLOUR)
        )
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
            tooltip=["key:N", "softmax of:N", alt.Tooltip("weight:Q", format=".4f")],
        )
        .properties(width=max(240, 26 * n), height=220)
    )


def two_texts_chart(
    run_a: Extraction, run_b: Extraction, layer: int, head: int, difference: np.ndarray | None, *, size: int = 300
) -> alt.HConcatChart | alt.VConcatChart:
    """One head on text A and on text B side by side (one shared blue scale), and B − A (red–blue) below them when
    it exists."""
    top = max(float(run_a.attn[layer][head].max()), float(run_b.attn[layer][head].max())) or 1.0
    chart_a = head_heatmap(run_a, layer, head, domain=(0.0, top), size=size, title=f"Text A, head {layer}.{head}")
    chart_b = head_heatmap(run_b, layer, head, domain=(0.0, top), size=size, title=f"Text B, head {layer}.{head}")
    pair = alt.hconcat(chart_a, chart_b).resolve_scale(color="shared")
    if difference is None:
        return pair
    diff = difference_heatmap(difference, run_b.labels(), size=size)
    return alt.vconcat(pair, diff).resolve_scale(color="independent")


def neuron_view(parts: dict, labels: list[str]) -> alt.HConcatChart:
    """BertViz's neuron view for any family: k vectors | q ∘ k (each on its own red–blue scale) | row sums q·k."""
    return alt.hconcat(
        qk_matrix_heatmap(parts, labels, value="k"),
        qk_matrix_heatmap(parts, labels, value="product", key_labels=False),
        score_bars(parts, labels, column="dot", key_labels=False),
    ).resolve_scale(color="independent")


def softmax_view(parts: dict, labels: list[str]) -> alt.HConcatChart:
    """Scaled scores (q·k ÷ √d_k, i.e. × the model's scale) beside their softmax, one bar per key."""
    return alt.hconcat(score_bars(parts, labels, column="score"), score_bars(parts, labels, column="weight"))


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
            tooltip=["token:N", alt.Tooltip("weight:Q", format=".4f")],
        )
        .properties(width=max(240, 22 * len(labels)), height=200)
    )


# --- representation subspaces (pages/subspaces.py) -----------------------------------------------------------
# Builders take a SenseSeparation (or the frames it gives), never a model. Each has a frame beside it
# (res.to_frame(), res.hidden_frame(), res.points(l, h), res.attends_to(l, h)) holding exactly what it shows.

SCORE_SCHEME = "blueorange"  # diverging: blue below 0 (mixed the wrong way), orange above (separated)
CELL_SELECTION = "cell"  # name of the click selection on the heatmap (layer, head)
NOT_SIGNIFICANT_MARK = "n.s."
# Width and height are the plotting area's; axes, legend and title come on top (Streamlit would otherwise "fit"
# the whole chart, decorations included, into width x height and squeeze the cells).
PAD_PLOT = alt.AutoSizeParams(type="pad", contains="padding")


def _score_domain(scores: np.ndarray) -> list[float]:
    top = float(np.nanmax(np.abs(scores))) if np.size(scores) else 1.0
    top = top if top > 0 else 1.0
    return [-top, top]


def separation_heatmap(
    res: SenseSeparation, selected: tuple[int, int] | None = None, *, selectable: bool = True
) -> alt.LayerChart:
    """Layers down, heads across; colour = separation score (silhouette, diverging at 0).

    Cells whose adjusted p-value (Benjamini-Hochberg over all heads) is not below the significance level
    read "n.s."; the tooltip gives score, p-value and adjusted p-value. `selected` gets a black
    outline. With `selectable`, a click on a cell sets the point selection named CELL_SELECTION
    (fields layer and head) that Streamlit's on_select reads.
    """
    frame = res.to_frame()
    frame["significant_text"] = np.where(frame["significant"], "yes", "no")
    frame["mark"] = np.where(frame["significant"], "", NOT_SIGNIFICANT_MARK)
    layers = list(range(res.n_layers))
    heads = list(range(res.n_heads))
    x = alt.X("head:O", sort=heads, title="head", axis=alt.Axis(labelAngle=0))
    y = alt.Y("layer:O", sort=layers, title="layer")
    tooltip = [
        alt.Tooltip("layer:O"),
        alt.Tooltip("head:O"),
        alt.Tooltip("score:Q", title="separation (silhouette)", format=".3f"),
        alt.Tooltip("p_value:Q", title="p-value (permutations)", format=".4f"),
        alt.Tooltip("q_value:Q", title="adjusted p (BH, all heads)", format=".4f"),
        alt.Tooltip("significant_text:N", title="significant"),
    ]
    colour = alt.Color(
        "score:Q",
        scale=alt.Scale(scheme=SCORE_SCHEME, domain=_score_domain(res.scores), domainMid=0),
        title="separation",
    )
    base = alt.Chart(frame)
    rect = base.mark_rect().encode(x=x, y=y, color=colour, tooltip=tooltip)
    if selectable:
        rect = rect.add_params(alt.selection_point(name=CELL_SELECTION, fields=["layer", "head"], on="click"))
    dots = base.mark_text(fontSize=10, color="#333333", baseline="middle").encode(
        x=x, y=y, text="mark:N", tooltip=tooltip
    )
    layers_out = [rect, dots]
    if selected is not None:
        pick = pd.DataFrame({"layer": [selected[0]], "head": [selected[1]]})
        layers_out.append(alt.Chart(pick).mark_rect(fill=None, stroke="black", strokeWidth=2.5).encode(x=x, y=y))
    width = int(min(1000, max(240, 38 * res.n_heads)))
    height = int(min(800, max(120, 30 * res.n_layers)))
    title = f"“{res.target}”: separation of {len(res.senses)} senses per head ({res.space})"
    return alt.layer(*layers_out).properties(width=width, height=height, title=title, autosize=PAD_PLOT)


def baseline_chart(res: SenseSeparation) -> alt.LayerChart:
    """The whole hidden state's separation per layer (bars), beside the best single head of that layer (dots).

    Rows: "embeddings", then "after layer l" (the output of block l, aligned with the heatmap's layer l).
    """
    frame = res.hidden_frame()
    order = list(frame["name"])
    y = alt.Y("name:N", sort=order, title=None)
    tooltip = [
        alt.Tooltip("name:N", title="hidden state"),
        alt.Tooltip("score:Q", title="separation", format=".3f"),
        alt.Tooltip("p_value:Q", title="p-value", format=".4f"),
        alt.Tooltip("best_head_score:Q", title="best head of this layer", format=".3f"),
    ]
    lo = min(0.0, float(np.nanmin(frame[["score", "best_head_score"]].to_numpy())))
    hi = max(0.05, float(np.nanmax(frame[["score", "best_head_score"]].to_numpy())))
    x_scale = alt.Scale(domain=[lo, hi])
    bars = (
        alt.Chart(frame)
        .mark_bar(color="#9e9e9e")
        .encode(x=alt.X("score:Q", scale=x_scale, title="separation"), y=y, tooltip=tooltip)
    )
    best = (
        alt.Chart(frame.dropna(subset=["best_head_score"]))
        .mark_point(shape="diamond", filled=True, size=90, color="#e45756")
        .encode(x=alt.X("best_head_score:Q", scale=x_scale), y=y, tooltip=tooltip)
    )
    height = int(min(700, max(160, 30 * (res.n_layers + 1))))
    title = alt.Title("Whole hidden state", subtitle="bar: all dimensions; ◆: best head of the layer")
    return alt.layer(bars, best).properties(width=200, height=height, title=title, autosize=PAD_PLOT)


def sense_scatter(points: pd.DataFrame, title: str) -> alt.Chart:
    """One dot per sentence at its 2-D PCA position, coloured and shaped by sense; hover shows the sentence."""
    explained = points.attrs.get("explained", [np.nan, np.nan])
    senses = list(dict.fromkeys(points["sense"]))
    return (
        alt.Chart(points, title=title)
        .mark_point(filled=True, size=110, opacity=0.85)
        .encode(
            x=alt.X("pc1:Q", title=f"PC 1 ({explained[0]:.0%} of variance)", axis=alt.Axis(labels=False)),
            y=alt.Y("pc2:Q", title=f"PC 2 ({explained[1]:.0%} of variance)", axis=alt.Axis(labels=False)),
            color=alt.Color("sense:N", sort=senses, scale=alt.Scale(scheme="category10"), title="sense"),
            shape=alt.Shape("sense:N", sort=senses, title="sense"),
            tooltip=[
                alt.Tooltip("sense:N"),
                alt.Tooltip("word:N", title="target as written"),
                alt.Tooltip("sentence:N"),
            ],
        )
        .properties(width=420, height=340, autosize=PAD_PLOT)
    )


def attends_to_chart(frame: pd.DataFrame, title: str, value: str = "distinctive") -> alt.FacetChart:
    """Per sense, the words the target attends to (one panel per sense; frame from res.attends_to).

    value: "weight" draws the mean attention from the target to each word in that sense's sentences;
    "distinctive" draws that minus the mean over the other senses' sentences (what sets the sense apart).
    """
    senses = list(dict.fromkeys(frame["sense"]))
    x_title = "mean attention from the target" if value == "weight" else "attention beyond the other senses"
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X(f"{value}:Q", title=x_title),
            y=alt.Y("word:N", sort="-x", title=None, axis=alt.Axis(labelOverlap=False, labelLimit=120)),
            color=alt.Color("sense:N", sort=senses, scale=alt.Scale(scheme="category10"), legend=None),
            tooltip=[
                alt.Tooltip("sense:N"),
                alt.Tooltip("word:N"),
                alt.Tooltip("weight:Q", title="mean attention (this sense)", format=".3f"),
                alt.Tooltip("other_senses:Q", title="mean attention (other senses)", format=".3f"),
                alt.Tooltip("distinctive:Q", title="difference", format=".3f"),
                alt.Tooltip("sentences:Q", title="sentences with the word"),
            ],
        )
        .properties(width=220, height=alt.Step(20))
        .facet(column=alt.Column("sense:N", sort=senses, title=None))
        .resolve_scale(y="independent")
        .properties(title=title, autosize=PAD_PLOT)
    )
