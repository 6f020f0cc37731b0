"""The "How attention is computed" page, driven with Streamlit's AppTest (the numbers: analysis/test_walkthrough)."""

from streamlit.testing.v1 import AppTest

import explorer.analysis.walkthrough
from tests.support.apptest import APP, count_calls, on_page


def test_walkthrough_page():
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/walkthrough.py")
    at.run()
    assert not at.exception and not at.error
    charts = len(at.get("vega_lite_chart"))
    assert charts >= 11  # the steps, the √d_k bars, cross-attention and attention pooling
    assert any("cos(attention-pooled, mean-pooled)" in c.value for c in at.caption)
    assert at.metric[0].value in ("0.0e+00",) or float(at.metric[0].value) < 1e-5
    before = [m.value for m in at.metric]
    at.slider(key="walk_layer").set_value(4).run()
    assert not at.exception
    assert [m.value for m in at.metric] != before  # entropies of another layer
    at.radio(key="walk_scoring").set_value("additive").run()
    assert not at.exception and any("not pretrained" in i.value for i in at.info)
    at.toggle(key="walk_causal").set_value(True).run()
    assert not at.exception
    at.text_input(key="walk_cross_text").set_value("").run()
    assert not at.exception and any("text B" in i.value for i in at.info)


def test_moving_head_or_token_does_not_recompute_the_layer(monkeypatch):
    """walkthrough() runs once per (text, layer, mask, scoring): head and token controls only pick from it."""
    calls = count_calls(monkeypatch, explorer.analysis.walkthrough, "walkthrough")
    at = on_page("pages/walkthrough.py", timeout=120)
    at.text_area(key="sidebar_text").input("Counting walkthrough calls: the quick brown fox jumps over a lazy dog.")
    at.run()
    assert not at.exception and not at.error
    layers = [args[2] for args, _ in calls[-2:]]
    assert layers == [0, 0] and calls[-1][1]["kv_run"] is at.session_state["run"]  # the layer, then cross-attention
    seen = len(calls)
    at.slider(key="walk_head").set_value(5)
    at.selectbox(key="walk_query").set_value(3)
    at.run()
    assert not at.exception and len(calls) == seen
    at.slider(key="walk_layer").set_value(2).run()
    assert [args[2] for args, _ in calls[seen:]] == [2, 2]
    at.slider(key="walk_layer").set_value(0).run()  # back to a layer already computed
    assert not at.exception and len(calls) == seen + 2
