"""How attention is computed: the from-scratch module, loaded with a pretrained layer, shown step by step."""

from __future__ import annotations

import math
from functools import partial

import streamlit as st

from app.charts import draw
from app.downloads import download_row
from app.i18n.phrases import need_run, run_summary, weight_views_note
from app.safe import plain
from app.sidebar import EXAMPLES
from app.state import cached, remember, run_key, second_run
from explorer import ExplorerError
from explorer.analysis.heads import head_name
from explorer.analysis.walkthrough import attention_pooling, default_query, walkthrough
from explorer.views.walkthrough import (
    MATRIX_DIMS,
    MATRIX_KEYS,
    MATRIX_ROWS,
    dim_labels,
    matrix_frame,
    matrix_heatmap,
    matrix_stack,
    matrix_stack_frame,
    scaling_bars,
    scaling_frame,
    weight_bars,
    weight_frame,
    window_bounds,
)

bundle, run = need_run("walk.purpose")

COMPUTE_ALL = 128  # up to this many tokens the whole layer is computed once (moving the row window is free)


def show(values, rows, cols, *, stem: str, key: str, **chart_kw) -> None:
    """One walkthrough matrix as a heatmap, with PNG/SVG/CSV downloads of exactly what it shows."""
    chart = cached(matrix_heatmap, values, rows, cols, **chart_kw)  # once per matrix shown
    draw(chart, key=key, pad=True)
    frame = partial(matrix_frame, values, rows, cols)  # made only when CSV is clicked
    download_row(chart, frame, stem, key=f"{key}_dl")


def show_stack(parts, *, stem: str, key: str, kind: str = "signed") -> None:
    """Matrices one above the other (views.walkthrough.matrix_stack): one chart, one cache entry, its downloads."""
    chart = cached(matrix_stack, parts, kind=kind)
    draw(chart, key=key, pad=True)
    download_row(chart, partial(matrix_stack_frame, parts), stem, key=f"{key}_dl")


