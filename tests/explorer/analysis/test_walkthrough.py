"""explorer/analysis/walkthrough.py: the layer walkthrough reproduces the model, entropies, attention pooling."""

import numpy as np
import pytest

import explorer
from explorer.analysis.walkthrough import attention_pooling, entropy, walkthrough


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
