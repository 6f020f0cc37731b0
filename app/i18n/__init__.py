"""The interface in the user's language: t(key, **values) looks a string up in the table of the language chosen in
the sidebar (English or Simplified Chinese) and fills in its {placeholders}.

    from app.i18n import t
    st.subheader(t("attn.one_head"))                                  # "One head" / "单个注意力头"
    st.caption(t("attn.token_caption", token=plain(run.tokens[i])))   # user text escaped by the caller, as ever

Every string a page shows lives in app/i18n/en.py and app/i18n/zh.py under the same key (tests/app/test_i18n.py
checks that both tables have the same keys and placeholders). A key that is in neither is a bug: t() raises
KeyError naming it, so every page test (run in both languages) fails loudly instead of showing a raw key.
Keys are grouped by a prefix per page or part ("sidebar.", "attn.", "qkv.", "walk.", ...); every page, the
walkthrough included, takes all its strings from the tables.

A lookup is two dict reads (the language from st.session_state, then the string): no file is read after import.

What the library says (its error messages and notes, in English: explorer/ knows no languages) is translated on its
way to the page by said(), gettext-style through the templates of zh.MESSAGES (see app/i18n/templates.py):

    st.error(plain(said(err)))      # "Model folder '/data/x' does not exist. …" -> "模型文件夹 '/data/x' 不存在。…"
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from string import Formatter

import streamlit as st

from app.i18n import en, zh
from app.i18n.templates import Templates

LANGUAGES = {"en": "English", "zh": "简体中文"}  # code -> the language's own name (the switch's options)
DEFAULT_LANGUAGE = "en"
LANGUAGE_KEY = "sidebar_language"  # the sidebar's remembered widget that chooses the language
TABLES: dict[str, dict[str, str]] = {"en": en.STRINGS, "zh": zh.STRINGS}


def language() -> str:
    """The code of the interface language now chosen ("en" until the sidebar's switch says otherwise)."""
    code = st.session_state.get(LANGUAGE_KEY, DEFAULT_LANGUAGE)
    return code if code in TABLES else DEFAULT_LANGUAGE


def t(key: str, /, **values: object) -> str:
    """The string `key` in the current language, its {placeholders} filled from `values` (str.format rules: a
    literal brace is written {{ or }} in the tables). Raises KeyError for a key the tables do not have."""
    table = TABLES[language()]
    try:
        text = table[key]
    except KeyError:
        raise KeyError(f"No interface string {key!r} in app/i18n/{language()}.py: add it to en.py and zh.py.") from None
    return text.format(**values) if values else text.format()


def names(prefix: str, options: Iterable, /, **values: object) -> dict:
    """{option: t(prefix + str(option), **values)} for a widget's options, in the current language:

        st.radio(t("attn.colour_by"), ["attn", "scores"], format_func=names("attn.value.", ["attn", "scores"]).get)

    A dict made when the widget is drawn, not a function that looks the language up when called: Streamlit (and
    AppTest) may call format_func again later, and must get the names the widget was drawn with."""
    return {option: t(f"{prefix}{option}", **values) for option in options}


def placeholders(text: str) -> set[str]:
    """The names of a table string's {placeholders} ("{n} tokens" -> {"n"}; format specs and {{ }} ignored)."""
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in Formatter().parse(text) if name}


class Messages(Templates):
    """The library's messages in one language: Templates with two additions for messages the library builds from
    pieces.

    - A placeholder named said_… holds a piece the library wrote itself (the "The token limit" of "The token
      limit must be at least 2."): its value is translated by the same table, where every other placeholder's
      value is carried over as it is (the user's folders, tokens, words). Of several templates that match, the
      first whose pieces all translate wins.
    - A text made of sentences that each have a template (unknown_note joins the sentences of a run's text and of
      its target, and a suggestion after each) is translated sentence by sentence, joined with `joiner`. This is
      tried first: a template that starts with a placeholder would otherwise take in the sentences before it.
    """

    def __init__(self, table: dict[str, str], joiner: str = " ") -> None:
        super().__init__(table)
        self.joiner = joiner

    def __call__(self, text: str) -> str:
        if not self:
            return text
        whole = self._sentences(text)
        if whole is None:
            whole, _ = self.translate(text)
        return text if whole is None else whole

    def translate(self, text: str) -> tuple[str | None, bool]:
        """(translation of the whole of `text`, whether its said_ pieces all translated); (None, False) when no
        template matches."""
        hit = self.exact.get(text)
        if hit is not None:
            return hit, True
        partial = None  # the first match with a piece left in English, in case no template does better
        for pattern, target in self.patterns:
            found = pattern.fullmatch(text)
            if found is None:
                continue
            values, complete = found.groupdict(), True
            for name, value in values.items():
                if name.startswith(PIECE):
                    piece, whole = self.translate(value)
                    complete = complete and whole
                    values[name] = value if piece is None else piece
            if complete:
                return target.format(**values), True
            partial = partial or target.format(**values)
        return partial, False

    def _sentences(self, text: str) -> str | None:
        """`text` translated as sentences that end in ". " and each translate completely, or None. Every full stop
        is tried as an end in turn: one inside a sentence ("e.g. xlm-roberta") ends nothing."""
        ends = [i + 1 for i in range(len(text) - 1) if text[i] == "." and text[i + 1] == " "]
        if not ends:
            return None
        found: dict[int, str | None] = {len(text): ""}  # start -> the rest from there translated (memo)

        def rest(start: int) -> str | None:
            if start not in found:
                found[start] = None
                for end in [e for e in ends if e > start] + [len(text)]:
                    head, whole = self.translate(text[start:end])
                    if whole and (tail := rest(min(end + 1, len(text)))) is not None:
                        found[start] = head + (self.joiner + tail if tail else "")
                        break
            return found[start]

        return rest(0)


PIECE = "said_"  # the prefix of a placeholder whose value is a piece of the library's own text (see Messages)
SAID: dict[str, Messages] = {"en": Messages({}), "zh": Messages(zh.MESSAGES, joiner="")}  # English is the key


def said(value: object) -> str:
    """What the library said (an ExplorerError, or a message or note it returned) in the current interface
    language; English, or anything no template of zh.MESSAGES matches, comes back as str(value). Escape the result
    for markdown as ever: st.error(plain(said(err)))."""
    return _said(language(), str(value))


@lru_cache(maxsize=512)
def _said(code: str, text: str) -> str:
    return SAID[code](text)
