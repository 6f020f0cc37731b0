"""app/safe.py: plain() makes any user string render as exactly its characters (no image, link, HTML or format)."""

from __future__ import annotations

import pytest

from app.safe import plain
from tests.support.markdown import has_media_or_links, render, shows_as_text

HOSTILE = [
    "![x](http://evil.test/x.png)",
    "/home/me/models/![x](https://evil.test/p.png)/bert",
    '<img src="http://evil.test/x.png" onerror="alert(1)">',
    "[click](javascript:alert(1))",
    "<http://evil.test> www.evil.test me@evil.test",
    "&lt;b&gt; &#x3C;script&#x3E;",
    "**bold** _it_ `code` ~~gone~~ $x^2$ :red[red] :material/home:",
    "# heading",
    "1. first",
    "- item",
    "> quote",
    "| a | b |",
    "trailing backslash \\",
    "C:\\Users\\me\\model",
    "[ref]: http://evil.test/x.png",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_renders_as_itself(text):
    escaped = plain(text)
    assert not has_media_or_links(escaped), render(escaped)
    assert shows_as_text(escaped, text), render(escaped)


@pytest.mark.parametrize("text", HOSTILE)
def test_escaped_text_stays_text_inside_our_own_markdown(text):
    """Between our bold marks and after our words, as the pages use it: still no image, link or tag of its own."""
    body = f"**{plain('bank')}** · {plain(text)} (3) vs money (3)"
    out = render(body)
    assert "<img" not in out and "<a " not in out
    assert out.count("<strong>") == 1


def test_line_breaks_and_indents_cannot_start_a_block():
    for text, seen in [
        ("fine\n# heading", "fine # heading"),
        ("a\n===", "a ==="),
        ("    indented code", " indented code"),
        ("\tx", " x"),
    ]:
        assert shows_as_text(plain(text), seen.strip()), render(plain(text))


def test_plain_words_and_full_stops_are_left_readable():
    assert plain("I swam in the lake.") == "I swam in the lake."
    assert plain("river") == "river"
    assert plain(ValueError("The folder x does not exist.")) == "The folder x does not exist."
    assert plain("3.14 and www.x.org") == "3\\.14 and www\\.x\\.org"  # a dot inside a number or a domain is escaped
