"""How attention is computed: the from-scratch module, loaded with a pretrained layer, shown step by step."""

from __future__ import annotations

import math
from functools import partial

import numpy as np
import streamlit as st

from app.charts import draw
from app.downloads import download_row
from app.i18n import names, said, t
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
INPUT_WIDTH = 320  # px: a window's number input (its own width, not a column of its own; room for its label)


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


def window(label: str, total: int, size: int, key: str, *, step: int | None = None, help: str = ""):
    """(a, b): the `size` items from the one the user chose (a number input, drawn only when total > size)."""
    if total <= size:
        return 0, total
    remember(key, 0, range(total - size + 1))
    start = st.number_input(
        label, 0, total - size, step=step or size // 2, key=key, help=help or None, width=INPUT_WIDTH
    )
    return window_bounds(start, total, size)


def span(what: str, bounds: tuple[int, int], total: int) -> str:
    """ "rows 16–63 of 100" (indices, both ends shown), or "all 24 rows" when nothing is left out; `what` is
    rows, columns, keys or bars."""
    a, b = bounds
    if (a, b) == (0, total):
        return t(f"walk.span.{what}.all", total=total)
    return t(f"walk.span.{what}.part", a=a, b=b - 1, total=total)


def shown(rows: tuple[int, int], n_rows: int, cols: tuple[int, int], n_cols: int, *, of: str = "") -> str:
    """What a matrix shows, for its caption: "Shown: rows 0–31 of 100, columns 0–31 of 384 (…)."."""
    return t("walk.shown", rows=span("rows", rows, n_rows), cols=span("columns", cols, n_cols), of=of)


key_labels = run.key_labels()  # the encoder's tokens in cross-attention
all_labels = run.labels()
d_k = run.d_head

st.title(t("walk.title"))
st.caption(run_summary(run) + t("walk.intro"))

if note := weight_views_note(bundle, t("walk.weights_what")):
    st.info(note)
    st.stop()

remember("walk_layer", 0, range(run.n_layers))
remember("walk_head", 0, range(run.n_heads))
remember("walk_causal", run.is_causal)
remember("walk_scoring", "dot")
c1, c2, c3 = st.columns([2, 2, 2])
layer = c1.slider(t("common.layer"), 0, run.n_layers - 1, key="walk_layer")
head = c2.slider(t("common.head"), 0, run.n_heads - 1, key="walk_head")
causal = c3.toggle(t("walk.causal"), key="walk_causal", help=t("walk.causal_help"))
scoring = st.radio(
    t("walk.scoring"),
    ["dot", "additive", "cosine"],
    format_func=names("walk.scoring.", ["dot", "additive", "cosine"]).get,
    horizontal=True,
    key="walk_scoring",
)
name = head_name(layer, head)  # "L0 H10"

# A long text: the matrices show a window of query rows and one of keys, chosen here and stated under each chart.
with st.container(horizontal=True):
    rows = window(
        t("walk.first_row"),
        run.n_tokens,
        MATRIX_ROWS,
        "walk_rows",
        help=t("walk.first_row_help", n=run.n_tokens, size=MATRIX_ROWS),
    )
    keys = window(
        t("walk.first_key"),
        run.n_keys,
        MATRIX_KEYS,
        "walk_keys",
        help=t("walk.first_key_help", n=run.n_keys, size=MATRIX_KEYS),
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

if scoring != "dot":
    st.info(t("walk.untrained", detail=t(f"walk.untrained.{scoring}")))

# Once per (extraction, layer, mask, scoring): moving the head or token controls re-uses it. A long text computes
# only the window's query rows (against every key), never N × N.
computed = None if run.n_tokens <= COMPUTE_ALL else rows
try:
    steps = cached(walkthrough, bundle, run, layer, causal=causal, scoring=scoring, rows=computed)
except ExplorerError as err:
    st.error(plain(said(err)))
    st.stop()
R = slice(r0 - steps.rows[0], r1 - steps.rows[0])  # the shown rows, as indices into steps' arrays
K = slice(k0, k1)
labels = all_labels[r0:r1]
shown_keys = key_labels[k0:k1]
# Download file names say the head and the window: "weights_L0_H10_rows32-63_keys0-31"
ids = f"L{layer}_H{head}"
row_part = "" if rows == (0, run.n_tokens) else f"_rows{r0}-{r1 - 1}"
key_part = "" if keys == (0, run.n_keys) else f"_keys{k0}-{k1 - 1}"

# The check first: does the from-scratch module reproduce the model?
if steps.max_abs_diff is not None:
    checked = "" if steps.rows == (0, run.n_tokens) else t("walk.check_rows", a=steps.rows[0], b=steps.rows[1] - 1)
    st.metric(
        t("walk.check", layer=layer, heads=run.n_heads, rows=checked),
        f"{steps.max_abs_diff:.1e}",
        help=t("walk.check_help"),
    )
else:
    st.caption(t("walk.no_check"))


# 0) E
@st.fragment
def input_section() -> None:
    """Step 0, with its own control (which dimensions of E): moving it redraws this section only."""
    st.subheader(t("walk.e_title"))
    st.markdown(
        t("walk.e_intro", d_model=bundle.d_model, layer=layer)
        + t("walk.e_after_norm" if bundle.pre_norm else "walk.end")
    )
    dims = window(t("walk.e_first_dim"), bundle.d_model, MATRIX_DIMS, "walk_e_dims", step=MATRIX_DIMS)
    show(
        steps.x[R, slice(*dims)],
        labels,
        dim_labels(*dims),
        stem=f"E_L{layer}{row_part}_dims{dims[0]}-{dims[1] - 1}",
        key="walk_E",
        title=f"E: layer {layer}'s input",
        x_title="dimension of d_model",
    )
    st.caption(shown(rows, run.n_tokens, dims, bundle.d_model, of=t("walk.of.tokens_dims")) + t("walk.e_caption"))


input_section()

# 1) Q, K, V
st.subheader(t("walk.qkv_title"))
st.markdown(t("walk.qkv_intro", d_model=bundle.d_model, d_k=d_k))
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
    t(
        "walk.qkv_caption",
        rows=span("rows", rows, run.n_tokens),
        keys=span("rows", keys, run.n_keys),
        d_k=d_k,
        head=name,
    )
)

