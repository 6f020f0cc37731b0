"""Hostile text and numbers given to extract() and tokenize(): invalid UTF-8, lone surrogates, control characters,
huge texts, and token limits that are not whole numbers. Each is cleaned or refused with a message."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

import explorer
from explorer import ExplorerError
from explorer.extract import MAX_TEXT_CHARS, clean_text, tokenize


@pytest.fixture(scope="module")
def tiny(tiny_dirs):
    return explorer.load_model(str(tiny_dirs["bert"]))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("the cat \ud800 sat", "The text holds an invalid character at position 8 (U+D800, half of a UTF-16 pair)"),
        ("\udcff\udcfe", "position 0 (U+DCFF"),  # what bytes that are not UTF-8 become in sys.argv
        (b"the \xff cat", "The text is not UTF-8 text (byte 4 cannot be read)"),
        ("a" * (MAX_TEXT_CHARS + 1), f"The text has 1,000,001 characters, more than the {MAX_TEXT_CHARS:,}"),
    ],
    ids=["surrogate", "argv-bytes", "bytes", "huge"],
)
def test_bad_text_is_refused_with_a_message(tiny, text, message):
    with pytest.raises(ExplorerError) as err:
        explorer.extract(tiny, text)
    assert message in str(err.value)


def test_control_characters_become_spaces_and_never_reach_the_tokenizer(tiny, monkeypatch):
    text = "the\x00cat\x1b[31m sat\x07 on\tthe\nmat\x7f\x85"
    seen = []
    real = type(tiny.tokenizer).__call__
    monkeypatch.setattr(type(tiny.tokenizer), "__call__", lambda tok, t, **kw: seen.append(t) or real(tok, t, **kw))
    run = explorer.extract(tiny, text)
    assert run.text == "the cat [31m sat  on\tthe\nmat  "  # one space each: every character keeps its position
    assert seen and all(not any(ord(c) < 32 and c not in "\t\n" for c in t) for t in seen)
    assert "cat" in run.tokens and "mat" in run.tokens
    for token, (a, b), special in zip(run.tokens, run.offsets, run.special):
        assert special or run.text[a:b].strip() == token


def test_utf8_bytes_are_read_as_text(tiny):
    run = explorer.extract(tiny, b"the caf\xc3\xa9 sat")
    assert run.text == "the café sat" and run.tokens == explorer.extract(tiny, "the café sat").tokens


def test_clean_text_keeps_tabs_line_breaks_and_every_script():
    text = "tab\there\nline\r\n苹果 ภาษาไทย emoji 🍎 é"
    assert clean_text(text) == text


@pytest.mark.parametrize(
    ("limit", "message"),
    [
        (2.5, "The token limit must be a whole number, not 2.5."),
        (math.nan, "must be a whole number, not nan."),
        (math.inf, "must be a whole number, not inf."),
        (-math.inf, "must be a whole number, not -inf."),
        (True, "must be a whole number, not True."),
        ("512", "must be a whole number, not '512'."),
        (None, "must be a whole number, not None."),
        (np.float32(7.5), "must be a whole number"),
        (-3, "The token limit must be at least 2."),
        (0, "The token limit must be at least 2."),
    ],
)
def test_a_token_limit_that_is_not_a_whole_number_is_refused(tiny, limit, message):
    with pytest.raises(ExplorerError) as err:
        explorer.extract(tiny, "the cat sat on the mat", max_tokens=limit)
    assert message in str(err.value)


def test_whole_floats_and_numpy_ints_are_token_limits(tiny):
    assert explorer.extract(tiny, "the cat sat on the mat", max_tokens=4.0).n_tokens == 4
    assert explorer.extract(tiny, "the cat sat on the mat", max_tokens=np.int64(5)).n_tokens == 5
    assert explorer.extract(tiny, "the cat sat on the mat", max_tokens=10**30).n_tokens == 8  # the model's limit
    with pytest.raises(ExplorerError, match="whole number"):
        tokenize(tiny, "the cat", 3.5)


def test_token_ids_past_the_embedding_are_refused_at_extract(tiny):
    """load_model refuses such a tokenizer; a bundle given one anyway still never indexes past the embedding."""
    from transformers import AutoTokenizer

    big = AutoTokenizer.from_pretrained(tiny.source)
    big.add_tokens(["zzlong"] + [f"pad{i}" for i in range(400)])
    bundle = dataclasses.replace(tiny, tokenizer=big)
    assert explorer.extract(bundle, "the cat").tokens[1] == "the"  # ids within the embedding still work
    with pytest.raises(
        ExplorerError, match="The token 'pad399' has id 5[0-9]+, but tiny-bert's embedding has only 320"
    ):
        explorer.extract(bundle, "the pad399 cat")
