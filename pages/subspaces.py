"""Representation subspaces page: which heads separate the senses of a word (apple the fruit vs Apple the brand)."""

from __future__ import annotations

import streamlit as st

from app.charts import draw
from app.downloads import download_row
from app.i18n import names, said, t
from app.i18n.phrases import need_bundle
from app.safe import plain
from app.state import cached, remember
from explorer import ExplorerError
from explorer.analysis.heads import head_name
from explorer.analysis.senses import (
    SPACES,
    SenseSet,
    builtin_sets,
    collect_targets,
    parse_sense_csv,
    sets_from_text,
)
from explorer.analysis.stats import DEFAULT_PERMUTATIONS
from explorer.extract import case_note
from explorer.subspaces import SIGNIFICANCE, sense_separation
from explorer.views.subspaces import CELL_SELECTION, attends_to_chart, baseline_chart, sense_scatter, separation_heatmap

SOURCES = ("builtin", "typed", "upload")  # where the sentences come from ("subspaces.source.<source>")
MAX_TYPED_SENSES = 6
PERMUTATION_CHOICES = [200, 500, DEFAULT_PERMUTATIONS, 5000]

bundle = need_bundle("subspaces.purpose")


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


st.title(t("subspaces.title"))
st.caption(
    t("subspaces.intro", d_head=bundle.d_head, d_model=bundle.d_model)
    + (t("subspaces.intro_encdec") if bundle.kind == "encoder-decoder" else "")
)
if (case := cached(case_note, bundle)) is not None:  # "Apple" and "apple" are one token to an uncased model
    st.caption(plain(said(case)))

# 1) The sentences: a built-in set, typed senses, or an uploaded CSV.
remember("subspaces_source", "builtin", SOURCES)
source = st.radio(
    t("subspaces.sentences"),
    SOURCES,
    format_func=names("subspaces.source.", SOURCES).get,
    horizontal=True,
    key="subspaces_source",
)
sense_set: SenseSet | None = None
try:
    if source == "builtin":
        sets = cached(builtin_sets)
        remember("subspaces_set", next(iter(sets)), sets)
        name = st.selectbox(
            t("subspaces.builtin_set"), list(sets), format_func=lambda n: sets[n].description, key="subspaces_set"
        )
        sense_set = sets[name]
        with st.expander(t("subspaces.show_sentences")):
            sense_col, sentence_col = t("subspaces.col.sense"), t("subspaces.col.sentence")
            st.dataframe(
                [{sense_col: s, sentence_col: x} for s, xs in sense_set.contexts.items() for x in xs],
                hide_index=True,
            )
            st.download_button(
                t("subspaces.download_set"),
                data=sense_set.to_csv(),
                file_name=f"senses_{sense_set.name}.csv",
                mime="text/csv",
                key="subspaces_set_csv",
                on_click="ignore",
                icon=":material/download:",
            )
    elif source == "typed":
        remember("subspaces_target", "")
        target = st.text_input(
            t("subspaces.target"), key="subspaces_target", placeholder=t("subspaces.target_placeholder")
        )
        n_senses = remember("subspaces_n_senses", 2)
        columns = st.columns(n_senses)
        texts = []
        for i, column in enumerate(columns):
            remember(f"subspaces_sense_name_{i}", t("subspaces.sense_default", n=i + 1))
            remember(f"subspaces_sense_text_{i}", "")
            sense_name = column.text_input(t("subspaces.sense", n=i + 1), key=f"subspaces_sense_name_{i}")
            sentences = column.text_area(
                t("subspaces.sense_sentences", n=i + 1),
                key=f"subspaces_sense_text_{i}",
                height=200,
                placeholder=t("subspaces.sense_placeholder"),
            )
            texts.append((sense_name, sentences))
        b1, b2, _ = st.columns([1, 1, 4])
        b1.button(
            t("subspaces.add_sense"),
            on_click=add_sense,
            key="subspaces_add_sense",
            disabled=n_senses >= MAX_TYPED_SENSES,
        )
        b2.button(
            t("subspaces.remove_sense"), on_click=remove_sense, key="subspaces_remove_sense", disabled=n_senses <= 2
        )
        if not target.strip() or not all(lines.strip() for _, lines in texts):
            st.info(t("subspaces.typed_info"))
            st.stop()
        sense_set = sets_from_text(target, texts)
    else:
        upload = st.file_uploader(
            t("subspaces.upload"),
            type=["csv"],
            key="subspaces_upload",
        )
        if upload is None:
            st.info(t("subspaces.upload_info"))
            st.stop()
        sense_set = parse_sense_csv(upload.getvalue(), name=upload.name)
except ExplorerError as err:
    st.error(plain(said(err)))
    st.stop()

# 2) The space and the test.
remember("subspaces_space", "v", SPACES)
remember("subspaces_permutations", DEFAULT_PERMUTATIONS, PERMUTATION_CHOICES)
c1, c2 = st.columns([3, 1])
space = c1.radio(
    t("subspaces.space"), list(SPACES), format_func=names("space.", SPACES).get, horizontal=True, key="subspaces_space"
)
n_permutations = c2.selectbox(t("subspaces.shuffles"), PERMUTATION_CHOICES, key="subspaces_permutations")
contexts = tuple((sense, tuple(sentences)) for sense, sentences in sense_set.contexts.items())
try:
    with st.spinner(t("subspaces.running", n=sum(len(v) for _, v in contexts))):
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
    st.error(plain(said(err)))
    st.stop()
