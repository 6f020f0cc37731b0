"""Q/K/V vectors page: how one query's scores are built from q ∘ k (BertViz's neuron view), how its weights mix the
keys' v into its context vector, and how far apart the heads' weight subspaces lie."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from app.charts import draw
from app.downloads import download_row
from app.i18n import said, t
from app.i18n.phrases import need_run, run_summary, weight_views_note
from app.safe import plain
from app.state import cached, remember
from explorer import ExplorerError
from explorer.analysis.heads import head_name
from explorer.analysis.qk import mean_overlap, qk_gaps, qk_products, select_keys, top_keys, weight_subspace_overlap
from explorer.views.qkv import (
    neuron_view,
    qk_frame,
    score_frame,
    softmax_view,
    subspace_overlap_frame,
    subspace_overlap_heatmap,
    vector_strip,
)
from explorer.views.walkthrough import matrix_heatmap

bundle, run = need_run("qkv.purpose")

MAX_KEYS_SHOWN = 48  # above this many tokens, show the keys with the largest weights unless asked for all

st.title(t("qkv.title"))
st.caption(t("qkv.summary", summary=run_summary(run), d_head=run.d_head))

# 1) Choose the head and the query token.
labels = run.labels()
remember("qkv_layer", 0, range(run.n_layers))
remember("qkv_head", 0, range(run.n_heads))
remember("qkv_query", next((i for i, s in enumerate(run.special) if not s), 0), range(run.n_tokens))  # first word
c1, c2, c3 = st.columns([1, 1, 2])
layer = c1.selectbox(t("common.layer"), range(run.n_layers), key="qkv_layer")
head = c2.selectbox(t("common.head"), range(run.n_heads), key="qkv_head")
query = c3.selectbox(t("common.query_token"), range(run.n_tokens), format_func=labels.__getitem__, key="qkv_query")
try:
    parts = qk_products(run, layer, head, query)
except ExplorerError as err:
    st.error(plain(said(err)))
    st.stop()

show_all = True
if run.n_keys > MAX_KEYS_SHOWN:
    remember("qkv_all_keys", False)
    show_all = st.toggle(t("qkv.show_all", n=run.n_keys, top=MAX_KEYS_SHOWN), key="qkv_all_keys")
keys = top_keys(parts, None if show_all else MAX_KEYS_SHOWN)
shown = select_keys(parts, keys)
key_labels = run.key_labels()  # the encoder's tokens in cross-attention
shown_labels = [key_labels[i] for i in keys]
token = run.shown_tokens[query]  # as the model read it ([UNK], ##piece)
name = head_name(layer, head)

# 2) q and the keys' k vectors.
st.subheader(t("qkv.q_and_k", token=plain(token)))
q_chart = cached(vector_strip, parts.q, title=t("qkv.q_title", i=query, token=token, head=name))
draw(q_chart, key="qkv_q_chart")
st.caption(t("qkv.q_caption", head=name, d=run.d_head) + (t("qkv.rotary") if bundle.rotary else ""))
neuron = neuron_view(shown, shown_labels)
draw(neuron, key="qkv_neuron_chart")
st.caption(
    t("qkv.neuron_caption")
    + (t("qkv.neuron_causal") if run.is_causal else t("qkv.end"))
    + ("" if show_all else t("qkv.top_keys", n=len(keys)))
)
download_row(neuron, qk_frame(shown, shown_labels), f"qk_L{layer}_H{head}_q{query}", "qkv_dl_neuron")

# 3) ÷√d_k and softmax.
st.subheader(t("qkv.scale_softmax"))
scaled_chart = softmax_view(shown, shown_labels)
draw(scaled_chart, key="qkv_softmax_chart")
gap_scores, gap_weights = qk_gaps(run, parts)
st.caption(
    t(
        "qkv.softmax_caption",
        scale=parts.scale,
        d=run.d_head,
        inv=run.d_head**-0.5,
        sums=t("qkv.sum_1" if run.sink is None else "qkv.sum_sink"),
        gap_scores=gap_scores,
        gap_weights=gap_weights,
    )
)
download_row(scaled_chart, score_frame(shown, shown_labels), f"scores_L{layer}_H{head}_q{query}", "qkv_dl_scores")

# 4) The weights mix the keys' v vectors: context = Σ_j weight_j · v_j, the head's output for this query.
st.subheader(t("qkv.v_section", token=plain(token)))
v_keys = top_keys(parts, None if run.n_keys <= MAX_KEYS_SHOWN else MAX_KEYS_SHOWN)  # ≤ 49 rows, even with "show all"
v_all = run.v[layer, head]  # [Nk, d_head] every key's v in this head
v_shown = v_all[v_keys]  # [K, d_head]
v_labels = [f"{key_labels[j]} ({parts.weights[j]:.3f})" for j in v_keys]  # each key with its weight
v_chart = cached(
    matrix_heatmap,
    v_shown,
    v_labels,
    title=t("qkv.v_title", head=name),
    x_title=t("qkv.v_x"),
    y_title=t("qkv.v_y"),
    kind="signed",
)
draw(v_chart, key="qkv_v_chart", pad=True)
st.caption(
    t("qkv.v_caption", head=name, d=run.d_head)
    + (
        ""
        if len(v_keys) == run.n_keys
        else t("qkv.v_top", n=len(v_keys), total=run.n_keys, share=float(parts.weights[v_keys].sum()))
    )
)
download_row(
    v_chart,
    lambda: pd.DataFrame(
        {
            "key_index": np.repeat(v_keys, run.d_head),
            "key": np.repeat(np.asarray(run.key_tokens, dtype=object)[v_keys], run.d_head),
            "weight": np.repeat(parts.weights[v_keys], run.d_head),
            "dim": np.tile(np.arange(run.d_head), len(v_keys)),
            "v": v_shown.reshape(-1),
        }
    ),
    f"v_L{layer}_H{head}_q{query}",
    "qkv_dl_v",
)
context = run.context[layer, head, query]  # [d_head] the model's own output of this head for this query
mixed = parts.weights @ v_all  # [d_head] Σ_j weight_j · v_j over every key, from the weights shown above
context_chart = cached(
    vector_strip,
    context,
    title=t("qkv.context_title", i=query, token=token, head=name),
    label=t("qkv.context_label"),
)
draw(context_chart, key="qkv_context_chart")
st.caption(
    t(
        "qkv.context_caption",
        token=plain(token),
        n=run.n_keys,
        d=run.d_head,
        gap=float(np.abs(mixed - context).max()),
    )
)
download_row(
    context_chart,
    pd.DataFrame({"dim": np.arange(run.d_head), "context": context, "sum_weight_v": mixed}),
    f"context_L{layer}_H{head}_q{query}",
    "qkv_dl_context",
)

# 5) Heads as different subspaces of the weights.
st.subheader(t("qkv.subspaces"))
if note := weight_views_note(bundle, t("qkv.overlap_what")):
    st.info(note)
    st.stop()
remember("qkv_which", "q")
remember("qkv_layer_a", 0, range(bundle.n_layers))
remember("qkv_layer_b", 0, range(bundle.n_layers))
w1, w2, w3 = st.columns([2, 1, 1])
which = w1.radio(
    t("qkv.projection"),
    ["q", "k", "v", "o"],
    format_func={"q": "W_Q", "k": "W_K", "v": "W_V", "o": "W_O"}.get,
    horizontal=True,
    key="qkv_which",
)
layer_a = w2.selectbox(t("qkv.layer_rows"), range(bundle.n_layers), key="qkv_layer_a")
layer_b = w3.selectbox(t("qkv.layer_cols"), range(bundle.n_layers), key="qkv_layer_b")
try:
    overlap = cached(weight_subspace_overlap, bundle, layer_a, layer_b, which)  # weights only; no model run
except ExplorerError as err:
    st.error(plain(said(err)))
    st.stop()
overlap_chart = subspace_overlap_heatmap(overlap, layer_a, layer_b, which)
draw(overlap_chart, key="qkv_overlap_chart")
chance = bundle.d_head / bundle.d_model
st.caption(
    t(
        "qkv.overlap_caption",
        which=which.upper(),
        d_head=bundle.d_head,
        d_model=bundle.d_model,
        chance=chance,
        pairs=t("qkv.pairs_other" if layer_a == layer_b else "qkv.pairs_these"),
        mean=mean_overlap(overlap, layer_a == layer_b),
    )
    + (t("qkv.gqa", n=overlap.shape[0]) if overlap.shape[0] != bundle.n_heads else "")
)
download_row(overlap_chart, subspace_overlap_frame(overlap, layer_a, layer_b), f"overlap_{which}", "qkv_dl_overlap")
