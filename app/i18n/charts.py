"""The words inside charts (titles, axis and legend titles, tooltip names) in the interface language.

The library draws its charts in English (explorer.views has no notion of a language: the CLI, notebooks and
exports use it as it is). The app translates a chart's Vega-Lite spec on its way to the page, the way gettext
works: the English text is the key, and each language's table (`CHARTS` in app/i18n/zh.py) maps an English
template to its translation. A template's {placeholders} stand for the parts that vary (a head's name, a count,
a token the user typed), which are carried over unchanged:

    "{head}: queries {q0}–{q1} × keys {k0}–{k1}, exact": "{head}：查询 {q0}–{q1} × 键 {k0}–{k1}，精确值"

    translated_spec(spec, "zh")   # a copy of the spec with every "title" translated; the data is shared, not copied
    phrase("key (attended to)", "zh")  ->  "键（被关注的词元）"

Text with no template stays English (tests/app/test_chart_words.py draws every page in Chinese and fails on any
English word left in a chart). A placeholder's value is never translated itself: it may be the user's own text.
"""

from __future__ import annotations

import re
from functools import cache
from string import Formatter

from app.i18n import en, zh

TABLES: dict[str, dict[str, str]] = {"en": {}, "zh": zh.CHARTS}  # English is the key: nothing to translate
assert en.STRINGS  # the same languages as the interface's tables


def translated_spec(spec: dict, code: str) -> dict:
    """A copy of a Vega-Lite spec with every title (chart, axis, legend, tooltip, facet header) in language
    `code`. Only the dicts and lists on the way to a title are copied; datasets are passed on as they are."""
    if not TABLES.get(code):
        return spec
    return _translate(spec, code)


def phrase(text: str, code: str) -> str:
    """`text` in language `code` when a template of its table matches the whole text, else `text` unchanged."""
    exact, patterns = _compiled(code)
    hit = exact.get(text)
    if hit is not None:
        return hit
    for pattern, target in patterns:
        found = pattern.fullmatch(text)
        if found:
            return target.format(**found.groupdict())
    return text


def _translate(node, code: str):
    if isinstance(node, dict):
        out = {}
        for name, value in node.items():
            if name in ("datasets", "data", "values"):
                out[name] = value
            elif name in ("title", "subtitle", "text") and isinstance(value, str | list):  # "text": of a title
                out[name] = _title(value, code)
            else:
                out[name] = _translate(value, code)
        return out
    if isinstance(node, list):
        return [_translate(item, code) for item in node]
    return node


def _title(value: str | list, code: str) -> str | list:
    """A title is a string or a list of lines."""
    if isinstance(value, str):
        return phrase(value, code)
    return [phrase(line, code) if isinstance(line, str) else line for line in value]


@cache
def _compiled(code: str) -> tuple[dict[str, str], list[tuple[re.Pattern, str]]]:
    """(templates without placeholders, [(regex, translation)] longest template first: the most specific wins)."""
    exact: dict[str, str] = {}
    patterns: list[tuple[int, re.Pattern, str]] = []
    for source, target in TABLES[code].items():
        parts = list(Formatter().parse(source))
        if all(name is None for _, name, _, _ in parts):
            exact[source.replace("{{", "{").replace("}}", "}")] = target
            continue
        regex = "".join(
            re.escape(literal) + (f"(?P<{name}>.+?)" if name is not None else "") for literal, name, _, _ in parts
        )
        patterns.append((len(source), re.compile(regex, re.DOTALL), target))
    patterns.sort(key=lambda item: -item[0])
    return exact, [(pattern, target) for _, pattern, target in patterns]
