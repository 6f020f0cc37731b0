"""The words inside charts (titles, axis and legend titles, tooltip names) in the interface language.

The library draws its charts in English (explorer.views has no notion of a language: the CLI, notebooks and
exports use it as it is). The app translates a chart's Vega-Lite spec on its way to the page, gettext-style
(app/i18n/templates.py): `CHARTS` in app/i18n/zh.py maps each English title template to its translation.

    translated_spec(spec, "zh")        # a copy with every title translated; the data is shared, not copied
    phrase("key (attended to)", "zh")  ->  "键（被关注的词元）"

Text with no template stays English (tests/app/test_chart_words.py draws the pages in Chinese and fails on any
English word left in a chart).
"""

from __future__ import annotations

from app.i18n import zh
from app.i18n.templates import Templates

TABLES: dict[str, Templates] = {"en": Templates({}), "zh": Templates(zh.CHARTS)}  # English is the key


def translated_spec(spec: dict, code: str) -> dict:
    """A copy of a Vega-Lite spec with every title (chart, axis, legend, tooltip, facet header) in language
    `code`. Only the dicts and lists on the way to a title are copied; datasets are passed on as they are."""
    if not TABLES.get(code):
        return spec
    return _translate(spec, TABLES[code])


def phrase(text: str, code: str) -> str:
    """`text` in language `code` when a template of its table matches the whole text, else `text` unchanged."""
    return TABLES[code](text) if code in TABLES else text


def _translate(node, table: Templates):
    if isinstance(node, dict):
        out = {}
        for name, value in node.items():
            if name in ("datasets", "data", "values"):
                out[name] = value
            elif name in ("title", "subtitle", "text") and isinstance(value, str):  # "text": of a title
                out[name] = table(value)
            elif name in ("title", "subtitle") and isinstance(value, list):  # a title of several lines
                out[name] = [table(line) if isinstance(line, str) else line for line in value]
            else:
                out[name] = _translate(value, table)
        return out
    if isinstance(node, list):
        return [_translate(item, table) for item in node]
    return node
