"""Representation subspaces page: which heads separate the senses of a word (apple the fruit vs Apple the brand)."""

from __future__ import annotations

import streamlit as st

from app.charts import draw
from app.downloads import download_row
from app.safe import plain
from app.state import cached, remember, require_bundle
from explorer import ExplorerError
from explorer.analysis.heads import head_name
from explorer.analysis.senses import (
    SPACE_NAMES,
    SPACES,
    SenseSet,
    builtin_sets,
    collect_targets,
    parse_sense_csv,
    sets_from_text,
)
from explorer.analysis.stats import DEFAULT_PERMUTATIONS
from explorer.subspaces import SIGNIFICANCE, sense_separation
from explorer.views.subspaces import CELL_SELECTION, attends_to_chart, baseline_chart, sense_scatter, separation_heatmap

SOURCES = {"builtin": "Built-in set", "typed": "Type your own", "upload": "Upload a CSV"}
MAX_TYPED_SENSES = 6
PERMUTATION_CHOICES = [200, 500, DEFAULT_PERMUTATIONS, 5000]

bundle = require_bundle("see which of its heads separate the senses of a word")


def add_sense() -> None:
    st.session_state["subspaces_n_senses"] = min(MAX_TYPED_SENSES, st.session_state["subspaces_n_senses"] + 1)


def remove_sense() -> None:
    st.session_state["subspaces_n_senses"] = max(2, st.session_state["subspaces_n_senses"] - 1)


def pick_clicked_cell() -> None:
    """A click on the heatmap selects that head (the selectors below follow)."""
    event = st.session_state.get("subspaces_heatmap") or {}
    cells = (event.get("selection") or {}).get(CELL_SELECTION) or []
    if cells:
        st.session_state["subspaces_layer"] = int(cells[0]["layer"])
        st.session_state["subspaces_head"] = int(cells[0]["head"])


st.title("Representation subspaces")
st.caption(
    "Every head projects each token into its own small space (here d_head = "
    f"{bundle.d_head} of the model's {bundle.d_model} dimensions). Feed the model sentences that use one word in "
    "different senses (apple the fruit, Apple the brand) and see which heads keep the senses apart."
    + (
        " This encoder–decoder model reads each sentence with its encoder: the heads here are the encoder's "
        "self-attention heads."
        if bundle.kind == "encoder-decoder"
        else ""
    )
)

# 1) The sentences: a built-in set, typed senses, or an uploaded CSV.
remember("subspaces_source", "builtin", SOURCES)
source = st.radio("Sentences", list(SOURCES), format_func=SOURCES.get, horizontal=True, key="subspaces_source")
sense_set: SenseSet | None = None
try:
    if source == "builtin":
        sets = cached(builtin_sets)
        remember("subspaces_set", next(iter(sets)), sets)
        name = st.selectbox("Built-in set", list(sets), format_func=lambda n: sets[n].description, key="subspaces_set")
        sense_set = sets[name]
        with st.expander("Show the sentences"):
            st.dataframe(
                [{"sense": s, "sentence": x} for s, xs in sense_set.contexts.items() for x in xs],
                hide_index=True,
            )
            st.download_button(
                "Download this set as CSV (the upload format)",
                data=sense_set.to_csv(),
                file_name=f"senses_{sense_set.name}.csv",
                mime="text/csv",
                key="subspaces_set_csv",
                on_click="ignore",
                icon=":material/download:",
            )
    elif source == "typed":
        remember("subspaces_target", "")
        target = st.text_input("Target word", key="subspaces_target", placeholder="e.g. bank")
        n_senses = remember("subspaces_n_senses", 2)
        columns = st.columns(n_senses)
        texts = []
        for i, column in enumerate(columns):
            remember(f"subspaces_sense_name_{i}", f"sense {i + 1}")
            remember(f"subspaces_sense_text_{i}", "")
            sense_name = column.text_input(f"Sense {i + 1}", key=f"subspaces_sense_name_{i}")
            sentences = column.text_area(
                f"Sentences for sense {i + 1}, one a line",
                key=f"subspaces_sense_text_{i}",
                height=200,
                placeholder="The river burst its banks.\nWe sat on the grassy bank.",
            )
            texts.append((sense_name, sentences))
        b1, b2, _ = st.columns([1, 1, 4])
        b1.button("Add a sense", on_click=add_sense, key="subspaces_add_sense", disabled=n_senses >= MAX_TYPED_SENSES)
        b2.button("Remove the last sense", on_click=remove_sense, key="subspaces_remove_sense", disabled=n_senses <= 2)
        if not target.strip() or not all(t.strip() for _, t in texts):
            st.info("Type the target word and, for every sense, two or more sentences that use it (one a line).")
            st.stop()
        sense_set = sets_from_text(target, texts)
    else:
        upload = st.file_uploader(
            "CSV with the columns sentence, sense, target (one row a sentence, one target word)",
            type=["csv"],
            key="subspaces_upload",
        )
        if upload is None:
            st.info(
                "Upload a CSV file with a header row sentence,sense,target. A built-in set shows the format: "
                "Built-in set → Show the sentences → Download this set as CSV."
            )
            st.stop()
        sense_set = parse_sense_csv(upload.getvalue(), name=upload.name)
