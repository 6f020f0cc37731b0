"""Formula-safe CSV cells: text that a spreadsheet would run as a formula gets a leading ' (and can be read back).

A cell that opens in Excel, LibreOffice or Google Sheets as `=HYPERLINK(...)`, `+cmd|' /C calc'!A0`, `-2+3` or
`@SUM(...)` is a formula, not text: tokens, sentences and sense names come from what a user typed, so every CSV
the project writes passes its text cells through `neutralise_formula`, which prefixes a single quote (the
spreadsheets' own "this is text" mark, OWASP's advice for CSV injection). Numbers are never touched: a float
column stays numeric, and a text cell that is a plain number ("-0.25", "+1e-3") is no formula either.

    neutralise_formula("=1+1")  -> "'=1+1"        restore_formula("'=1+1") -> "=1+1"
    neutralise_formula("'=1")   -> "''=1"         (one more quote, so that restore_formula gives "'=1" back)
    neutralise_formula("-")     -> "-"            (one character is never a formula: hyphen tokens stay as they are)
    neutralise_frame(table)                       a DataFrame with its text cells (and text headers) neutralised
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

FORMULA_STARTS = "=+-@"  # what a spreadsheet reads as the start of a formula (after leading spaces)
CONTROL_STARTS = "\t\r"  # tab and carriage return: some importers drop them and then read a formula
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def neutralise_formula(text: str) -> str:
    """`text` as a CSV cell that no spreadsheet runs: a leading ' when it would start a formula, else unchanged.

    Text that already starts with ' before a formula ("'=1") gets one more, so restore_formula gives it back exactly
    (and a spreadsheet shows it as typed: it hides one leading ').
    """
    return "'" + text if _formula_like(text) or (text[:1] == "'" and _formula_like(text.lstrip("'"))) else text


def restore_formula(cell: str) -> str:
    """The inverse of neutralise_formula, for a cell read back from our CSV: "'=1+1" -> "=1+1"; others as they are."""
    if cell[:1] == "'" and neutralise_formula(cell[1:]) == cell:
        return cell[1:]
    return cell


def _formula_like(text: str) -> bool:
    if text[:1] and text[0] in CONTROL_STARTS:
        return True
    core = text.lstrip(" ")
    return len(core) > 1 and core[0] in FORMULA_STARTS and not _PLAIN_NUMBER.fullmatch(core)


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every text cell and text column name passed through neutralise_formula (numbers untouched);
    the same object when nothing needed it."""
    import pandas as pd

    out = frame
    for i in range(frame.shape[1]):
        column = frame.iloc[:, i]
        if not (column.dtype == object or isinstance(column.dtype, pd.CategoricalDtype | pd.StringDtype)):
            continue  # numbers, booleans, dates: never a formula
        values = column.cat.categories if isinstance(column.dtype, pd.CategoricalDtype) else column.unique()
        changes = {v: neutralise_formula(v) for v in values if isinstance(v, str) and neutralise_formula(v) != v}
        if not changes:
            continue
        out = out.copy() if out is frame else out
        if isinstance(column.dtype, pd.CategoricalDtype):  # N² token cells: rename the few categories
            out.isetitem(i, column.cat.rename_categories(changes))  # one-to-one, as restore_formula undoes it
        else:
            cells = [changes.get(v, v) if isinstance(v, str) else v for v in column]
            out.isetitem(i, pd.Series(cells, index=column.index, dtype=object))
    headers = [neutralise_formula(c) if isinstance(c, str) else c for c in frame.columns]
    if headers != list(frame.columns):
        out = out.copy() if out is frame else out
        out.columns = headers
    return out
