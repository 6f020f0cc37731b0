"""The token limit starts at the length the model was trained on, and a longer run says what that means."""

from __future__ import annotations

from tests.support.apptest import app_test, errors

LONG_TEXT = "The animal didn't cross the street because it was too tired. " * 40


def test_the_default_limit_is_the_trained_length_and_beyond_it_a_warning_says_so():
    at = app_test()
    assert at.number_input(key="sidebar_max_tokens").value == 256  # all-MiniLM-L6-v2's max_seq_length
    at.text_area(key="sidebar_text").input(LONG_TEXT).run()
    assert at.session_state["run"].n_tokens == 256 and not [w for w in at.warning if "trained" in w.value]
    at.number_input(key="sidebar_max_tokens").set_value(300).run()
    assert at.session_state["run"].n_tokens == 300 and not at.exception and not errors(at)
    (warning,) = [w.value for w in at.warning if "trained" in w.value]
    assert "300 tokens is more than the 256" in warning
    at.switch_page("pages/compare.py").run()  # head roles carry the caveat
    assert any("Caveat" in c.value and "more than the 256" in c.value for c in at.caption)
