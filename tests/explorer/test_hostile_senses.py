"""Hostile sense sets: too many rows, too many permutations, numbers that are not whole, duplicate sentences,
invalid characters; and target words in scripts written without spaces (Chinese)."""

from __future__ import annotations

import time
from types import SimpleNamespace

import numpy as np
import pytest

import explorer
from explorer import ExplorerError
from explorer.analysis.senses import (
    MAX_SENTENCES,
    Duplicate,
    collect_targets,
    find_target,
    parse_sense_csv,
    sets_from_text,
)
from explorer.subspaces import MAX_SCORING_STEPS, check_scoring, sense_separation
from tests.support.tiny_models import make_chinese

FRUIT = ["我吃了一个苹果。", "苹果很甜。", "她买了三个红苹果。"]
BRAND = ["苹果公司发布了新手机。", "我用苹果电脑工作。", "苹果的股票涨了。"]
# A model with no forward pass: whatever reaches it before the refusal would fail the test.
STAND_IN = SimpleNamespace(name="stand-in", n_layers=32, n_heads=32, d_head=128, d_model=4096, kind="decoder")


@pytest.fixture(scope="module")
def tiny(tiny_dirs):
    return explorer.load_model(str(tiny_dirs["bert"]))


@pytest.fixture(scope="module")
def chinese(tmp_path_factory):
    """A tiny random BERT whose vocabulary holds the characters of FRUIT and BRAND (one token a character)."""
    return explorer.load_model(str(make_chinese(tmp_path_factory.mktemp("tiny-chinese"), tuple(FRUIT + BRAND))))


# --- size limits ------------------------------------------------------------------------------------------------------


def test_a_ten_thousand_row_csv_is_refused_at_once_naming_the_limit():
    rows = "".join(f"I ate apple number {i}.,{'fruit' if i % 2 else 'brand'},apple\n" for i in range(10_000))
    t0 = time.perf_counter()
    with pytest.raises(ExplorerError) as err:
        parse_sense_csv("sentence,sense,target\n" + rows)
    assert time.perf_counter() - t0 < 2
    assert f"The set has 10,000 sentences, more than the {MAX_SENTENCES} one sense set may hold" in str(err.value)


def test_a_huge_csv_file_is_refused_before_it_is_decoded():
    with pytest.raises(ExplorerError, match=r"The CSV file is too big \(5,000,001 bytes\): a sense set holds at most"):
        parse_sense_csv(b"x" * 5_000_001)


def test_typed_and_library_sets_have_the_same_limit():
    many = "\n".join(f"apple {i}" for i in range(MAX_SENTENCES))
    with pytest.raises(ExplorerError, match="The set has 501 sentences"):
        sets_from_text("apple", [("a", many), ("b", "apple x")])
    contexts = {"a": [f"apple {i}" for i in range(5_000)], "b": [f"apple {i}" for i in range(5_000)]}
    with pytest.raises(ExplorerError, match="The set has 10,000 sentences"):
        collect_targets(STAND_IN, "apple", contexts)  # refused before the stand-in model is touched
    with pytest.raises(ExplorerError, match="The set has 10,000 sentences"):
        sense_separation(STAND_IN, "apple", contexts)


def test_a_test_too_big_to_finish_is_refused_before_any_run():
    contexts = {"a": [f"apple {i}" for i in range(200)], "b": [f"apple {i}" for i in range(200)]}
    with pytest.raises(ExplorerError) as err:
        sense_separation(STAND_IN, "apple", contexts, n_permutations=20_000)  # no forward pass: it is refused first
    message = str(err.value)
    assert "Testing 400 sentences in 1057 heads and hidden states with 20,000 label shuffles" in message
    assert f"more than the {MAX_SCORING_STEPS:.0e} one test may take (about a minute): use at most 294 label" in message
    with pytest.raises(ExplorerError, match="use at most 485 sentences"):  # even 200 shuffles are too many
        check_scoring(500, 1057, 2, 1000)
    with pytest.raises(ExplorerError, match="use at most 3,954 label shuffles"):  # MiniLM: 72 heads, 7 states
        check_scoring(400, 72 + 7, 2, 10_000)
    check_scoring(20, 72 + 7, 2, 100_000)  # a built-in set with the most shuffles is fine


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"n_permutations": 10**6}, "The number of label shuffles must be at most 100,000 (1,000,000 was given)."),
        ({"n_permutations": 2.5}, "The number of label shuffles must be a whole number, not 2.5."),
        ({"n_permutations": float("nan")}, "must be a whole number, not nan."),
        ({"n_permutations": True}, "must be a whole number, not True."),
        ({"n_permutations": 199}, "The number of label shuffles must be at least 200."),
        ({"seed": -1}, "The seed must be at least 0."),
        ({"seed": 1.5}, "The seed must be a whole number, not 1.5."),
        ({"max_tokens": float("inf")}, "The token limit must be a whole number, not inf."),
    ],
)
def test_numbers_that_are_not_whole_are_refused(tiny, options, message):
    contexts = {"fruit": ["apple pie", "apple juice"], "brand": ["apple iphone", "an apple iphone"]}
    with pytest.raises(ExplorerError) as err:
        sense_separation(tiny, "apple", contexts, **options)
    assert message in str(err.value)


