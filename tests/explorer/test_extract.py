"""extract() against Hugging Face's own eager attention, and the identities between its arrays."""

import numpy as np
import pytest
import torch

import explorer
from explorer import ExplorerError
from tests.support.hf import hf_attentions
from tests.support.tiny_models import FAMILIES

TEXT = "The animal didn't cross the street because it was too tired."


def softmax(x):
    with np.errstate(invalid="ignore"):
        e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def check_identities(run, d_head, scale=None):
    scale = d_head**-0.5 if scale is None else scale
    # softmax(scores) == attn
    np.testing.assert_allclose(softmax(run.scores.astype(np.float64)), run.attn, atol=1e-5)
    # scores == q·kᵀ/√d_head, with -inf exactly where the mask is
    qk = np.einsum("lhid,lhjd->lhij", run.q.astype(np.float64), run.k.astype(np.float64)) * scale
    finite = np.isfinite(run.scores)
    np.testing.assert_allclose(run.scores[finite], qk[finite], atol=1e-4, rtol=1e-5)
    if run.is_causal:
        n = run.n_tokens
        assert (finite == np.tril(np.ones((n, n), bool))).all()
        assert (run.attn[..., ~np.tril(np.ones((n, n), bool))] == 0).all()
    else:
        assert finite.all()
    # context == attn @ v
    np.testing.assert_allclose(run.context, run.attn @ run.v, atol=1e-5)
    np.testing.assert_allclose(run.attn.sum(-1), 1.0, atol=1e-5)


def test_bundled_equals_hugging_face(bundle):
    run = explorer.extract(bundle, TEXT)
    ref = hf_attentions(bundle.source, run.token_ids)
    assert run.attn.shape == ref.shape == (6, 12, run.n_tokens, run.n_tokens)
    np.testing.assert_allclose(run.attn, ref, atol=1e-5)
    check_identities(run, 32)


def test_bundled_arrays_layout(apple_run):
    run = apple_run
    n = len(run.tokens)
    assert run.q.shape == run.k.shape == run.v.shape == run.context.shape == (6, 12, n, 32)
    assert run.scores.shape == run.attn.shape == (6, 12, n, n)
    assert run.hidden.shape == (7, n, 384) and run.attn_input.shape == (6, n, 384)
    for a in (run.q, run.k, run.v, run.scores, run.attn, run.context):
        assert a.dtype == np.float32
    assert not run.truncated and run.n_tokens_total == n


def test_q_is_the_query_projection_of_the_layer_input(bundle, apple_run):
    """q[l] must be W_Q · (layer input) + b_Q, split into heads: checked with the raw nn.Linear weights."""
    lin = bundle.block(2).attention.self.query
    x = apple_run.attn_input[2].astype(np.float64)
    q = x @ lin.weight.detach().numpy().T.astype(np.float64) + lin.bias.detach().numpy()
    q = q.reshape(len(x), 12, 32).transpose(1, 0, 2)
    np.testing.assert_allclose(apple_run.q[2], q, atol=1e-4)
    np.testing.assert_allclose(apple_run.hidden[0], apple_run.attn_input[0], atol=1e-6)  # BERT is post-norm


def test_tokens_are_readable_and_map_to_spans(apple_run):
    run = apple_run
    assert run.tokens[0] == "[CLS]" and run.tokens[-1] == "[SEP]"
    assert run.special[0] and run.special[-1] and not any(run.special[1:-1])
    assert "Apple" in run.tokens and "apple" in run.tokens  # original casing from the text, not "apple" twice
    for tok, (a, b), sp in zip(run.tokens, run.offsets, run.special):
        if not sp:
            assert run.text[a:b] == tok
    assert not any(t.startswith("##") for t in run.tokens)


