"""The "How attention is computed" page, driven with Streamlit's AppTest (the numbers: analysis/test_walkthrough)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

import app.downloads
import explorer.analysis.walkthrough
from explorer.analysis.walkthrough import STOP_WORDS, default_query, walkthrough
from tests.support.apptest import APP, assert_every_chart_has_a_caption, charts, count_calls, errors, on_page

LONG = " ".join(["The jungler ganked top, but he got killed by the top laner while the apple pie cooled."] * 8)


def matrices(at: AppTest) -> dict[str, pd.DataFrame]:
    """Every matrix (or bar chart) drawn, by its title: the rows its chart was sent (a stack has one per part)."""
    found = {}
    for element in charts(at):
        spec = json.loads(element.proto.spec)
        data = {d.name: pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in element.proto.datasets}
        for part in spec.get("vconcat", [spec]):
            title = part.get("title", "")
            title = title.get("text", "") if isinstance(title, dict) else title
            frame = data[part["data"]["name"]]
            found[title] = frame.astype(
                {c: object for c, t in frame.dtypes.items() if isinstance(t, pd.CategoricalDtype)}
            )
    return found


def as_matrix(frame: pd.DataFrame) -> np.ndarray:
    """A heatmap's rows back to its 2-D array, in the order it was drawn (masked cells NaN)."""
    rows, cols = list(dict.fromkeys(frame["row"])), list(dict.fromkeys(frame["col"]))
    return frame["value"].to_numpy(float).reshape(len(rows), len(cols))


def captions(at: AppTest) -> str:
    return "\n".join(str(c.value) for c in at.caption)


def test_walkthrough_page():
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/walkthrough.py")
    at.run()
    assert not at.exception and not at.error
    shown = matrices(at)
    assert len(charts(at)) >= 9 and len(shown) >= 13  # the steps (Q/K/V and scores stacked), √d_k, cross, pooling
    assert any("cos(attention-pooled, mean-pooled)" in c.value for c in at.caption)
    assert at.metric[0].value in ("0.0e+00",) or float(at.metric[0].value) < 1e-5
    assert_every_chart_has_a_caption(at)
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


def test_the_page_starts_on_apple_not_cls():
    """The apple example starts on its first "apple" (the bundled model is uncased), the word the example is about;
    a new text starts on its own first content word."""
    at = on_page("pages/walkthrough.py", timeout=120)
    run = at.session_state["run"]
    query = at.selectbox(key="walk_query").value
    assert run.tokens[query] == "apple" and query == run.tokens.index("apple") == 4
    assert "query '4 apple'" in captions(at).replace("\\", "")
    at.text_area(key="sidebar_text").input("The animal didn't cross the street because it was too tired.").run()
    run = at.session_state["run"]
    assert run.tokens[at.selectbox(key="walk_query").value] == "animal"


@pytest.mark.parametrize("scoring", ["dot", "cosine", "additive"])
def test_the_sqrt_dk_section_is_true_for_each_scoring(scoring):
    at = on_page("pages/walkthrough.py", timeout=120)
    at.radio(key="walk_scoring").set_value(scoring).run()
    assert not at.exception and not errors(at)
    bundle, run = at.session_state["bundle"], at.session_state["run"]
    steps = walkthrough(bundle, run, 0, scoring=scoring)  # what the page shows, computed here independently
    text = captions(at) + "\n".join(str(m.value) for m in at.markdown)
    metrics = {m.label: m.value for m in at.metric}
    if scoring == "additive":  # no step 3: no comparison, no entropies, no claim about √d_k's effect
        assert "Additive scoring has no ÷√d_k" in text and "bounded by the learned vector v" in text
        assert not any("Entropy" in label for label in metrics)
        assert "one-hot" not in text and not any(t.startswith("query ") for t in charts_titles(at))  # no bars
        assert "query '4 apple'" not in text.replace("\\", "")
        return
    h = steps.scaling_entropies(0, 4)
    bars = matrices(at)["query 4 apple (L0 H0)"]  # the two softmaxes of the query, as drawn
    np.testing.assert_allclose(bars["weight"].to_numpy(float)[: run.n_tokens], steps.weights[0, 4], atol=1e-6)
    np.testing.assert_allclose(bars["weight"].to_numpy(float)[run.n_tokens :], steps.unscaled_weights[0, 4], atol=1e-6)
    assert metrics["Entropy without"] == f"{h['unscaled']:.3f} nats"
    with_ = next(v for k, v in metrics.items() if k.startswith("Entropy with "))
    assert with_ == f"{h['scaled']:.3f} nats"
    if scoring == "dot":  # the real comparison: without ÷√d_k softmax is sharper
        assert h["unscaled"] < h["scaled"] and "Entropy with ÷√d_k" in metrics
        assert f"entropy {h['unscaled']:.3f} nats instead of {h['scaled']:.3f}" in text
        assert ("nearly one-hot)" in text) == (h["unscaled_max"] > 0.9)
    else:  # cosine: a fixed temperature, and without it softmax is flatter, not sharper
        assert h["unscaled"] > h["scaled"] and "fixed temperature" in text
        assert "one-hot" not in text and f"× {steps.scale:.3g}" in " ".join(metrics)


