"""The from-scratch MultiHeadAttention against torch.nn.MultiheadAttention, pretrained layers and a hand example."""

import math

import numpy as np
import pytest
import torch

from explorer.reference import MultiHeadAttention, apply_rotary

D, H = 16, 4


def pair(bias=True, seed=0):
    """Our module and torch's, holding the same weights."""
    torch.manual_seed(seed)
    ours = MultiHeadAttention(D, H, bias=bias)
    theirs = torch.nn.MultiheadAttention(D, H, bias=bias, batch_first=True)
    with torch.no_grad():
        theirs.in_proj_weight.copy_(torch.cat([ours.w_q.weight, ours.w_k.weight, ours.w_v.weight]))
        theirs.out_proj.weight.copy_(ours.w_o.weight)
        if bias:
            theirs.in_proj_bias.copy_(torch.cat([ours.w_q.bias, ours.w_k.bias, ours.w_v.bias]))
            theirs.out_proj.bias.copy_(ours.w_o.bias)
    return ours.eval(), theirs.eval()


def torch_reference(theirs, x, kv=None, **kw):
    kv = x if kv is None else kv
    out, weights = theirs(x, kv, kv, need_weights=True, average_attn_weights=False, **kw)
    return out, weights


@pytest.mark.parametrize("bias", [True, False])
def test_self_attention_equals_torch(bias):
    ours, theirs = pair(bias)
    x = torch.randn(2, 7, D)
    trace = ours(x)
    out, weights = torch_reference(theirs, x)
    torch.testing.assert_close(trace.output, out, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(trace.weights, weights, atol=1e-5, rtol=1e-5)
    assert trace.q.shape == (2, H, 7, D // H) and trace.scores.shape == (2, H, 7, 7)
    assert trace.context.shape == (2, H, 7, D // H) and trace.output.shape == (2, 7, D)


def test_causal_attention_equals_torch():
    ours, theirs = pair()
    x = torch.randn(2, 6, D)
    trace = ours(x, causal=True)
    blocked = torch.ones(6, 6, dtype=torch.bool).triu(1)  # torch: True = not allowed
    out, weights = torch_reference(theirs, x, attn_mask=blocked)
    torch.testing.assert_close(trace.output, out, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(trace.weights, weights, atol=1e-5, rtol=1e-5)
    assert torch.isinf(trace.scores[..., 0, 1:]).all() and (trace.weights[..., 0, 0] == 1).all()


def test_cross_attention_with_padding_equals_torch():
    ours, theirs = pair(seed=3)
    x_dec, x_enc = torch.randn(2, 4, D), torch.randn(2, 9, D)
    keep = torch.ones(2, 9, dtype=torch.bool)
    keep[1, 6:] = False  # second sequence: last three encoder positions are padding
    trace = ours(x_dec, x_kv=x_enc, mask=keep)
    out, weights = torch_reference(theirs, x_dec, x_enc, key_padding_mask=~keep)
    torch.testing.assert_close(trace.output, out, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(trace.weights, weights, atol=1e-5, rtol=1e-5)
    assert trace.weights.shape == (2, H, 4, 9) and (trace.weights[1, :, :, 6:] == 0).all()


def test_hand_computed_two_tokens():
    """One head, d = 2, identity projections: every number can be checked on paper."""
    mha = MultiHeadAttention(2, 1, bias=False)
    with torch.no_grad():
        for lin in (mha.w_q, mha.w_k, mha.w_v, mha.w_o):
            lin.weight.copy_(torch.eye(2))
    x = torch.tensor([[[1.0, 0.0], [1.0, 1.0]]])
    t = mha(x)
    # q·kᵀ = [[1, 1], [1, 2]], ÷√2
    torch.testing.assert_close(t.raw_scores[0, 0], torch.tensor([[1.0, 1.0], [1.0, 2.0]]))
    torch.testing.assert_close(t.scores[0, 0], torch.tensor([[1.0, 1.0], [1.0, 2.0]]) / math.sqrt(2))
    p = 1 / (1 + math.exp(1 / math.sqrt(2)))  # softmax([1, 2]/√2)[0]
    torch.testing.assert_close(t.weights[0, 0], torch.tensor([[0.5, 0.5], [p, 1 - p]]))
    # output = weighted sum of v = x
    torch.testing.assert_close(t.output[0], torch.tensor([[1.0, 0.5], [1.0, 1 - p]]))


def test_grouped_query_equals_explicit_repeat():
    torch.manual_seed(1)
    gqa = MultiHeadAttention(16, 4, n_kv_heads=2).eval()
    full = MultiHeadAttention(16, 4).eval()
    with torch.no_grad():
        full.w_q.load_state_dict(gqa.w_q.state_dict())
        full.w_o.load_state_dict(gqa.w_o.state_dict())
        for big, small in ((full.w_k, gqa.w_k), (full.w_v, gqa.w_v)):  # KV head g serves query heads 2g, 2g+1
            w = small.weight.view(2, 4, 16).repeat_interleave(2, dim=0).reshape(16, 16)
            b = small.bias.view(2, 4).repeat_interleave(2, dim=0).reshape(16)
            big.weight.copy_(w)
            big.bias.copy_(b)
    x = torch.randn(1, 5, 16)
    torch.testing.assert_close(gqa(x).output, full(x).output, atol=1e-6, rtol=1e-6)


def test_rotary_preserves_norms_and_relative_positions():
    inv = 1.0 / (10000 ** (torch.arange(0, 8, 2) / 8))
    q, k = torch.randn(1, 1, 1, 8), torch.randn(1, 1, 1, 8)
    rq = lambda pos: apply_rotary(q, inv, torch.tensor([pos]))  # noqa: E731
    rk = lambda pos: apply_rotary(k, inv, torch.tensor([pos]))  # noqa: E731
    torch.testing.assert_close(rq(5).norm(), q.norm())
    # the score depends only on the distance between positions
    torch.testing.assert_close((rq(7) * rk(3)).sum(), (rq(4) * rk(0)).sum(), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("scoring", ["additive", "cosine"])
def test_other_scorings(scoring):
    torch.manual_seed(0)
    mha = MultiHeadAttention(D, H, scoring=scoring).eval()
    x = torch.randn(1, 5, D)
    t = mha(x, causal=True)
    torch.testing.assert_close(t.weights.sum(-1), torch.ones(1, H, 5))
    assert (t.weights[0, :, 0, 1:] == 0).all()
    if scoring == "cosine":
        assert t.raw_scores.abs().max() <= 1 + 1e-5  # cosine similarity
        qn = t.q / t.q.norm(dim=-1, keepdim=True)
        kn = t.k / t.k.norm(dim=-1, keepdim=True)
        torch.testing.assert_close(t.raw_scores, qn @ kn.transpose(-1, -2))
    else:  # vᵀ tanh(W1 q + W2 k), checked for one cell by hand
        h, i, j = 1, 3, 2
        expect = mha.add_v[h] @ torch.tanh(t.q[0, h, i] @ mha.add_w1[h] + t.k[0, h, j] @ mha.add_w2[h])
        torch.testing.assert_close(t.raw_scores[0, h, i, j], expect)


def test_unknown_scoring():
    with pytest.raises(ValueError, match="scoring"):
        MultiHeadAttention(8, 2, scoring="magic")


def test_bundled_layers_reproduced(bundle, apple_run):
    for layer in range(bundle.n_layers):
        mha = MultiHeadAttention.from_pretrained_layer(bundle, layer)
        with torch.no_grad():
            t = mha(torch.from_numpy(apple_run.attn_input[layer])[None])
        np.testing.assert_allclose(t.weights[0].numpy(), apple_run.attn[layer], atol=1e-5)
        np.testing.assert_allclose(t.context[0].numpy(), apple_run.context[layer], atol=1e-5)


def test_bundled_layer_output_equals_model_attention_output(bundle, apple_run):
    """trace.output (concat · W_O) equals BERT's own attention sublayer before its residual + LayerNorm."""
    layer = 3
    attn = bundle.block(layer).attention
    x = torch.from_numpy(apple_run.attn_input[layer])[None]
    with torch.no_grad():
        self_out, _ = attn.self(x)
        expected = attn.output.dense(self_out)
        t = MultiHeadAttention.from_pretrained_layer(bundle, layer)(x)
    torch.testing.assert_close(t.output, expected, atol=1e-5, rtol=1e-5)