def test_subword_pieces_are_readable(bundle):
    run = explorer.extract(bundle, "Tokenization of unbelievably long words")
    assert any(r.startswith("##") for r in run.raw_tokens)  # the raw pieces are kept
    assert not any("##" in t for t in run.tokens)
    assert run.token_ids == bundle.tokenizer("Tokenization of unbelievably long words")["input_ids"]


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_equals_hugging_face(tiny_dirs, family):
    bundle = explorer.load_model(str(tiny_dirs[family]))
    run = explorer.extract(bundle, "the cat sat on the apple mat because it was tired")
    ref = hf_attentions(tiny_dirs[family], run.token_ids)
    np.testing.assert_allclose(run.attn, ref, atol=1e-5)
    check_identities(run, bundle.d_head)
    assert run.q.shape[1] == bundle.n_heads  # grouped-query K/V repeated to line up with query heads
    if bundle.n_kv_heads < bundle.n_heads:
        group = bundle.n_heads // bundle.n_kv_heads
        np.testing.assert_array_equal(run.k[:, 0], run.k[:, group - 1])
        assert not np.allclose(run.k[:, 0], run.k[:, group])
    assert not any("Ġ" in t for t in run.tokens)


def test_rotary_is_applied_to_q_and_k(tiny_dirs):
    """Llama q/k are after rotary: the same projection at another position must differ by the rotation."""
    bundle = explorer.load_model(str(tiny_dirs["llama"]))
    run = explorer.extract(bundle, "the the the the")
    lin = bundle.block(0).self_attn.q_proj
    x = torch.from_numpy(run.attn_input[0])
    q_plain = lin(x).detach().view(run.n_tokens, 4, 8).transpose(0, 1).numpy()  # (H, N, d) before rotary
    np.testing.assert_allclose(run.q[0][:, 0], q_plain[:, 0], atol=1e-5)  # position 0: no rotation
    assert not np.allclose(run.q[0][:, 2], q_plain[:, 2], atol=1e-3)
    np.testing.assert_allclose(np.linalg.norm(run.q[0], axis=-1), np.linalg.norm(q_plain, axis=-1), rtol=1e-4)


def test_empty_text_is_an_error(bundle):
    for text in ("", "   \n\t "):
        with pytest.raises(ExplorerError, match="empty"):
            explorer.extract(bundle, text)


def test_long_text_is_truncated(bundle):
    text = "apple " * 700
    run = explorer.extract(bundle, text, max_tokens=512)
    assert run.truncated and run.n_tokens == 512 and run.n_tokens_total > 512
    assert run.tokens[-1] == "[SEP]"
    short = explorer.extract(bundle, text, max_tokens=40)
    assert short.n_tokens == 40 and short.truncated
    np.testing.assert_allclose(short.attn.sum(-1), 1, atol=1e-5)


def test_limit_above_model_maximum_is_capped(bundle):
    run = explorer.extract(bundle, "word " * 600, max_tokens=5000)
    assert run.n_tokens == 512 and run.truncated


def test_bad_limit(bundle):
    with pytest.raises(ExplorerError):
        explorer.extract(bundle, "hello", max_tokens=1)
    with pytest.raises(ExplorerError):
        explorer.extract(bundle, "hello", max_tokens="lots")


def test_memory_estimate_matches_what_is_kept(apple_run, bundle):
    from explorer.extract import estimate_bytes

    kept = sum(
        a.nbytes for a in (apple_run.q, apple_run.k, apple_run.v, apple_run.context, apple_run.scores, apple_run.attn)
    )
    kept += apple_run.hidden.nbytes + apple_run.attn_input.nbytes
    assert estimate_bytes(bundle, apple_run.n_tokens) == kept


def test_huge_request_is_refused_before_running(bundle, monkeypatch):
    monkeypatch.setenv("EXPLORER_MEMORY_BUDGET_MB", "20")  # 512 tokens need ~170 MB
    with pytest.raises(ExplorerError, match="Lower the token limit to") as err:
        explorer.extract(bundle, "word " * 600)
    fits = int(str(err.value).split("Lower the token limit to ")[1].split()[0])
    run = explorer.extract(bundle, "word " * 600, max_tokens=fits)  # the suggestion works
    assert run.n_tokens == fits
