"""How attention is computed: the from-scratch module, loaded with a pretrained layer, shown step by step."""

from __future__ import annotations

from functools import partial

import streamlit as st

from app.charts import draw
from app.downloads import download_row
from app.safe import plain
from app.state import cached, remember, require_run, run_summary, second_run, weight_views_note
from explorer import ExplorerError
from explorer.analysis.walkthrough import attention_pooling, walkthrough
from explorer.views.walkthrough import (
    matrix_frame,
    matrix_heatmap,
    scaling_bars,
    scaling_frame,
    weight_bars,
    weight_frame,
)

bundle, run = require_run("see attention computed step by step")


def show(values, rows, cols, *, stem: str, key: str, **chart_kw) -> None:
    """One walkthrough matrix as a heatmap, with PNG/SVG/CSV downloads of exactly what it shows."""
    chart = cached(matrix_heatmap, values, rows, cols, **chart_kw)  # once per matrix shown
    draw(chart, key=key, pad=True)
    frame = partial(matrix_frame, values, rows, cols)  # made only when CSV is clicked
    download_row(chart, frame, f"{stem}_layer{layer}_head{head}", key=f"{key}_dl")


WINDOW = 64  # query rows the walkthrough follows at once in a long text
key_labels = run.key_labels()  # the encoder's tokens in cross-attention
d_k = run.d_head

st.title("How attention is computed")
st.caption(
    run_summary(run)
    + ". Our own multi-head attention, written from the equations, is loaded with the weights of one pretrained layer "
    "and fed that layer's real input. Every number below is computed by it; the model's own attention is only "
    "used to check the result."
)

if note := weight_views_note(bundle, "This walkthrough"):
    st.info(note)
    st.stop()

# A long text: the walkthrough takes a window of WINDOW query rows (against every key), never N × N.
window = None
if run.n_tokens > 2 * WINDOW:
    remember("walk_start", 0, range(run.n_tokens - WINDOW + 1))
    start = st.number_input(
        f"First query token of the {WINDOW}-row window",
        min_value=0,
        max_value=run.n_tokens - WINDOW,
        step=WINDOW,
        key="walk_start",
        help=f"This text has {run.n_tokens} tokens: the steps below follow {WINDOW} query tokens at a time, each "
        "against every key, with the model's own mask and positions for those rows.",
    )
    window = (int(start), int(start) + WINDOW)
labels = run.labels()[slice(*window) if window else slice(None)]

remember("walk_layer", 0, range(run.n_layers))
remember("walk_head", 0, range(run.n_heads))
remember("walk_query", 0, range(len(labels)))
remember("walk_causal", run.is_causal)
remember("walk_scoring", "dot")
c1, c2, c3, c4 = st.columns([2, 2, 3, 2])
layer = c1.slider("Layer", 0, run.n_layers - 1, key="walk_layer")
head = c2.slider("Head", 0, run.n_heads - 1, key="walk_head")
query = c3.selectbox("Query token", range(len(labels)), format_func=lambda i: labels[i], key="walk_query")
causal = c4.toggle(
    "Causal mask", key="walk_causal", help="Hide every key after the query (a decoder's masked self-attention)."
)
scoring = st.radio(
    "Compare query and key by",
    ["dot", "additive", "cosine"],
    format_func={
        "dot": "scaled dot product q·k/√d_k (what the model was trained with)",
        "additive": "additive: vᵀ·tanh(W₁q + W₂k)",
        "cosine": "cosine similarity × scale",
    }.get,
    horizontal=True,
    key="walk_scoring",
)
if scoring != "dot":
    st.info(
        "The model was trained with the scaled dot product. With this scoring, W_Q, W_K, W_V and W_O are still the "
        "pretrained ones, but the scoring itself is not pretrained"
        + (" (W₁, W₂ and v are random, seeded)." if scoring == "additive" else " (its scale is fixed at √d_k).")
        + " The maps show how the formula changes the shares, not what the model does."
    )

try:  # once per (extraction, layer, mask, scoring): moving the head or token controls re-uses it
    steps = cached(walkthrough, bundle, run, layer, causal=causal, scoring=scoring, rows=window)
except ExplorerError as err:
    st.error(plain(err))
    st.stop()

# The check first: does the from-scratch module reproduce the model?
if steps.max_abs_diff is not None:
    st.metric(
        f"Largest |difference| from the model's own attention, layer {layer}, all {run.n_heads} heads",
        f"{steps.max_abs_diff:.1e}",
        help="0 or about 1e-6 means the from-scratch module computes exactly what the pretrained layer computes.",
    )
else:
    st.caption(
        "The check against the model's own attention is shown with the model's own mask and the dot product; "
        "with this mask or scoring the module computes something the model never did."
    )

dims = [str(j) for j in range(d_k)]