# 2) scores, 3) scale, 4) mask. The charts' titles stay in the library's English (app.charts translates them).
score_title = {"dot": "q·kᵀ", "additive": "vᵀ·tanh(W₁q + W₂k)", "cosine": "cos(q, k)"}[scoring]
standard = scoring == "dot" and math.isclose(steps.scale * math.sqrt(d_k), 1.0, rel_tol=1e-4)
factor = {  # step 3 as the charts' titles write it
    "dot": f"÷√d_k = × {steps.scale:.4f}" if standard else f"× {steps.scale:.4g}",
    "cosine": f"× {steps.scale:.3g}",
    "additive": "",
}[scoring]
scale_kind = "standard" if standard else scoring
st.subheader(t("walk.scores_title", score=score_title, scale=t(f"walk.scale.{scale_kind}", scale=steps.scale)))
window_text = shown(rows, run.n_tokens, keys, run.n_keys, of=t("walk.of.queries_keys"))
scaled_title = f"scaled {factor}, masked" if scoring != "additive" else "masked (not scaled)"
show_stack(
    [
        (steps.raw_scores[head, R, K], labels, shown_keys, f"2 · {score_title} ({name})", "key"),
        (steps.scores[head, R, K], labels, shown_keys, f"3–4 · {scaled_title} ({name})", "key"),
    ],
    stem=f"scores_{ids}{row_part}{key_part}",
    key="walk_scores",
)
raw_std, scaled_std = steps.score_spread(head)
any_masked = bool(np.isneginf(steps.scores[head, R, K]).any())
st.caption(
    window_text
    + t("walk.scores_read")
    + (
        t("walk.scores_scaled", scale=steps.scale, head=name, before=raw_std, after=scaled_std)
        if scoring != "additive"
        else t("walk.scores_additive")
    )
    + t("walk.scores_masked" if any_masked else "walk.scores_none_masked")
)

# 5) softmax
st.subheader(t("walk.softmax_title"))
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
if keys == (0, run.n_keys):
    sums = t("walk.sums_all", lo=lowest, hi=highest)
else:
    part_lo, part_hi = steps.row_sum_range(head, R, K)
    sums = t(
        "walk.sums_part",
        lo=lowest,
        hi=highest,
        n=run.n_keys,
        k=k1 - k0,
        part_lo=part_lo,
        part_hi=part_hi,
        label=t("walk.first_key"),
    )
sink = "" if run.sink is None else t("walk.sink")
st.caption(t("walk.softmax_caption", window=window_text, sums=sums, sink=sink))


# Why √d_k and 6) the weighted sum: the two steps that follow one query, with the control that picks it
@st.fragment
def query_sections() -> None:
    """The query token's control, why √d_k (for the scoring chosen) and the weighted sum of V: picking another
    query redraws these two sections only."""
    st.markdown(t("walk.follow"))
    query = st.selectbox(
        t("common.query_token"),
        range(r0, r1),
        format_func=all_labels.__getitem__,
        key="walk_query",
        width=360,
    )
    row = query - steps.rows[0]  # the query's row in steps' arrays
    scaling_section(query, row)
    weighted_sum_section(query, row)


