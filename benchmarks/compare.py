"""Benchmark of explorer/compare.py on the bundled model: JS distances, head roles, clustering + MDS, weight-subspace
overlap and q∘k at 128 and 512 tokens; the JS matrix also against a plain scipy loop (extrapolated from a sample).

Run: python benchmarks/compare.py   (prints figures; no asserts)
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from scipy.spatial.distance import jensenshannon  # noqa: E402
from timing import best_of  # noqa: E402

import explorer  # noqa: E402
from explorer.analysis.heads import (  # noqa: E402
    cluster_order,
    head_map,
    head_roles,
    js_distance_matrix,
    mds_embedding,
)
from explorer.analysis.qk import qk_products, weight_subspace_overlap  # noqa: E402

TEXT = (
    "The animal didn't cross the street because it was too tired. I ate an apple pie with cream, then bought an "
    "Apple iPhone and an Apple laptop at the store. The jungler ganked top, but he got killed by the top laner. "
)


def scipy_js_seconds(run, pairs: int = 20) -> float:
    """Seconds a plain scipy loop (jensenshannon per pair and query row) would take for all pairs of heads."""
    flat = run.attn.reshape(run.n_layers * run.n_heads, run.n_tokens, run.n_tokens).astype(np.float64)
    m = flat.shape[0]
    rng = np.random.default_rng(0)
    sample = rng.integers(0, m, size=(pairs, 2))
    t = time.perf_counter()
    for a, b in sample:
        jensenshannon(flat[a], flat[b], base=2, axis=1).mean()  # scipy vectorised over query rows
    per_pair = (time.perf_counter() - t) / pairs
    return per_pair * m * (m - 1) / 2


def main() -> None:
    import torch

    bundle = explorer.load_model()
    print(f"model: {bundle.summary()}")
    print(
        f"torch threads: {torch.get_num_threads()}, CPU cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}"
    )
    print()
    columns = ("tokens", "JS matrix", "scipy loop", "speed-up", "roles", "cluster+MDS", "q∘k")
    print(" ".join(f"{c:>{w}}" for c, w in zip(columns, (6, 10, 11, 9, 8, 12, 8), strict=True)))
    for n in (128, 512):
        run = explorer.extract(bundle, TEXT * 40, max_tokens=n)
        assert run.n_tokens == n
        t_js = best_of(lambda run=run: js_distance_matrix(run))
        distance = js_distance_matrix(run)
        t_scipy = scipy_js_seconds(run)
        t_roles = best_of(lambda run=run: head_roles(run))
        t_map = best_of(lambda d=distance: (cluster_order(d), mds_embedding(d)))
        t_qk = best_of(lambda run=run, i=n // 2: qk_products(run, 3, 5, i), repeats=10)
        print(
            f"{n:>6} {t_js:>9.3f}s {t_scipy:>10.2f}s {t_scipy / t_js:>8.1f}x {t_roles:>7.3f}s {t_map:>11.4f}s "
            f"{t_qk * 1e3:>6.2f}ms"
        )
        t_page = best_of(lambda run=run, d=distance: head_map(run, d), repeats=3)
        print(f"{'':>6} head_map (order + MDS frame) at {n} tokens: {t_page * 1e3:.1f} ms")
    print()
    for which in ("q", "k", "v", "o"):
        t = best_of(lambda w=which: weight_subspace_overlap(bundle, 0, 5, which=w))
        print(f"weight_subspace_overlap(layer 0 vs 5, W_{which.upper()}): {t * 1e3:.1f} ms (12 x 12 heads)")


if __name__ == "__main__":
    main()
