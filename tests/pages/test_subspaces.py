"""The Representation subspaces page, driven with Streamlit's AppTest (no browser)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

import explorer
import explorer.analysis.senses
from explorer.analysis.senses import load_builtin_set
from explorer.subspaces import sense_separation
from tests.support.apptest import (
    assert_every_chart_has_a_caption,
    chart_frame,
    charts,
    count_calls,
    errors,
    on_page,
    use_model_folder,
)
from tests.support.tiny_models import make_chinese

PAGE = "pages/subspaces.py"


def chart_titled(at, words: str):
    """The chart whose spec title contains `words`, with its rows."""
    found = [c for c in charts(at) if words in c.proto.spec]
    assert len(found) == 1, [c.proto.spec[:120] for c in charts(at)]
    return found[0]


def largest_frame(element):
    """The biggest of a layered chart's datasets (the heatmap also sends the one-row outline of the chosen cell)."""
    frames = [pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in element.proto.datasets]
    return max(frames, key=len)


def scatter(at):
    element = next(c for c in charts(at) if '"pc1"' in c.proto.spec)
    return element, chart_frame(element)


def test_builtin_apple_set_draws_every_view(bundle):
    at = on_page(PAGE)
    assert not at.exception and not errors(at)
    assert at.title[0].value == "Representation subspaces"
    assert len(charts(at)) == 4  # heatmap, baseline, scatter, attends-to
    assert_every_chart_has_a_caption(at)
    # The page starts on the best head, and its numbers are the library's.
    ref = sense_separation(bundle, "apple", load_builtin_set("apple").contexts, space="v")
    layer, head = ref.best_head()
    assert (at.selectbox(key="subspaces_layer").value, at.selectbox(key="subspaces_head").value) == (layer, head)
    heat = largest_frame(chart_titled(at, "separation of 2 senses")).sort_values(["layer", "head"])
    np.testing.assert_allclose(heat["score"].to_numpy(), ref.scores.ravel(), rtol=1e-9)
    np.testing.assert_allclose(heat["p_value"].to_numpy(), ref.p_values.ravel(), rtol=1e-9)
    _, points = scatter(at)
    assert len(points) == 20 and set(points["sense"]) == {"fruit", "brand"}
    assert points["sentence"].str.contains("apple", case=False).all()


def test_choosing_a_cell_changes_the_scatter():
    at = on_page(PAGE)
    element, before = scatter(at)
    assert "L1 H10" in element.proto.spec
    at.selectbox(key="subspaces_layer").set_value(0)
    at.selectbox(key="subspaces_head").set_value(3)
    at.run()
    assert not at.exception and not errors(at)
    element, after = scatter(at)
    assert "L0 H3" in element.proto.spec
    assert before["sentence"].tolist() == after["sentence"].tolist()
    assert not np.allclose(before[["pc1", "pc2"]].to_numpy(), after[["pc1", "pc2"]].to_numpy())
    # A new space keeps the chosen head and redraws the heatmap for that space.
    at.radio(key="subspaces_space").set_value("context")
    at.run()
    assert not at.exception
    assert (at.selectbox(key="subspaces_layer").value, at.selectbox(key="subspaces_head").value) == (0, 3)
    chart_titled(at, "per head (context)")
    # Away to another page and back: no error (Streamlit forgot the head selectors meanwhile).
    at.switch_page("pages/attention.py").run()
    at.switch_page(PAGE).run()
    assert not at.exception and not errors(at)
    assert at.radio(key="subspaces_space").value == "context"  # the choices came back with the page
    assert (at.selectbox(key="subspaces_layer").value, at.selectbox(key="subspaces_head").value) == (0, 3)


def test_three_sense_builtin_set():
    at = on_page(PAGE)
    at.selectbox(key="subspaces_set").set_value("java")
    at.run()
    assert not at.exception and not errors(at)
    _, points = scatter(at)
    assert set(points["sense"]) == {"island", "coffee", "language"}
    attends = next(chart_frame(c) for c in charts(at) if "Where" in c.proto.spec and "looks" in c.proto.spec)
    assert set(attends["sense"]) == {"island", "coffee", "language"}


def test_a_user_typed_set_works():
    at = on_page(PAGE)
    at.radio(key="subspaces_source").set_value("typed")
    at.run()
    assert not at.exception
    assert at.info  # asks for the sentences first
    at.text_input(key="subspaces_target").input("bank")
    at.text_input(key="subspaces_sense_name_0").input("river")
    at.text_input(key="subspaces_sense_name_1").input("money")
    at.text_area(key="subspaces_sense_text_0").input(
        "We sat on the bank of the river.\nThe boat drifted to the muddy bank.\nWillows lined the banks."
    )
    at.text_area(key="subspaces_sense_text_1").input(
        "I paid the cheque into the bank.\nThe bank raised its rates.\nBanks lend money."
    )
    at.run()
    assert not at.exception and not errors(at)
    assert any("**bank**" in m.value and "river (3) vs money (3)" in m.value for m in at.markdown)
    _, points = scatter(at)
    assert points["sense"].tolist() == ["river"] * 3 + ["money"] * 3
    # The typed sentences survive a visit to another page.
    at.switch_page("pages/attention.py").run()
    at.switch_page(PAGE).run()
    assert not at.exception and not errors(at)
    assert at.text_area(key="subspaces_sense_text_1").value.startswith("I paid the cheque")
    assert scatter(at)[1]["sense"].tolist() == ["river"] * 3 + ["money"] * 3
    # Add a sense: a third box appears; a sentence without the target is named in the error.
    at.button(key="subspaces_add_sense").click()
    at.run()
    assert len(at.main.text_area) == 3
    at.text_area(key="subspaces_sense_text_2").input("The bank vault.\nI swam in the lake.")
    at.run()
    assert not at.exception
    assert any("“I swam in the lake.”" in e for e in errors(at))


