"""explorer/views/compare.py: the Head comparison page's chart builders (difference map, head similarity)."""

from __future__ import annotations

import numpy as np
import pandas as pd
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


# --- what the browser draws on a control change -------------------------------------------------------------------


@pytest.fixture(scope="module")
def long_run(apple_run):
    """A synthetic 300-token run (random q and k, attn = softmax of their scores), for the pooled paths."""
    from dataclasses import replace

    rng = np.random.default_rng(1)
    L, H, N, d = 2, 3, 300, 8
    q = rng.normal(size=(L, H, N, d)).astype(np.float32)
    k = rng.normal(size=(L, H, N, d)).astype(np.float32)
    scores = np.einsum("lhid,lhjd->lhij", q, k) * 0.5
    attn = (np.exp(scores) / np.exp(scores).sum(-1, keepdims=True)).astype(np.float32)
    return replace(apple_run, tokens=[f"t{i}" for i in range(N)], special=[False] * N, q=q, k=k, v=q, context=q,
                   scale=[0.5] * L, attn=attn, masked=None)  # fmt: skip


def cells(chart) -> list[int]:
    """Rows of each map in a chart of several (hconcat / vconcat)."""
    parts = [chart]
    out = []
    while parts:
        part = parts.pop(0)
        if isinstance(part.data, pd.DataFrame):
            out.append(len(part.data))
        for attr in ("hconcat", "vconcat"):
            parts += list(getattr(part, attr, None) or [])
    return out


@pytest.mark.parametrize("count", [2, 3, 4])
def test_heads_side_by_side_stay_within_the_cell_budget(long_run, count):
    from explorer.views.compare import PANELS_MAX_CELLS, heads_side_by_side, per_axis

    picks = [(0, 0), (1, 1), (1, 2), (0, 2)][:count]
    drawn = cells(heads_side_by_side(long_run, picks))
    assert len(drawn) == count and sum(drawn) <= PANELS_MAX_CELLS
    blocks = int(np.sqrt(drawn[0]))
    assert blocks**2 == drawn[0] and blocks <= per_axis(count) < 96  # 300 tokens: pooled, fewer blocks than alone
    assert blocks >= per_axis(count) * 0.8  # but not much coarser than the budget allows


def test_a_short_text_keeps_every_token_in_three_panels(apple_run):
    from explorer.views.compare import heads_side_by_side

    n = apple_run.n_tokens
    assert cells(heads_side_by_side(apple_run, [(0, 0), (1, 1), (2, 2)])) == [n * n] * 3


def test_two_texts_with_a_difference_stay_within_the_cell_budget(long_run):
    from explorer.views.compare import PANELS_MAX_CELLS, two_texts_chart

    diff = long_run.attn[1, 1] - long_run.attn[1, 2]
    chart = two_texts_chart(long_run, long_run, 1, 1, diff)
    drawn = cells(chart)
    assert len(drawn) == 3 and sum(drawn) <= PANELS_MAX_CELLS and len(set(drawn)) == 1
    (pair, below) = chart.vconcat
    titles = [pair.hconcat[0].title, pair.hconcat[1].title, below.title]
    assert titles == [
        "Text A, L1 H1 (blocks of tokens)",
        "Text B, L1 H1 (blocks of tokens)",
        "B − A (blocks of tokens)",
    ]


def test_the_similarity_matrix_is_drawn_in_clustering_order():
    import html
    import re

    from explorer.io.rendering import spec_svg
    from explorer.views.compare import head_similarity_heatmap

    rng = np.random.default_rng(0)
    points = rng.normal(size=(6, 3))
    D = np.linalg.norm(points[:, None] - points[None], axis=-1)
    D /= D.max()
    order = np.array([4, 0, 5, 2, 1, 3])
    chart = head_similarity_heatmap(D, 3, order)
    names = [f"L{i // 3} H{i % 3}" for i in order]
    frame = chart.data
    assert list(dict.fromkeys(frame["head_a"])) == names and list(dict.fromkeys(frame["head_b"])) == names
    a = frame.set_index(["head_a", "head_b"])["distance"]
    assert a[("L1 H1", "L0 H0")] == pytest.approx(D[4, 0])  # each cell still the distance of its two heads
    svg = spec_svg(chart.to_dict()).decode()
    x_labels = re.findall(r'class="mark-text role-axis-label"[^>]*>(.*?)</g>', svg, flags=re.S)[0]
    found = re.findall(r'transform="translate\(([-\d.]+),[-\d.]+\)[^"]*"[^>]*>([^<]*)</text>', x_labels)
    assert [html.unescape(t) for _, t in sorted(found, key=lambda f: float(f[0]))] == names  # drawn so, too


def test_comparison_charts_ask_the_browser_for_no_per_cell_sorting(long_run, apple_run):
    import vl_convert

    from explorer.views.compare import head_similarity_heatmap, heads_side_by_side, two_texts_chart

    D = np.full((6, 6), 0.5)
    charts = [
        heads_side_by_side(long_run, [(0, 0), (1, 1), (1, 2)]),
        two_texts_chart(long_run, long_run, 1, 1, long_run.attn[1, 1] - long_run.attn[1, 2]),
        head_similarity_heatmap(D, 3, np.arange(6)[::-1]),
    ]
    for chart in charts:
        vega = vl_convert.vegalite_to_vega(chart.to_dict())
        assert not [t for d in vega["data"] for t in d.get("transform", []) if t["type"] == "formula"]
        assert "description" not in str(vega["marks"])
