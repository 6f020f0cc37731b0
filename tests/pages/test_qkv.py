"""The Q/K/V vectors page, driven with Streamlit's AppTest: q, k, q∘k, scores, softmax, weight-subspace overlap."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest

from explorer.analysis.qk import weight_subspace_overlap
from tests.support.apptest import assert_every_chart_has_a_caption, charts, errors, on_page, use_model_folder

PAGE = "pages/qkv.py"


def frames(element) -> list:
    """Every dataset a (possibly concatenated) chart was sent, as DataFrames, in order."""
    return [pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in element.proto.datasets]


def spec_text(element) -> str:
    return element.proto.spec


def named(at) -> dict:
    """The page's six charts by what they show (they are drawn in this order)."""
    q, neuron, softmax, v, context, overlap = charts(at)
    assert "q vector" in spec_text(q) and "q ∘ k" in json.loads(spec_text(neuron))["hconcat"][1]["title"]
    assert "softmax weight" in spec_text(softmax) and "principal angles" in spec_text(overlap)
    assert "v vector" in spec_text(v) and "context vector" in spec_text(context)
    return {"q": q, "neuron": neuron, "softmax": softmax, "v": v, "context": context, "overlap": overlap}


def test_page_draws_q_products_scores_and_overlap():
    at = on_page(PAGE)
    assert not at.exception and not errors(at)
    run = at.session_state["run"]
    c = named(at)
    layer, head, query = (at.selectbox(key=k).value for k in ("qkv_layer", "qkv_head", "qkv_query"))
    (q,) = frames(c["q"])
    np.testing.assert_allclose(q["value"], run.q[layer, head, query], rtol=1e-6)
    # The neuron view: rows of q∘k add up to q·k; the softmax bars equal the model's own attention row.
    products = [f for f in frames(c["neuron"]) if "product" in f.columns][0]
    sums = products.groupby("key_index")["product"].sum().to_numpy()
    np.testing.assert_allclose(sums, run.k[layer, head] @ run.q[layer, head, query], rtol=1e-4, atol=1e-4)
    bars = frames(c["softmax"])[0]
    np.testing.assert_allclose(bars["weight"], run.attn[layer, head, query], atol=1e-6)
    np.testing.assert_allclose(bars["score"], run.scores[layer, head, query], atol=1e-4)
    (overlap,) = frames(c["overlap"])
    assert len(overlap) == run.n_heads**2
    assert_every_chart_has_a_caption(at)
    assert any("match the model's own scores" in cap.value for cap in at.caption)
    keys = {b.key for b in at.download_button}
    for chart_key in ("neuron", "scores", "overlap"):
        assert {f"qkv_dl_{chart_key}_{kind}" for kind in ("png", "svg", "csv")} <= keys


def test_v_vectors_and_the_context_vector_are_the_runs_own():
    """After softmax: the keys' v vectors (run.v) and the query's context vector, which equals weights @ v."""
    at = on_page(PAGE)
    at.selectbox(key="qkv_layer").set_value(2)
    at.selectbox(key="qkv_head").set_value(5)
    at.selectbox(key="qkv_query").set_value(6)
    at.run()
    assert not at.exception and not errors(at)
    run = at.session_state["run"]
    c = named(at)
    (v,) = frames(c["v"])
    cells = v.pivot(index="row", columns="col", values="value")  # keys down, head dimensions across
    rows = [f"{label} ({w:.3f})" for label, w in zip(run.key_labels(), run.attn[2, 5, 6], strict=True)]
    cols = [str(d) for d in range(run.d_head)]
    np.testing.assert_allclose(cells.loc[rows, cols].to_numpy(), run.v[2, 5], rtol=1e-6)  # every key, its weight
    (context,) = frames(c["context"])
    np.testing.assert_allclose(context["value"], run.context[2, 5, 6], rtol=1e-6)
    np.testing.assert_allclose(context["value"], run.attn[2, 5, 6] @ run.v[2, 5], rtol=1e-4, atol=1e-6)
    assert any("Σ weight·v" in cap.value for cap in at.caption)
    keys = {b.key for b in at.download_button}
    assert {f"qkv_dl_{chart}_{kind}" for chart in ("v", "context") for kind in ("png", "svg", "csv")} <= keys
    assert_every_chart_has_a_caption(at)


