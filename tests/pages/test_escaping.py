"""User text is shown as text on the pages: a markdown image in a folder path, a sense name or a sentence (typed or
in a CSV) reaches the page escaped, so the browser never fetches the outside address (AppTest, no browser)."""

from __future__ import annotations

import dataclasses

import pytest

from app.i18n.phrases import run_summary
from app.safe import plain
from explorer import ExplorerError
from explorer.analysis.senses import parse_sense_csv
from tests.support.apptest import app_test, errors, on_page, use_model_folder
from tests.support.markdown import has_media_or_links, render

IMAGE = "![x](http://evil.test/x.png)"


def assert_shown_as_text(body: str, hostile: str) -> None:
    """The element's markdown holds `hostile` escaped: rendered, no image or link, and the words read as typed."""
    assert plain(hostile) in body, body
    out = render(body)
    assert "<img" not in out and "<a " not in out and "evil.test" in out, out
    assert hostile in out.replace("&quot;", '"')


def test_a_markdown_image_in_the_model_folder_is_shown_as_text(tmp_path):
    folder = f"{tmp_path}/{IMAGE}"
    at = use_model_folder(app_test(), folder)
    assert not at.exception
    (message,) = [e for e in errors(at) if "does not exist" in e]
    assert_shown_as_text(message, folder)


def test_a_markdown_image_in_a_sentence_and_a_sense_name_is_shown_as_text():
    at = on_page("pages/subspaces.py")
    at.radio(key="subspaces_source").set_value("typed")
    at.run()
    at.text_input(key="subspaces_target").input("bank")
    at.text_input(key="subspaces_sense_name_0").input(IMAGE)
    at.text_input(key="subspaces_sense_name_1").input("money")
    at.text_area(key="subspaces_sense_text_0").input(f"We sat on the bank.\nThe river bank.\n{IMAGE}")
    at.text_area(key="subspaces_sense_text_1").input("The bank lends.\nI paid the bank.")
    at.run()
    assert not at.exception
    (message,) = errors(at)  # the sentence without "bank" is named, escaped
    assert "does not contain the target word" in message
    assert_shown_as_text(message, f"“{IMAGE}”")

    at.text_area(key="subspaces_sense_text_0").input("We sat on the bank.\nThe river bank burst.")
    at.run()
    assert not at.exception and not errors(at)
    (summary,) = [m.value for m in at.markdown if " vs " in m.value]
    assert_shown_as_text(summary, IMAGE)
    assert f"{plain(IMAGE)} (2) vs money (2)" in summary
    assert render(summary).count("<strong>") == 3  # our own bold (target, space, best head) still works


def test_a_markdown_image_in_a_csv_sentence_is_escaped_in_its_message():
    data = f"sentence,sense,target\nThe bank lends.,money,bank\n{IMAGE},money,bank\n".encode()
    with pytest.raises(ExplorerError) as caught:
        parse_sense_csv(data)
    shown = plain(caught.value)  # what pages/subspaces.py puts in st.error
    assert "CSV line 3" in shown and not has_media_or_links(shown)
    assert_shown_as_text(shown, f"“{IMAGE}”")


def test_the_model_name_under_every_title_is_escaped(apple_run):
    hostile = dataclasses.replace(apple_run, meta={**apple_run.meta, "display_name": IMAGE})
    line = run_summary(hostile)
    assert line.endswith(f" · {apple_run.n_tokens} tokens · 6 layers × 12 heads")
    assert_shown_as_text(line, IMAGE)