# 0) E
st.subheader("0 · The input E")
st.markdown(
    f"Each token arrives as a vector of d_model = {bundle.d_model} numbers: layer {layer}'s input"
    + (" after its layer norm." if bundle.pre_norm else ".")
)
show(steps.x, labels, None, stem="E", key="walk_E", title="E (first dimensions)", x_title="dimension of d_model")
st.caption("Rows are tokens, columns the first dimensions of the model's vector; red is positive, blue negative.")

# 1) Q, K, V
st.subheader("1 · Project: Q = E·W_Q, K = E·W_K, V = E·W_V")
st.markdown(
    f"Three trained matrices of shape (d_model, d_k) = ({bundle.d_model}, {d_k}) for this head map every token to a "
    "**query** (what it is looking for), a **key** (what it offers to be found by) and a **value** (what it passes on)."
)
cq, ck, cv = st.columns(3)
for col, name, arr in ((cq, "Q", steps.q), (ck, "K", steps.k), (cv, "V", steps.v)):
    with col:
        show(
            arr[head],
            labels if name == "Q" else key_labels,
            dims,
            stem=name,
            key=f"walk_{name}",
            title=f"{name} (head {head})",
            x_title="d_k",
        )
st.caption("One row per token, one column per dimension of this head's subspace (d_k numbers).")

# 2) scores, 3) scale, 4) mask
score_title = {"dot": "q·kᵀ", "additive": "vᵀ·tanh(W₁q + W₂k)", "cosine": "cos(q, k)"}[scoring]
st.subheader(f"2 · Score: {score_title}  ·  3 · Scale: ÷√d_k  ·  4 · Mask")
c_raw, c_scaled = st.columns(2)
with c_raw:
    show(
        steps.raw_scores[head],
        labels,
        key_labels,
        stem="raw_scores",
        key="walk_raw",
        title=f"{score_title} (head {head})",
        x_title="key",
    )
    st.caption("How well each query (row) matches each key (column), before scaling.")
with c_scaled:
    scale_text = {"dot": f"× 1/√{d_k} = {steps.scale:.4f}", "cosine": f"× {steps.scale:.3g}", "additive": "× 1"}
    show(
        steps.scores[head],
        labels,
        key_labels,
        stem="scores",
        key="walk_scores",
        title=f"scaled {scale_text[scoring]}, masked",
        x_title="key",
    )
    st.caption("Scaled scores; grey cells are masked (−∞), so softmax gives them exactly 0.")

# 5) softmax
st.subheader("5 · Softmax: scores → shares that sum to 1")
show(
    steps.weights[head],
    labels,
    key_labels,
    stem="weights",
    key="walk_weights",
    title=f"attention weights (head {head})",
    x_title="key",
    kind="weight",
)
lowest, highest = steps.row_sum_range(head)
st.caption(
    "Row i is softmax of row i of the scaled scores: how query i shares its attention. "
    f"Row sums: {lowest:.6f} … {highest:.6f}."
    + (
        ""
        if run.sink is None
        else " This family adds an attention sink: a learned logit per head joins every row's softmax and takes "
        "its own share, so the shares of the real tokens sum to less than 1."
    )
)

# Why √d_k
st.markdown("**Why divide by √d_k?**")
h = steps.scaling_entropies(head, query)
m1, m2, m3 = st.columns(3)
m1.metric("Entropy with ÷√d_k", f"{h['scaled']:.3f} nats")
m2.metric("Entropy without", f"{h['unscaled']:.3f} nats")
m3.metric(f"Mean over all queries of layer {layer}", f"{h['layer_scaled']:.2f} vs {h['layer_unscaled']:.2f}")
scaling = (steps.weights[head, query], steps.unscaled_weights[head, query], key_labels)
scaling_chart = scaling_bars(*scaling)
draw(scaling_chart, key="walk_scaling", pad=True)
download_row(
    scaling_chart,
    lambda: scaling_frame(*scaling),
    f"scaling_layer{layer}_head{head}_query{query}",
    key="walk_scaling_dl",
)
st.caption(
    f"The query {labels[query]!r}: the same scores through softmax with and without ÷√d_k. A dot product of two "
    f"d_k-dimensional vectors grows like √d_k; unscaled, softmax turns nearly one-hot (lower entropy) and its "
    "gradients vanish."
)

# 6) weighted sum of V
st.subheader("6 · Weighted sum of V")
st.latex(r"\text{context}_i = \sum_j \text{weight}_{ij}\, v_j")
st.markdown(
    f"For {labels[query]!r}: "
    + " + ".join(f"{steps.weights[head, query, j]:.3f}·v[{key_labels[j]}]" for j in steps.top_keys(head, query))
    + (" + …" if steps.weights.shape[2] > 3 else "")
)
show(
    steps.context[head],
    labels,
    dims,
    stem="context",
    key="walk_context",
    title=f"context = weights · V (head {head})",
    x_title="d_k",
)
st.caption("Each token's new vector for this head: a mix of the value vectors, in the shares of step 5.")

