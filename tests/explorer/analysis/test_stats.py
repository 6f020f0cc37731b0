"""explorer/analysis/stats.py: cosine distances, the silhouette and its permutation test, Benjamini–Hochberg, each
against an independent reference."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cdist
from scipy.stats import false_discovery_control

from explorer.analysis.stats import benjamini_hochberg, cosine_distances, permutation_test, silhouette


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
    with pytest.raises(ValueError, match="at least 200"):
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
