"""Head comparison page: heads side by side, one head on two texts, all heads clustered and mapped, head roles."""

from __future__ import annotations

import streamlit as st

from app.charts import draw
from app.downloads import download_row
from app.i18n import said, t
from app.i18n.phrases import need_run, run_summary
from app.safe import plain
from app.state import cached, remember, second_run
from explorer import ExplorerError
from explorer.analysis.heads import (
    ROLE_RULES,
    head_difference,
    head_name,
    heads_overview,
    layer_distance,
    one_word_swap,
)
from explorer.views.attention import CSV_MAX_CELLS, map_csv_frame, shown_frame, two_texts_frame
from explorer.views.compare import (
    head_mds_scatter,
    head_similarity_frame,
    head_similarity_heatmap,
    heads_side_by_side,
    two_texts_chart,
)

bundle, run = need_run("compare.purpose")

LONG_RUN_TOKENS = 2048  # above this, text B runs only when the user asks (a second forward pass as long)
MAX_HEAD_CELLS = 256  # heads up to which the similarity matrix draws one cell per pair of heads (65,536 cells)
# The roles table's measures, shown under their names in app.i18n ("compare.col.<column>")
ROLE_COLUMNS = (
    "entropy_bits",
    "entropy_norm",
    "mean_distance",
    "to_special",
    "to_first",
    "to_self",
    "to_previous",
    "to_next",
    "top_special",
)


def head_picker(column, index: int, default: tuple[int, int]) -> tuple[int, int]:
    remember(f"compare_layer_{index}", default[0], range(run.n_layers))
    remember(f"compare_head_{index}", default[1], range(run.n_heads))
    layer = column.selectbox(t("common.layer"), range(run.n_layers), key=f"compare_layer_{index}")
    head = column.selectbox(t("common.head"), range(run.n_heads), key=f"compare_head_{index}")
    return layer, head


def reset_text_b(text_a: str) -> None:
    st.session_state["compare_text_b"] = one_word_swap(text_a)


