"""The family matrix: a tiny random model of every family loads through load_model(folder), and every head's
map equals the family's own eager `output_attentions` (encoder, decoder and cross for encoder–decoder models)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from safetensors.torch import save_file
from transformers import AutoModel, AutoTokenizer

import explorer
from explorer.reference import MultiHeadAttention
from tests.support.tiny_models import ALL_FAMILIES, SEQ2SEQ_FAMILIES, WINDOW

TEXT = "the cat sat on the mat because it was tired and the big red dog said attention"
TARGET = "apple pie and apple juice with an apple iphone"
LOADED: dict[str, tuple] = {}


def loaded(tiny_dirs, family):
    """(bundle, run) per family, loaded once per session."""
    if family not in LOADED:
        bundle = explorer.load_model(str(tiny_dirs[family]))
        target = TARGET if family in SEQ2SEQ_FAMILIES else None
        LOADED[family] = bundle, explorer.extract(bundle, TEXT, target=target)
    return LOADED[family]


def eager_maps(folder, run) -> dict[str, list[np.ndarray]]:
    """The family's own eager attention, from a separately loaded model: kind -> per-layer [H, Nq, Nk]."""
    model = AutoModel.from_pretrained(folder, attn_implementation="eager").eval()
    inputs = {"input_ids": torch.tensor([run.token_ids])}
    with torch.no_grad():
        if run.kinds == ("self",):
            out = model(**inputs, output_attentions=True)
            return {"self": [a[0].numpy() for a in out.attentions]}
        out = model(**inputs, decoder_input_ids=torch.tensor([run.part("decoder").token_ids]), output_attentions=True)
    return {
        kind: [a[0].numpy() for a in maps]
        for kind, maps in (
            ("encoder", out.encoder_attentions),
            ("decoder", out.decoder_attentions),
            ("cross", out.cross_attentions),
        )
    }


@pytest.mark.parametrize("family", ALL_FAMILIES)
def test_every_map_equals_the_familys_own_eager_attention(tiny_dirs, family):
    bundle, run = loaded(tiny_dirs, family)
    assert run.n_tokens > WINDOW  # sliding windows are shorter than the text
    want = eager_maps(tiny_dirs[family], run)
    assert tuple(want) == run.kinds
    for kind, layers in want.items():
        rec = run.part(kind)
        assert len(layers) == rec.n_layers == bundle.stack(kind).n_layers
        for layer, maps in enumerate(layers):
            np.testing.assert_allclose(rec.attn[layer], maps, atol=1e-5, err_msg=f"{family} {kind} layer {layer}")


@pytest.mark.parametrize("family", ALL_FAMILIES)
def test_scores_softmax_to_the_maps_and_context_is_attn_times_v(tiny_dirs, family):
    _bundle, run = loaded(tiny_dirs, family)
    for kind in run.kinds:
        rec = run.part(kind)
        sink = rec.sink
        for layer in range(rec.n_layers):
            scores, attn = rec.scores[layer].astype(np.float64), rec.attn[layer]
            shares = np.exp(scores - scores.max(-1, keepdims=True))
            if sink is None:
                np.testing.assert_allclose(shares / shares.sum(-1, keepdims=True), attn, atol=1e-5)
            else:  # the sink's share set apart: the real keys share the rest, in proportion to exp(score)
                np.testing.assert_allclose(attn.sum(-1) + sink[layer], 1.0, atol=1e-5)
                np.testing.assert_allclose(
                    shares / shares.sum(-1, keepdims=True), attn / attn.sum(-1, keepdims=True), atol=1e-5
                )
            np.testing.assert_allclose(attn @ rec.v[layer], rec.context[layer], atol=1e-5)


@pytest.mark.parametrize("family", ALL_FAMILIES)
def test_a_block_of_rows_equals_those_rows_of_the_whole_map(tiny_dirs, family):
    _bundle, run = loaded(tiny_dirs, family)
    for kind in run.kinds:
        rec = run.part(kind)
        last = rec.n_layers - 1
        np.testing.assert_array_equal(rec.attn[last, 1, 3:7], rec.attn[last][1][3:7])
        np.testing.assert_array_equal(rec.scores[last, 1, 3:7], rec.scores[last][1][3:7])


