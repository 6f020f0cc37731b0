"""explorer/analysis/heads.py: JS distances vs scipy, clustering and MDS, head roles on hand-built maps, and the
same head on two texts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import jensenshannon

import explorer
from explorer.analysis.heads import (
    JS_BUDGET,
    cluster_order,
    head_difference,
    head_map,
    head_roles,
    js_distance_matrix,
    js_query_rows,
    layer_distance,
    mds_embedding,
)
from explorer.extract import Extraction


def fake_run(attn: np.ndarray, *, special=None, raw=None, causal: bool = False, name: str = "fake") -> Extraction:
    """An Extraction around hand-built attention maps attn [L, H, N, N] (q/k/v are zeros; scores log attn)."""
    L, H, N, _ = attn.shape
    attn = attn.astype(np.float32)
    with np.errstate(divide="ignore"):
        scores = np.log(attn)
    if causal:
        scores = np.where(np.tril(np.ones((N, N), bool)), np.nan_to_num(scores, neginf=-50.0), -np.inf)
    else:
        scores = np.nan_to_num(scores, neginf=-50.0)
    zeros = np.zeros((L, H, N, 4), np.float32)
    raw = raw or [f"t{i}" for i in range(N)]
    return Extraction(
        text=" ".join(raw),
        model_name=name,
        architecture="Fake",
        tokens=list(raw),
        raw_tokens=list(raw),
        token_ids=list(range(N)),
        offsets=[(0, 0)] * N,
        special=list(special) if special is not None else [False] * N,
        q=zeros,
        k=zeros,
        v=zeros,
        masked=~np.isfinite(scores[:, 0]) if causal else None,  # [L, N, N]
        attn=attn,
        context=zeros,
        hidden=np.zeros((L + 1, N, 4), np.float32),
        attn_input=np.zeros((L, N, 4), np.float32),
        truncated=False,
        n_tokens_total=N,
        is_causal=causal,
        n_kv_heads=H,
        scale=[0.5] * L,
    )


# --- Jensen–Shannon distances -------------------------------------------------------------------------------------


def test_js_distance_matches_scipy(apple_run):
    D = js_distance_matrix(apple_run)
    L, H, N = apple_run.n_layers, apple_run.n_heads, apple_run.n_tokens
    assert D.shape == (L * H, L * H)
    np.testing.assert_array_equal(np.diag(D), 0.0)
    np.testing.assert_allclose(D, D.T, atol=0)
    assert D.min() >= 0 and D.max() <= 1
    flat = apple_run.attn.reshape(L * H, N, N).astype(np.float64)
    for a, b in [(0, 1), (2, 70), (13, 40), (71, 35)]:
        ref = np.mean([jensenshannon(flat[a, i], flat[b, i], base=2) for i in range(N)])
        assert D[a, b] == pytest.approx(ref, abs=1e-5), (a, b)


def test_js_distance_handles_zeros_and_extremes():
    N = 5
    one_hot_self = np.eye(N)
    one_hot_prev = np.roll(np.eye(N), -1, axis=1)  # row i puts all weight on key i-1 (mod N): disjoint from self
    half = 0.5 * (one_hot_self + one_hot_prev)
    run = fake_run(np.stack([one_hot_self, one_hot_prev, half, one_hot_self])[None])
    D = js_distance_matrix(run)
    assert D[0, 1] == pytest.approx(1.0, abs=1e-6)  # disjoint supports: the largest distance, base 2
    assert D[0, 3] == 0.0  # identical heads
    ref = np.mean([jensenshannon(one_hot_self[i], half[i], base=2) for i in range(N)])
    assert D[0, 2] == pytest.approx(ref, abs=1e-5)
    assert np.isfinite(D).all()


def test_js_distance_on_causal_maps_with_masked_keys():
    N = 6
    rng = np.random.default_rng(1)
    maps = rng.random((1, 3, N, N)) * np.tril(np.ones((N, N)))
    maps /= maps.sum(-1, keepdims=True)
    run = fake_run(maps, causal=True)
    D = js_distance_matrix(run)
    ref = np.mean([jensenshannon(maps[0, 0, i], maps[0, 2, i], base=2) for i in range(N)])
    assert D[0, 2] == pytest.approx(ref, abs=1e-5)


def test_js_distance_max_queries_subsamples_rows(apple_run):
    full = js_distance_matrix(apple_run)
    sub = js_distance_matrix(apple_run, max_queries=4)
    assert sub.shape == full.shape
    assert not np.allclose(sub, full)  # a different average...
    assert np.corrcoef(sub.ravel(), full.ravel())[0, 1] > 0.8  # ...of the same kind of numbers


def test_js_query_budget():
    assert js_query_rows(72, 337) is None  # the bundled model up to 337 tokens: every row
    assert js_query_rows(72, 512) == 222  # at its longest: a sample of rows
    rows = js_query_rows(32 * 32, 4096)  # an 8B-class model at 4,096 tokens: a sample of rows
    assert rows is not None and 8 <= rows < 4096
    assert js_query_rows(144, 512) == int(JS_BUDGET // (144 * 145 / 2 * 512))


# --- clustering and MDS -------------------------------------------------------------------------------------------


def test_cluster_order_groups_blocks():
    # two tight groups {0, 2, 4} and {1, 3, 5}, interleaved
    group = np.array([0, 1, 0, 1, 0, 1])
    D = np.where(group[:, None] == group[None, :], 0.1, 0.9)
    np.fill_diagonal(D, 0.0)
    order = cluster_order(D)
    assert sorted(order) == list(range(6))
    labels = group[order]
    assert (labels[:3] == labels[0]).all() and (labels[3:] == labels[3]).all()


def test_classical_mds_recovers_planar_points():
    rng = np.random.default_rng(0)
    pts = rng.normal(size=(10, 2))
    D = np.linalg.norm(pts[:, None] - pts[None], axis=-1)
    xy = mds_embedding(D)
    D2 = np.linalg.norm(xy[:, None] - xy[None], axis=-1)
    np.testing.assert_allclose(D2, D, atol=1e-9)
    np.testing.assert_array_equal(mds_embedding(D), xy)  # deterministic


def test_one_token_one_head_still_works():
    run = fake_run(np.ones((1, 1, 1, 1)))
    assert js_distance_matrix(run).tolist() == [[0.0]]
    assert head_map(run)[["x", "y"]].to_numpy().tolist() == [[0.0, 0.0]]
    roles = head_roles(run)
    assert roles.loc[0, "label"] == "self head" and roles.loc[0, "entropy_bits"] == 0


def test_layer_distance_averages_pairs_of_heads():
    rng = np.random.default_rng(2)
    D = rng.random((6, 6))
    D = D + D.T
    np.fill_diagonal(D, 0.0)  # 3 layers x 2 heads
    by_layer = layer_distance(D, n_heads=2)
    assert by_layer[0, 1] == pytest.approx(D[0:2, 2:4].mean())
    assert by_layer[2, 2] == pytest.approx(D[4, 5])  # the two different heads of layer 2
    np.testing.assert_allclose(by_layer, by_layer.T)


def test_head_map_has_every_head(apple_run):
    points = head_map(apple_run)
    assert len(points) == apple_run.n_layers * apple_run.n_heads
    assert sorted(points["cluster_rank"]) == list(range(len(points)))
    assert points.loc[14, "name"] == "L1 H2" and points.loc[14, "layer"] == 1 and points.loc[14, "head"] == 2


def test_heads_overview_labels_the_map(apple_run):
    from explorer.analysis.heads import heads_overview

    overview = heads_overview(apple_run)
    distance, order, points, roles = overview.distance, overview.order, overview.points, overview.roles
    assert distance.shape == (72, 72) and sorted(order.tolist()) == list(range(72))
    assert list(points["label"]) == list(roles["label"])


# --- head roles ---------------------------------------------------------------------------------------------------


def hand_built_heads(N: int = 20) -> np.ndarray:
    """[1, 9, N, N]: heads whose right labels are obvious (see test_head_roles_labels)."""
    i = np.arange(N)
    eye = np.eye(N)
    prev = np.zeros((N, N))
    prev[i[1:], i[:-1]] = 1
    prev[0, 0] = 1
    nxt = np.zeros((N, N))
    nxt[i[:-1], i[1:]] = 1
    nxt[-1, -1] = 1
    to_sep = np.zeros((N, N))
    to_sep[:, -1] = 1
    to_cls = np.zeros((N, N))
    to_cls[:, 0] = 1
    uniform = np.full((N, N), 1.0 / N)
    local = (np.abs(i[:, None] - i[None, :]) <= 2).astype(float)  # ±2 tokens, evenly
    local /= local.sum(-1, keepdims=True)
    far = np.zeros((N, N))  # each token on the one N/2 away: sharp, far, not special
    far[i, (i + N // 2) % N] = 1
    far[:, 1:-1] += 1e-3
    far /= far.sum(-1, keepdims=True)
    half_cls = 0.6 * to_cls + 0.4 * prev  # previous share 0.4 < 0.5, [CLS] share ≥ 0.6 -> sink
    return np.stack([prev, nxt, eye, to_sep, to_cls, uniform, local, far, half_cls])[None]


def test_head_roles_labels():
    N = 20
    special = [True] + [False] * (N - 2) + [True]
    raw = ["[CLS]"] + [f"w{i}" for i in range(1, N - 1)] + ["[SEP]"]
    roles = head_roles(fake_run(hand_built_heads(N), special=special, raw=raw))
    assert list(roles["label"]) == [
        "previous-token head",
        "next-token head",
        "self head",
        "[SEP] sink",
        "[CLS] sink",
        "broad",
        "local",
        "mixed",
        "[CLS] sink",
    ]


def test_head_roles_numbers():
    N = 20
    special = [True] + [False] * (N - 2) + [True]
    roles = head_roles(fake_run(hand_built_heads(N), special=special)).set_index("head")
    # previous-token head: every query i ≥ 1 on i-1, query 0 on itself
    assert roles.loc[0, "to_previous"] == pytest.approx(1.0)
    assert roles.loc[0, "to_self"] == pytest.approx(1 / N)
    assert roles.loc[0, "mean_distance"] == pytest.approx((N - 1) / N)
    assert roles.loc[0, "entropy_bits"] == pytest.approx(0.0, abs=1e-9)
    assert roles.loc[1, "to_next"] == pytest.approx(1.0)
    assert roles.loc[3, "to_special"] == pytest.approx(1.0)
    assert roles.loc[3, "top_special"] == "t19"
    assert roles.loc[4, "to_first"] == pytest.approx(1.0)
    # uniform head: entropy log2 N bits, normalised 1; mean |i-j| = (N² - 1) / (3N)
    assert roles.loc[5, "entropy_bits"] == pytest.approx(np.log2(N))
    assert roles.loc[5, "entropy_norm"] == pytest.approx(1.0)
    assert roles.loc[5, "mean_distance"] == pytest.approx((N**2 - 1) / (3 * N))
    assert roles.loc[5, "to_special"] == pytest.approx(2 / N)


def test_head_roles_causal_sinks():
    N = 8
    to_first = np.zeros((N, N))
    to_first[:, 0] = 1
    maps = np.stack([to_first, np.tril(np.ones((N, N))) / np.arange(1, N + 1)[:, None]])[None]
    with_bos = head_roles(fake_run(maps, special=[True] + [False] * (N - 1), causal=True))
    assert with_bos.loc[0, "label"] == "BOS sink"
    assert with_bos.loc[1, "label"] == "broad"  # uniform over the visible keys
    assert with_bos.loc[1, "entropy_norm"] == pytest.approx(1.0)
    assert (with_bos["to_next"] == 0).all()
    without = head_roles(fake_run(maps, causal=True))  # GPT-2 adds no BOS: the first token still sinks attention
    assert without.loc[0, "label"] == "first-token sink"


def test_head_roles_on_bundled_model(apple_run):
    roles = head_roles(apple_run)
    assert len(roles) == 72
    assert roles[["to_special", "to_self", "to_previous", "to_next"]].le(1 + 1e-6).all().all()
    # 0.2 is MiniLM's previous-token head: check its share by hand
    A = apple_run.attn[0, 2].astype(np.float64)
    share = np.mean([A[i, i - 1] for i in range(1, apple_run.n_tokens)])
    row = roles[(roles["layer"] == 0) & (roles["head"] == 2)].iloc[0]
    assert row.to_previous == pytest.approx(share)
    assert row.label == "previous-token head"


# --- the same head on two texts -----------------------------------------------------------------------------------


def test_head_difference_same_length(bundle, apple_run):
    other = explorer.extract(bundle, "I ate an apple cake, then bought an Apple iPhone.")
    assert other.n_tokens == apple_run.n_tokens
    diff = head_difference(apple_run, other, 1, 3)
    np.testing.assert_allclose(diff.difference, other.attn[1, 3] - apple_run.attn[1, 3], atol=1e-7)
    assert not diff.same_tokens and "5" in diff.note  # "pie" -> "cake" is token 5


def test_head_difference_other_length(bundle, apple_run):
    other = explorer.extract(bundle, "A much shorter text.")
    diff = head_difference(apple_run, other, 0, 0)
    assert diff.difference is None
    assert str(apple_run.n_tokens) in diff.note and str(other.n_tokens) in diff.note
    assert diff.b.shape == (other.n_tokens, other.n_tokens)


def test_head_difference_errors(apple_run):
    with pytest.raises(ValueError, match="Head 6.0"):
        head_difference(apple_run, apple_run, 6, 0)
    stranger = fake_run(np.ones((6, 12, 3, 3)) / 3, name="other model")
    with pytest.raises(explorer.ExplorerError, match="different models"):
        head_difference(apple_run, stranger, 0, 0)


def test_one_word_swap_keeps_the_rest():
    from explorer.analysis.heads import one_word_swap

    assert one_word_swap("The animal was too tired.") == "The animal was too wide."
    assert one_word_swap("I ate an apple and an apple.") == "I ate an orange and an apple."
    assert one_word_swap("nothing to swap here") == "nothing to swap here"


def test_sampled_rows_estimate_the_distances_within_the_stated_error(tiny_dirs):
    """The overview of a long text averages over evenly spaced rows: roles from all rows equal the default, and
    sampled distances stay within a few standard errors of the exact ones."""
    from explorer.analysis.heads import _js, head_roles, sample_rows

    bundle = explorer.load_model(str(tiny_dirs["qwen2"]))
    run = explorer.extract(bundle, " ".join(["the cat sat on the mat because it was tired"] * 6))
    exact, none = _js(run, None)
    rows = sample_rows(run.n_tokens, 16)
    sampled, error = _js(run, rows)
    assert none == 0.0 and 0 < error < 0.1 and len(rows) == 16
    assert np.abs(sampled - exact).max() <= 4 * error
    pd.testing.assert_frame_equal(head_roles(run, np.arange(run.n_tokens)), head_roles(run))
