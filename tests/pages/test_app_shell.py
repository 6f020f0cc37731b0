"""The app shell (sidebar: example texts, model source, token limit; navigation), driven with AppTest."""

from __future__ import annotations

from tests.support import REPO
from tests.support.apptest import app_test as start
from tests.support.apptest import charts, errors, use_model_folder


def test_example_picker_fills_the_text():
    at = start()
    at.selectbox(key="sidebar_example").set_value("he: the jungler or the top laner?")
    at.run()
    assert not at.exception
    assert at.session_state["text"] == "The jungler ganked top, but he got killed by the top laner."
    assert "he" in at.session_state["run"].tokens and "laner" in at.session_state["run"].text


def test_empty_text_shows_an_error_not_a_traceback():
    at = start()
    at.text_area(key="sidebar_text").set_value("   ")
    at.run()
    assert not at.exception
    assert any("text is empty" in e for e in errors(at))
    assert at.session_state["run"] is None
    assert not charts(at)
    assert at.info  # the page says what to do


def test_missing_model_folder_shows_an_error(tmp_path):
    at = start()
    use_model_folder(at, tmp_path / "no-such-model")
    assert not at.exception
    assert any("does not exist" in e for e in errors(at))
    assert at.session_state["bundle"] is None and at.session_state["run"] is None


def test_token_limit_truncates_with_a_warning():
    at = start()
    at.number_input(key="sidebar_max_tokens").set_value(8)
    at.run()
    assert not at.exception
    assert at.session_state["run"].n_tokens == 8
    assert any("only the first 8" in w.value for w in at.warning)


def test_unreachable_hub_id_shows_an_error():
    at = start()
    at.selectbox(key="sidebar_model_source").set_value("hub")
    at.run()
    at.text_input(key="sidebar_model_path").set_value("no-such-org/no-such-model")
    at.run()
    assert not at.exception
    assert any("could not be found" in e for e in errors(at))
    assert at.session_state["bundle"] is None


def test_every_page_in_the_navigation_runs_without_errors():
    """A smoke test of the whole app: each page file switched to with the default text draws without errors."""
    at = start()
    pages = sorted(p.relative_to(REPO).as_posix() for p in (REPO / "pages").glob("*.py"))
    assert "pages/attention.py" in pages
    for page in pages:
        at.switch_page(page)
        at.run(timeout=120)
        assert not at.exception, f"{page}: {[e.value for e in at.exception]}"
        assert not errors(at), f"{page}: {errors(at)}"
        assert at.session_state["run"] is not None