# 7) concat, 8) W_O
st.subheader("7 · Concat the heads  ·  8 · W_O")
st.markdown(
    f"All {run.n_heads} heads' contexts side by side give a (tokens × {run.n_heads * d_k}) matrix; W_O, "
    f"({run.n_heads * d_k} × {bundle.d_model}), mixes the heads' subspaces back into the model's space."
)
c7, c8 = st.columns(2)
with c7:
    show(
        steps.concat,
        labels,
        None,
        stem="concat",
        key="walk_concat",
        title="concat (first dimensions)",
        x_title="head · d_k",
        cell=6,
    )
with c8:
    show(
        steps.output,
        labels,
        None,
        stem="output",
        key="walk_output",
        title="output = concat · W_O (first dimensions)",
        cell=6,
    )
st.caption("Left: the heads' outputs concatenated; right: after W_O, what the layer adds to each token.")

# Cross-attention
st.subheader("Encoder–decoder (cross) attention")
all_labels = run.labels()  # every token (the steps above may follow a window of them)
if bundle.kind == "encoder-decoder":  # a real cross-attention layer of this model
    st.markdown(
        "In this model the decoder's **queries** look at the encoder's **keys and values**: below, the from-scratch "
        f"module loaded with the weights of cross-attention layer {layer}, Q computed from the decoder's tokens and "
        "K = V from the encoder's output. Choose *Cross-attention* in the sidebar to follow every step of it."
    )
    cross_run = run.part("cross")
    try:
        cross = cached(walkthrough, bundle, cross_run, layer, scoring="dot")
    except ExplorerError as err:
        st.error(plain(err))
    else:
        show(
            cross.weights[head],
            cross_run.labels(),
            cross_run.key_labels(),
            stem="cross_attention",
            key="walk_cross",
            title=f"cross-attention: decoder queries, encoder keys (layer {layer}, head {head})",
            x_title="key (encoder)",
            y_title="query (decoder)",
            kind="weight",
        )
        st.caption(
            "Each row is a decoder token sharing its attention over the encoder's tokens; the grid need not be "
            "square. Largest |difference| from the model's own cross-attention in this layer: "
            f"{cross.max_abs_diff:.1e}."
        )
else:
    st.markdown(
        "In a translation model the decoder's **queries** look at the encoder's **keys and values**. This model has "
        "no decoder, so here the queries come from text B and the keys and values from the sidebar text (A), "
        "through the same pretrained W_Q, W_K, W_V."
    )
    remember("walk_cross_text", "The tired animal stopped.")
    text_b = st.text_input("Text B (queries)", key="walk_cross_text")
    if text_b.strip():
        try:
            run_b = second_run(bundle, run, text_b, min(64, bundle.max_tokens))
            cross = cached(walkthrough, bundle, run_b, layer, causal=False, scoring="dot", kv_run=run)
            show(
                cross.weights[head],
                run_b.labels(),
                all_labels,
                stem="cross_attention",
                key="walk_cross",
                title=f"queries from B, keys/values from A (layer {layer}, head {head})",
                x_title="key (text A)",
                y_title="query (text B)",
                kind="weight",
            )
            st.caption(
                "Each row is a token of text B sharing its attention over the tokens of text A; the grid need not "
                "be square, because queries and keys come from different sequences."
            )
        except ExplorerError as err:
            st.error(plain(err))
    else:
        st.info("Type a text B to see cross-attention.")

# Attention pooling
st.subheader("Attention pooling: one query over a whole sequence")
st.markdown(
    "Attention also pools a sequence into one vector, as a recommender pools a user's viewing history: the "
    "**query** is the whole sequence's state, and every item's own state is both **key** and **value**. Here the "
    f"states are the model's token vectors after layer {layer}; the query is their mean (the sentence embedding "
    "this model was trained to give)."
)
include = [not sp for sp in run.special]
try:
    pool = attention_pooling(run.hidden[layer + 1], include=include)
except ExplorerError as err:
    st.error(plain(err))
else:
    pooled_labels = [all_labels[i] for i in pool.kept_indices]
    chart = weight_bars(
        pool.kept_weights,
        pooled_labels,
        title=f"softmax(q·k/√d): the sequence's state over each token (after layer {layer})",
    )
    draw(chart, key="walk_pool", pad=True)
    download_row(chart, weight_frame(pool.kept_weights, pooled_labels), f"pooling_layer{layer}", key="walk_pool_dl")
    st.caption(
        f"Each bar is one token's share of the pooled vector (special tokens left out); a plain mean would give "
        f"every token {pool.uniform_share:.3f}. The largest share goes to {plain(repr(all_labels[pool.top]))} "
        f"({pool.weights[pool.top]:.3f}); cos(attention-pooled, mean-pooled) = {pool.cosine_to_mean:.3f}."
    )
