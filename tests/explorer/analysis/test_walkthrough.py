"""explorer/analysis/walkthrough.py: the layer walkthrough reproduces the model, entropies, attention pooling."""

import numpy as np
import pytest

import explorer
from explorer.analysis.walkthrough import attention_pooling, default_query, entropy, walkthrough


def test_walkthrough_reproduces_every_layer(bundle, apple_run):
    for layer in range(bundle.n_layers):
        steps = walkthrough(bundle, apple_run, layer)
        assert steps.max_abs_diff is not None and steps.max_abs_diff < 1e-5
        np.testing.assert_allclose(steps.scores, steps.raw_scores / np.sqrt(32), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(steps.context, steps.weights @ steps.v, atol=1e-5)
        # concat is the heads side by side
        np.testing.assert_array_equal(steps.concat[:, 32:64], steps.context[1])


def test_walkthrough_summaries(bundle, apple_run):
    steps = walkthrough(bundle, apple_run, 2)
    lo, hi = steps.row_sum_range(5)
    assert lo == pytest.approx(1, abs=1e-5) and hi == pytest.approx(1, abs=1e-5)
    top = steps.top_keys(5, 3)
    assert top == list(np.argsort(-steps.weights[5, 3])[:3])
    h = steps.scaling_entropies(5, 3)
    assert h["scaled"] == pytest.approx(entropy(steps.weights[5, 3]))
    assert h["layer_unscaled"] == pytest.approx(entropy(steps.unscaled_weights).mean())
    pool = attention_pooling(apple_run.hidden[3], include=[not s for s in apple_run.special])
    assert pool.kept_indices == list(range(1, apple_run.n_tokens - 1))
    assert pool.kept_weights.sum() == pytest.approx(1) and pool.uniform_share == pytest.approx(
        1 / len(pool.kept_indices)
    )
    assert pool.weights[pool.top] == pool.weights.max()


def test_unscaled_softmax_is_sharper(bundle, apple_run):
    steps = walkthrough(bundle, apple_run, 4)
    assert entropy(steps.unscaled_weights).mean() < entropy(steps.weights).mean()
    e = np.exp(steps.raw_scores - steps.raw_scores.max(-1, keepdims=True))
    np.testing.assert_allclose(steps.unscaled_weights, e / e.sum(-1, keepdims=True), atol=1e-5)


def test_attention_pooling_hand_computed():
    states = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    pool = attention_pooling(states, include=[True, True, False])
    # query = mean of the two kept states = (0.5, 0.5); both scores 0.5/√2, so equal shares; the third is left out
    np.testing.assert_allclose(pool.query, [0.5, 0.5])
    np.testing.assert_allclose(pool.weights, [0.5, 0.5, 0.0])
    np.testing.assert_allclose(pool.pooled, [0.5, 0.5])
    assert pool.cosine_to_mean == pytest.approx(1.0)
    skew = attention_pooling(states, query=np.array([2.0, 0.0]))
    e = np.exp(np.array([2.0, 0.0, 2.0]) / np.sqrt(2))
    np.testing.assert_allclose(skew.weights, e / e.sum())
    np.testing.assert_allclose(skew.pooled, (e / e.sum()) @ states)
    with pytest.raises(explorer.ExplorerError):
        attention_pooling(states, include=[False, False, False])


def test_entropy_hand_values():
    assert entropy(np.array([1.0, 0.0])) == 0
    assert entropy(np.array([0.5, 0.5])) == pytest.approx(np.log(2))


def test_causal_toggle_and_other_scorings(bundle, apple_run):
    steps = walkthrough(bundle, apple_run, 1, causal=True)
    assert steps.max_abs_diff is None  # not the model's own mask: nothing to compare with
    n = apple_run.n_tokens
    assert (steps.weights[:, np.triu(np.ones((n, n), bool), 1)] == 0).all()
    for scoring in ("additive", "cosine"):
        s = walkthrough(bundle, apple_run, 1, scoring=scoring)
        np.testing.assert_allclose(s.weights.sum(-1), 1, atol=1e-5)
        np.testing.assert_allclose(s.q, apple_run.q[1], atol=1e-5)  # same pretrained W_Q


def test_cross_attention_shapes(bundle, apple_run):
    other = explorer.extract(bundle, "A red fruit.")
    steps = walkthrough(bundle, other, 2, kv_run=apple_run)
    assert steps.weights.shape == (12, other.n_tokens, apple_run.n_tokens)
    assert steps.max_abs_diff is None


@pytest.mark.parametrize("family", ["mistral", "gemma2", "t5"])
def test_a_window_of_query_rows_equals_those_rows_of_the_whole_walkthrough(tiny_dirs, family):
    """Long texts walk through 64 rows at a time: the same rows as the whole layer, with the model's own mask
    (sliding windows included), rotary positions and position bias."""
    bundle = explorer.load_model(str(tiny_dirs[family]))
    target = "apple pie and apple juice" if family == "t5" else None
    run = explorer.extract(bundle, "the cat sat on the mat because it was tired and the big red dog", target=target)
    for layer in range(run.n_layers):
        whole = walkthrough(bundle, run, layer)
        part = walkthrough(bundle, run, layer, rows=(5, 11))
        assert whole.max_abs_diff < 1e-5 and part.max_abs_diff < 1e-5  # both equal the model's own map
        np.testing.assert_allclose(part.weights, whole.weights[:, 5:11], atol=1e-6)
        np.testing.assert_allclose(part.q, whole.q[:, 5:11], atol=1e-6)
        np.testing.assert_allclose(part.context, whole.context[:, 5:11], atol=1e-6)


def test_the_cross_walkthrough_uses_a_real_cross_layer(tiny_dirs):
    bundle = explorer.load_model(str(tiny_dirs["bart"]))
    run = explorer.extract(bundle, "the cat sat on the mat", target="apple pie and apple juice")
    cross = run.part("cross")
    for layer in range(cross.n_layers):
        steps = walkthrough(bundle, cross, layer)
        assert steps.weights.shape == (cross.n_heads, cross.n_tokens, cross.n_keys)
        assert steps.max_abs_diff < 1e-5  # the model's own cross-attention


APPLE = "I ate an apple pie with cream. Then I bought an Apple iPhone and an Apple laptop at the store."


def test_the_default_query_is_a_content_word(bundle):
    run = explorer.extract(bundle, APPLE)
    i = default_query(run.tokens, run.special, "apple: the fruit or the brand?")
    assert run.tokens[i] == "apple" and i == run.tokens.index("apple")  # the first occurrence, not [CLS] or "ate"
    assert run.tokens[default_query(run.tokens, run.special)] == "ate"  # no theme: the first content word
    it = explorer.extract(bundle, "The animal didn't cross the street because it was too tired.")
    assert it.tokens[default_query(it.tokens, it.special, "it: the animal or the street?")] == "animal"
    # cased text, an uncased theme word; a piece that starts a theme word ("jungle" of "jungler")
    assert default_query(["[CLS]", "My", "Apple", "[SEP]"], [True, False, False, True], "apple") == 2
    assert default_query(["[CLS]", "the", "jungle", "r", "[SEP]"], [True, False, False, False, True], "jungler") == 2
    # no content word: the first token that is not special; nothing but special tokens: 0
    assert default_query(["[CLS]", "the", ",", "it", "[SEP]"], [True, False, False, False, True]) == 1
    assert default_query(["<s>", "</s>"], [True, True]) == 0


def test_step_3_left_out_is_true_to_each_scoring(bundle, apple_run):
    """dot: softmax of q·k without 1/√d_k; cosine: softmax of cos without its temperature (flatter); additive: no
    step 3, nothing to compare (and no entropies to quote)."""
    dot = walkthrough(bundle, apple_run, 2)
    assert dot.scale == pytest.approx(1 / np.sqrt(32))
    np.testing.assert_allclose(dot.raw_scores * dot.scale, dot.scores, rtol=1e-5, atol=1e-6)
    cos = walkthrough(bundle, apple_run, 2, scoring="cosine")
    assert cos.scale == pytest.approx(np.sqrt(32)) and np.abs(cos.raw_scores).max() <= 1 + 1e-5
    e = np.exp(cos.raw_scores - cos.raw_scores.max(-1, keepdims=True))
    np.testing.assert_allclose(cos.unscaled_weights, e / e.sum(-1, keepdims=True), atol=1e-6)
    h = cos.scaling_entropies(0, 3)
    assert h["unscaled"] > h["scaled"] and h["unscaled"] <= h["uniform"] + 1e-9
    assert h["uniform"] == pytest.approx(np.log(apple_run.n_tokens))
    add = walkthrough(bundle, apple_run, 2, scoring="additive")
    assert add.unscaled_weights is None and add.scale == 1.0
    np.testing.assert_array_equal(add.scores, add.raw_scores)  # no scaling step at all
    with pytest.raises(ValueError):
        add.scaling_entropies(0, 3)


def test_row_sums_over_a_window_of_keys_and_the_score_spread(bundle, apple_run):
    steps = walkthrough(bundle, apple_run, 1)
    lo, hi = steps.row_sum_range(3, slice(2, 6), slice(0, 5))
    part = steps.weights[3, 2:6, :5].sum(-1)
    assert (lo, hi) == (pytest.approx(part.min()), pytest.approx(part.max())) and hi < 1
    raw, scaled = steps.score_spread(3)
    assert raw == pytest.approx(steps.raw_scores[3].std(), rel=1e-5) and scaled == pytest.approx(raw / np.sqrt(32))
    assert steps.rows == (0, apple_run.n_tokens) and walkthrough(bundle, apple_run, 1, rows=(2, 6)).rows == (2, 6)


def test_a_model_that_does_not_scale_has_no_step_3_to_leave_out(tiny_dirs):
    bundle = explorer.load_model(str(tiny_dirs["t5"]))
    run = explorer.extract(bundle, "the cat sat on the mat", target="apple pie")
    steps = walkthrough(bundle, run, 0)
    assert steps.scale == 1.0 and steps.unscaled_weights is None and steps.max_abs_diff < 1e-5


def test_sinks_stay_in_every_scoring_and_in_the_unscaled_softmax(tiny_dirs):
    """Only the scoring changes: the family's sink still takes its share of every row (the page says so)."""
    bundle = explorer.load_model(str(tiny_dirs["gpt_oss"]))
    run = explorer.extract(bundle, "the cat sat on the mat because it was tired")
    sink = np.asarray(run.sink[0])  # [H, N]
    for scoring in ("dot", "cosine", "additive"):
        steps = walkthrough(bundle, run, 0, scoring=scoring)
        assert (steps.weights.sum(-1) < 1 - 1e-6).all(), scoring
        if scoring == "dot":
            np.testing.assert_allclose(steps.weights.sum(-1), 1 - sink, atol=1e-5)
        if steps.unscaled_weights is not None:
            assert (steps.unscaled_weights.sum(-1) < 1 - 1e-6).all(), scoring
