"""The Head comparison page, driven with Streamlit's AppTest: side-by-side heads, two texts, all-heads views, roles."""

from __future__ import annotations

import json
import re

import numpy as np
import pyarrow as pa
import streamlit as st

import explorer
import explorer.analysis.heads
from tests.support.apptest import (
    app_test,
    assert_every_chart_has_a_caption,
    charts,
    count_calls,
    errors,
    on_page,
    use_model_folder,
)

PAGE = "pages/compare.py"


def spec(element) -> dict:
    return json.loads(element.proto.spec)


def frames(element) -> list:
    """Every dataset a (possibly concatenated) chart was sent, as DataFrames, in order."""
    return [pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in element.proto.datasets]


def titles(element) -> list[str]:
    """The titles of the panels of a concatenated chart (or of the chart itself)."""
    s = spec(element)
    found = []

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("title"), str):
                found.append(node["title"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(s)
    return found


CHART_TITLES = {  # a title inside each chart of the page (st.altair_chart keys do not reach the test's protos)
    "two_texts": "Text A, L",
    "similarity": "Head × head similarity",
    "mds": "Map of all heads",
}


def chart(at, name: str):
    """The page's chart `name` (CHART_TITLES), found by a title inside it."""

    def named(t: str) -> bool:  # the side-by-side panels are titled by their heads alone ("L4 H7")
        return (
            re.fullmatch(r"L\d+ H\d+( \(blocks of tokens\))?", t) is not None
            if name == "side"
            else t.startswith(CHART_TITLES[name])
        )

    hits = [c for c in charts(at) if any(named(t) for t in titles(c))]
    assert len(hits) == 1, f"{name}: {[titles(c) for c in charts(at)]}"
    return hits[0]


def test_page_renders_every_chart_and_the_role_table():
    at = on_page(PAGE)
    assert not at.exception
    assert not errors(at)
    run = at.session_state["run"]
    assert len(charts(at)) == 4  # side by side, two texts, similarity, MDS
    L, H = run.n_layers, run.n_heads
    # Side by side: three heads by default, one shared colour domain.
    side = chart(at, "side")
    assert len(spec(side)["hconcat"]) == 3
    domains = {tuple(p["encoding"]["color"]["scale"]["domain"]) for p in spec(side)["hconcat"]}
    assert len(domains) == 1
    at.radio(key="compare_count").set_value(4)
    at.run()
    grid = spec(chart(at, "side"))["vconcat"]  # four heads: a 2 x 2 grid
    assert [len(row["hconcat"]) for row in grid] == [2, 2]
    assert len({tuple(p["encoding"]["color"]["scale"]["domain"]) for row in grid for p in row["hconcat"]}) == 1
    # Similarity: every pair of heads.
    sim = frames(chart(at, "similarity"))[0]
    assert len(sim) == (L * H) ** 2
    assert np.allclose(sim.loc[sim.head_a == sim.head_b, "similarity"], 1.0)
    # MDS: one point per head.
    mds = frames(chart(at, "mds"))[0]
    assert len(mds) == L * H and set(mds["layer"]) == set(range(L))
    # Role table: one row per head, with labels.
    (table,) = at.dataframe
    assert len(table.value) == L * H
    assert "label" in table.value.columns and table.value["label"].str.len().gt(0).all()
    row = table.value.iloc[H + 10]  # heads are named "L1 H10", never "1.10" (a decimal)
    assert row["name"] == f"L{row['layer']} H{row['head']}" == "L1 H10"
    assert set(mds["name"]) == {f"L{layer} H{head}" for layer in range(L) for head in range(H)}
    assert_every_chart_has_a_caption(at, tables=True)  # one caption per chart and the table
    keys = {b.key for b in at.download_button}
    for chart_key in ("side", "diff", "sim", "mds"):  # PNG, SVG and CSV beside every chart
        assert {f"compare_dl_{chart_key}_{kind}" for kind in ("png", "svg", "csv")} <= keys


def test_changing_heads_changes_what_is_drawn():
    at = on_page(PAGE)
    run = at.session_state["run"]
    before = titles(chart(at, "side"))
    at.radio(key="compare_count").set_value(2)
    at.selectbox(key="compare_layer_0").set_value(4)
    at.selectbox(key="compare_head_0").set_value(7)
    at.run()
    assert not at.exception
    side = chart(at, "side")
    after = titles(side)
    assert len(spec(side)["hconcat"]) == 2
    assert after[0] == "L4 H7" and after != before
    first = frames(side)[0]
    np.testing.assert_allclose(np.sort(first["weight"]), np.sort(run.attn[4, 7].reshape(-1)), rtol=1e-6)
    top = max(run.attn[4, 7].max(), run.attn[at.selectbox(key="compare_layer_1").value, 1].max())
    assert spec(side)["hconcat"][0]["encoding"]["color"]["scale"]["domain"][1] == np.float32(top).item()


def test_two_texts_with_equal_length_show_a_difference_map():
    at = on_page(PAGE)
    at.text_area(key="sidebar_text").input("The animal didn't cross the street because it was too tired.")
    at.run()
    at.text_area(key="compare_text_b").input("The animal didn't cross the street because it was too wide.")
    at.selectbox(key="compare_diff_layer").set_value(1)
    at.selectbox(key="compare_diff_head").set_value(0)
    at.run()
    assert not at.exception and not errors(at)
    pair = chart(at, "two_texts")
    names = titles(pair)
    assert "Text A, L1 H0" in names and "Text B, L1 H0" in names and "B − A" in names
    run = at.session_state["run"]
    diff = [f for f in frames(pair) if "difference" in f.columns][0]
    assert len(diff) == run.n_tokens**2
    assert np.abs(diff["difference"]).max() > 1e-3  # "tired" -> "wide" changes where tokens look
    assert any("differ at position" in c.value for c in at.caption)


def test_two_texts_of_different_length_explain_why_no_difference():
    at = on_page(PAGE)
    at.text_area(key="compare_text_b").input("A short one.")
    at.run()
    assert not at.exception
    pair = chart(at, "two_texts")
    assert "B − A" not in titles(pair)
    assert any("do not line up" in i.value for i in at.info)


def test_empty_second_text_shows_an_error_not_a_traceback():
    at = on_page(PAGE)
    at.text_area(key="compare_text_b").input("   ")
    at.run()
    assert not at.exception
    assert any("empty" in e for e in errors(at))
    assert len(charts(at)) == 3  # the other charts still draw


def test_empty_main_text_shows_a_message():
    at = on_page(PAGE)
    at.text_area(key="sidebar_text").input("")
    at.run()
    assert not at.exception
    assert any("empty" in e for e in errors(at))
    assert not charts(at)


def test_grouped_query_causal_model_from_a_folder(tiny_dirs):
    """A tiny Llama (causal, 4 query heads sharing 2 KV heads): every view still draws, next-token share is 0."""
    at = on_page(PAGE)
    use_model_folder(at, tiny_dirs["llama"], "the cat sat on the mat because it was tired")
    assert not at.exception and not errors(at)
    run = at.session_state["run"]
    assert run.is_causal and run.n_layers * run.n_heads == 8
    assert len(frames(chart(at, "mds"))[0]) == 8
    (table,) = at.dataframe
    assert (table.value["to next"] == 0).all()


def test_text_b_follows_the_sidebar_text_until_edited():
    at = on_page(PAGE)
    at.text_area(key="sidebar_text").input("The animal didn't cross the street because it was too tired.")
    at.run()
    assert at.text_area(key="compare_text_b").value == "The animal didn't cross the street because it was too wide."
    at.text_area(key="compare_text_b").input("My own second text.")
    at.run()
    at.text_area(key="sidebar_text").input("The jungler ganked top, but he got killed by the top laner.")
    at.run()
    assert not at.exception
    assert at.text_area(key="compare_text_b").value == "My own second text."


def test_moving_controls_runs_no_model_and_no_overview_again(monkeypatch):
    """The extractions (sidebar text, text B) and the all-heads overview are computed once, not per control."""
    overview_calls = count_calls(monkeypatch, explorer.analysis.heads, "heads_overview")
    extract_calls = count_calls(monkeypatch, explorer, "extract")
    st.cache_resource.clear()  # what earlier tests cached must not change the counts
    at = on_page(PAGE)
    assert len(overview_calls) == 1 and len(extract_calls) == 2  # the default text and its swap as text B
    at.text_area(key="sidebar_text").input("Counting compare calls: the animal did not cross, it was too tired.")
    at.run()
    assert not at.exception and not errors(at)
    assert at.text_area(key="compare_text_b").value.endswith("too wide.")
    assert len(overview_calls) == 2 and len(extract_calls) == 4  # text A, then its one-word swap as text B
    at.radio(key="compare_count").set_value(2)
    at.selectbox(key="compare_layer_0").set_value(4)
    at.selectbox(key="compare_diff_head").set_value(3)
    at.run()
    assert not at.exception
    assert len(overview_calls) == 2 and len(extract_calls) == 4


def test_a_view_that_does_not_fit_in_memory_is_an_error_box_not_a_traceback(monkeypatch):
    at = app_test()
    at.text_area(key="sidebar_text").input("A text of its own, so no view of it is cached yet: memory test.").run()
    assert at.session_state["run"] is not None and not at.exception  # the run is made and cached
    monkeypatch.setenv("EXPLORER_MEMORY_BUDGET_MB", "0.001")  # now no view's maps fit
    at.switch_page("pages/compare.py").run()  # views not drawn yet (drawn ones come from the cache)
    assert not at.exception
    assert any("would take" in str(e.value) and "can spare" in str(e.value) for e in at.error)
