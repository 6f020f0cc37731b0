"""Every map a view asks for is estimated before it is built, and refused with a message when memory cannot hold it."""

import numpy as np
import pytest

from explorer import ExplorerError
from explorer.analysis.heads import heads_overview


def test_a_block_of_maps_over_the_budget_is_refused_before_it_is_built(apple_run, monkeypatch):
    n = apple_run.n_tokens
    one_head_row = 4 * n  # bytes of one query row of one head
    budget_mb = 12 * n * one_head_row / 2**20  # room for one layer (12 heads), not for two
    monkeypatch.setenv("EXPLORER_MEMORY_BUDGET_MB", str(budget_mb))
    layer = apple_run.attn[1]  # fits
    np.testing.assert_allclose(layer.sum(-1), 1.0, atol=1e-5)
    with pytest.raises(ExplorerError, match=r"2 layer\(s\) × 12 head\(s\) × \d+ rows of attention maps would take"):
        apple_run.attn[0:2]
    with pytest.raises(ExplorerError, match="scores"):
        apple_run.scores[0:2]


def test_the_head_overview_is_refused_when_its_buffers_do_not_fit(apple_run, monkeypatch):
    monkeypatch.setenv("EXPLORER_MEMORY_BUDGET_MB", "0.01")
    with pytest.raises(ExplorerError, match="Comparing every pair of heads over .* would take"):
        heads_overview(apple_run)
