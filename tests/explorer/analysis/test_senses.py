"""explorer/analysis/senses.py: target matching, sense sets (built-in, CSV, typed), and collecting the target's
vectors from every sentence."""

from __future__ import annotations

import numpy as np
import pytest

import explorer
from explorer import ExplorerError
from explorer.analysis.senses import (
    builtin_sets,
    collect_targets,
    find_target,
    load_builtin_set,
    matches_target,
    parse_sense_csv,
    sets_from_text,
)
from explorer.subspaces import sense_separation

# --- target matching ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "target"),
    [
        ("Apple", "apple"),
        ("APPLES", "apple"),
        ("cranes", "crane"),
        ("crane", "cranes"),
        ("batting", "bat"),
        ("batted", "bat"),
        ("berries", "berry"),
        ("banked", "bank"),
        ("springs", "spring"),
    ],
)
def test_inflections_match(word, target):
    assert matches_target(word, target)


@pytest.mark.parametrize(
    ("word", "target"), [("pineapple", "apple"), ("applet", "apple"), ("batter", "bat"), ("s", "sing"), ("b", "bed")]
)
def test_other_words_do_not_match(word, target):
    assert not matches_target(word, target)


def test_find_target_is_whole_word_and_first():
    s = "A pineapple, then Apple's apples."
    assert find_target(s, "apple") == (18, 23)  # "Apple" in "Apple's", not inside "pineapple"
    assert find_target("The pineapple was ripe.", "apple") is None


# --- sense sets ---------------------------------------------------------------------------------------------------


def test_builtin_sets_are_complete():
    sets = builtin_sets()
    assert list(sets)[0] == "apple"
    assert len(sets) >= 5
    assert set(sets["apple"].contexts) == {"fruit", "brand"}
    assert len(sets["java"].contexts) == 3
    for ss in sets.values():
        assert len(ss.contexts) >= 2
        for sentences in ss.contexts.values():
            assert len(sentences) >= 8
            assert all(find_target(s, ss.target) for s in sentences)


def test_csv_round_trip():
    ss = load_builtin_set("bank")
    again = parse_sense_csv(ss.to_csv().encode("utf-8-sig"))
    assert again.target == "bank" and again.contexts == ss.contexts


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "empty"),
        ("sentence,target\nI ate an apple.,apple\n", "lacks the column(s) sense"),
        ("sentence,sense,target\n", "no rows"),
        ("sentence,sense,target\nI ate an apple.,fruit,apple\nApple stock rose.,brand\n", "line 3 has 2 field"),
        ("sentence,sense,target\nI ate an apple.,fruit,apple\nApple stock rose,today.,brand,apple\n", "line 3 has 4"),
        ("sentence,sense,target\nI ate an apple.,fruit,apple\nApple stock rose.,,apple\n", "line 3 has an empty sense"),
        ("sentence,sense,target\nI ate an apple.,fruit,apple\nThe bank closed.,brand,bank\n", "line 3 has the target"),
        ("sentence,sense,target\nI ate an apple.,fruit,apple\nI ate a pear.,fruit,apple\n", "line 3: the sentence"),
        ("sentence,sense,target\nI ate an apple.,fruit,apple\nApples are red.,fruit,apple\n", "at least two senses"),
        (
            "sentence,sense,target\nI ate an apple.,fruit,apple\nApples grow.,fruit,apple\nApple rose.,brand,apple\n",
            "“brand” has 1 sentence",
        ),
    ],
)
def test_malformed_csv_names_the_problem(text, needle):
    with pytest.raises(ExplorerError, match=None) as err:
        parse_sense_csv(text)
    assert needle in str(err.value)


def test_csv_that_is_not_utf8():
    with pytest.raises(ExplorerError, match="UTF-8"):
        parse_sense_csv(b"sentence,sense,target\n\xff\xfe apple,x,apple\n")


def test_typed_sets():
    ss = sets_from_text(
        "bank", [("river", "The bank was muddy.\n\nWe sat on the bank."), ("money", "Banks lend.\nMy bank.")]
    )
    assert ss.contexts == {
        "river": ["The bank was muddy.", "We sat on the bank."],
        "money": ["Banks lend.", "My bank."],
    }
    with pytest.raises(ExplorerError, match="both called"):
        sets_from_text("bank", [("a", "bank one\nbank two"), ("a", "bank three\nbank four")])
    with pytest.raises(ExplorerError, match="“I sat down.”"):
        sets_from_text("bank", [("a", "bank one\nI sat down."), ("b", "bank three\nbank four")])
    with pytest.raises(ExplorerError, match="single word"):
        sets_from_text("river bank", [("a", "x"), ("b", "y")])


# --- collecting the target's vectors ------------------------------------------------------------------------------


def test_subword_target_is_the_mean_of_its_pieces(bundle):
    ss = load_builtin_set("kiwi")
    assert bundle.tokenizer.tokenize("kiwi") == ["ki", "##wi"]
    samples = collect_targets(bundle, ss.target, ss.contexts)
    assert min(samples.n_pieces) >= 2
    sentence = samples.sentences[0]
    run = explorer.extract(bundle, sentence)
    pieces = [run.raw_tokens.index("ki"), run.raw_tokens.index("##wi")]
    np.testing.assert_allclose(samples.vectors["v"][0], run.v[:, :, pieces].mean(axis=2), rtol=1e-4, atol=1e-5)
    res = sense_separation(bundle, ss.target, ss.contexts, space="context")
    assert np.isfinite(res.scores).all()
    assert res.p_values.min() < 0.05


@pytest.mark.parametrize("family", ["gpt2", "llama"])
def test_byte_level_tokenizers_find_the_target(tiny_dirs, family):
    small = explorer.load_model(str(tiny_dirs[family]))
    contexts = {"a": ["the cat sat on the mat", "a cat with pie"], "b": ["big red cat", "the cats came back"]}
    samples = collect_targets(small, "cat", contexts)
    run = explorer.extract(small, "the cats came back")
    span = find_target("the cats came back", "cat")
    pieces = [i for i, (a, b) in enumerate(run.offsets) if not run.special[i] and a < span[1] and b > span[0]]
    assert "".join(run.text[slice(*run.offsets[i])] for i in pieces).strip() == "cats"
    np.testing.assert_allclose(samples.vectors["k"][3], run.k[:, :, pieces].mean(axis=2), rtol=1e-4, atol=1e-5)
    assert samples.words == ["cat", "cat", "cat", "cats"]
