"""English text the library wrote, in another language, the way gettext works: the English is the key.

A table maps an English template to its translation. A template's {placeholders} stand for the parts that vary
(a head's name, a count, a folder or a token the user typed); they are carried over unchanged, never translated
themselves (they may be the user's own text):

    titles = Templates({"{head}: queries {q0}–{q1}, exact": "{head}：查询 {q0}–{q1}，精确值"})
    titles("L3 H7: queries 0–47, exact")  ->  "L3 H7：查询 0–47，精确值"
    titles("no template matches this")     ->  "no template matches this"   (unchanged)

Used for the words inside charts (app/i18n/charts.py, zh.CHARTS) and the library's messages and notes shown in
the interface (app.i18n.said, zh.MESSAGES).
"""

from __future__ import annotations

import re
from string import Formatter


class Templates:
    """A translation table of English templates; calling it translates one whole text (else returns it as is)."""

    def __init__(self, table: dict[str, str]) -> None:
        self.exact: dict[str, str] = {}
        patterns: list[tuple[int, re.Pattern, str]] = []
        for source, target in table.items():
            parts = list(Formatter().parse(source))
            if all(name is None for _, name, _, _ in parts):
                self.exact[source.replace("{{", "{").replace("}}", "}")] = target
                continue
            regex = "".join(
                re.escape(literal) + (f"(?P<{name}>.+?)" if name is not None else "") for literal, name, _, _ in parts
            )
            patterns.append((len(source), re.compile(regex, re.DOTALL), target))
        patterns.sort(key=lambda item: -item[0])  # the longest template first: the most specific one wins
        self.patterns = [(pattern, target) for _, pattern, target in patterns]

    def __call__(self, text: str) -> str:
        hit = self.exact.get(text)
        if hit is not None:
            return hit
        for pattern, target in self.patterns:
            found = pattern.fullmatch(text)
            if found:
                return target.format(**found.groupdict())
        return text

    def __bool__(self) -> bool:
        return bool(self.exact or self.patterns)
