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
    if run.is_causal:  # -inf exactly where the model's mask hid a key: every later key, and beyond a sliding window
        n = run.n_tokens
        assert (finite == ~np.asarray(run.masked)[:, None]).all()
        assert not (finite & ~np.tril(np.ones((n, n), bool))).any()
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


def test_memory_estimate_covers_what_is_kept(apple_run, bundle):
    from explorer.extract import estimate_bytes

    kept = sum(a.nbytes for a in (apple_run.q, apple_run.k, apple_run.v, apple_run.context))
    kept += apple_run.hidden.nbytes + apple_run.attn_input.nbytes  # maps and scores are computed on demand
    assert apple_run.masked is None  # an encoder: nothing masked, nothing kept for it
    # the estimate covers what is kept, plus the forward pass's transient working set (never the maps)
    assert kept < estimate_bytes(bundle, apple_run.n_tokens) < 2 * kept


def test_huge_request_is_refused_before_running(bundle, monkeypatch):
    monkeypatch.setenv("EXPLORER_MEMORY_BUDGET_MB", "20")  # 512 tokens need ~170 MB
    with pytest.raises(ExplorerError, match="Lower the token limit to") as err:
        explorer.extract(bundle, "word " * 600)
    fits = int(str(err.value).split("Lower the token limit to ")[1].split()[0])
    run = explorer.extract(bundle, "word " * 600, max_tokens=fits)  # the suggestion works
    assert run.n_tokens == fits


# --- scores on demand -------------------------------------------------------------------------------------------


def test_scores_are_computed_for_just_the_part_asked_for(apple_run):
    """One layer, one head, a block of query rows, chosen heads, a boolean mask: each equals the same part of the
    whole array (built once here with np.asarray), to float32 rounding (a single row runs another matmul kernel)."""
    whole = np.asarray(apple_run.scores)
    L, H, N, _ = whole.shape
    assert whole.shape == apple_run.scores.shape == apple_run.attn.shape and whole.dtype == np.float32
    for index in [(2,), (2, 5), (2, 5, slice(3, 7)), (-1, [0, 3]), (1, slice(None), 4), (0, 1, 2, slice(1, 5))]:
        part = apple_run.scores[index]
        assert part.shape == whole[index].shape, index
        np.testing.assert_allclose(part, whole[index], rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(apple_run.scores[3, 7], whole[3, 7])  # one head: the same kernel, the same bits
    finite = np.isfinite(whole)
    np.testing.assert_array_equal(apple_run.scores[finite], whole[finite])
    assert len(list(apple_run.scores)) == L  # iterating goes layer by layer and stops
    with pytest.raises(IndexError):
        apple_run.scores[L]
    np.testing.assert_allclose(apple_run.scores.max(), whole.max())  # other array methods act on the whole


def test_scores_of_a_causal_model_are_masked_where_the_model_masked(tiny_dirs):
    run = explorer.extract(explorer.load_model(str(tiny_dirs["llama"])), "the cat sat on the mat")
    n = run.n_tokens
    later = ~np.tril(np.ones((n, n), bool))  # keys after the query
    assert run.masked.shape == (run.n_layers, n, n) and (run.masked == later).all()
    np.testing.assert_array_equal(run.masked_keys(1), later)
    head = run.scores[1, 2]
    assert np.isneginf(head[later]).all() and np.isfinite(head[~later]).all()
    np.testing.assert_allclose(run.scores[1, 2, 3:5], head[3:5], rtol=1e-6, atol=1e-6)  # a block of rows


def test_a_run_holds_no_scores_array(apple_run):
    """repr, asdict and replace never build the [L, H, N, N] scores: they are not a field."""
    import dataclasses

    assert "scores" not in {f.name for f in dataclasses.fields(apple_run)}
    assert "scores" not in repr(apple_run)
    assert "ScoreMaps" in repr(apple_run.scores)


def test_tokenize_returns_tokens_cut_to_the_limit(bundle):
    from explorer.extract import Tokens, tokenize

    t = tokenize(bundle, TEXT, 6)
    assert isinstance(t, Tokens)
    assert len(t.ids) == len(t.raw) == len(t.spans) == len(t.special) == len(t.readable) == 6
    assert len(t.shown) == len(t.unknown) == len(t.continues) == 6
    assert t.truncated and t.total > 6
    assert t.readable[1] == "The" and t.special[0]
    assert t.shown[1] == "the" and not any(t.unknown)  # the bundled model is uncased: it reads "the"


def test_attention_maps_are_computed_on_demand_and_blocks_of_rows_are_exact(apple_run):
    """extract() keeps no [L, H, N, N] array: attn is softmax of the scores, part by part; a block of rows is
    exact on its own because softmax is per row."""
    from explorer.extract import AttentionMaps

    assert isinstance(apple_run.attn, AttentionMaps)
    whole = np.asarray(apple_run.attn)
    np.testing.assert_allclose(whole.sum(-1), 1.0, atol=1e-5)
    for index in [(2,), (2, 5), (2, 5, slice(3, 7)), (-1, [0, 3]), (1, slice(None), 4)]:
        np.testing.assert_allclose(apple_run.attn[index], whole[index], atol=1e-6)
    np.testing.assert_allclose(apple_run.attn[3, 7], softmax(apple_run.scores[3, 7].astype(np.float64)), atol=1e-6)


def test_all_maps_at_once_are_refused_when_they_do_not_fit(apple_run, monkeypatch):
    monkeypatch.setenv("EXPLORER_MEMORY_BUDGET_MB", "0.001")  # 1 kB
    with pytest.raises(ExplorerError, match="a layer, a head or a block of query rows"):
        np.asarray(apple_run.attn)
    assert apple_run.attn[0, 0].shape == (apple_run.n_tokens, apple_run.n_tokens)  # one head still fits


def test_a_causal_mask_shared_by_every_layer_is_kept_once(tiny_dirs):
    run = explorer.extract(explorer.load_model(str(tiny_dirs["gpt2"])), "the cat sat on the mat")
    assert run.masked.shape == (run.n_layers, run.n_tokens, run.n_tokens)
    assert run.masked.strides[0] == 0  # one [N, N] array seen as every layer's