@pytest.mark.parametrize("family", ALL_FAMILIES)
def test_the_from_scratch_module_reproduces_every_layer(tiny_dirs, family):
    bundle, run = loaded(tiny_dirs, family)
    for kind in run.kinds:
        assert bundle.stack(kind).weights is not None, bundle.stack(kind).weights_note
        rec = run.part(kind)
        for layer in range(rec.n_layers):
            mha = MultiHeadAttention.from_pretrained_layer(bundle, layer, kind)
            masked = rec.masked_keys(layer)
            with torch.no_grad():
                t = mha(
                    torch.from_numpy(np.ascontiguousarray(rec.attn_input[layer])),
                    x_kv=None if rec.kv_input is None else torch.from_numpy(rec.kv_input),
                    mask=None if masked is None else torch.from_numpy(~np.asarray(masked))[None],
                    position_bias=None if rec.mods is None else rec.mods.bias[layer],
                )
            for got, want in ((t.q, rec.q), (t.k, rec.k), (t.weights, rec.attn[layer]), (t.context, rec.context)):
                want = want if isinstance(want, np.ndarray) and want.ndim == 3 else want[layer]
                np.testing.assert_allclose(got[0].numpy(), want, atol=2e-5, err_msg=f"{family} {kind} {layer}")


@pytest.mark.parametrize("family", SEQ2SEQ_FAMILIES)
def test_the_decoder_is_teacher_forced_from_its_start_token(tiny_dirs, family):
    bundle, run = loaded(tiny_dirs, family)
    labels = AutoTokenizer.from_pretrained(tiny_dirs[family])(TARGET)["input_ids"]
    dec, cross, enc = run.part("decoder"), run.part("cross"), run.part("encoder")
    assert bundle.kind == "encoder-decoder" and run.kinds == ("encoder", "decoder", "cross")
    assert enc is run and dec.token_ids == [bundle.decoder_start, *labels[:-1]]
    assert cross.token_ids == dec.token_ids and cross.query_tokens == dec.tokens
    assert cross.key_tokens == enc.tokens and dec.key_tokens == dec.tokens
    assert cross.q.shape[2] == len(dec.tokens) and cross.k.shape[2] == len(enc.tokens)
    assert cross.attn[0].shape == (cross.n_heads, len(dec.tokens), len(enc.tokens))
    assert dec.is_causal and not enc.is_causal and not cross.is_causal and cross.masked is None
    with pytest.raises(explorer.ExplorerError, match="target"):
        explorer.extract(bundle, TEXT)


def test_one_stack_models_have_one_kind_and_refuse_a_target(tiny_dirs):
    bundle, run = loaded(tiny_dirs, "qwen3")
    assert bundle.kind == "decoder" and run.kinds == ("self",) and run.part("self") is run
    assert run.query_tokens == run.key_tokens == run.tokens
    with pytest.raises(explorer.ExplorerError, match="target"):
        explorer.extract(bundle, TEXT, target="a decoder text")
    assert explorer.load_model(str(tiny_dirs["bert"])).kind == "encoder"


def test_gemma2_soft_caps_and_gpt_oss_keeps_its_sink_share(tiny_dirs):
    _bundle, gemma = loaded(tiny_dirs, "gemma2")
    assert (
        gemma.mods.softcap[0] == 5.0
        and np.nanmax(np.abs(np.where(np.isfinite(gemma.scores[0]), gemma.scores[0], 0))) < 5
    )
    _bundle, oss = loaded(tiny_dirs, "gpt_oss")
    sink = oss.sink[0, 1]  # [N] the sink's share of each row of head 1
    assert sink.shape == (oss.n_tokens,) and (sink > 0).all()
    assert (oss.attn[0, 1].sum(-1) < 1).all()


@pytest.mark.parametrize(("model_type", "name"), [("deberta-v2", "DeBERTa"), ("falcon", "Falcon")])
def test_families_outside_the_interface_are_refused_by_name(tmp_path, model_type, name):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": model_type}))
    save_file({"w": torch.zeros(1)}, str(tmp_path / "model.safetensors"))
    with pytest.raises(explorer.ExplorerError, match=f"{name}.*attention interface.*Supported"):
        explorer.load_model(str(tmp_path))
