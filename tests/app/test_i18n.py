"""The interface's string tables (app/i18n): the same keys and placeholders in every language, every key the app
asks for present, lookups that fail loudly, and English that says exactly what app/state.py and the library say."""

from __future__ import annotations

import re
import unicodedata

import pytest

import app.i18n
from app.i18n import TABLES, names, placeholders, t
from tests.support import REPO

# Files whose strings come from the tables.
SOURCES = [
    "streamlit_app.py",
    "app/sidebar.py",
    "app/i18n/phrases.py",
    "pages/attention.py",
    "pages/compare.py",
    "pages/qkv.py",
    "pages/subspaces.py",
    "pages/export.py",
    "pages/walkthrough.py",
]
# Strings that are rightly the same in both languages: the bilingual label of the switch itself, a separator, and
# example sentences typed in English (the bundled model reads English).
SAME_IN_BOTH = {"sidebar.language", "subspaces.vs", "subspaces.sense_placeholder"}


@pytest.fixture
def chinese(monkeypatch):
    monkeypatch.setattr(app.i18n, "language", lambda: "zh")


def test_every_language_has_the_same_keys():
    en = set(TABLES["en"])
    for code, table in TABLES.items():
        assert set(table) == en, (code, sorted(set(table) ^ en))


def test_every_string_has_the_same_placeholders_in_every_language():
    for key, text in TABLES["en"].items():
        for code, table in TABLES.items():
            assert placeholders(table[key]) == placeholders(text), (code, key)


def test_every_string_can_be_filled_in():
    """Each string formats with a number for every placeholder (format specs such as {share:.1%} included), and
    a string without placeholders has no stray brace."""
    for code, table in TABLES.items():
        for key, text in table.items():
            filled = text.format(**dict.fromkeys(placeholders(text), 1.5))
            assert "{" not in filled and "}" not in filled, (code, key, filled)


def test_chinese_strings_are_translated():
    """Every Chinese string but a few differs from the English and has Chinese in it: no English copy was left."""
    for key, text in TABLES["zh"].items():
        if key not in SAME_IN_BOTH:
            assert text != TABLES["en"][key], key
            assert any(unicodedata.east_asian_width(c) in "WF" for c in text), key


def test_every_key_the_app_asks_for_exists():
    """Every t("...") and names("...") in the app's source names a key (or a prefix of keys) in the tables."""
    keys = set(TABLES["en"])
    asked = 0
    for source in SOURCES:
        text = (REPO / source).read_text(encoding="utf-8")
        for literal in re.findall(r'\bt\(\s*"([^"]+)"', text):
            assert literal in keys, (source, literal)
            asked += 1
        for prefix in re.findall(r'\bt\(\s*f"([^"{]+)\{', text) + re.findall(r'\bnames\(\s*"([^"]+)"', text):
            assert any(k.startswith(prefix) for k in keys), (source, prefix)
        for a, b in re.findall(r'\bt\(\s*"([^"]+)" if .+? else "([^"]+)"', text):
            assert a in keys and b in keys, (source, a, b)
    assert asked > 150


def test_lookups_use_the_chosen_language(chinese):
    assert t("nav.qkv") == "Q/K/V 向量"
    assert t("summary.tokens", n=24) == "24 个词元"
    assert names("attn.value.", ["attn", "scores"]) == {"attn": "权重（softmax 之后）", "scores": "原始分数 q·k/√d"}


def test_english_is_the_default():
    assert t("nav.qkv") == "Q/K/V vectors"
    assert t("sidebar.run_tokens", n=7) == "7 tokens in this run."


def test_a_missing_key_fails_loudly(chinese):
    with pytest.raises(KeyError, match="no.such.key"):
        t("no.such.key")
    with pytest.raises(KeyError):  # a placeholder the caller forgot
        t("summary.tokens")


def test_english_names_are_the_librarys_own():
    """The tables' English for kinds, spaces and formats is what app.state and the library call them."""
    from app.state import KIND_MEANINGS, KIND_NAMES
    from explorer.analysis.senses import SPACE_NAMES
    from explorer.io.selection import FORMAT_LABELS

    en = TABLES["en"]
    assert {k: en[f"kind.{k}"] for k in KIND_NAMES} == KIND_NAMES
    assert {k: en[f"kind_meaning.{k}"] for k in KIND_MEANINGS} == KIND_MEANINGS
    assert {k: en[f"space.{k}"] for k in SPACE_NAMES} == SPACE_NAMES
    assert {k: en[f"format.{k}"] for k in FORMAT_LABELS} == FORMAT_LABELS


def test_run_summary_in_english(apple_run):
    from app.i18n.phrases import run_summary

    assert run_summary(apple_run) == f"all\\-MiniLM\\-L6\\-v2 · {apple_run.n_tokens} tokens · 6 layers × 12 heads"


def test_run_summary_in_chinese(apple_run, chinese):
    from app.i18n.phrases import run_summary

    assert run_summary(apple_run).endswith(f" · {apple_run.n_tokens} 个词元 · 6 层 × 12 个头")
