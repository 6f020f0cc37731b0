"""explorer/subspaces.py: sense separation per head on the bundled model (scores, p-values, points, attends-to)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

import explorer
from explorer import ExplorerError
from explorer.analysis.senses import SPACES, collect_targets, load_builtin_set
from explorer.subspaces import sense_separation


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
    with pytest.raises(ValueError, match="Layer 9"):
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
    with pytest.raises(ValueError, match="Unknown space"):
        sense_separation(bundle, "apple", contexts, space="z")
    with pytest.raises(ExplorerError, match="at least two senses"):
        sense_separation(bundle, "apple", {"a": ["apple one", "apple two"]})
    with pytest.raises(ExplorerError, match="empty"):
        sense_separation(bundle, " ", contexts)


def test_best_hidden_and_significant_count(apple):
    res = apple["v"]
    index, name, score = res.best_hidden()
    assert score == res.hidden_scores.max() and res.hidden_scores[index] == score
    assert name == ("the embeddings" if index == 0 else f"after layer {index - 1}")
    assert res.n_significant == int(res.significant.sum())


def test_the_baseline_chart_shows_the_hidden_states_by_the_names_given(apple):
    from explorer.views.subspaces import baseline_chart

    res = apple["v"]
    names = ["词嵌入"] + [f"第 {layer} 层之后" for layer in range(res.n_layers)]
    chart = baseline_chart(res, names=names)
    bars = chart.layer[0]
    assert list(bars.data["name"]) == names
    np.testing.assert_array_equal(bars.data["score"].to_numpy(), res.hidden_scores)  # the same rows, renamed
    assert list(baseline_chart(res).layer[0].data["name"])[:2] == ["embeddings", "after layer 0"]
    with pytest.raises(ValueError, match="different names"):
        baseline_chart(res, names=names[:-1])
