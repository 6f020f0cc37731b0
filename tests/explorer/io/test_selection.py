"""explorer/io/selection.py: formats and index ranges as typed on the command line, and safe file names."""

from __future__ import annotations

import dataclasses
import re

import pytest

from explorer import ExplorerError
from explorer.io.export import plan
from explorer.io.selection import (
    FORMATS,
    format_indices,
    model_slug,
    parse_formats,
    parse_indices,
    safe_stem,
    select,
    slug,
)


@pytest.mark.parametrize(
    ("spec", "want"),
    [(None, list(FORMATS)), ("all", list(FORMATS)), ("npz, CSV", ["csv", "npz"]), ([".png"], ["png"])],
)
def test_parse_formats(spec, want):
    assert parse_formats(spec) == want


def test_unknown_format_names_the_choices():
    with pytest.raises(ExplorerError, match="Unknown format 'pdf': choose from png, svg, csv, json, npz"):
        parse_formats("png,pdf")


@pytest.mark.parametrize(
    ("spec", "want"), [("0,3", [0, 3]), ("1-4", [1, 2, 3, 4]), ("5, 0-1,1", [0, 1, 5]), (None, list(range(6)))]
)
def test_parse_indices(spec, want):
    assert parse_indices(spec, 6) == want
    assert parse_indices(format_indices(want), 6) == want


@pytest.mark.parametrize(
    ("spec", "message"),
    [("6", "Layer 6 does not exist: this model has layers 0 to 5"), ("4-2", "runs backwards"), ("a", "0,3 or 1-4")],
)
def test_bad_indices(spec, message):
    with pytest.raises(ExplorerError, match=message):
        parse_indices(spec, 6, "layer")


def test_file_names_come_only_from_safe_parts(apple_run, tmp_path):
    evil = dataclasses.replace(apple_run, model_name="../../etc/x", meta={"display_name": "../My Model/..\\v2:*"})
    assert model_slug(evil) == "my-model-v2"
    names = [f.name for f in plan(evil, select(evil, "png,svg,csv,json,npz", [0], [1]))]
    assert names == [
        "run.json",
        "run.npz",
        "attention.csv",
        "my-model-v2_all_heads.png",
        "my-model-v2_L00_H01.svg",
        "my-model-v2_L00_H01.png",
    ]
    assert all(re.fullmatch(r"[A-Za-z0-9_-]+\.[a-z]+", n) for n in names)
    assert safe_stem("attn L3/H7: ../x") == "attn-L3-H7-x"
    assert slug("...") == "model"


@pytest.mark.parametrize(
    ("spec", "count", "message"),
    [
        ("0-99999999999", 6, "Layer 99,999,999,999 does not exist: this model has layers 0 to 5"),
        ("0-99999999999", None, "no model has 99,999,999,999 layers"),  # bounded before range() is expanded
        ([2.5], 6, "whole number, not 2.5"),
        ([True], 6, "whole number, not True"),
        ([float("inf")], 6, "whole number, not inf"),
        ("1," * 6000, 6, "characters: give ranges"),
    ],
)
def test_index_ranges_are_bounded_and_whole_before_any_work(spec, count, message):
    with pytest.raises(ExplorerError, match=message):  # (a range used to be expanded first: 1e11 numbers)
        parse_indices(spec, count)
