"""Attention maps page: one head as a heatmap, every head as one overview image, one token across every head."""

from __future__ import annotations

import streamlit as st

from app.charts import draw
from app.downloads import download_row
from app.i18n import names, said, t
from app.i18n.phrases import need_run, run_summary
from app.safe import plain
from app.state import cached, remember
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
from explorer.views.raster import all_heads_png, image_width, sampled_rows

_, run = need_run("attn.purpose")

st.title(t("attn.title"))
st.caption(run_summary(run) + (t("attn.causal") if run.is_causal else ""))

# 1) One head.
st.subheader(t("attn.one_head"))
remember("attn_layer", 0, range(run.n_layers))
remember("attn_head", 0, range(run.n_heads))
remember("attn_value", "attn")
c1, c2, c3 = st.columns([2, 2, 2])
layer = c1.slider(t("common.layer"), 0, run.n_layers - 1, key="attn_layer")
head = c2.slider(t("common.head"), 0, run.n_heads - 1, key="attn_head")
value = c3.radio(
    t("attn.colour_by"),
    ["attn", "scores"],
    format_func=names("attn.value.", ["attn", "scores"]).get,
    horizontal=True,
    key="attn_value",
)
try:
    chart = cached(head_heatmap, run, layer, head, value=value)  # once per (run, layer, head, colour)
except ExplorerError as err:
    st.error(plain(said(err)))
    st.stop()
draw(chart, key="attn_heatmap", pad=True)
pooled = max(run.n_tokens, run.n_keys) > HEATMAP_MAX_CELLS
masked_note = t("attn.masked") if run.masked is not None else ""
if value == "attn":
    reading = t("attn.read_weights") + t("attn.rows_sum_1" if run.sink is None else "attn.rows_sink")
else:
    reading = t("attn.read_scores")
st.caption(
    reading
    + masked_note
    + t("attn.hover")
    + (
        t("attn.pooled", limit=HEATMAP_MAX_CELLS, what=t(f"attn.what.{value}"))
        + (
            t("attn.pooled_csv", cells=run.n_tokens * run.n_keys)
            if run.n_tokens * run.n_keys > CSV_MAX_CELLS
            else t("attn.end")
        )
        if pooled
        else t("attn.end")
    )
)
download_row(
    chart, lambda: map_csv_frame(run, [(layer, head)], chart), f"attention_L{layer}_H{head}", key="attn_dl_head"
)


@st.fragment
def exact_window(layer: int, head: int, value: str) -> None:
    """A long map's exact window, one cell per token pair: moving it redraws the window alone."""
    st.markdown(t("attn.window", n=WINDOW_CELLS))
    remember("attn_window_query", 0, range(run.n_tokens))
    remember("attn_window_key", 0, range(run.n_keys))
    w1, w2 = st.columns(2)
    q_start = w1.number_input(
        t("attn.first_query"), 0, max(0, run.n_tokens - WINDOW_CELLS), step=WINDOW_CELLS // 2, key="attn_window_query"
    )
    k_start = w2.number_input(
        t("attn.first_key"), 0, max(0, run.n_keys - WINDOW_CELLS), step=WINDOW_CELLS // 2, key="attn_window_key"
    )
    window = cached(window_heatmap, run, layer, head, int(q_start), int(k_start), value=value)
    draw(window, key="attn_window", pad=True)
    download_row(
        window,
        lambda: shown_frame(window),
        f"attention_L{layer}_H{head}_q{int(q_start)}_k{int(k_start)}",
        key="attn_dl_window",
    )
    st.caption(t("attn.window_caption"))


if pooled:  # a long map: the overview above is pooled; here an exact window of it
    exact_window(layer, head, value)

# 2) Every head at once.
st.subheader(t("attn.every_head"))
remember("attn_overview_scale", "head")
normalize = st.radio(
    t("attn.colour_scale"),
    ["head", "global"],
    format_func=names("attn.scale.", ["head", "global"]).get,
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
    help=t("attn.download", file=plain(f"all_heads_{normalize}.png")),
    key="attn_dl_overview",
    on_click="ignore",
)
sampled = sampled_rows(run.n_tokens)
st.caption(
    t("attn.overview_caption")
    + ("" if sampled is None else t("attn.overview_sampled", n=run.n_tokens, rows=len(sampled)))
)


# 3) One token, every head.
@st.fragment
def one_token(layer: int) -> None:
    """Where one query token attends in every head: picking a token redraws this strip alone, not the page."""
    st.subheader(t("attn.one_token"))
    labels = run.labels()
    remember("attn_token", next((i for i, s in enumerate(run.special) if not s), 0), range(run.n_tokens))  # first word
    remember("attn_token_scope", "all")
    t1, t2 = st.columns([3, 2])
    token = t1.selectbox(t("common.query_token"), range(run.n_tokens), format_func=labels.__getitem__, key="attn_token")
    scope = t2.radio(
        t("attn.scope"),
        ["all", "layer"],
        format_func=names("attn.scope.", ["all", "layer"], layer=layer).get,
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
    st.caption(t("attn.token_caption", token=plain(run.shown_tokens[token])))


one_token(layer)  # the layer slider above reruns the whole page, this strip included