def charts_titles(at: AppTest) -> list[str]:
    return list(matrices(at))


def test_a_long_text_is_shown_in_windows_the_user_moves(monkeypatch):
    """100 tokens: every matrix shows 48 rows and 48 keys at a time, the captions say which, the window controls
    move them, and what is drawn (and downloaded) is exactly those rows of the model's own attention."""
    stems = count_calls(monkeypatch, app.downloads, "download_row")
    at = on_page("pages/walkthrough.py", timeout=120)
    at.text_area(key="sidebar_text").input(LONG)
    at.number_input(key="sidebar_max_tokens").set_value(100).run()
    run = at.session_state["run"]
    assert run.n_tokens == 100 and not at.exception and not errors(at)
    text = captions(at)
    assert "Shown: rows 0–47 of 100, columns 0–47 of 100 (queries × keys)" in text
    shown = matrices(at)
    np.testing.assert_allclose(as_matrix(shown["attention weights (L0 H0)"]), run.attn[0, 0, :48, :48], atol=1e-5)
    assert "Each row sums to 1.000000 … 1.000000 over all 100 keys; the 48 keys shown hold" in text
    assert "rows sum to 1" not in text

    stems.clear()
    at.number_input(key="walk_rows").set_value(50)
    at.number_input(key="walk_keys").set_value(40)
    at.number_input(key="walk_e_dims").set_value(64)
    at.slider(key="walk_head").set_value(10)
    at.run()
    assert not at.exception and not errors(at)
    text = captions(at)
    assert "Shown: rows 50–97 of 100, columns 40–87 of 100 (queries × keys)" in text
    assert "Shown: rows 50–97 of 100, columns 64–127 of 384 (tokens × dimensions of d_model)" in text
    assert "Q: rows 50–97 of 100 (query tokens); K and V: rows 40–87 of 100" in text
    shown = matrices(at)
    weights = shown["attention weights (L0 H10)"]
    assert list(dict.fromkeys(weights["row"])) == run.labels()[50:98]  # the chosen rows, not the first 48
    assert list(dict.fromkeys(weights["col"])) == run.labels()[40:88]
    np.testing.assert_allclose(as_matrix(weights), run.attn[0, 10, 50:98, 40:88], atol=1e-5)
    np.testing.assert_allclose(as_matrix(shown["E: layer 0's input"]), run.attn_input[0][50:98, 64:128], atol=1e-6)
    np.testing.assert_allclose(as_matrix(shown["Q (L0 H10)"]), run.q[0, 10, 50:98], atol=1e-4)
    np.testing.assert_allclose(as_matrix(shown["K (L0 H10)"]), run.k[0, 10, 40:88], atol=1e-4)
    for title, frame in shown.items():  # nothing is cut silently: each matrix is one stated window
        if "row" in frame:
            assert frame["row"].nunique() <= 48 and frame["col"].nunique() <= 64, title
    query = at.selectbox(key="walk_query").value  # the query follows the window, to its first content word
    assert query == 50 + default_query(run.tokens[50:98], run.special[50:98]) and run.tokens[query] not in STOP_WORDS
    names = [args[2] for args, _ in stems]  # download file names say the head and the window
    assert "weights_L0_H10_rows50-97_keys40-87" in names and "QKV_L0_H10_rows50-97_keys40-87" in names
    assert "E_L0_rows50-97_dims64-127" in names
    (weights_csv,) = [args[1] for args, _ in stems if args[2].startswith("weights_")]
    np.testing.assert_allclose(as_matrix(weights_csv()), run.attn[0, 10, 50:98, 40:88], atol=1e-5)
    assert_every_chart_has_a_caption(at)


def test_heads_are_named_layer_and_head():
    at = on_page("pages/walkthrough.py", timeout=120)
    at.slider(key="walk_layer").set_value(3)
    at.slider(key="walk_head").set_value(10)
    at.run()
    titles = charts_titles(at)
    for step in ("Q", "K", "V", "attention weights", "context = weights · V"):
        assert any(t.startswith(step) and t.endswith("(L3 H10)") for t in titles), step
    words = " ".join(titles) + captions(at)
    assert "3.10" not in words and "head 10" not in words and "L3 H10" in captions(at)
