"""Attention maps page: one head as a heatmap, every head as one overview image, one token across every head."""

from __future__ import annotations

import streamlit as st

from app.charts import draw
from app.downloads import download_row
from app.safe import plain
from app.state import cached, remember, require_run, run_summary
from explorer import ExplorerError
from explorer.views.attention import (
    CSV_MAX_CELLS,
    HEATMAP_MAX_CELLS,
    WINDOW_CELLS,
    head_heatmap,
    map_csv_frame,
    shown_frame,
    token_heads_frame,
    token_heads_strip,
    window_heatmap,
)
from explorer.views.raster import all_heads_png, image_width

_, run = require_run("see its attention maps")

st.title("Attention maps")
st.caption(run_summary(run) + (" · causal: keys after each query are masked (grey)" if run.is_causal else ""))

# 1) One head.
st.subheader("One head")
remember("attn_layer", 0, range(run.n_layers))
remember("attn_head", 0, range(run.n_heads))
remember("attn_value", "attn")
c1, c2, c3 = st.columns([2, 2, 2])
layer = c1.slider("Layer", 0, run.n_layers - 1, key="attn_layer")
head = c2.slider("Head", 0, run.n_heads - 1, key="attn_head")
value = c3.radio(
    "Colour by",
    ["attn", "scores"],
    format_func={"attn": "weight (after softmax)", "scores": "raw score q·k/√d"}.get,
    horizontal=True,
    key="attn_value",
)
try:
    chart = cached(head_heatmap, run, layer, head, value=value)  # once per (run, layer, head, colour)
except ExplorerError as err:
    st.error(plain(err))
    st.stop()
draw(chart, key="attn_heatmap", pad=True)
pooled = max(run.n_tokens, run.n_keys) > HEATMAP_MAX_CELLS
masked_note = " Grey cells are keys the model's mask hides from that query." if run.masked is not None else ""
if value == "attn":
    reading = "Each row is a query token and shows how it spreads its attention over the key tokens across the top; "
    reading += (
        "rows sum to 1."
        if run.sink is None
        else "each row's shares of the tokens sum to less than 1: this family adds an attention sink, a learned "
        "logit per head that takes its own share of every row (kept beside the map as run.sink)."
    )
else:
    reading = (
        "Each row is a query token and shows its raw score q·k/√d with every key token across the top, before "
        "softmax: scores can be any size and sign (blue above 0, red below), and softmax of a row gives that "
        "row's weights."
    )
st.caption(
    reading
    + masked_note
    + " Hover a cell for its weight and raw score"
    + (
        f"; with more than {HEATMAP_MAX_CELLS} tokens, cells are blocks of tokens coloured by their largest "
        + ("weight" if value == "attn" else "score")
        + (
            f" (its CSV lists those blocks: every cell would be {run.n_tokens * run.n_keys:,} rows; the export page "
            "writes them all, and the window below lists its cells)."
            if run.n_tokens * run.n_keys > CSV_MAX_CELLS
            else "."
        )
        if pooled
        else "."
    )
)
download_row(
    chart, lambda: map_csv_frame(run, [(layer, head)], chart), f"attention_L{layer}_H{head}", key="attn_dl_head"
)

if pooled:  # a long map: the overview above is pooled; here an exact window of it, one cell per token pair
    st.markdown(f"**An exact window: {WINDOW_CELLS} queries × {WINDOW_CELLS} keys**")
    remember("attn_window_query", 0, range(run.n_tokens))
    remember("attn_window_key", 0, range(run.n_keys))
    w1, w2 = st.columns(2)
    q_start = w1.number_input(
        "First query token", 0, max(0, run.n_tokens - WINDOW_CELLS), step=WINDOW_CELLS // 2, key="attn_window_query"
    )
    k_start = w2.number_input(
        "First key token", 0, max(0, run.n_keys - WINDOW_CELLS), step=WINDOW_CELLS // 2, key="attn_window_key"
    )
    window = cached(window_heatmap, run, layer, head, int(q_start), int(k_start), value=value)
    draw(window, key="attn_window", pad=True)
    download_row(
        window,
        lambda: shown_frame(window),
        f"attention_L{layer}_H{head}_q{int(q_start)}_k{int(k_start)}",
        key="attn_dl_window",
    )
    st.caption(
        "The same head, unpooled: every cell is one query token's weight on one key token, computed for just these "
        "rows. Move the window to any part of the map above (grey: keys the mask hides)."
    )

# 2) Every head at once.
st.subheader("Every head")
remember("attn_overview_scale", "head")
normalize = st.radio(
    "Colour scale",
    ["head", "global"],
    format_func={"head": "each head's own maximum", "global": "the same 0–1 scale for all"}.get,
    horizontal=True,
    key="attn_overview_scale",
)
png = cached(all_heads_png, run, normalize=normalize)  # once per extraction and scale
wide = image_width(png) > 1000  # small grids (few heads) at their own size, not blown up
st.image(png, width="stretch" if wide else "content", output_format="PNG")
st.download_button(
    "PNG",
    png,
    file_name=f"all_heads_{normalize}.png",
    mime="image/png",
    icon=":material/download:",
    type="tertiary",
    help=f"Download all_heads_{normalize}.png",
    key="attn_dl_overview",
    on_click="ignore",
)
st.caption(
    "All layers (rows) × heads (columns), each a small copy of the map above: queries down, keys across, darker = "
    "more attention (square-root scale so faint patterns show). Diagonal lines are previous/next-token heads; "
    "a dark first column is a head resting on the first token ([CLS] or BOS)."
)

# 3) One token, every head.
st.subheader("One token, every head")
labels = run.labels()
remember("attn_token", next((i for i, s in enumerate(run.special) if not s), 0), range(run.n_tokens))  # first word
remember("attn_token_scope", "all")
t1, t2 = st.columns([3, 2])
token = t1.selectbox("Query token", range(run.n_tokens), format_func=labels.__getitem__, key="attn_token")
scope = t2.radio(
    "Heads",
    ["all", "layer"],
    format_func={"all": "every layer", "layer": f"layer {layer} only"}.get,
    horizontal=True,
    key="attn_token_scope",
)
strip = cached(token_heads_strip, run, token, layer=None if scope == "all" else layer)
draw(strip, key="attn_token_strip", pad=True)
download_row(
    strip,
    lambda: token_heads_frame(run, token, layer=None if scope == "all" else layer),
    f"token{token}_{'all_layers' if scope == 'all' else f'L{layer}'}",
    key="attn_dl_token",
)
st.caption(
    f"Each row is one head; the colour shows how much “{plain(run.tokens[token])}” attends to each key token in that "
    "head. Heads that agree form vertical stripes; grey cells are masked."
)
