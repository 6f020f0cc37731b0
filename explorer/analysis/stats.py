"""Statistics of the sense separation: cosine distances, silhouette, permutation test, BH adjustment."""

from __future__ import annotations

import numpy as np

MIN_PERMUTATIONS = 200
DEFAULT_PERMUTATIONS = 1000


def cosine_distances(x: np.ndarray) -> np.ndarray:
    """Pairwise cosine distance 1 - cos(x_i, x_j) for each group: [G, S, d] -> [G, S, S], in [0, 2]."""
    x = np.asarray(x, np.float64)
    norm = np.linalg.norm(x, axis=-1, keepdims=True)  # [G, S, 1]
    unit = x / np.where(norm > 0, norm, 1.0)
    dist = 1.0 - unit @ np.swapaxes(unit, -1, -2)  # [G, S, S]
    np.clip(dist, 0.0, 2.0, out=dist)
    idx = np.arange(x.shape[-2])
    dist[..., idx, idx] = 0.0
    return dist


def silhouette(dist: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Mean silhouette of `labels` under precomputed distances, for many label vectors at once.

    dist: [G, S, S] (G groups of S points, e.g. one per head); labels: [S] or [P, S] ints in 0..K-1
    (P label vectors, e.g. permutations). Returns [G] or [G, P].

    For point i with sense c: a_i = mean distance to the other points of sense c, b_i = the smallest mean
    distance to the points of another sense, s_i = (b_i - a_i) / max(a_i, b_i) (0 where both are 0).
    The score is the mean of s_i over all points: +1 means every sentence lies far closer to its own
    sense than to any other, 0 means no structure, negative means mixed the wrong way. Same definition
    as sklearn.metrics.silhouette_score(metric="precomputed"). Every sense needs at least two points.
    """
    dist = np.asarray(dist, np.float64)
    single = np.ndim(labels) == 1
    labels = np.atleast_2d(np.asarray(labels, np.int64))  # [P, S]
    G, S, _ = dist.shape
    P = labels.shape[0]
    K = int(labels.max()) + 1
    counts = np.bincount(labels[0], minlength=K).astype(np.float64)  # [K], the same for every permutation
    if counts.min() < 2:
        raise ValueError("Every sense needs at least two sentences for a separation score.")
    onehot = np.zeros((S, K, P))
    onehot[np.arange(S)[:, None], labels.T, np.arange(P)[None, :]] = 1.0  # [S, K, P]
    own_label = labels.T  # [S, P] each point's own sense, per label vector
    own_count = counts[own_label]  # [S, P]
    out = np.empty((G, P))
    # Distances summed per sense, for every label vector at once: [g, S, S] @ [S, K*P] -> [g, S, K, P].
    chunk = max(1, int(4e6 // max(1, S * P * K)))
    for g0 in range(0, G, chunk):
        d = dist[g0 : g0 + chunk]  # [g, S, S]
        sums = (d.reshape(-1, S) @ onehot.reshape(S, K * P)).reshape(len(d), S, K, P)
        a = np.zeros((len(d), S, P))  # mean distance to the other points of the own sense
        b = np.full((len(d), S, P), np.inf)  # mean distance to the nearest other sense
        for k in range(K):  # K is small: a loop over senses keeps every array contiguous
            mine = own_label == k  # [S, P]
            a += np.where(mine, sums[:, :, k], 0.0)
            np.minimum(b, np.where(mine, np.inf, sums[:, :, k] / counts[k]), out=b)
        a /= own_count - 1.0
        top = np.maximum(a, b)
        s = np.divide(b - a, top, out=np.zeros_like(top), where=top > 0)  # [g, S, P]
        out[g0 : g0 + chunk] = s.mean(axis=1)
    return out[:, 0] if single else out


def permutation_test(
    dist: np.ndarray, labels: np.ndarray, n_permutations: int = DEFAULT_PERMUTATIONS, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Silhouette per group and its label-permutation p-value: [G, S, S], [S] -> ([G], [G]).

    The same n_permutations shuffles of the labels (seeded, so results repeat) serve every group.
    p = (1 + #{shuffles scoring >= the real labels}) / (1 + n_permutations): the chance of a score this
    high if the senses were arbitrary labels; the smallest possible p is 1 / (1 + n_permutations).
    """
    if n_permutations < MIN_PERMUTATIONS:
        raise ValueError(f"Use at least {MIN_PERMUTATIONS} permutations for a meaningful p-value.")
    labels = np.asarray(labels, np.int64)
    rng = np.random.default_rng(seed)
    shuffled = rng.permuted(np.tile(labels, (n_permutations, 1)), axis=1)  # [P, S]
    all_scores = silhouette(dist, np.vstack([labels, shuffled]))  # [G, 1 + P]
    observed = all_scores[:, 0]
    exceed = (all_scores[:, 1:] >= observed[:, None] - 1e-12).sum(axis=1)
    return observed, (1.0 + exceed) / (1.0 + n_permutations)


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """False-discovery-rate adjusted p-values (Benjamini-Hochberg) over all entries of p, same shape."""
    flat = np.asarray(p, np.float64).ravel()
    m = flat.size
    order = np.argsort(flat)
    ranked = flat[order] * m / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(ranked, 1.0)
    return out.reshape(np.shape(p))
