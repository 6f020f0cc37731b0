"""Benchmark: sense separation of a 2 × 8 sentence set, every layer, head and space (target ≤ 2 s after model load).

    python benchmarks/subspaces.py [--repeats 5] [--permutations 1000]

Prints the time to run the 16 sentences (one forward pass each), to score all four spaces (silhouette plus
permutation test for every head, and the hidden-state baseline), the total, and its ratio to the 2 s target.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import explorer  # noqa: E402
from explorer.analysis.senses import SPACES, collect_targets, load_builtin_set  # noqa: E402
from explorer.subspaces import separation_from_samples  # noqa: E402

TARGET_S = 2.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--permutations", type=int, default=1000)
    args = parser.parse_args()

    t0 = time.perf_counter()
    bundle = explorer.load_model()
    print(f"model load: {time.perf_counter() - t0:.2f} s ({bundle.summary()})")
    ss = load_builtin_set("bank")  # 2 senses × 8 sentences
    n = sum(len(v) for v in ss.contexts.values())
    collect_targets(bundle, ss.target, ss.contexts)  # warm-up (first forward passes are slower)

    extract_s, score_s, total_s = [], [], []
    for _ in range(args.repeats):
        t1 = time.perf_counter()
        samples = collect_targets(bundle, ss.target, ss.contexts)
        t2 = time.perf_counter()
        for space in SPACES:
            separation_from_samples(samples, space, n_permutations=args.permutations)
        t3 = time.perf_counter()
        extract_s.append(t2 - t1)
        score_s.append(t3 - t2)
        total_s.append(t3 - t1)

    med = statistics.median
    heads = bundle.n_layers * bundle.n_heads
    each = med(extract_s) / n * 1000
    per_space = med(score_s) / len(SPACES) * 1000
    print(f"set: “{ss.target}”, {len(ss.contexts)} senses × {n // len(ss.contexts)} sentences; {heads} heads; "
          f"{len(SPACES)} spaces; {args.permutations} permutations; median of {args.repeats}")  # fmt: skip
    print(f"run {n} sentences (one forward each): {med(extract_s) * 1000:7.1f} ms ({each:.1f} ms a sentence)")
    print(f"score {len(SPACES)} spaces + baseline:       {med(score_s) * 1000:7.1f} ms ({per_space:.1f} ms a space)")
    print(f"total:                               {med(total_s) * 1000:7.1f} ms (fastest {min(total_s) * 1000:.1f} ms)")
    print(f"ratio to the {TARGET_S:.0f} s target:              {med(total_s) / TARGET_S:7.2f}")
    print(f"machine load (1 min) at the end:     {os.getloadavg()[0]:7.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