def scaling_section(query: int, row: int) -> None:
    """Why divide by √d_k?, true for each scoring: dot compares with and without the model's scale, cosine with and
    without its fixed temperature; additive has no step 3, and says so."""
    st.markdown(t("walk.why_title"))
    if steps.unscaled_weights is None:
        if scoring == "additive":
            st.markdown(t("walk.why_additive"))
        else:
            st.markdown(t("walk.why_no_scale", scale=steps.scale))
        return
    h = steps.scaling_entropies(head, row)
    token = plain(repr(all_labels[query]))
    if scoring == "dot":
        legend = (  # the chart's legend (English, translated with the chart's other titles)
            "q·k/√d_k (scaled)" if standard else f"q·k × {steps.scale:.4g} (scaled)",
            "q·k (not scaled)",
        )
        step3 = "÷√d_k" if standard else f"× {steps.scale:.4g}"
    else:
        legend = (f"cos × {steps.scale:.3g} (temperature)", "cos (no temperature)")
        step3 = f"× {steps.scale:.3g}"
    m1, m2, m3 = st.columns(3)
    m1.metric(t("walk.entropy_with", factor=step3), t("walk.nats", h=h["scaled"]))
    m2.metric(t("walk.entropy_without"), t("walk.nats", h=h["unscaled"]))
    m3.metric(
        t("walk.entropy_mean", layer=layer, n=steps.rows[1] - steps.rows[0]),
        t("walk.versus", a=h["layer_scaled"], b=h["layer_unscaled"]),
    )
    scaling = (steps.weights[head, row, K], steps.unscaled_weights[head, row, K], shown_keys, legend)
    chart = cached(scaling_bars, *scaling, title=f"query {all_labels[query]} ({name})")
    draw(chart, key="walk_scaling", pad=True)
    download_row(
        chart, partial(scaling_frame, *scaling), f"scaling_{ids}_query{query}{key_part}", key="walk_scaling_dl"
    )
    keys_note = "" if keys == (0, run.n_keys) else t("walk.bars_note", keys=span("keys", keys, run.n_keys))
    if scoring == "dot":
        sharp = t("walk.sharp", unscaled=h["unscaled_max"], scaled=h["scaled_max"]) + (
            t("walk.one_hot") if h["unscaled_max"] > 0.9 else ""
        )
        why = (
            t("walk.why_dot", root=math.sqrt(d_k))
            + (
                t("walk.why_dot_standard")
                if standard
                else t("walk.why_dot_other", scale=steps.scale, inv=1 / math.sqrt(d_k))
            )
            + t("walk.why_dot_here", token=token, unscaled=h["unscaled"], scaled=h["scaled"], sharp=sharp)
        )
    else:
        flat = h["unscaled"] > 0.9 * h["uniform"]
        why = t(
            "walk.why_cosine",
            scale=steps.scale,
            token=token,
            unscaled=h["unscaled"],
            scaled=h["scaled"],
            uniform=h["uniform"],
            end=t("walk.flat" if flat else "walk.end"),
        )
    st.caption(t("walk.scaling_caption", why=why, keys=keys_note))


def weighted_sum_section(query: int, row: int) -> None:
    """6) context_i = Σ_j weight_ij v_j: the query's largest terms, then every shown row's context vector."""
    st.subheader(t("walk.sum_title"))
    context, weight = t("walk.sum_context"), t("walk.sum_weight")
    st.latex(rf"\text{{{context}}}_i = \sum_j \text{{{weight}}}_{{ij}}\, v_j")
    top = steps.top_keys(head, row)
    st.markdown(
        t("walk.sum_for", token=plain(repr(all_labels[query])))
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
        shown(rows, run.n_tokens, (0, d_k), d_k, of=t("walk.of.queries_dk"))
        + t("walk.context_caption", head=name, n=run.n_keys)
    )


query_sections()


# 7) concat, 8) W_O
@st.fragment
def output_section() -> None:
    """Steps 7–8, with their own control (which dimensions): moving it redraws this section only."""
    width = run.n_heads * d_k
    st.subheader(t("walk.out_title"))
    st.markdown(t("walk.out_intro", heads=run.n_heads, width=width, d_k=d_k, last=d_k - 1, d_model=bundle.d_model))
    step = min(d_k, MATRIX_DIMS)
    dims = window(
        t("walk.out_first_dim"),
        max(width, bundle.d_model),
        MATRIX_DIMS,
        "walk_out_dims",
        step=step,
        help=t("walk.out_dims_help", step=step, d_k=d_k),
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
        t(
            "walk.out_caption",
            layer=layer,
            rows=span("rows", rows, run.n_tokens),
            cat=span("columns", cat, width),
            heads=heads,
            out=span("columns", out, bundle.d_model),
        )
    )


