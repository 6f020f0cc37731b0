"""Timing helpers shared by the benchmark scripts (each script runs with this folder on sys.path)."""

from __future__ import annotations

import time


def best_of(fn, repeats: int = 3) -> float:
    """Best wall time of `repeats` calls, in seconds."""
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)