# 1) Two to four heads side by side, one colour scale.
@st.fragment
def side_by_side() -> None:
    """The picked heads' maps: picking a head redraws this chart alone, not the page's other charts."""
    st.subheader(t("compare.side"))
    remember("compare_count", 3)
    count = st.radio(t("compare.how_many"), [2, 3, 4], horizontal=True, key="compare_count")
    L, H = run.n_layers, run.n_heads
    defaults = [(0, 0), (L // 2, min(1, H - 1)), (L - 1, min(2, H - 1)), (L - 1, H - 1)]
    columns = st.columns(count)
    picks = [head_picker(columns[i], i, defaults[i]) for i in range(count)]
    try:
        side = cached(heads_side_by_side, run, picks)  # once per (run, heads picked)
    except ExplorerError as err:
        st.error(plain(said(err)))
        return
    draw(side, key="compare_side_chart")
    st.caption(t("compare.side_caption"))
    download_row(side, lambda: map_csv_frame(run, picks, side), "heads_side_by_side", key="compare_dl_side")


# 2) The same head on two texts.
@st.fragment
def two_texts() -> None:
    """One head on the sidebar's text and on text B: its controls redraw this section alone."""
    st.subheader(t("compare.two_texts"))
    L, H = run.n_layers, run.n_heads
    # Text B follows the sidebar's text (as a one-word swap of it) until the user edits it.
    previous_a = st.session_state.get("compare_text_b_source")
    remember("compare_text_b", one_word_swap(run.text))
    if previous_a not in (None, run.text) and st.session_state["compare_text_b"] == one_word_swap(previous_a):
        st.session_state["compare_text_b"] = one_word_swap(run.text)
    st.session_state["compare_text_b_source"] = run.text
    remember("compare_diff_layer", min(1, L - 1), range(L))
    remember("compare_diff_head", 0, range(H))
    c1, c2 = st.columns([1, 3])
    d_layer = c1.selectbox(t("common.layer"), range(L), key="compare_diff_layer")
    d_head = c1.selectbox(t("common.head"), range(H), key="compare_diff_head")
    c1.button(t("compare.reset_b"), key="compare_text_b_reset", on_click=reset_text_b, args=(run.text,))
    text_b = c2.text_area(t("compare.text_b"), key="compare_text_b", height=90)
    # A long run: text B costs a forward pass as long as the sidebar's, so it runs when asked, not on every visit.
    if run.n_tokens > LONG_RUN_TOKENS:
        remember("compare_run_b", False)
        if not c1.toggle(t("compare.run_b"), key="compare_run_b", help=t("compare.run_b_help", n=run.n_tokens)):
            return
    try:
        with st.spinner(t("compare.running_b")):
            run_b = second_run(bundle, run, text_b, int(run.meta.get("max_tokens", run.n_tokens)))
        diff = cached(head_difference, run, run_b, d_layer, d_head)  # once per (texts, head)
    except ExplorerError as err:
        st.error(plain(said(err)))
        return
    pair = cached(two_texts_chart, run, run_b, d_layer, d_head, diff.difference)
    draw(pair, key="compare_diff_chart")
    st.caption(
        t("compare.diff_caption", head=head_name(d_layer, d_head))
        + (t("compare.diff_below") + said(diff.note) if diff.difference is not None else t("compare.diff_hover"))
    )
    if diff.difference is None:
        st.info(said(diff.note))
    download_row(
        pair,
        lambda: (
            two_texts_frame(run, run_b, d_layer, d_head)
            if run.n_tokens * run.n_keys + run_b.n_tokens * run_b.n_keys <= CSV_MAX_CELLS
            else shown_frame(pair)
        ),
        f"head_{d_layer}_{d_head}_two_texts",
        key="compare_dl_diff",
    )


st.title(t("compare.title"))
st.caption(t("compare.summary", summary=run_summary(run), n=run.n_layers * run.n_heads))
side_by_side()
two_texts()

# 3) All heads against all heads.
st.subheader(t("compare.all"))
try:
    with st.spinner(t("compare.comparing")):
        overview = cached(heads_overview, run)  # once per extraction
except ExplorerError as err:
    st.error(plain(said(err)))
    st.stop()
n_all = run.n_layers * run.n_heads
if n_all <= MAX_HEAD_CELLS:
    sim = cached(head_similarity_heatmap, overview.distance, run.n_heads, overview.order)  # once per overview
    sim_frame = head_similarity_frame(overview.distance, run.n_heads, overview.order)
else:  # too many pairs of heads for one cell each: layers against layers
    by_layer = cached(layer_distance, overview.distance, run.n_heads)
    sim = cached(head_similarity_heatmap, by_layer, run.n_heads, by_layer=True)
    sim_frame = head_similarity_frame(by_layer, run.n_heads, names=[f"L{i}" for i in range(run.n_layers)])
draw(sim, key="compare_similarity_chart")
st.caption(
    t("compare.sim_caption")
    + ("" if n_all <= MAX_HEAD_CELLS else t("compare.sim_by_layer", n=n_all))
    + (
        t("compare.sim_sampled", rows=rows, n=run.n_tokens, error=overview.sampling_error)
        if (rows := overview.query_rows)
        else ""
    )
)
download_row(sim, sim_frame, "head_similarity", key="compare_dl_sim")

mds = cached(head_mds_scatter, overview.points)
draw(mds, key="compare_mds_chart")
st.caption(t("compare.mds_caption"))
download_row(mds, overview.points, "head_map_mds", key="compare_dl_mds")

# 4) Head roles.
st.subheader(t("compare.roles"))
roles = overview.roles
names = [head_name(layer, head) for layer, head in zip(roles["layer"], roles["head"], strict=True)]
table = roles[["layer", "head", "label", *[c for c in roles.columns if c not in ("layer", "head", "label")]]]
table.insert(0, "name", names)  # "L0 H10", beside the numbers to sort by
table = table.rename(columns={c: t(f"compare.col.{c}") for c in ROLE_COLUMNS if c in table.columns})
st.dataframe(
    table,
    hide_index=True,
    key="compare_roles_table",
    column_config={
        "name": st.column_config.TextColumn(t("compare.col.name"), width="small"),
        "layer": st.column_config.NumberColumn(t("compare.col.layer"), width="small"),
        "head": st.column_config.NumberColumn(t("compare.col.head"), width="small"),
        "label": st.column_config.TextColumn(t("compare.col.label"), width="large"),  # the whole label, not cut off
        **{c: st.column_config.NumberColumn(format="%.3f") for c in table.columns[4:12]},
    },
)
st.caption(
    t("compare.roles_caption", rules=ROLE_RULES)
    + (
        t("compare.caveat", n=run.n_tokens, trained=bundle.trained_tokens)
        if run.kind != "cross" and run.n_tokens > bundle.trained_tokens
        else ""
    )
)