def test_a_causal_grouped_query_model(tiny_dirs):
    folder = tiny_dirs["llama"]
    at = on_page(PAGE)
    use_model_folder(at, folder)
    assert at.session_state["bundle"].n_kv_heads == 2
    at.radio(key="subspaces_space").set_value("k")
    at.run()
    assert not at.exception and not errors(at)
    heat = largest_frame(chart_titled(at, "separation of 2 senses")).sort_values(["layer", "head"])
    assert len(heat) == 2 * 4  # 2 layers x 4 heads
    scores = heat["score"].to_numpy().reshape(2, 4)
    np.testing.assert_allclose(scores[:, 0], scores[:, 1])  # query heads 0 and 1 share key head 0
    assert any("grouped-query" in c.value for c in at.caption)


def test_another_space_does_not_run_the_sentences_again(monkeypatch):
    calls = count_calls(monkeypatch, explorer.analysis.senses, "collect_targets")
    at = on_page(PAGE)
    at.radio(key="subspaces_source").set_value("typed")
    at.run()
    at.text_input(key="subspaces_target").input("bat")
    at.text_area(key="subspaces_sense_text_0").input("The bat flew out of the cave.\nA bat hunts moths at night.")
    at.text_area(key="subspaces_sense_text_1").input("He swung the bat hard.\nShe bought a new cricket bat.")
    at.run()
    assert not at.exception and not errors(at)
    assert len(calls) == 1
    for space in ("q", "context"):
        at.radio(key="subspaces_space").set_value(space).run()
        assert not at.exception and not errors(at)
        chart_titled(at, f"per head ({space})")
    at.selectbox(key="subspaces_permutations").set_value(200).run()
    assert not at.exception and len(calls) == 1


def test_duplicate_sentences_are_reported_beside_the_results():
    at = on_page(PAGE)
    at.radio(key="subspaces_source").set_value("typed").run()
    at.text_input(key="subspaces_target").input("bank")
    at.text_input(key="subspaces_sense_name_0").input("river")
    at.text_input(key="subspaces_sense_name_1").input("money")
    at.text_area(key="subspaces_sense_text_0").input(
        "We sat on the bank of the river.\nWe sat on the bank of the river.\nWillows lined the banks."
    )
    at.text_area(key="subspaces_sense_text_1").input("I paid the cheque into the bank.\nThe bank raised its rates.")
    at.run()
    assert not at.exception and not errors(at)
    assert any("more than once" in w.value and "We sat on the bank" in w.value for w in at.warning)


def test_the_p_value_note_counts_the_heads_that_reach_the_smallest_p():
    import re

    at = on_page(PAGE)
    assert not at.exception and not errors(at)
    (ranking,) = [d for d in at.dataframe if "p_value" in d.value.columns]
    note = next(c.value for c in at.caption if "of these ten reach it" in c.value)
    floor = float(re.search(r"the smallest possible, ([0-9.]+)", note).group(1))
    said = int(re.search(r"did; (\d+) of these ten", note).group(1))
    assert said == int((ranking.value["p_value"] <= floor + 5e-5).sum())


def test_the_chinese_apple_set_on_a_model_that_reads_chinese(tmp_path):
    """The tutorials' apple example in Chinese (苹果: 水果 / 品牌) is built in; on a tiny random BERT whose vocabulary
    holds its characters, every sentence's 苹果 is found without spaces and every view draws."""
    sense_set = load_builtin_set("apple_zh")
    sentences = tuple(s for group in sense_set.contexts.values() for s in group)
    folder = make_chinese(tmp_path / "tiny-chinese", sentences)
    at = use_model_folder(on_page(PAGE), folder)
    at.selectbox(key="subspaces_set").set_value("apple_zh").run()
    assert not at.exception and not errors(at)
    assert len(charts(at)) == 4
    _, points = scatter(at)
    assert len(points) == 20 and set(points["sense"]) == {"水果", "品牌"}
    assert points["sentence"].str.contains("苹果").all()
    heat = largest_frame(chart_titled(at, "separation of 2 senses")).sort_values(["layer", "head"])
    ref = sense_separation(explorer.load_model(str(folder)), "苹果", sense_set.contexts, space="v")
    np.testing.assert_allclose(heat["score"].to_numpy(), ref.scores.ravel(), rtol=1e-9)
