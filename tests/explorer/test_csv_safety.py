"""explorer/csvsafe.py and the CSV writers that use it: a text cell a spreadsheet would run as a formula is written
with a leading ', numbers stay numbers, and our own CSV reads back to the text that was written."""

from __future__ import annotations

import csv
import dataclasses
import io

import numpy as np
import pandas as pd
import pytest

from explorer.analysis.senses import SenseSet, parse_sense_csv
from explorer.csvsafe import neutralise_formula, neutralise_frame, restore_formula
from explorer.io.runfiles import write_attention_csv

FORMULAS = ["=1+1", "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(A1:A9)", "\t=1", "\r=1", "  =1", "=="]
TEXT = ["apple", "-", "+", "=", "@", "", "'", "'apple", "3 apple", "-0.25", "+1e-3", "12", "it's"]


@pytest.mark.parametrize("cell", FORMULAS)
def test_formulas_get_a_quote_and_read_back(cell):
    safe = neutralise_formula(cell)
    assert safe == "'" + cell
    assert restore_formula(safe) == cell


@pytest.mark.parametrize("cell", TEXT)
def test_text_and_numbers_stay_as_they_are(cell):
    assert neutralise_formula(cell) == cell
    assert restore_formula(cell) == cell


def test_a_quote_before_a_formula_gets_one_more_and_reads_back():
    for text in ["'=1", "''=1", "' @x"]:
        assert neutralise_formula(text) == "'" + text
        assert restore_formula(neutralise_formula(text)) == text


def test_a_frame_keeps_its_numbers_and_neutralises_its_text():
    frame = pd.DataFrame(
        {
            "token": pd.Categorical(['=HYPERLINK("http://evil.test")', "apple", "-"]),
            "sentence": ["@SUM(1)", "fine", None],
            "weight": [-0.5, 0.25, -1e-9],
            "shown": ["-0.5000", "+0.2500", "masked (−∞)"],
            "index": [0, -1, 2],
            "=label": ["a", "b", "c"],
        }
    )
    safe = neutralise_frame(frame)
    data = safe.to_csv(index=False)
    rows = list(csv.reader(io.StringIO(data)))
    assert rows[0] == ["token", "sentence", "weight", "shown", "index", "'=label"]
    assert [r[0] for r in rows[1:]] == ['\'=HYPERLINK("http://evil.test")', "apple", "-"]
    assert [r[1] for r in rows[1:]] == ["'@SUM(1)", "fine", ""]
    assert [float(r[2]) for r in rows[1:]] == [-0.5, 0.25, -1e-9]  # numbers unquoted, still negative numbers
    assert [r[3] for r in rows[1:]] == ["-0.5000", "+0.2500", "masked (−∞)"]
    assert [r[4] for r in rows[1:]] == ["0", "-1", "2"]
    assert frame["token"].iloc[0].startswith("=")  # the caller's frame is not changed
    plain = frame[["weight", "index"]]
    assert neutralise_frame(plain) is plain  # nothing to do: the same object, no copy


def hostile_run(run):
    """The run with formula-like tokens at positions 1 to 4 (a tokenizer can give "+=" or "@@" pieces)."""
    tokens = list(run.tokens)
    tokens[1:5] = ['=HYPERLINK("http://evil.test","x")', "+cmd|' /C calc'!A0", "@SUM(A1)", "-"]
    return dataclasses.replace(run, tokens=tokens)


def test_attention_csv_neutralises_its_token_columns(apple_run):
    buf = io.BytesIO()
    write_attention_csv(hostile_run(apple_run), buf, [(0, 0)])
    rows = list(csv.DictReader(io.StringIO(buf.getvalue().decode(), newline="")))
    n = apple_run.n_tokens
    queries = [r["query_token"] for r in rows[::n]]
    assert queries[1:5] == ['\'=HYPERLINK("http://evil.test","x")', "'+cmd|' /C calc'!A0", "'@SUM(A1)", "-"]
    assert [r["key_token"] for r in rows[:n]] == queries
    scores = np.array([float(r["score"]) for r in rows]).reshape(n, n)
    np.testing.assert_allclose(scores, apple_run.scores[0, 0], rtol=1e-6)  # negative scores are plain numbers


def test_sense_set_csv_neutralises_sentences_and_senses_and_reads_back():
    contexts = {
        "=fruit": ["=1+1 apple pie", "An apple a day."],
        "brand": ["@Apple launched a phone.", "-2+3 Apple shares"],
    }
    data = SenseSet("hostile", "apple", contexts).to_csv()
    rows = list(csv.reader(io.StringIO(data)))
    assert rows[1:] == [
        ["'=1+1 apple pie", "'=fruit", "apple"],
        ["An apple a day.", "'=fruit", "apple"],
        ["'@Apple launched a phone.", "brand", "apple"],
        ["'-2+3 Apple shares", "brand", "apple"],
    ]
    assert parse_sense_csv(data).contexts == contexts