for warning in res.warnings:  # e.g. sentences given twice: each copy counts again, so the scores are flagged
    st.warning(plain(said(warning)))

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
    t(
        "subspaces.summary",
        target=plain(res.target),
        senses=t("subspaces.vs").join(f"{plain(s)} ({len(v)})" for s, v in contexts),
        space=space,
        layer=best_layer,
        head=best_head,
        score=res.scores[best_layer, best_head],
        p=res.p_values[best_layer, best_head],
        hidden_score=hidden_score,
        hidden=plain(said(hidden_name)),
        significant=res.n_significant,
        total=res.scores.size,
    )
)

# 3) Every head at once, then the whole hidden state.
selected = (st.session_state["subspaces_layer"], st.session_state["subspaces_head"])
# One above the other: side by side the two charts need about 900 px, more than the main column has in a 1280 px
# window with the sidebar open (the baseline was cut off at its right edge).
left, right = st.container(), st.container()
with left:
    heatmap = separation_heatmap(res, selected)
    draw(heatmap, key="subspaces_heatmap", on_select=pick_clicked_cell, selection_mode=CELL_SELECTION)
    st.caption(
        t(
            "subspaces.heatmap_caption",
            space=space,
            shuffles=res.n_permutations,
            total=res.scores.size,
            level=SIGNIFICANCE,
        )
    )
    if bundle.n_kv_heads != bundle.n_heads and space in ("k", "v"):
        st.caption(t("subspaces.gqa", n=bundle.n_heads // bundle.n_kv_heads))
    download_row(heatmap, res.to_frame(), f"separation_{res.target}_{space}", "subspaces_dl_heatmap")
with right:
    baseline = baseline_chart(res, names=[said(name) for name in res.hidden_frame()["name"]])
    draw(baseline, key="subspaces_baseline")
    st.caption(t("subspaces.baseline_caption", d_model=bundle.d_model))
    download_row(baseline, res.hidden_frame(), f"separation_baseline_{res.target}", "subspaces_dl_baseline")

# 4) One head: its sentences as points, and what the target looks at.
st.subheader(t("subspaces.inside"))
c1, c2, c3 = st.columns([1, 1, 3])
layer = c1.selectbox(t("common.layer"), list(range(res.n_layers)), key="subspaces_layer")
head = c2.selectbox(t("common.head"), list(range(res.n_heads)), key="subspaces_head")
c3.markdown(
    "&nbsp;  \n"  # a blank line: the numbers line up with the selectors' boxes, not their labels
    + t(
        "subspaces.head_line",
        layer=layer,
        head=head,
        score=res.scores[layer, head],
        p=res.p_values[layer, head],
        q=res.q_values[layer, head],
    )
    + ("" if res.significant[layer, head] else t("subspaces.not_significant"))
)
left, right = st.container(), st.container()  # stacked, for the same reason as above (the legend was cut off)
with left:
    points = res.points(layer, head)
    scatter = sense_scatter(
        points, t("subspaces.scatter_title", target=res.target, head=head_name(layer, head), space=space)
    )
    draw(scatter, key="subspaces_scatter")
    st.caption(t("subspaces.scatter_caption", space=space))
    download_row(scatter, points, f"points_{res.target}_L{layer}H{head}_{space}", "subspaces_dl_scatter")
with right:
    st.markdown(t("subspaces.best_heads"))
    st.dataframe(
        res.ranking(top=10),
        hide_index=True,
        column_config={
            "layer": st.column_config.NumberColumn(t("subspaces.col.layer")),
            "head": st.column_config.NumberColumn(t("subspaces.col.head")),
            "score": st.column_config.NumberColumn(t("subspaces.col.score"), format="%.3f"),
            "p_value": st.column_config.NumberColumn(t("subspaces.col.p_value"), format="%.4f"),
            "q_value": st.column_config.NumberColumn(t("subspaces.col.q_value"), format="%.4f"),
            "significant": st.column_config.CheckboxColumn(t("subspaces.col.significant")),
        },
        key="subspaces_ranking",
    )
    floor = 1 / (res.n_permutations + 1)
    at_floor = int((res.ranking(top=10)["p_value"] <= floor * (1 + 1e-9)).sum())
    st.caption(t("subspaces.ranking_caption", n=res.n_permutations + 1, floor=floor, at_floor=at_floor))

st.subheader(t("subspaces.attends"))
remember("subspaces_attend_rank", "distinctive")
remember("subspaces_attend_all", False)
c1, c2 = st.columns([2, 3])
rank_by = c1.radio(
    t("subspaces.words"),
    ["distinctive", "weight"],
    format_func=names("subspaces.rank.", ["distinctive", "weight"]).get,
    horizontal=True,
    key="subspaces_attend_rank",
)
show_all = c2.checkbox(t("subspaces.include_special"), key="subspaces_attend_all")
attends = res.attends_to(layer, head, top=8, include_special=show_all, include_punctuation=show_all, rank_by=rank_by)
attends_chart = attends_to_chart(
    attends, t("subspaces.attends_title", target=res.target, head=head_name(layer, head)), value=rank_by
)
draw(attends_chart, key="subspaces_attends")
st.caption(t("subspaces.attends_caption"))
download_row(attends_chart, attends, f"attends_{res.target}_L{layer}H{head}", "subspaces_dl_attends")