def window(label: str, total: int, size: int, key: str, *, where=st, step: int | None = None, help: str = ""):
    """(a, b): the `size` items from the one the user chose (a number input, drawn only when total > size)."""
    if total <= size:
        return 0, total
    remember(key, 0, range(total - size + 1))
    start = where.number_input(label, 0, total - size, step=step or size // 2, key=key, help=help or None)
    return window_bounds(start, total, size)


def span(what: str, bounds: tuple[int, int], total: int) -> str:
    """ "rows 16–63 of 100" (indices, both ends shown), or "all 24 rows" when nothing is left out."""
    a, b = bounds
    return f"all {total} {what}" if (a, b) == (0, total) else f"{what} {a}–{b - 1} of {total}"


def shown(rows: tuple[int, int], n_rows: int, cols: tuple[int, int], n_cols: int, *, of: str = "") -> str:
    """What a matrix shows, for its caption: "Shown: rows 0–47 of 100, columns 0–63 of 384 (…)."."""
    return f"Shown: {span('rows', rows, n_rows)}, {span('columns', cols, n_cols)}{f' ({of})' if of else ''}."


key_labels = run.key_labels()  # the encoder's tokens in cross-attention
all_labels = run.labels()
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

remember("walk_layer", 0, range(run.n_layers))
remember("walk_head", 0, range(run.n_heads))
remember("walk_causal", run.is_causal)
remember("walk_scoring", "dot")
c1, c2, c3, c4 = st.columns([2, 2, 3, 2])
layer = c1.slider("Layer", 0, run.n_layers - 1, key="walk_layer")
head = c2.slider("Head", 0, run.n_heads - 1, key="walk_head")
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
name = head_name(layer, head)  # "L0 H10"

# A long text: the matrices show a window of query rows and one of keys, chosen here and stated under each chart.
w1, w2, _ = st.columns([2, 2, 3])
rows = window(
    "First query row shown",
    run.n_tokens,
    MATRIX_ROWS,
    "walk_rows",
    where=w1,
    help=f"This text has {run.n_tokens} query tokens: the matrices show {MATRIX_ROWS} rows at a time, each "
    "computed against every key with the model's own mask and positions.",
)
keys = window(
    "First key shown",
    run.n_keys,
    MATRIX_KEYS,
    "walk_keys",
    where=w2,
    help=f"This text has {run.n_keys} keys: the score and weight matrices show {MATRIX_KEYS} columns at a time "
    "(and K and V those keys' rows); softmax is always over every key.",
)
r0, r1 = rows
k0, k1 = keys

# The query to follow (√d_k, weighted sum): a content word of the window, not [CLS]; a new text starts there again.
theme = next((title for title, text in EXAMPLES.items() if text == st.session_state.get("text")), "")
start_query = r0 + default_query(run.tokens[r0:r1], run.special[r0:r1], theme)
if st.session_state.get("walk_query_run") != run_key(run) or st.session_state.get("walk_query") not in range(r0, r1):
    st.session_state["walk_query"] = start_query
    st.session_state["walk_query_run"] = run_key(run)
remember("walk_query", start_query, range(r0, r1))
query = c3.selectbox("Query token", range(r0, r1), format_func=all_labels.__getitem__, key="walk_query")

if scoring != "dot":
    st.info(
        "The model was trained with the scaled dot product. With this scoring, W_Q, W_K, W_V and W_O are still the "
        "pretrained ones, but the scoring itself is not pretrained"
        + (" (W₁, W₂ and v are random, seeded)." if scoring == "additive" else " (its scale is fixed at √d_k).")
        + " The maps show how the formula changes the shares, not what the model does."
    )

# Once per (extraction, layer, mask, scoring): moving the head or token controls re-uses it. A long text computes
# only the window's query rows (against every key), never N × N.
computed = None if run.n_tokens <= COMPUTE_ALL else rows
try:
    steps = cached(walkthrough, bundle, run, layer, causal=causal, scoring=scoring, rows=computed)
except ExplorerError as err:
    st.error(plain(err))
    st.stop()
R = slice(r0 - steps.rows[0], r1 - steps.rows[0])  # the shown rows, as indices into steps' arrays
K = slice(k0, k1)
row = query - steps.rows[0]  # the query's row in steps' arrays
labels = all_labels[r0:r1]
shown_keys = key_labels[k0:k1]
# Download file names say the head and the window: "weights_L0_H10_rows48-95_keys0-47"
ids = f"L{layer}_H{head}"
row_part = "" if rows == (0, run.n_tokens) else f"_rows{r0}-{r1 - 1}"
key_part = "" if keys == (0, run.n_keys) else f"_keys{k0}-{k1 - 1}"

# The check first: does the from-scratch module reproduce the model?
if steps.max_abs_diff is not None:
    checked = "" if steps.rows == (0, run.n_tokens) else f", query rows {steps.rows[0]}–{steps.rows[1] - 1}"
    st.metric(
        f"Largest |difference| from the model's own attention, layer {layer}, all {run.n_heads} heads{checked}",
        f"{steps.max_abs_diff:.1e}",
        help="0 or about 1e-6 means the from-scratch module computes exactly what the pretrained layer computes.",
    )
else:
    st.caption(
        "The check against the model's own attention is shown with the model's own mask and the dot product; "
        "with this mask or scoring the module computes something the model never did."
    )


# 0) E
@st.fragment
def input_section() -> None:
    """Step 0, with its own control (which dimensions of E): moving it redraws this section only."""
    st.subheader("0 · The input E")
    st.markdown(
        f"Each token arrives as a vector of d_model = {bundle.d_model} numbers: layer {layer}'s input"
        + (" after its layer norm." if bundle.pre_norm else ".")
    )
    dims = window(
        "First dimension of E shown", bundle.d_model, MATRIX_DIMS, "walk_e_dims", where=st.columns(3)[0], step=32
    )
    show(
        steps.x[R, slice(*dims)],
        labels,
        dim_labels(*dims),
        stem=f"E_L{layer}{row_part}_dims{dims[0]}-{dims[1] - 1}",
        key="walk_E",
        title=f"E: layer {layer}'s input",
        x_title="dimension of d_model",
    )
    st.caption(
        shown(rows, run.n_tokens, dims, bundle.d_model, of="tokens × dimensions of d_model")
        + " Rows are tokens, columns dimensions of the model's vector; red is positive, blue negative."
    )


input_section()

# 1) Q, K, V
st.subheader("1 · Project: Q = E·W_Q, K = E·W_K, V = E·W_V")
st.markdown(
    f"Three trained matrices of shape (d_model, d_k) = ({bundle.d_model}, {d_k}) for this head map every token to a "
    "**query** (what it is looking for), a **key** (what it offers to be found by) and a **value** (what it passes on)."
)
dk_labels = dim_labels(0, d_k)
show_stack(
    [
        (steps.q[head, R], labels, dk_labels, f"Q ({name})", "dimension of d_k"),
        (steps.k[head, K], shown_keys, dk_labels, f"K ({name})", "dimension of d_k"),
        (steps.v[head, K], shown_keys, dk_labels, f"V ({name})", "dimension of d_k"),
    ],
    stem=f"QKV_{ids}{row_part}{key_part}",
    key="walk_QKV",
)
st.caption(
    f"Q: {span('rows', rows, run.n_tokens)} (query tokens); K and V: {span('rows', keys, run.n_keys)} (the keys "
    f"of steps 2–5); all {d_k} columns (d_k). One row per token, one column per dimension of {name}'s subspace."
)

# 2) scores, 3) scale, 4) mask
score_title = {"dot": "q·kᵀ", "additive": "vᵀ·tanh(W₁q + W₂k)", "cosine": "cos(q, k)"}[scoring]
standard = scoring == "dot" and math.isclose(steps.scale * math.sqrt(d_k), 1.0, rel_tol=1e-4)
scale_title = {
    "dot": f"÷√d_k = × {steps.scale:.4f}" if standard else f"× {steps.scale:.4g} (this model's scale)",
    "cosine": f"× {steps.scale:.3g} (a fixed temperature)",
    "additive": "none (additive scores are not scaled)",
}[scoring]
st.subheader(f"2 · Score: {score_title}  ·  3 · Scale: {scale_title}  ·  4 · Mask")
window_text = shown(rows, run.n_tokens, keys, run.n_keys, of="queries × keys")
scaled_title = f"scaled {scale_title.split(' (')[0]}, masked" if scoring != "additive" else "masked (not scaled)"
show_stack(
    [
        (steps.raw_scores[head, R, K], labels, shown_keys, f"2 · {score_title} ({name})", "key"),
        (steps.scores[head, R, K], labels, shown_keys, f"3–4 · {scaled_title} ({name})", "key"),
    ],
    stem=f"scores_{ids}{row_part}{key_part}",
    key="walk_scores",
)
raw_std, scaled_std = steps.score_spread(head)
st.caption(
    f"{window_text} Top: how well each query (row) matches each key (column)"
    + (
        f", before step 3. Below: the same pattern, its values × {steps.scale:.4g}: compare the two legends (the "
        f"scores' standard deviation in {name} is {raw_std:.2f} before, {scaled_std:.2f} after). "
        if scoring != "additive"
        else ". Below: the same scores, masked (additive scores have no step 3). "
    )
    + "Grey cells are masked (−∞), so softmax gives them exactly 0."
)

# 5) softmax
st.subheader("5 · Softmax: scores → shares that sum to 1")
show(
    steps.weights[head, R, K],
    labels,
    shown_keys,
    stem=f"weights_{ids}{row_part}{key_part}",
    key="walk_weights",
    title=f"attention weights ({name})",
    x_title="key",
    kind="weight",
)
lowest, highest = steps.row_sum_range(head, R)
sink = (
    ""
    if run.sink is None
    else " This family adds an attention sink: a learned logit per head joins every row's softmax and takes "
    "its own share, so the shares of the real tokens sum to less than 1."
)
if keys == (0, run.n_keys):
    sums = f"Row sums of the rows shown: {lowest:.6f} … {highest:.6f}."
else:
    part_lo, part_hi = steps.row_sum_range(head, R, K)
    sums = (
        f"Each row sums to {lowest:.6f} … {highest:.6f} over all {run.n_keys} keys; the {k1 - k0} keys shown hold "
        f"{part_lo:.4f} … {part_hi:.4f} of it (move “First key shown” to see the rest)."
    )
st.caption(
    f"{window_text} Row i is the softmax of row i of the masked scores above: how query i shares its attention. "
    f"{sums}{sink}"
)


# Why √d_k: what step 3 does, for the scoring chosen
def scaling_section() -> None:
    """Why divide by √d_k?, true for each scoring: dot compares with and without the model's scale, cosine with and
    without its fixed temperature; additive has no step 3, and says so."""
    st.markdown("**Why divide by √d_k?**")
    if steps.unscaled_weights is None:
        if scoring == "additive":
            st.markdown(
                "Additive scoring has no ÷√d_k. Its score vᵀ·tanh(W₁q + W₂k) passes W₁q + W₂k through tanh, which "
                "squeezes every entry into (−1, 1), so the score is bounded by the learned vector v instead of growing "
                "with the size of q and k as a dot product does; where a smaller scale helps, training shrinks v. "
                "Choose the scaled dot product above to see what ÷√d_k does."
            )
        else:
            st.markdown(
                f"This model does not divide its scores: its scale is {steps.scale:.4g}. Families such as T5 fold "
                "1/√d_k into the initialisation of W_Q instead, so there is no step 3 to leave out here."
            )
        return
    h = steps.scaling_entropies(head, row)
    token = plain(repr(all_labels[query]))
    if scoring == "dot":
        names = (
            "q·k/√d_k (scaled)" if standard else f"q·k × {steps.scale:.4g} (scaled)",
            "q·k (not scaled)",
        )
        with_ = "with ÷√d_k" if standard else f"with × {steps.scale:.4g}"
    else:
        names = (f"cos × {steps.scale:.3g} (temperature)", "cos (no temperature)")
        with_ = f"with × {steps.scale:.3g}"
    m1, m2, m3 = st.columns(3)
    m1.metric(f"Entropy {with_}", f"{h['scaled']:.3f} nats")
    m2.metric("Entropy without", f"{h['unscaled']:.3f} nats")
    m3.metric(
        f"Mean over layer {layer}'s heads and {steps.rows[1] - steps.rows[0]} query rows",
        f"{h['layer_scaled']:.2f} vs {h['layer_unscaled']:.2f}",
    )
    scaling = (steps.weights[head, row, K], steps.unscaled_weights[head, row, K], shown_keys, names)
    chart = cached(scaling_bars, *scaling, title=f"query {all_labels[query]} ({name})")
    draw(chart, key="walk_scaling", pad=True)
    download_row(
        chart, partial(scaling_frame, *scaling), f"scaling_{ids}_query{query}{key_part}", key="walk_scaling_dl"
    )
    keys_note = "" if keys == (0, run.n_keys) else f" Bars: {span('keys', keys, run.n_keys)}; entropies over every key."
    if scoring == "dot":
        sharp = f"largest weight {h['unscaled_max']:.2f} instead of {h['scaled_max']:.2f}" + (
            ": nearly one-hot" if h["unscaled_max"] > 0.9 else ""
        )
        why = (
            "A dot product of two d_k-dimensional vectors whose entries are independent, with mean 0 and variance 1, "
            f"has a standard deviation of √d_k = {math.sqrt(d_k):.2f}, so scores grow with d_k, and softmax of large "
            "scores is nearly one-hot, where its gradients vanish. "
            + (
                "Dividing by √d_k brings their spread back near 1. "
                if standard
                else f"This model multiplies by {steps.scale:.4g} instead of 1/√d_k = {1 / math.sqrt(d_k):.4g}. "
            )
            + f"Here, without step 3 the query {token} has entropy {h['unscaled']:.3f} nats instead of "
            f"{h['scaled']:.3f} ({sharp})."
        )
    else:
        flat = h["unscaled"] > 0.9 * h["uniform"]
        why = (
            "Cosine similarity lies between −1 and 1 whatever d_k is, so it does not grow with d_k and needs no "
            f"÷√d_k; instead it is multiplied by a fixed temperature, {steps.scale:.3g} (√d_k here, not learned), "
            f"so that softmax can prefer some keys. Without it the query {token} has entropy {h['unscaled']:.3f} "
            f"nats instead of {h['scaled']:.3f}; equal shares over its keys would give {h['uniform']:.3f}"
            + (": without the temperature it is nearly uniform." if flat else ".")
        )
    st.caption(f"The same scores through softmax with and without step 3. {why}{keys_note}")


scaling_section()

# 6) weighted sum of V
st.subheader("6 · Weighted sum of V")
st.latex(r"\text{context}_i = \sum_j \text{weight}_{ij}\, v_j")
top = steps.top_keys(head, row)
st.markdown(
    f"For {plain(repr(all_labels[query]))} (its largest weights): "
    + " + ".join(f"{steps.weights[head, row, j]:.3f}·v\\[{plain(key_labels[j])}\\]" for j in top)
    + (" + …" if steps.weights.shape[2] > len(top) else "")
)
show(
    steps.context[head, R],
    labels,
    dk_labels,
    stem=f"context_{ids}{row_part}",
    key="walk_context",
    title=f"context = weights · V ({name})",
    x_title="dimension of d_k",
)
st.caption(
    shown(rows, run.n_tokens, (0, d_k), d_k, of="query tokens × d_k")
    + f" Each token's new vector for {name}: a mix of all {run.n_keys} value vectors, in the shares of step 5."
)


# 7) concat, 8) W_O
@st.fragment
def output_section() -> None:
    """Steps 7–8, with their own control (which dimensions): moving it redraws this section only."""
    width = run.n_heads * d_k
    st.subheader("7 · Concat the heads  ·  8 · W_O")
    st.markdown(
        f"All {run.n_heads} heads' contexts side by side give a (tokens × {width}) matrix: head h fills columns "
        f"{d_k}·h to {d_k}·h + {d_k - 1}. W_O, ({width} × {bundle.d_model}), mixes the heads' subspaces back into the "
        "model's space."
    )
    dims = window(
        "First dimension of concat and output shown",
        max(width, bundle.d_model),
        MATRIX_DIMS,
        "walk_out_dims",
        where=st.columns(3)[0],
        step=d_k,
        help=f"Steps of {d_k}: one head of the concat at a time.",
    )
    cat = window_bounds(dims[0], width, MATRIX_DIMS)
    out = window_bounds(dims[0], bundle.d_model, MATRIX_DIMS)
    first, last = cat[0] // d_k, (cat[1] - 1) // d_k
    heads = f"L{layer} H{first}–H{last}" if last > first else f"L{layer} H{first}"
    show_stack(
        [
            (steps.concat[R, slice(*cat)], labels, dim_labels(*cat), f"7 · concat, heads {heads}", "concat dimension"),
            (steps.output[R, slice(*out)], labels, dim_labels(*out), "8 · output = concat · W_O", "dimension"),
        ],
        stem=f"concat_output_L{layer}{row_part}_dims{dims[0]}",
        key="walk_output",
    )
    st.caption(
        f"Layer {layer}. Shown: {span('rows', rows, run.n_tokens)}; concat {span('columns', cat, width)} (heads "
        f"{heads}); output {span('columns', out, bundle.d_model)}. Top: the heads' contexts side by side; below: "
        "after W_O, what the layer adds to each token."
    )


output_section()


def cross_weights(cross, query_labels: list[str], kv_labels: list[str], queries: str, keys_from: str) -> None:
    """The cross-attention weights of the chosen head, in windows of rows and keys the user picks when long."""
    c_rows, c_keys, _ = st.columns([2, 2, 3])
    qa, qb = window("First cross query row shown", len(query_labels), MATRIX_ROWS, "walk_cross_rows", where=c_rows)
    ka, kb = window("First cross key shown", len(kv_labels), MATRIX_KEYS, "walk_cross_keys", where=c_keys)
    show(
        cross.weights[head, qa:qb, ka:kb],
        query_labels[qa:qb],
        kv_labels[ka:kb],
        stem=f"cross_attention_{ids}",
        key="walk_cross",
        title=f"cross-attention: queries from {queries}, keys from {keys_from} ({name})",
        x_title=f"key ({keys_from})",
        y_title=f"query ({queries})",
        kind="weight",
    )
    lo, hi = cross.row_sum_range(head, slice(qa, qb))
    part = ""
    if (ka, kb) != (0, len(kv_labels)):
        part_lo, part_hi = cross.row_sum_range(head, slice(qa, qb), slice(ka, kb))
        part = f"; the keys shown hold {part_lo:.4f} … {part_hi:.4f} of it"
    st.caption(
        shown((qa, qb), len(query_labels), (ka, kb), len(kv_labels), of=f"{queries} queries × {keys_from} keys")
        + f" Each row sums to {lo:.6f} … {hi:.6f} over all {len(kv_labels)} keys{part}."
    )


# Cross-attention
@st.fragment
def cross_section() -> None:
    """Cross-attention (a real cross layer, or text B over the sidebar text), with its own controls."""
    st.subheader("Encoder–decoder (cross) attention")
    if bundle.kind == "encoder-decoder":  # a real cross-attention layer of this model
        st.markdown(
            "In this model the decoder's **queries** look at the encoder's **keys and values**: below, the "
            f"from-scratch module loaded with the weights of cross-attention layer {layer}, Q computed from the "
            "decoder's tokens and K = V from the encoder's output. Choose *Cross-attention* in the sidebar to follow "
            "every step of it."
        )
        cross_run = run.part("cross")
        try:
            cross = cached(walkthrough, bundle, cross_run, layer, scoring="dot")
        except ExplorerError as err:
            st.error(plain(err))
            return
        cross_weights(cross, cross_run.labels(), cross_run.key_labels(), "the decoder", "the encoder")
        st.caption(
            "Each row is a decoder token sharing its attention over the encoder's tokens; the grid need not be "
            "square. Largest |difference| from the model's own cross-attention in this layer: "
            f"{cross.max_abs_diff:.1e}."
        )
        return
    st.markdown(
        "In a translation model the decoder's **queries** look at the encoder's **keys and values**. This model has "
        "no decoder, so here the queries come from text B and the keys and values from the sidebar text (A), "
        "through the same pretrained W_Q, W_K, W_V."
    )
    remember("walk_cross_text", "The tired animal stopped.")
    text_b = st.text_input("Text B (queries)", key="walk_cross_text")
    if not text_b.strip():
        st.info("Type a text B to see cross-attention.")
        return
    try:
        run_b = second_run(bundle, run, text_b, min(64, bundle.max_tokens))
        cross = cached(walkthrough, bundle, run_b, layer, causal=False, scoring="dot", kv_run=run)
    except ExplorerError as err:
        st.error(plain(err))
        return
    cross_weights(cross, run_b.labels(), all_labels, "text B", "text A")
    st.caption(
        "Each row is a token of text B sharing its attention over the tokens of text A; the grid need not be "
        "square, because queries and keys come from different sequences."
    )


cross_section()


# Attention pooling
@st.fragment
def pooling_section() -> None:
    """Attention pooling over the whole text after this layer, its bars in a window the user picks when long."""
    st.subheader("Attention pooling: one query over a whole sequence")
    st.markdown(
        "Attention also pools a sequence into one vector, as a recommender pools a user's viewing history: the "
        "**query** is the whole sequence's state, and every item's own state is both **key** and **value**. Here "
        f"the states are the model's token vectors after layer {layer}; the query is their mean (the sentence "
        "embedding this model was trained to give)."
    )
    include = [not sp for sp in run.special]
    try:  # one N × d product: cheaper than a cache entry
        pool = attention_pooling(run.hidden[layer + 1], include=include)
    except ExplorerError as err:
        st.error(plain(err))
        return
    kept = pool.kept_indices
    a, b = window("First pooled token shown", len(kept), MATRIX_KEYS, "walk_pool_start", where=st.columns(3)[0])
    pooled_labels = [all_labels[i] for i in kept[a:b]]
    weights = pool.kept_weights[a:b]
    chart = cached(
        weight_bars,
        weights,
        pooled_labels,
        title=f"softmax(q·k/√d): the sequence's state over each token (after layer {layer})",
    )
    draw(chart, key="walk_pool", pad=True)
    download_row(chart, partial(weight_frame, weights, pooled_labels), f"pooling_L{layer}", key="walk_pool_dl")
    window_note = "" if (a, b) == (0, len(kept)) else f"Shown: bars {a}–{b - 1} of the {len(kept)} pooled tokens. "
    st.caption(
        f"{window_note}Each bar is one token's share of the pooled vector (special tokens left out); a plain mean "
        f"would give every token {pool.uniform_share:.3f}. The largest share goes to "
        f"{plain(repr(all_labels[pool.top]))} ({pool.weights[pool.top]:.3f}); cos(attention-pooled, mean-pooled) = "
        f"{pool.cosine_to_mean:.3f}."
    )


pooling_section()