output_section()


def cross_weights(cross, query_labels: list[str], kv_labels: list[str], queries: str, keys_from: str) -> None:
    """The cross-attention weights of the chosen head, in windows of rows and keys the user picks when long.
    queries, keys_from: where they come from ("decoder" and "encoder", or "text_b" and "text_a")."""
    with st.container(horizontal=True):
        qa, qb = window(t("walk.cross_first_row"), len(query_labels), MATRIX_ROWS, "walk_cross_rows")
        ka, kb = window(t("walk.cross_first_key"), len(kv_labels), MATRIX_KEYS, "walk_cross_keys")
    english = {"decoder": "the decoder", "encoder": "the encoder", "text_a": "text A", "text_b": "text B"}
    show(
        cross.weights[head, qa:qb, ka:kb],
        query_labels[qa:qb],
        kv_labels[ka:kb],
        stem=f"cross_attention_{ids}",
        key="walk_cross",
        title=f"cross-attention: queries from {english[queries]}, keys from {english[keys_from]} ({name})",
        x_title=f"key ({english[keys_from]})",
        y_title=f"query ({english[queries]})",
        kind="weight",
    )
    lo, hi = cross.row_sum_range(head, slice(qa, qb))
    part = ""
    if (ka, kb) != (0, len(kv_labels)):
        part_lo, part_hi = cross.row_sum_range(head, slice(qa, qb), slice(ka, kb))
        part = t("walk.cross_part", lo=part_lo, hi=part_hi)
    of = t("walk.of.cross", queries=t(f"walk.side.{queries}"), keys=t(f"walk.side.{keys_from}"))
    st.caption(
        shown((qa, qb), len(query_labels), (ka, kb), len(kv_labels), of=of)
        + t("walk.cross_sums", lo=lo, hi=hi, n=len(kv_labels), part=part)
    )


# Cross-attention
@st.fragment
def cross_section() -> None:
    """Cross-attention (a real cross layer, or text B over the sidebar text), with its own controls."""
    st.subheader(t("walk.cross_title"))
    if bundle.kind == "encoder-decoder":  # a real cross-attention layer of this model
        st.markdown(t("walk.cross_real", layer=layer))
        cross_run = run.part("cross")
        try:
            cross = cached(walkthrough, bundle, cross_run, layer, scoring="dot")
        except ExplorerError as err:
            st.error(plain(said(err)))
            return
        cross_weights(cross, cross_run.labels(), cross_run.key_labels(), "decoder", "encoder")
        st.caption(t("walk.cross_real_caption", diff=cross.max_abs_diff))
        return
    st.markdown(t("walk.cross_none"))
    remember("walk_cross_text", "The tired animal stopped.")
    text_b = st.text_input(t("walk.text_b"), key="walk_cross_text")
    if not text_b.strip():
        st.info(t("walk.type_b"))
        return
    try:
        run_b = second_run(bundle, run, text_b, min(64, bundle.max_tokens))
        cross = cached(walkthrough, bundle, run_b, layer, causal=False, scoring="dot", kv_run=run)
    except ExplorerError as err:
        st.error(plain(said(err)))
        return
    cross_weights(cross, run_b.labels(), all_labels, "text_b", "text_a")
    st.caption(t("walk.cross_b_caption"))


cross_section()


# Attention pooling
@st.fragment
def pooling_section() -> None:
    """Attention pooling over the whole text after this layer, its bars in a window the user picks when long."""
    st.subheader(t("walk.pool_title"))
    st.markdown(t("walk.pool_intro", layer=layer))
    include = [not sp for sp in run.special]
    try:  # one N × d product: cheaper than a cache entry
        pool = attention_pooling(run.hidden[layer + 1], include=include)
    except ExplorerError as err:
        st.error(plain(said(err)))
        return
    kept = pool.kept_indices
    a, b = window(t("walk.pool_first"), len(kept), MATRIX_KEYS, "walk_pool_start")
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
    window_note = "" if (a, b) == (0, len(kept)) else t("walk.pool_window", a=a, b=b - 1, n=len(kept))
    st.caption(
        window_note
        + t(
            "walk.pool_caption",
            uniform=pool.uniform_share,
            token=plain(repr(all_labels[pool.top])),
            share=pool.weights[pool.top],
            cos=pool.cosine_to_mean,
        )
    )


pooling_section()
