"""explorer/subspaces.py: target matching, sense CSVs, the silhouette and its permutation test, the bundled model."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from scipy.spatial.distance import cdist
from scipy.stats import false_discovery_control

import explorer
from explorer import ExplorerError
from explorer.analysis.senses import (
    SPACES,
    builtin_sets,
    collect_targets,
    find_target,
    load_builtin_set,
    matches_target,
    parse_sense_csv,
    sets_from_text,
)
from explorer.analysis.stats import benjamini_hochberg, cosine_distances, permutation_test, silhouette
from explorer.subspaces import sense_separation


def silhouette_score(dist: np.ndarray, labels: np.ndarray, metric: str = "precomputed") -> float:
    """Reference silhouette written straight from its definition, one point at a time (Rousseeuw 1987)."""
    assert metric == "precomputed"
    values = []
    for i, own in enumerate(labels):
        same = [dist[i, j] for j in range(len(labels)) if labels[j] == own and j != i]
        a = sum(same) / len(same)
        b = min(
            sum(dist[i, j] for j in range(len(labels)) if labels[j] == other) / sum(labels == other)
            for other in set(labels.tolist()) - {own}
        )
        values.append(0.0 if max(a, b) == 0 else (b - a) / max(a, b))
    return float(np.mean(values))


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


# --- sense sets ------------------------------------------------------------------------------------------------


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


# --- the score and the test, against independent references ---------------------------------------------------------


def test_cosine_distances_match_scipy():
    x = np.random.default_rng(1).normal(size=(3, 9, 5))
    for g in range(3):
        np.testing.assert_allclose(cosine_distances(x)[g], cdist(x[g], x[g], "cosine"), atol=1e-12)


def test_silhouette_matches_the_definition_for_many_labelings():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(4, 15, 6))  # 4 groups of 15 points
    labels = np.array([0] * 5 + [1] * 4 + [2] * 6)
    perms = np.array([rng.permutation(labels) for _ in range(7)])  # [7, 15]
    dist = cosine_distances(x)
    got = silhouette(dist, perms)  # [4, 7]
    ref = np.array([[silhouette_score(dist[g], p, metric="precomputed") for p in perms] for g in range(4)])
    np.testing.assert_allclose(got, ref, atol=1e-12)
    single = [silhouette_score(d, labels, metric="precomputed") for d in dist]
    np.testing.assert_allclose(silhouette(dist, labels), single, atol=1e-12)


def test_permutation_p_values_are_exact_and_seeded():
    rng = np.random.default_rng(3)
    labels = np.repeat([0, 1], 8)
    x = rng.normal(size=(5, 16, 4))
    x[0, labels == 1] += 3.0  # group 0 separates clearly; the others are noise
    dist = cosine_distances(x)
    scores, p = permutation_test(dist, labels, n_permutations=300, seed=7)
    # reference: the same 300 shuffles, scored one at a time from the definition, counted by hand
    shuffled = np.random.default_rng(7).permuted(np.tile(labels, (300, 1)), axis=1)
    for g in range(5):
        obs = silhouette_score(dist[g], labels, metric="precomputed")
        null = np.array([silhouette_score(dist[g], s, metric="precomputed") for s in shuffled])
        assert scores[g] == pytest.approx(obs, abs=1e-12)
        assert p[g] == pytest.approx((1 + np.sum(null >= obs - 1e-12)) / 301)
    assert p[0] < 0.01
    again = permutation_test(dist, labels, n_permutations=300, seed=7)[1]
    np.testing.assert_array_equal(p, again)
    with pytest.raises(ExplorerError, match="at least 200"):
        permutation_test(dist, labels, n_permutations=50)


def test_noise_gives_roughly_uniform_p_values():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(300, 12, 8))
    _, p = permutation_test(cosine_distances(x), np.repeat([0, 1, 2], 4), n_permutations=200, seed=0)
    assert 0.4 < p.mean() < 0.6
    assert (p < 0.05).mean() < 0.1


def test_benjamini_hochberg_matches_scipy():
    p = np.random.default_rng(5).uniform(size=(6, 12)) ** 3
    np.testing.assert_allclose(benjamini_hochberg(p), false_discovery_control(p.ravel()).reshape(6, 12))


# --- the bundled model --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def apple(bundle):
    ss = load_builtin_set("apple")
    samples = collect_targets(bundle, ss.target, ss.contexts)  # the sentences run once for every space
    return {space: sense_separation(bundle, ss.target, ss.contexts, space=space, samples=samples) for space in SPACES}


def test_shapes_and_one_extraction_for_every_space(apple, bundle):
    res = apple["v"]
    assert res.scores.shape == res.p_values.shape == (bundle.n_layers, bundle.n_heads)
    assert res.hidden_scores.shape == (bundle.n_layers + 1,)
    assert all(apple[s].samples is res.samples for s in SPACES)  # the sentences ran once
    assert np.all((res.scores >= -1) & (res.scores <= 1))
    assert np.all((res.p_values > 0) & (res.p_values <= 1))


def test_vectors_are_the_extractions_target_token(apple, bundle):
    res = apple["q"]
    i = 12  # a brand sentence
    run = explorer.extract(bundle, res.samples.sentences[i])
    idx = run.raw_tokens.index("apple")
    # Equal up to float32 summation order (the same forward pass, perhaps another thread count).
    close = dict(rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(res.vectors(3, 5)[i], run.q[3, 5, idx], **close)
    np.testing.assert_allclose(apple["context"].vectors(4, 1)[i], run.context[4, 1, idx], **close)
    np.testing.assert_allclose(res.samples.hidden[i], run.hidden[:, idx], **close)


@pytest.mark.parametrize("space", ["q", "k", "v"])
def test_deeper_heads_separate_better_than_layer_0(apple, space):
    scores = apple[space].scores  # [L, H]
    assert scores[2:].mean() > scores[0].mean() + 0.2
    assert scores[2:].max() > scores[0].max() + 0.2


def test_best_head_is_significant_and_beats_embeddings(apple):
    for res in apple.values():
        layer, head = res.best_head()
        assert res.p_values[layer, head] < 0.05
        assert res.q_values[layer, head] < 0.05
    res = apple["v"]
    assert res.hidden_scores[0] < res.hidden_scores[1:].max() - 0.2  # embeddings: context-free


def test_shuffled_labels_do_not_separate(apple, bundle):
    res = apple["v"]
    sentences = list(res.samples.sentences)
    order = np.random.default_rng(0).permutation(len(sentences))
    mixed = [sentences[i] for i in order]
    shuffled = sense_separation(bundle, "apple", {"a": mixed[:10], "b": mixed[10:]}, space="v")
    assert shuffled.scores.max() < 0.5 * res.scores.max()
    assert shuffled.significant.sum() < res.significant.sum() / 4


def test_points_are_pca_of_unit_vectors(apple):
    res = apple["k"]
    frame = res.points(4, 2)
    assert list(frame.columns) == ["pc1", "pc2", "sense", "sentence", "word"]
    assert frame["sense"].tolist() == ["fruit"] * 10 + ["brand"] * 10
    x = res.vectors(4, 2).astype(np.float64)
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    centred = unit - unit.mean(axis=0)
    eigvals, eigvecs = np.linalg.eigh(np.cov(centred, rowvar=False))  # reference: the covariance's eigenvectors
    top = np.argsort(eigvals)[::-1][:2]
    coords = centred @ eigvecs[:, top]
    for c in range(2):  # equal up to the sign of each axis
        got = frame[f"pc{c + 1}"].to_numpy()
        assert np.allclose(got, coords[:, c], atol=1e-5) or np.allclose(got, -coords[:, c], atol=1e-5)
    np.testing.assert_allclose(frame.attrs["explained"], eigvals[top] / eigvals.sum(), atol=1e-6)
    with pytest.raises(ExplorerError, match="Layer 9"):
        res.points(9, 0)


def test_attends_to_matches_the_attention_rows(apple, bundle):
    res = apple["v"]
    layer, head = 3, 4
    frame = res.attends_to(layer, head, top=100, include_special=True, include_punctuation=True)
    for label, sense in enumerate(res.senses):
        members = [s for s, lab in zip(res.samples.sentences, res.samples.labels) if lab == label]
        self_weight = []
        for sentence in members:
            run = explorer.extract(bundle, sentence)
            idx = run.raw_tokens.index("apple") if "apple" in run.raw_tokens else run.raw_tokens.index("apples")
            self_weight.append(run.attn[layer, head, idx, idx])
        # every weight goes to some word: the words' shares plus the target's own add up to 1 per sentence
        total = frame.loc[frame["sense"] == sense, "weight"].sum()
        assert total == pytest.approx(1.0 - np.mean(self_weight), abs=1e-5)
    # "iphone" appears once among the brand sentences: its weight is that one attention, divided by 10
    i = next(k for k, s in enumerate(res.samples.sentences) if "iPhone" in s)
    run = explorer.extract(bundle, res.samples.sentences[i])
    w = run.attn[layer, head, run.raw_tokens.index("apple"), run.raw_tokens.index("iphone")]
    row = frame[(frame["sense"] == "brand") & (frame["word"] == "iphone")]
    assert row["weight"].item() == pytest.approx(w / 10, abs=1e-6) and row["sentences"].item() == 1
    assert row["other_senses"].item() == 0.0 and row["distinctive"].item() == row["weight"].item()
    np.testing.assert_allclose(frame["distinctive"], frame["weight"] - frame["other_senses"])
    plain = res.attends_to(layer, head, top=5)
    assert not plain["word"].isin(["[CLS]", "[SEP]", ".", ",", "apple"]).any()
    assert (plain.groupby("sense").size() == 5).all()
    assert plain.groupby("sense")["weight"].apply(lambda w: w.is_monotonic_decreasing).all()
    distinct = res.attends_to(layer, head, top=5, rank_by="distinctive")
    assert distinct.groupby("sense")["distinctive"].apply(lambda w: w.is_monotonic_decreasing).all()
    assert "the" not in set(distinct["word"])  # in every sentence of both senses: nothing distinctive


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


def test_three_senses(bundle):
    ss = load_builtin_set("java")
    res = sense_separation(bundle, ss.target, ss.contexts, space="q")
    assert res.senses == ["island", "coffee", "language"]
    assert set(res.points(*res.best_head())["sense"]) == {"island", "coffee", "language"}
    assert res.p_values[res.best_head()] < 0.05
    assert res.scores[2:].mean() > res.scores[0].mean()
    assert set(res.attends_to(2, 3)["sense"]) == {"island", "coffee", "language"}


def test_missing_target_names_the_sentence(bundle):
    contexts = {"fruit": ["I ate an apple.", "Apple pie is sweet."], "brand": ["Apple sells phones.", "I ate a pear."]}
    with pytest.raises(ExplorerError, match="“I ate a pear.” \\(sense “brand”\\)"):
        sense_separation(bundle, "apple", contexts)
    # reported before any model run: a stand-in without a model gets the same message
    stand_in = SimpleNamespace(name="none", n_layers=1, n_heads=1, d_head=1, d_model=1)
    with pytest.raises(ExplorerError, match="“I ate a pear.”"):
        collect_targets(stand_in, "apple", contexts)


def test_bad_arguments(bundle):
    contexts = {"a": ["apple one", "apple two"], "b": ["apple three", "apple four"]}
    with pytest.raises(ExplorerError, match="Unknown space"):
        sense_separation(bundle, "apple", contexts, space="z")
    with pytest.raises(ExplorerError, match="at least two senses"):
        sense_separation(bundle, "apple", {"a": ["apple one", "apple two"]})
    with pytest.raises(ExplorerError, match="empty"):
        sense_separation(bundle, " ", contexts)


@pytest.mark.parametrize("family", ["gpt2", "llama"])
def test_byte_level_tokenizers_find_the_target(tmp_path, family):
    from tiny_models import make_tiny

    small = explorer.load_model(str(make_tiny(family, tmp_path / family)))
    contexts = {"a": ["the cat sat on the mat", "a cat with pie"], "b": ["big red cat", "the cats came back"]}
    samples = collect_targets(small, "cat", contexts)
    run = explorer.extract(small, "the cats came back")
    span = find_target("the cats came back", "cat")
    pieces = [i for i, (a, b) in enumerate(run.offsets) if not run.special[i] and a < span[1] and b > span[0]]
    assert "".join(run.text[slice(*run.offsets[i])] for i in pieces).strip() == "cats"
    np.testing.assert_allclose(samples.vectors["k"][3], run.k[:, :, pieces].mean(axis=2), rtol=1e-4, atol=1e-5)
    assert samples.words == ["cat", "cat", "cat", "cats"]


def test_best_hidden_and_significant_count(apple):
    res = apple["v"]
    index, name, score = res.best_hidden()
    assert score == res.hidden_scores.max() and res.hidden_scores[index] == score
    assert name == ("the embeddings" if index == 0 else f"after layer {index - 1}")
    assert res.n_significant == int(res.significant.sum())
