"""The interface in the user's language: t(key, **values) looks a string up in the table of the language chosen in
the sidebar (English or Simplified Chinese) and fills in its {placeholders}.

    from app.i18n import t
    st.subheader(t("attn.one_head"))                                  # "One head" / "单个注意力头"
    st.caption(t("attn.token_caption", token=plain(run.tokens[i])))   # user text escaped by the caller, as ever

Every string a page shows lives in app/i18n/en.py and app/i18n/zh.py under the same key (tests/app/test_i18n.py
checks that both tables have the same keys and placeholders). A key that is in neither is a bug: t() raises
KeyError naming it, so every page test (run in both languages) fails loudly instead of showing a raw key.
Keys are grouped by a prefix per page or part ("sidebar.", "attn.", "qkv.", ...); "walk." is kept for
pages/walkthrough.py, whose strings move into the tables in a later session.

A lookup is two dict reads (the language from st.session_state, then the string): no file is read after import.
"""

from __future__ import annotations

from collections.abc import Iterable
from string import Formatter

import streamlit as st

from app.i18n import en, zh

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
