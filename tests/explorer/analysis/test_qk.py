"""explorer/analysis/qk.py: weight-subspace overlap vs scipy.linalg.subspace_angles, and the q∘k identities against
the run's own arrays."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.linalg import subspace_angles

import explorer
from explorer.analysis.qk import qk_products, select_keys, top_keys, weight_subspace_overlap

# --- weight-subspace overlap --------------------------------------------------------------------------------------


def test_subspace_overlap_matches_scipy(bundle):
    O = weight_subspace_overlap(bundle, 0, 3, which="k")
    W0 = bundle.block(0).attention.self.key.weight.detach().double().numpy()  # [out, in]
    W3 = bundle.block(3).attention.self.key.weight.detach().double().numpy()
    d = bundle.d_head
    for g, h in [(0, 0), (1, 7), (11, 4)]:
        angles = subspace_angles(W0[g * d : (g + 1) * d].T, W3[h * d : (h + 1) * d].T)
        assert O[g, h] == pytest.approx(np.mean(np.cos(angles) ** 2), abs=1e-9)
    same = weight_subspace_overlap(bundle, 2, which="q")
    np.testing.assert_allclose(np.diag(same), 1.0, atol=1e-9)
    np.testing.assert_allclose(same, same.T, atol=1e-12)
    assert same.shape == (bundle.n_heads, bundle.n_heads)


def test_subspace_overlap_identical_and_orthogonal(tiny_dirs):
    tiny = explorer.load_model(str(tiny_dirs["bert"]))  # d_model 32, 4 heads of d_head 8
    d = tiny.d_head
    rng = np.random.default_rng(0)
    W = np.zeros((4 * d, tiny.d_model))
    W[0:d, 0:d] = np.eye(d)  # head 0: the first 8 axes
    W[d : 2 * d, d : 2 * d] = rng.normal(size=(d, d))  # head 1: the next 8 axes, orthogonal to head 0
    W[2 * d : 3 * d] = rng.normal(size=(d, d)) @ W[0:d]  # head 2: a mix of head 0's rows, the same subspace
    W[3 * d :] = rng.normal(size=(d, tiny.d_model))  # head 3: anywhere
    with torch.no_grad():
        tiny.block(0).attention.self.query.weight.copy_(torch.from_numpy(W))
    O = weight_subspace_overlap(tiny, 0, which="q")
    assert O[0, 1] == pytest.approx(0.0, abs=1e-12)
    assert O[0, 2] == pytest.approx(1.0, abs=1e-9)
    ref = np.mean(np.cos(subspace_angles(W[0:d].T, W[3 * d :].T)) ** 2)
    assert O[0, 3] == pytest.approx(ref, abs=1e-9)


def test_subspace_overlap_of_output_and_grouped_heads(tiny_dirs):
    llama = explorer.load_model(str(tiny_dirs["llama"]))  # 4 query heads, 2 KV heads
    assert weight_subspace_overlap(llama, 0, 1, which="k").shape == (2, 2)
    assert weight_subspace_overlap(llama, 0, which="q").shape == (4, 4)
    O = weight_subspace_overlap(llama, 1, which="o")
    Wo = llama.block(1).self_attn.o_proj.weight.detach().double().numpy()  # [d_model, H * d_head]
    d = llama.d_head
    ref = np.mean(np.cos(subspace_angles(Wo[:, 0:d], Wo[:, 3 * d : 4 * d])) ** 2)
    assert O[0, 3] == pytest.approx(ref, abs=1e-9)
    gpt2 = explorer.load_model(str(tiny_dirs["gpt2"]))  # fused c_attn
    np.testing.assert_allclose(np.diag(weight_subspace_overlap(gpt2, 0, which="v")), 1.0, atol=1e-9)
    with pytest.raises(ValueError, match="projection"):  # a caller's mistake, not the user's
        weight_subspace_overlap(gpt2, 0, which="x")


def test_mean_overlap_leaves_out_the_diagonal_of_one_layer():
    from explorer.analysis.qk import mean_overlap

    m = np.array([[1.0, 0.2], [0.4, 1.0]])
    assert mean_overlap(m, same_layer=True) == pytest.approx(0.3)
    assert mean_overlap(m, same_layer=False) == pytest.approx(0.65)


# --- q∘k ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("layer", "head", "query"), [(0, 0, 0), (2, 5, 4), (5, 11, 13)])
def test_qk_products_identities(apple_run, layer, head, query):
    p = qk_products(apple_run, layer, head, query)
    q, k = apple_run.q[layer, head, query], apple_run.k[layer, head]
    np.testing.assert_allclose(p.products, q[None, :] * k, rtol=1e-6)
    np.testing.assert_allclose(p.dot, k @ q, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(p.products.sum(-1), p.dot, atol=1e-12)
    assert p.scale == pytest.approx(apple_run.d_head**-0.5)
    np.testing.assert_allclose(p.scores, apple_run.scores[layer, head, query], atol=1e-4)
    np.testing.assert_allclose(p.weights, apple_run.attn[layer, head, query], atol=1e-6)
    assert p.weights.sum() == pytest.approx(1.0)


def test_qk_products_causal_mask(tiny_dirs):
    gpt2 = explorer.load_model(str(tiny_dirs["gpt2"]))
    run = explorer.extract(gpt2, "the cat sat on the mat")
    p = qk_products(run, 1, 2, 2)
    assert p.masked.tolist() == [False] * 3 + [True] * (run.n_tokens - 3)
    assert np.isneginf(p.scores[3:]).all() and (p.weights[3:] == 0).all()
    np.testing.assert_allclose(p.weights, run.attn[1, 2, 2], atol=1e-6)
    np.testing.assert_allclose(p.scores[:3], run.scores[1, 2, 2, :3], atol=1e-5)


def test_qk_products_errors_and_key_selection(apple_run):
    with pytest.raises(ValueError, match="Query token"):
        qk_products(apple_run, 0, 0, apple_run.n_tokens)
    with pytest.raises(ValueError, match="Head 0.12"):
        qk_products(apple_run, 0, 12, 0)
    p = qk_products(apple_run, 3, 1, 5)
    keys = top_keys(p, 3)
    assert 5 in keys and list(keys) == sorted(keys) and len(keys) <= 4
    assert set(np.argsort(-p.weights)[:3]) <= set(keys)
    s = select_keys(p, keys)
    np.testing.assert_array_equal(s.weights, p.weights[keys])
    assert s.products.shape == (len(keys), apple_run.d_head)
    assert s.tokens == [apple_run.tokens[i] for i in keys]


def test_qk_gaps_and_all_keys(apple_run):
    from explorer.analysis.qk import qk_gaps

    parts = qk_products(apple_run, 3, 4, 2)
    gap_scores, gap_weights = qk_gaps(apple_run, parts)
    assert gap_scores < 1e-4 and gap_weights < 1e-5
    np.testing.assert_array_equal(top_keys(parts, None), np.arange(apple_run.n_tokens))


@pytest.mark.parametrize("family", ["gemma2", "gpt_oss", "t5"])  # soft-capping, sinks, position bias
def test_scores_rebuilt_from_the_products_follow_the_familys_own_steps(tiny_dirs, family):
    import dataclasses

    from explorer.analysis.qk import qk_gaps, qk_products
    from explorer.maps import AttentionMaps

    bundle = explorer.load_model(str(tiny_dirs[family]))
    target = "apple pie" if family == "t5" else None
    run = explorer.extract(bundle, "the cat sat on the mat because it was tired", target=target)
    if family == "gemma2":  # random tiny weights give scores far below the cap of 5: cap them hard, so it shows
        mods = dataclasses.replace(run.mods, softcap=[0.005] * run.n_layers)
        run = dataclasses.replace(run, mods=mods, attn=AttentionMaps(run.q, run.k, run.scale, run.masked, mods))
    for layer in range(run.n_layers):
        parts = qk_products(run, layer, 1, 5)
        gap_scores, gap_weights = qk_gaps(run, parts)
        assert gap_scores < 1e-5 and gap_weights < 1e-6
        if family == "gpt_oss":  # the sink takes its share: the keys' weights sum to less than 1
            assert parts.weights.sum() < 1 - 1e-4
        else:  # without the family's own step the rebuilt scores would differ
            plain = parts.dot * parts.scale
            assert np.abs(plain[~parts.masked] - parts.scores[~parts.masked]).max() > 1e-3