except ExplorerError as err:
    st.error(plain(err))
    st.stop()

# 2) The space and the test.
remember("subspaces_space", "v", SPACES)
remember("subspaces_permutations", DEFAULT_PERMUTATIONS, PERMUTATION_CHOICES)
c1, c2 = st.columns([3, 1])
space = c1.radio("Space", list(SPACES), format_func=SPACE_NAMES.get, horizontal=True, key="subspaces_space")
n_permutations = c2.selectbox("Label shuffles (permutation test)", PERMUTATION_CHOICES, key="subspaces_permutations")
contexts = tuple((sense, tuple(sentences)) for sense, sentences in sense_set.contexts.items())
try:
    with st.spinner(f"Running {sum(len(v) for _, v in contexts)} sentences and scoring every head …"):
        # The sentences run once per set; another space or number of shuffles only scores them again.
        samples = cached(collect_targets, bundle, sense_set.target, sense_set.contexts)
        res = cached(
            sense_separation,
            bundle,
            sense_set.target,
            sense_set.contexts,
            space,
            n_permutations=int(n_permutations),
            samples=samples,
        )
except ExplorerError as err:
    st.error(plain(err))
    st.stop()
for warning in res.warnings:  # e.g. sentences given twice: each copy counts again, so the scores are flagged
    st.warning(plain(warning))

# A new set (or model) starts at its best head; a new space keeps the chosen head, for comparison.
best_layer, best_head = res.best_head()
set_key = (bundle.name, sense_set.target, contexts)
if st.session_state.get("subspaces_set_key") != set_key:
    st.session_state["subspaces_set_key"] = set_key
    st.session_state["subspaces_layer"], st.session_state["subspaces_head"] = best_layer, best_head
remember("subspaces_layer", best_layer, range(res.n_layers))
remember("subspaces_head", best_head, range(res.n_heads))
_, hidden_name, hidden_score = res.best_hidden()
st.markdown(
    f"**{plain(res.target)}** · {' vs '.join(f'{plain(s)} ({len(v)})' for s, v in contexts)} · space **{space}** · "
    f"best head **L{best_layer} H{best_head}**: separation {res.scores[best_layer, best_head]:.2f} "
    f"(p = {res.p_values[best_layer, best_head]:.3f}) · whole hidden state at best "
    f"{hidden_score:.2f} ({hidden_name}) · {res.n_significant} of {res.scores.size} heads significant"
)

# 3) Every head at once, beside the whole hidden state.
selected = (st.session_state["subspaces_layer"], st.session_state["subspaces_head"])
left, right = st.columns([3, 1])
with left:
    heatmap = separation_heatmap(res, selected)
    st.altair_chart(
        heatmap,
        key="subspaces_heatmap",
        on_select=pick_clicked_cell,
        selection_mode=CELL_SELECTION,
        width="content",
    )
    st.caption(
        "Each cell is one head; its colour is the **separation**: the silhouette of the senses under cosine "
        f"distance between the target's {space} vectors in that head (+1: every sentence lies much nearer its own "
        "sense than any other; 0: no structure; below 0: mixed). “n.s.” marks heads that are **not significant**: "
        f"p-value from {res.n_permutations} shuffles of the sense labels, adjusted for testing all "
        f"{res.scores.size} heads (Benjamini–Hochberg, {SIGNIFICANCE:.0%}). Click a cell to look inside that head."
    )
    if bundle.n_kv_heads != bundle.n_heads and space in ("k", "v"):
        st.caption(
            f"This model shares each key/value head among {bundle.n_heads // bundle.n_kv_heads} query heads "
            "(grouped-query attention), so heads of one group have the same k and v vectors and scores."
        )
    download_row(heatmap, res.to_frame(), f"separation_{res.target}_{space}", "subspaces_dl_heatmap")
