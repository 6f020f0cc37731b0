"""What a markdown string renders to, for tests that check user text shows as text (app.safe.plain).

markdown-it-py is a CommonMark reference implementation (installed with transformers, through rich); with tables and
strikethrough on it covers the block and inline constructs GitHub-flavoured markdown adds that matter here.
"""

from __future__ import annotations

import html
import re

from markdown_it import MarkdownIt

_MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def render(markdown: str) -> str:
    """The HTML a CommonMark renderer makes of `markdown`."""
    return _MD.render(markdown)


def shows_as_text(markdown: str, text: str) -> bool:
    """True when `markdown` renders to one paragraph with no tag but <p>, reading exactly `text`."""
    out = render(markdown).strip()
    if not (out.startswith("<p>") and out.endswith("</p>")):
        return False
    inner = out[3:-4]
    return "<" not in inner and html.unescape(inner) == text


def has_media_or_links(markdown: str) -> bool:
    """True when `markdown` renders an image, a link or any HTML tag but the paragraph's."""
    return (
        re.search(r"<(img|a|script|iframe|h\d|ul|ol|pre|code|em|strong|table|blockquote)\b", render(markdown))
        is not None
    )
