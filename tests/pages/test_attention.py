"""The Attention maps page (the app's default page), driven with Streamlit's AppTest (no browser)."""

from __future__ import annotations

import numpy as np

from tests.support.apptest import app_test as start
from tests.support.apptest import assert_every_chart_has_a_caption, chart_frame, charts, errors, use_model_folder


def test_default_text_renders_every_chart():
    at = start()
    assert not at.exception
    assert not errors(at)
    run = at.session_state["run"]
    assert run is not None and run.n_tokens > 10
    assert at.session_state["bundle"].n_heads == 12
    assert len(charts(at)) == 2  # one head, one token across heads
    assert len(at.get("image")) == 1  # the all-heads overview
    heat = chart_frame(charts(at)[0])
    assert len(heat) == run.n_tokens**2
    np.testing.assert_allclose(np.sort(heat["weight"].to_numpy()), np.sort(run.attn[0, 0].reshape(-1)), rtol=1e-6)
    # The sidebar shows the model's shape.
    assert any("6 layers × 12 heads × d_head 32" in c.value for c in at.sidebar.caption)
    # Every chart has a caption.
    assert_every_chart_has_a_caption(at)


def test_moving_layer_and_head_redraws_without_rerunning_the_model():
    at = start()
    run_before = at.session_state["run"]
    first = chart_frame(charts(at)[0])
    at.slider(key="attn_layer").set_value(3)
    at.slider(key="attn_head").set_value(7)
    at.run()
    assert not at.exception
    second = chart_frame(charts(at)[0])
    assert not np.allclose(first["weight"].to_numpy(), second["weight"].to_numpy())
    run = at.session_state["run"]
    assert run is run_before  # same extraction object: the model did not run again
    n = run.n_tokens
    index = {label: i for i, label in enumerate(run.labels())}
    got = np.zeros((n, n))
    got[second["query"].map(index), second["key"].map(index)] = second["weight"]
    np.testing.assert_allclose(got, run.attn[3, 7], rtol=1e-6)


def test_picking_a_token_changes_the_strip():
    at = start()
    run = at.session_state["run"]
    before = chart_frame(charts(at)[1])
    at.selectbox(key="attn_token").set_value(5)
    at.run()
    after = chart_frame(charts(at)[1])
    assert not at.exception
    L, H, n = run.n_layers, run.n_heads, run.n_tokens
    np.testing.assert_allclose(after["weight"].to_numpy().reshape(L, H, n), run.attn[:, :, 5, :], rtol=1e-6)
    assert not np.allclose(before["weight"].to_numpy(), after["weight"].to_numpy())
    at.radio(key="attn_token_scope").set_value("layer")
    at.run()
    one_layer = chart_frame(charts(at)[1])
    np.testing.assert_allclose(one_layer["weight"].to_numpy().reshape(H, n), run.attn[0, :, 5, :], rtol=1e-6)


def test_causal_model_from_a_folder_shows_masked_cells(tiny_dirs):
    folder = tiny_dirs["gpt2"]
    at = start()
    at.slider(key="attn_layer").set_value(5)  # beyond the tiny model's 2 layers x 4 heads
    at.slider(key="attn_head").set_value(11)
    at.selectbox(key="attn_token").set_value(20)
    at.run()
    use_model_folder(at, folder)
    assert not at.exception and not errors(at)
    run = at.session_state["run"]
    assert run.is_causal and run.n_heads == 4
    assert (at.slider(key="attn_layer").value, at.slider(key="attn_head").value) == (1, 3)  # kept within range
    assert run.n_tokens > 20 and at.selectbox(key="attn_token").value == 20  # token 20 still exists: kept
    heat = chart_frame(charts(at)[0])
    n = run.n_tokens
    index = {label: i for i, label in enumerate(run.labels())}
    masked = np.zeros((n, n), bool)
    masked[heat["query"].map(index), heat["key"].map(index)] = heat["masked"]
    np.testing.assert_array_equal(masked, np.triu(np.ones((n, n), bool), k=1))


def test_every_chart_on_the_attention_page_has_downloads():
    at = start()
    labels = [b.proto.label for b in at.get("download_button")]
    # heatmap PNG/SVG/CSV, the overview PNG, the token strip PNG/SVG/CSV
    assert labels.count("PNG") == 3 and labels.count("SVG") == 2 and labels.count("CSV") == 2, labels


def test_attention_controls_and_sidebar_survive_a_visit_to_another_page():
    at = start()
    at.number_input(key="sidebar_max_tokens").set_value(16)
    at.slider(key="attn_layer").set_value(3)
    at.slider(key="attn_head").set_value(7)
    at.selectbox(key="attn_token").set_value(5)
    at.radio(key="attn_token_scope").set_value("layer")
    at.run()
    at.switch_page("pages/compare.py").run()
    assert not at.exception and at.title[0].value == "Head comparison"
    at.switch_page("pages/attention.py").run()
    assert not at.exception and not errors(at)
    assert at.number_input(key="sidebar_max_tokens").value == 16
    assert (at.slider(key="attn_layer").value, at.slider(key="attn_head").value) == (3, 7)
    assert (at.selectbox(key="attn_token").value, at.radio(key="attn_token_scope").value) == (5, "layer")
    run = at.session_state["run"]
    assert run.n_tokens == 16
    heat = chart_frame(charts(at)[0])  # drawn from the kept choices, not from the defaults
    np.testing.assert_allclose(np.sort(heat["weight"].to_numpy()), np.sort(run.attn[3, 7].reshape(-1)), rtol=1e-6)
    strip = chart_frame(charts(at)[1])
    np.testing.assert_allclose(strip["weight"].to_numpy().reshape(12, 16), run.attn[3, :, 5, :], rtol=1e-6)


def test_every_caption_is_true_in_raw_score_mode():
    at = start()
    at.switch_page("pages/attention.py").run()
    assert any("rows sum to 1" in c.value for c in at.caption)
    at.radio(key="attn_value").set_value("scores").run()
    captions = " ".join(c.value for c in at.caption)
    assert "rows sum to 1" not in captions and "before softmax" in captions