# --- duplicates and characters ----------------------------------------------------------------------------------------


def test_duplicate_sentences_are_reported_and_the_result_flagged(tiny):
    ss = parse_sense_csv(
        "sentence,sense,target\napple pie,fruit,apple\napple juice,fruit,apple\nApple  pie,fruit,apple\n"
        "apple iphone,brand,apple\nan apple iphone,brand,apple\napple juice,brand,apple\n"
    )
    assert ss.duplicates == [Duplicate("apple pie", ("fruit", "fruit")), Duplicate("apple juice", ("fruit", "brand"))]
    res = sense_separation(tiny, ss.target, ss.contexts, n_permutations=200)
    assert res.duplicates == ss.duplicates
    (warning,) = res.warnings
    assert warning.startswith("2 sentence(s) appear more than once (ignoring case and spacing): “apple pie” (fruit,")
    assert "remove the copies" in warning
    clean = sense_separation(
        tiny,
        "apple",
        {"fruit": ["apple pie", "apple juice"], "brand": ["apple iphone", "an apple iphone"]},
        n_permutations=200,
    )
    assert clean.duplicates == [] and clean.warnings == []


def test_one_string_instead_of_a_list_of_sentences_is_a_caller_mistake():
    with pytest.raises(ValueError, match="maps each sense to a list of sentences, not to one string"):
        collect_targets(STAND_IN, "apple", {"a": "apple pie", "b": "apple juice"})


def test_invalid_characters_in_sentences(tiny):
    with pytest.raises(
        ExplorerError, match=r"The sentence 1 of the sense “a” holds an invalid character at position 6 \(U\+D83C"
    ):
        collect_targets(tiny, "apple", {"a": ["apple \ud83c pie", "apple juice"], "b": ["apple x", "apple y"]})
    with pytest.raises(ExplorerError, match="The target word holds an invalid character"):
        sets_from_text("apple\udcff", [("a", "apple"), ("b", "apple")])
    samples = collect_targets(tiny, "apple", {"a": ["apple\x00pie", "apple juice"], "b": ["apple x", "apple\x1by"]})
    assert samples.sentences == ["apple pie", "apple juice", "apple x", "apple y"]


# --- target words in scripts without spaces --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "target", "span"),
    [
        ("我吃了一个苹果。", "苹果", (5, 7)),
        ("リンゴを食べた", "リンゴ", (0, 3)),
        ("ฉันกินแอปเปิ้ล", "แอปเปิ้ล", (6, 14)),
        ("我买了apple手机", "apple", (3, 8)),  # a spaced-script word inside Chinese is still a word
        ("我吃了一个梨。", "苹果", None),
    ],
)
def test_targets_in_scripts_without_spaces_are_found(sentence, target, span):
    assert find_target(sentence, target) == span


def test_a_chinese_target_is_matched_and_mapped_to_its_tokens(chinese):
    ss = sets_from_text("苹果", [("fruit", "\n".join(FRUIT)), ("brand", "\n".join(BRAND))])
    res = sense_separation(chinese, ss.target, ss.contexts, n_permutations=200)
    s = res.samples
    assert s.words == ["苹果"] * 6 and s.n_pieces == [2] * 6  # one token a character
    assert s.context_words[0] == ["[CLS]", "[SEP]", "我", "吃", "了", "一", "个", "苹果", "。"]
    assert s.context_kind[0].tolist() == [2, 2, 0, 0, 0, 0, 0, 3, 1]
    run = explorer.extract(chinese, FRUIT[0])
    pieces = [run.tokens.index("苹"), run.tokens.index("果")]
    np.testing.assert_allclose(s.vectors["v"][0], run.v[:, :, pieces].mean(axis=2), rtol=1e-5, atol=1e-6)
    assert res.scores.shape == (2, 4) and np.isfinite(res.scores).all()
    assert "苹果" not in set(res.attends_to(0, 0)["word"])  # the target's own pieces are left out
