"""User text shown as text: plain() escapes a string so that Streamlit's markdown renders it literally.

st.error, st.warning, st.info, st.caption, st.markdown, st.spinner, st.toast, headings, widget labels and help=
all render GitHub-flavoured markdown (plus Streamlit's :colour[...] and $math$), and Streamlit has no plain-text
switch for them. A folder path, a model name, a sense name, a typed sentence or a token can hold
`![x](http://elsewhere/x.png)`, which the browser would fetch, or a link, a heading, HTML. Every such string,
and every exception message (they quote what the user typed), goes through plain() before it meets markdown:

    st.error(plain(err))
    st.caption(f"How much “{plain(token)}” attends to each key")

Tables (st.dataframe) and charts show their cells as text already: never escape those (the backslashes would show).
"""

from __future__ import annotations

import re

# Every ASCII punctuation mark that starts or ends a markdown, GFM or Streamlit construct (CommonMark lets any
# ASCII punctuation be backslash-escaped, and an escaped mark renders as itself): emphasis * _ ~, code `, links
# and images ! [ ] ( ), autolinks and HTML < > &, headings #, lists + -, tables |, math $, directives :,
# setext lines =, e-mail autolinks @, and \ itself.
_SPECIAL = re.compile(r"[\\`*_{}\[\]()<>&#+\-!|~$:=@^]")
# A dot matters only in "1." (an ordered list) and in domains ("www.x.org"): escape it before a word character or
# after a digit, so that a sentence's full stop stays readable in the raw string.
_DOT = re.compile(r"(?<=[0-9])\.|\.(?=[\w-])")
_LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")  # one line: no user text can start a block (heading, list, code)
_INDENT = re.compile(r"^[ \t]+")  # four leading spaces would make a code block; markdown shows them as one anyway


def plain(value: object) -> str:
    """str(value) escaped for markdown: it renders as exactly its characters (line breaks and a leading indent
    become one space, as markdown would show them)."""
    text = _INDENT.sub(" ", _LINE_BREAKS.sub(" ", str(value)))
    text = _SPECIAL.sub(lambda m: "\\" + m.group(), text)
    return _DOT.sub(r"\\.", text)