with right:
    baseline = baseline_chart(res)
    draw(baseline, key="subspaces_baseline")
    st.caption(
        f"Bars: the same score on the model's whole hidden state ({bundle.d_model} dimensions) after each layer. "
        "Diamonds: the best single head of that layer. A diamond right of its bar means one head's small "
        "subspace separates the senses better than the full representation."
    )
    download_row(baseline, res.hidden_frame(), f"separation_baseline_{res.target}", "subspaces_dl_baseline")

# 4) One head: its sentences as points, and what the target looks at.
st.subheader("Inside one head")
c1, c2, c3 = st.columns([1, 1, 3])
layer = c1.selectbox("Layer", list(range(res.n_layers)), key="subspaces_layer")
head = c2.selectbox("Head", list(range(res.n_heads)), key="subspaces_head")
c3.markdown(
    f"&nbsp;  \nL{layer} H{head}: separation **{res.scores[layer, head]:.3f}**, p = {res.p_values[layer, head]:.4f}, "
    f"adjusted p = {res.q_values[layer, head]:.4f}" + ("" if res.significant[layer, head] else " (not significant)")
)
left, right = st.columns([3, 2])
with left:
    points = res.points(layer, head)
    scatter = sense_scatter(points, f"“{res.target}” in {head_name(layer, head)} ({space})")
    draw(scatter, key="subspaces_scatter")
    st.caption(
        f"One dot per sentence: the target's {space} vector in this head, scaled to length 1 (as the cosine score "
        "sees it) and projected onto its two main directions (PCA). Separate clumps of colour are what a high "
        "score means. Hover a dot to read its sentence."
    )
    download_row(scatter, points, f"points_{res.target}_L{layer}H{head}_{space}", "subspaces_dl_scatter")
with right:
    st.markdown("**Best heads**")
    st.dataframe(
        res.ranking(top=10),
        hide_index=True,
        column_config={
            "score": st.column_config.NumberColumn("separation", format="%.3f"),
            "p_value": st.column_config.NumberColumn("p-value", format="%.4f"),
            "q_value": st.column_config.NumberColumn("adjusted p", format="%.4f"),
        },
        key="subspaces_ranking",
    )
    floor = 1 / (res.n_permutations + 1)
    at_floor = int((res.ranking(top=10)["p_value"] <= floor * (1 + 1e-9)).sum())
    st.caption(
        "The ten heads with the highest separation in this space. A p-value is (1 + shuffles that scored at least "
        f"as high) / {res.n_permutations + 1}: the smallest possible, {floor:.4f}, means no shuffle of the labels "
        f"did; {at_floor} of these ten reach it, and a larger one counts the shuffles that scored as high."
    )

st.subheader("What the target attends to")
remember("subspaces_attend_rank", "distinctive")
remember("subspaces_attend_all", False)
c1, c2 = st.columns([2, 3])
rank_by = c1.radio(
    "Words",
    ["distinctive", "weight"],
    format_func={"distinctive": "that set this sense apart", "weight": "with the most attention"}.get,
    horizontal=True,
    key="subspaces_attend_rank",
)
show_all = c2.checkbox("Include [CLS]/[SEP] and punctuation", key="subspaces_attend_all")
attends = res.attends_to(layer, head, top=8, include_special=show_all, include_punctuation=show_all, rank_by=rank_by)
attends_chart = attends_to_chart(
    attends, f"Where “{res.target}” looks in {head_name(layer, head)}, per sense", value=rank_by
)
draw(attends_chart, key="subspaces_attends")
st.caption(
    "For each sense, the words this head's attention goes to from the target: the attention averaged over that "
    "sense's sentences (a sentence without the word counts 0; the target's own pieces are left out). "
    "“Set this sense apart” subtracts the same average over the other senses' sentences, so common words "
    "(the, a) count only by the extra attention they get in this sense. Attention is the same whichever space "
    "is chosen above."
)
download_row(attends_chart, attends, f"attends_{res.target}_L{layer}H{head}", "subspaces_dl_attends")
