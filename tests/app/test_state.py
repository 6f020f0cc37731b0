"""app/state.py: one cached call per distinct call; remembered widget values."""

from __future__ import annotations

import copy

import pytest

from app.state import cached

CALLS: list[tuple] = []


def count_me(bundle, run, layer, scale=1.0):
    """A stand-in library function for the cached() tests (module level, as cached() requires)."""
    CALLS.append((layer, scale))
    return object()


def test_cached_calls_once_per_distinct_call(bundle, apple_run):
    CALLS.clear()
    first = cached(count_me, bundle, apple_run, 2)
    assert cached(count_me, bundle, apple_run, layer=2, scale=1.0) is first  # the same call, spelled differently
    assert cached(count_me, bundle, copy.copy(apple_run), 2) is first  # a run counts by model, text and tokens
    assert cached(count_me, bundle, apple_run, 3) is not first
    assert cached(count_me, bundle, apple_run, 2, scale=0.5) is not first
    assert CALLS == [(2, 1.0), (3, 1.0), (2, 0.5)]
    with pytest.raises(TypeError, match="module-level"):
        cached(lambda: 1)
