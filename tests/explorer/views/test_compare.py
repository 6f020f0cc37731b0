"""explorer/views/compare.py: the Head comparison page's chart builders (difference map, head similarity)."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.analysis.heads import layer_distance


def test_difference_heatmap_pools_by_largest_magnitude():
    from explorer.views.attention import HEATMAP_MAX_CELLS
    from explorer.views.compare import difference_heatmap

    n = 2 * HEATMAP_MAX_CELLS + 1  # pooled into blocks of 3 tokens
    diff = np.zeros((n, n))
    diff[4, 5] = -0.7  # block (1, 1)
    diff[3, 3] = 0.2  # same block, smaller magnitude
    diff[0, 8] = 0.4  # block (0, 2)
    chart = difference_heatmap(diff, [f"{i} t{i}" for i in range(n)])
    frame = chart.data
    nb = int(np.ceil(n / 3))
    assert len(frame) == nb * nb
    values = frame["difference"].to_numpy().reshape(nb, nb)
    assert values[1, 1] == -0.7 and values[0, 2] == 0.4 and np.count_nonzero(values) == 2
    assert chart.to_dict()["encoding"]["color"]["scale"]["domain"] == [-0.7, 0.7]


def test_similarity_and_overlap_frames():
    from explorer.views.compare import head_similarity_frame
    from explorer.views.qkv import subspace_overlap_frame

    D = np.array([[0.0, 0.3, 0.9], [0.3, 0.0, 0.8], [0.9, 0.8, 0.0]])
    frame = head_similarity_frame(D, n_heads=3, order=np.array([2, 0, 1]))
    assert frame.attrs["order"] == ["L0 H2", "L0 H0", "L0 H1"]
    assert frame.loc[(frame.head_a == "L0 H0") & (frame.head_b == "L0 H2"), "similarity"].item() == pytest.approx(0.1)
    O = np.arange(4.0).reshape(2, 2)
    overlap = subspace_overlap_frame(O, 1, 3)
    assert overlap.to_dict("list") == {
        "head_a": ["L1 H0", "L1 H0", "L1 H1", "L1 H1"],
        "head_b": ["L3 H0", "L3 H1", "L3 H0", "L3 H1"],
        "overlap": [0.0, 1.0, 2.0, 3.0],
    }


def test_similarity_heatmap_by_layer():
    from explorer.views.compare import head_similarity_heatmap

    D = np.full((6, 6), 0.5)
    np.fill_diagonal(D, 0.0)
    chart = head_similarity_heatmap(layer_distance(D, 2), 2, by_layer=True)
    assert sorted(set(chart.data["head_a"])) == ["L0", "L1", "L2"] and len(chart.data) == 9
    np.testing.assert_allclose(chart.data["similarity"], 0.5)
    assert "Layer × layer" in str(chart.to_dict()["title"])


def test_difference_tooltips_name_tokens_with_their_text(bundle):
    import explorer
    from explorer.analysis.heads import head_name
    from explorer.views.compare import two_texts_chart

    run_a = explorer.extract(bundle, "他被反杀了。")
    run_b = explorer.extract(bundle, "他被抓住了。")
    diff = run_b.attn[0, 0] - run_a.attn[0, 0]
    chart = two_texts_chart(run_a, run_b, 0, 0, diff)
    (pair, below) = chart.vconcat
    frame = below.data
    assert "1 [UNK] (text “他”)" in set(frame["query_tip"]) and "1 [UNK]" in set(frame["query"])
    fields = [t["field"] for t in below.to_dict()["encoding"]["tooltip"]]
    assert fields[:2] == ["query_tip", "key_tip"]
    assert pair.hconcat[0].title == f"Text A, {head_name(0, 0)}"
    assert "1 [UNK] (text “他”)" in set(pair.hconcat[0].data["query_tip"])
