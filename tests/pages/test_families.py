"""Core v2 in the app: an encoder–decoder model asks for the decoder's text, a sink family says its rows sum to
less than 1, and a model with maps but no weight views says so instead of drawing the weight-level views."""

from __future__ import annotations

import pytest

from app.state import KIND_NAMES
from tests.support.apptest import app_test, chart_frame, errors, use_model_folder

PAGES = ("pages/attention.py", "pages/compare.py", "pages/qkv.py", "pages/walkthrough.py", "pages/export.py")


def page_text(at) -> str:
    return " ".join(str(e.value) for kind in ("caption", "info", "markdown") for e in at.get(kind))


@pytest.mark.parametrize("family", ["t5", "bart"])
def test_every_page_draws_all_three_kinds_of_an_encoder_decoder_model(tiny_dirs, family):
    at = use_model_folder(app_test(), tiny_dirs[family], text="the cat sat on the mat because it was tired")
    assert at.session_state["run"] is None  # no silent default for the decoder's side
    assert any("encoder–decoder" in str(i.value) and "target" in str(i.value) for i in at.info)
    at.text_area(key="sidebar_target").input("apple pie and apple juice with an apple").run()
    run = at.session_state["run"]
    assert run is not None and run.kinds == ("encoder", "decoder", "cross") and run.kind == "encoder"
    assert run.part("decoder").text == "apple pie and apple juice with an apple"
    for kind in ("encoder", "decoder", "cross"):
        at.radio(key="sidebar_kind").set_value(kind).run()
        assert at.session_state["run"].kind == kind
        for page in PAGES:
            at.switch_page(page).run()
            assert not at.exception and not errors(at), (kind, page, errors(at))
            assert at.get("vega_lite_chart") or page == "pages/export.py", (kind, page)
            if page != "pages/export.py":
                assert KIND_NAMES[kind] in page_text(at), (kind, page)  # the page says which kind it shows
        at.switch_page("pages/attention.py").run()
        frame = chart_frame(at.get("vega_lite_chart")[0])
        rec = run.part(kind)
        assert frame["query"].nunique() == rec.n_tokens and frame["key"].nunique() == rec.n_keys


def test_the_target_can_be_written_by_the_models_lm_head(tmp_path):
    from explorer.generate import generate_target
    from tests.support.tiny_models import make_tiny

    folder = make_tiny("t5", tmp_path / "t5-lm", lm_head=True)
    text = "the cat sat on the mat because it was tired"
    at = use_model_folder(app_test(), folder, text=text)
    assert at.session_state["run"] is None  # no target yet
    at.button(key="sidebar_generate").click().run()
    assert not at.exception and not errors(at)
    target = at.text_area(key="sidebar_target").value
    assert target == generate_target(at.session_state["bundle"], text, max_new_tokens=64)  # the LM head's own
    run = at.session_state["run"]
    assert run is not None and run.part("decoder").text == target
    at.radio(key="sidebar_kind").set_value("cross").run()  # more decoder queries than encoder keys
    assert at.session_state["run"].n_tokens > at.session_state["run"].n_keys
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception and not errors(at), (page, errors(at))


def test_a_folder_without_an_lm_head_has_no_generate_button(tiny_dirs):
    at = use_model_folder(app_test(), tiny_dirs["t5"], text="the cat sat on the mat")
    assert not at.exception and not [b for b in at.button if b.key == "sidebar_generate"]
    assert any("without its LM head" in str(c.value) for c in at.sidebar.caption)


def test_a_family_with_sinks_says_its_rows_sum_to_less_than_one(tiny_dirs):
    at = use_model_folder(app_test(), tiny_dirs["gpt_oss"], text="the cat sat on the mat because it was tired")
    at.switch_page("pages/attention.py").run()
    assert not at.exception and not errors(at)
    assert "attention sink" in page_text(at) and "rows sum to 1" not in page_text(at)
    at.switch_page("pages/walkthrough.py").run()
    assert not at.exception and "attention sink" in page_text(at)


def test_maps_without_weight_views_are_said_plainly(tiny_dirs):
    at = use_model_folder(app_test(), tiny_dirs["qwen3"], text="the cat sat on the mat")
    stack = at.session_state["bundle"].stack()
    kept = stack.weights
    stack.weights, stack.weights_note = None, "its layer 0 keeps W_Q in a layout the from-scratch module does not know"
    try:
        at.switch_page("pages/walkthrough.py").run()
        assert not at.exception and not errors(at)
        assert any("no weight views" in str(i.value) and "layer 0 keeps W_Q" in str(i.value) for i in at.info)
        at.switch_page("pages/qkv.py").run()
        assert not at.exception and not errors(at)
        assert any("no weight views" in str(i.value) for i in at.info)
        at.switch_page("pages/attention.py").run()  # the maps are still there
        assert not at.exception and not errors(at) and at.get("vega_lite_chart")
    finally:
        stack.weights, stack.weights_note = kept, ""
