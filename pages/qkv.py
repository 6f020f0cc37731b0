"""Q/K/V vectors page: how one query's scores are built from q ∘ k (BertViz's neuron view), and how far apart the
heads' weight subspaces lie."""

from __future__ import annotations

import streamlit as st

from app.charts import draw
from app.downloads import download_row
from app.safe import plain
from app.state import cached, remember, require_run, run_summary, weight_views_note
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

bundle, run = require_run("see its query, key and value vectors")

MAX_KEYS_SHOWN = 48  # above this many tokens, show the keys with the largest weights unless asked for all

st.title("Q/K/V vectors")
st.caption(
    f"{run_summary(run)} · d_head {run.d_head} · one head, one query token: where its attention weights come from"
)

# 1) Choose the head and the query token.
labels = run.labels()
remember("qkv_layer", 0, range(run.n_layers))
remember("qkv_head", 0, range(run.n_heads))
remember("qkv_query", next((i for i, s in enumerate(run.special) if not s), 0), range(run.n_tokens))  # first word
c1, c2, c3 = st.columns([1, 1, 2])
layer = c1.selectbox("Layer", range(run.n_layers), key="qkv_layer")
head = c2.selectbox("Head", range(run.n_heads), key="qkv_head")
query = c3.selectbox("Query token", range(run.n_tokens), format_func=labels.__getitem__, key="qkv_query")
try:
    parts = qk_products(run, layer, head, query)
except ExplorerError as err:
    st.error(plain(err))
    st.stop()

show_all = True
if run.n_keys > MAX_KEYS_SHOWN:
    remember("qkv_all_keys", False)
    show_all = st.toggle(
        f"Show all {run.n_keys} keys (otherwise the {MAX_KEYS_SHOWN} with the largest weights)", key="qkv_all_keys"
    )
keys = top_keys(parts, None if show_all else MAX_KEYS_SHOWN)
shown = select_keys(parts, keys)
key_labels = run.key_labels()  # the encoder's tokens in cross-attention
shown_labels = [key_labels[i] for i in keys]

# 2) q and the keys' k vectors.
st.subheader(f"q of “{plain(run.tokens[query])}” and the k of every key")
q_chart = vector_strip(parts.q, title=f"q vector of token {query} “{run.tokens[query]}”, {head_name(layer, head)}")
draw(q_chart, key="qkv_q_chart")
st.caption(
    f"The query vector q = x·W_Q of this token in {head_name(layer, head)}: {run.d_head} numbers, red positive, "
    "blue negative." + (" Rotary position encoding is already applied." if bundle.rotary else "")
)
neuron = neuron_view(shown, shown_labels)
draw(neuron, key="qkv_neuron_chart")
st.caption(
    "Left: each key's k vector. Middle: q ∘ k, q times k dimension by dimension; red cells push the score up, "
    "blue cells pull it down. Right: each middle row added up, which is the dot product q·k"
    + ("; grey keys are masked (causal)." if run.is_causal else ".")
    + ("" if show_all else f" Showing the {len(keys)} keys with the largest weights, in text order.")
)
download_row(neuron, qk_frame(shown, shown_labels), f"qk_L{layer}_H{head}_q{query}", "qkv_dl_neuron")

# 3) ÷√d_k and softmax.
st.subheader("÷√d_k, then softmax")
scaled_chart = softmax_view(shown, shown_labels)
draw(scaled_chart, key="qkv_softmax_chart")
gap_scores, gap_weights = qk_gaps(run, parts)
st.caption(
    f"Left: q·k × {parts.scale:.4g}, the model's own scale (1/√{run.d_head} = {run.d_head**-0.5:.4g}), the "
    "scores. Right: softmax of "
    f"the scores, the attention weights, which add up to 1 over all keys. Rebuilt here from q and k, they match "
    f"the model's own scores to {gap_scores:.1e} and weights to {gap_weights:.1e}."
)
download_row(scaled_chart, score_frame(shown, shown_labels), f"scores_L{layer}_H{head}_q{query}", "qkv_dl_scores")

# 4) Heads as different subspaces of the weights.
st.subheader("Heads as different subspaces")
if note := weight_views_note(bundle, "The comparison of W_Q, W_K, W_V and W_O subspaces"):
    st.info(note)
    st.stop()
remember("qkv_which", "q")
remember("qkv_layer_a", 0, range(bundle.n_layers))
remember("qkv_layer_b", 0, range(bundle.n_layers))
w1, w2, w3 = st.columns([2, 1, 1])
which = w1.radio(
    "Projection",
    ["q", "k", "v", "o"],
    format_func={"q": "W_Q", "k": "W_K", "v": "W_V", "o": "W_O"}.get,
    horizontal=True,
    key="qkv_which",
)
layer_a = w2.selectbox("Layer (rows)", range(bundle.n_layers), key="qkv_layer_a")
layer_b = w3.selectbox("Layer (columns)", range(bundle.n_layers), key="qkv_layer_b")
try:
    overlap = cached(weight_subspace_overlap, bundle, layer_a, layer_b, which)  # weights only; no model run
except ExplorerError as err:
    st.error(plain(err))
    st.stop()
overlap_chart = subspace_overlap_heatmap(overlap, layer_a, layer_b, which)
draw(overlap_chart, key="qkv_overlap_chart")
chance = bundle.d_head / bundle.d_model
st.caption(
    f"Each head's W_{which.upper()} block spans a {bundle.d_head}-dimensional subspace of the {bundle.d_model}-"
    "dimensional model space; a cell is the mean cos² of the principal angles between two heads' subspaces "
    f"(1 = the same subspace, 0 = orthogonal). Random subspaces would give about {chance:.3f}; "
    f"{'other' if layer_a == layer_b else 'these'} pairs here average {mean_overlap(overlap, layer_a == layer_b):.3f}."
    + (
        f" With grouped-query attention W_K and W_V have {overlap.shape[0]} heads."
        if overlap.shape[0] != bundle.n_heads
        else ""
    )
)
download_row(overlap_chart, subspace_overlap_frame(overlap, layer_a, layer_b), f"overlap_{which}", "qkv_dl_overlap")