def test_a_long_text_shows_the_v_of_the_heaviest_keys_and_the_context_of_all():
    at = on_page(PAGE)
    at.text_area(key="sidebar_text").input(" ".join(["the cat sat on the mat because it was tired."] * 8)).run()
    at.toggle(key="qkv_all_keys").set_value(True).run()  # all keys in the neuron view; v stays readable
    run = at.session_state["run"]
    layer, head, query = (at.selectbox(key=k).value for k in ("qkv_layer", "qkv_head", "qkv_query"))
    c = named(at)
    (v,) = frames(c["v"])
    assert 48 <= v["row"].nunique() <= 49 < run.n_keys
    shown = [int(row.split()[0]) for row in v["row"].unique()]  # rows are "index token (weight)"
    assert set(np.argsort(-run.attn[layer, head, query])[:48]) <= set(shown)  # the 48 heaviest keys
    share = run.attn[layer, head, query][shown].sum()
    assert any(f"{share:.1%}" in cap.value for cap in at.caption)  # the share of attention those keys carry
    (context,) = frames(c["context"])
    np.testing.assert_allclose(context["value"], run.attn[layer, head, query] @ run.v[layer, head], atol=1e-5)


def test_changing_head_and_token_changes_what_is_drawn():
    at = on_page(PAGE)
    run = at.session_state["run"]
    before = frames(named(at)["q"])[0]["value"].to_numpy()
    at.selectbox(key="qkv_layer").set_value(3)
    at.selectbox(key="qkv_head").set_value(9)
    at.selectbox(key="qkv_query").set_value(4)
    at.run()
    assert not at.exception
    c = named(at)
    after = frames(c["q"])[0]["value"].to_numpy()
    np.testing.assert_allclose(after, run.q[3, 9, 4], rtol=1e-6)
    assert not np.allclose(before, after)
    np.testing.assert_allclose(frames(c["softmax"])[0]["weight"], run.attn[3, 9, 4], atol=1e-6)


def test_overlap_follows_projection_and_layers():
    at = on_page(PAGE)
    bundle = at.session_state["bundle"]
    at.radio(key="qkv_which").set_value("v")
    at.selectbox(key="qkv_layer_a").set_value(1)
    at.selectbox(key="qkv_layer_b").set_value(4)
    at.run()
    assert not at.exception
    chart = named(at)["overlap"]
    assert "W_V" in spec_text(chart)
    (frame,) = frames(chart)
    expected = weight_subspace_overlap(bundle, 1, 4, which="v")
    np.testing.assert_allclose(frame["overlap"].to_numpy(), expected.reshape(-1), rtol=1e-9)
    assert frame["head_a"].iloc[0] == "L1 H0" and frame["head_b"].iloc[1] == "L4 H1"


def test_long_text_shows_top_keys_unless_asked_for_all():
    at = on_page(PAGE)
    at.text_area(key="sidebar_text").input(" ".join(["the cat sat on the mat because it was tired."] * 8))
    at.run()
    run = at.session_state["run"]
    assert run.n_tokens > 60
    bars = frames(named(at)["softmax"])[0]
    assert len(bars) <= 49  # the 48 largest weights, plus the query token itself
    assert bars["weight"].sum() < 1.0 + 1e-6
    at.toggle(key="qkv_all_keys").set_value(True)
    at.run()
    assert not at.exception
    bars = frames(named(at)["softmax"])[0]
    assert len(bars) == run.n_tokens
    assert abs(bars["weight"].sum() - 1.0) < 1e-5


def test_no_text_shows_a_message_not_a_traceback():
    at = on_page(PAGE)
    at.text_area(key="sidebar_text").input("")
    at.run()
    assert not at.exception
    assert any("empty" in e for e in errors(at))
    assert not charts(at)


def test_causal_model_masks_later_keys_and_groups_kv_heads(tiny_dirs):
    """A tiny Llama: keys after the query are masked (weight 0), W_K has 2 KV heads, W_Q 4 query heads."""
    at = on_page(PAGE)
    use_model_folder(at, tiny_dirs["llama"], "the cat sat on the mat")
    at.selectbox(key="qkv_query").set_value(2)
    at.radio(key="qkv_which").set_value("k")
    at.run()
    assert not at.exception and not errors(at)
    run = at.session_state["run"]
    c = named(at)
    bars = frames(c["softmax"])[0]
    assert (bars["weight"].to_numpy()[3:] == 0).all() and bars["masked"].to_numpy()[3:].all()
    np.testing.assert_allclose(bars["weight"], run.attn[0, 0, 2], atol=1e-6)
    assert len(frames(c["overlap"])[0]) == 2 * 2
    assert any("2 heads" in cap.value for cap in at.caption)


@pytest.mark.parametrize("family", ["llama", "qwen2", "mistral"])
def test_rotary_models_say_that_q_is_rotated(tiny_dirs, family):
    """Every family with rotary position encoding gets the note, asked of the model's adapter, not of its name."""
    rotary = "Rotary position encoding is already applied."
    at = on_page(PAGE)
    assert not any(rotary in cap.value for cap in at.caption)  # BERT: learned absolute positions
    use_model_folder(at, tiny_dirs[family])
    assert not at.exception and not errors(at)
    assert at.session_state["bundle"].rotary
    assert any(rotary in cap.value for cap in at.caption)
