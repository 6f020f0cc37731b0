"""Block pooling: a long text's map shrunk to fewer cells (blocks of consecutive tokens, or image pixels).

Every pooled view (the heatmap of a long text, the token strip, the difference map, the raster images) cuts its
axes with `block_starts` or `pixel_starts` and reduces each block with `pool`. "max" keeps thin lines (a
previous-token diagonal, a sink column) visible however far a map is shrunk.
"""

from __future__ import annotations

import math

import numpy as np

REDUCERS = {"max": np.maximum, "min": np.minimum, "sum": np.add, "all": np.logical_and}


def block_starts(n: int, max_blocks: int) -> np.ndarray:
    """Start index of each block when n tokens are cut into at most max_blocks blocks of equal size (the last
    may be shorter)."""
    size = math.ceil(n / max(1, max_blocks))
    return np.arange(0, n, max(1, size))


def pixel_starts(n: int, pixels: int) -> np.ndarray:
    """For each of `pixels` output pixels, the first token it covers (tokens repeat when n < pixels)."""
    return np.floor(np.arange(pixels) * n / pixels).astype(np.int64)


def block_ends(starts: np.ndarray, n: int) -> np.ndarray:
    """Last index (inclusive) of each block that starts at `starts`."""
    return np.append(starts[1:], n) - 1


def pool(
    values: np.ndarray,
    starts: np.ndarray | tuple[np.ndarray, ...],
    reduce: str = "max",
    axes: tuple[int, ...] = (-2, -1),
) -> np.ndarray:
    """Reduce each block of `values` along `axes`: "max", "min", "sum", "all" (booleans) or "absmax" (the
    value of largest magnitude, sign kept: for signed maps such as differences).

    values [..., Nq, Nk] with axes (-2, -1) -> [..., Bq, Bk]; axes (-1,) pools the keys only. starts: one
    increasing array for every axis (block_starts, pixel_starts), or a tuple of them, one per axis (a cross-
    attention map has fewer queries than keys).
    """
    if reduce == "absmax":
        hi = pool(values, starts, "max", axes)
        lo = pool(values, starts, "min", axes)
        return np.where(np.abs(hi) >= np.abs(lo), hi, lo)
    ufunc = REDUCERS[reduce]
    per_axis = starts if isinstance(starts, tuple) else (starts,) * len(axes)
    out = values
    for axis, axis_starts in zip(axes, per_axis, strict=True):
        out = ufunc.reduceat(out, axis_starts, axis=axis)
    return out


def block_labels(tokens: list[str], starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Axis labels for blocks of tokens: "40–43 apple…" (first and last index, then the first token)."""
    return np.array([f"{a}–{b} {tokens[a]}…" for a, b in zip(starts, ends, strict=True)], dtype=object)
