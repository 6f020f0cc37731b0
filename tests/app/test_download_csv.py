"""app/downloads.py: a chart's CSV download neutralises text cells a spreadsheet would run as formulas (tokens come
from the user's text), and keeps its numbers, negative ones included, as numbers."""

from __future__ import annotations

import csv
import dataclasses
import io

import numpy as np

from app.downloads import download_files
from explorer.views.attention import attention_frame

HOSTILE = ['=HYPERLINK("http://evil.test","x")', "+cmd|' /C calc'!A0", "@SUM(A1)", "-1+2", "-"]


def test_the_csv_download_of_a_heatmap_is_formula_safe(apple_run):
    tokens = list(apple_run.tokens)
    tokens[1:6] = HOSTILE
    run = dataclasses.replace(apple_run, tokens=tokens)
    (csv_file,) = download_files(None, lambda: attention_frame(run, 1, 3), "attention_L1_H3")
    rows = list(csv.DictReader(io.StringIO(csv_file.make().decode(), newline="")))
    n = run.n_tokens
    queries = [r["query_token"] for r in rows[::n]]
    assert queries[1:6] == ["'" + t for t in HOSTILE[:4]] + ["-"]  # a lone hyphen is no formula
    assert queries[6:] == tokens[6:] and [r["key_token"] for r in rows[:n]] == queries
    scores = np.array([float(r["score"]) for r in rows]).reshape(n, n)
    np.testing.assert_allclose(scores, apple_run.scores[1, 3], rtol=1e-6)
    assert any(r["score"].startswith("-") for r in rows)  # negative numbers are written as numbers, not quoted
