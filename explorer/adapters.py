"""Per-architecture knowledge as data: where each family keeps its blocks, Q/K/V/O projections and norms."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class Adapter:
    """Where one family keeps its attention pieces. Paths are dotted attribute paths.

    ``layers`` is relative to the base model (what ``AutoModel`` returns); every other path is
    relative to one block of that list.
    """

    family: str  # name shown to users ("BERT", "GPT-2", ...)
    model_types: tuple[str, ...]  # config.model_type values this adapter serves
    layers: str  # ModuleList of transformer blocks
    attention: str  # module that calls the attention function (holds .scaling)
    q: str | None  # query projection (None when fused into qkv)
    k: str | None
    v: str | None
    o: str  # output projection W_O
    qkv: str | None = None  # fused Conv1D projection [d_model -> 3 * d_model] (GPT-2 c_attn)
    pre_norm: str | None = None  # norm applied to the block input before attention, if any
    is_causal: bool = False
    rotary: str | None = None  # rotary embedding module, relative to the base model


ADAPTERS: tuple[Adapter, ...] = (
    Adapter(
        family="BERT",
        model_types=("bert", "roberta", "xlm-roberta", "camembert", "electra"),  # the same BERT layout
        layers="encoder.layer",
        attention="attention.self",
        q="attention.self.query",
        k="attention.self.key",
        v="attention.self.value",
        o="attention.output.dense",
    ),
    Adapter(
        family="DistilBERT",
        model_types=("distilbert",),
        layers="transformer.layer",
        attention="attention",
        q="attention.q_lin",
        k="attention.k_lin",
        v="attention.v_lin",
        o="attention.out_lin",
    ),
    Adapter(
        family="GPT-2",
        model_types=("gpt2",),
        layers="h",
        attention="attn",
        q=None,
        k=None,
        v=None,
        qkv="attn.c_attn",
        o="attn.c_proj",
        pre_norm="ln_1",
        is_causal=True,
    ),
    Adapter(
        family="Llama/Qwen2/Mistral",
        model_types=("llama", "qwen2", "mistral"),
        layers="layers",
        attention="self_attn",
        q="self_attn.q_proj",
        k="self_attn.k_proj",
        v="self_attn.v_proj",
        o="self_attn.o_proj",
        pre_norm="input_layernorm",
        is_causal=True,
        rotary="rotary_emb",
    ),
)

# Display names where one adapter serves several families.
FAMILY_NAMES = {
    "roberta": "RoBERTa",
    "xlm-roberta": "XLM-RoBERTa",
    "camembert": "CamemBERT",
    "electra": "ELECTRA",
    "llama": "Llama",
    "qwen2": "Qwen2",
    "mistral": "Mistral",
}
SUPPORTED_FAMILIES = "BERT, RoBERTa, DistilBERT, ELECTRA, GPT-2, Llama, Qwen2, Mistral"


def adapter_for(model_type: str) -> Adapter | None:
    """The adapter serving ``config.model_type``, or None when the family is not supported."""
    for adapter in ADAPTERS:
        if model_type in adapter.model_types:
            return adapter
    return None


def get_path(root: nn.Module, path: str) -> nn.Module:
    """Follow a dotted attribute path ("attention.self.query"); digits index into ModuleLists."""
    module = root
    for part in path.split("."):
        module = module[int(part)] if part.isdigit() else getattr(module, part)
    return module


def linear_weights(module: nn.Module) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(weight [out, in], bias [out] or None) of an nn.Linear or a GPT-2 Conv1D (stored [in, out])."""
    if isinstance(module, nn.Linear):
        return module.weight.detach(), None if module.bias is None else module.bias.detach()
    # transformers' Conv1D: y = x @ weight + bias, weight [in, out]
    return module.weight.detach().t(), module.bias.detach()


def projection_weights(block: nn.Module, adapter: Adapter, n_heads: int, n_kv_heads: int, d_head: int):
    """W_Q, W_K, W_V, W_O of one block as (weight [out, in], bias or None) pairs, fused ones split."""
    if adapter.qkv is not None:
        weight, bias = linear_weights(get_path(block, adapter.qkv))  # [3 * d_model, d_model]
        sizes = (n_heads * d_head, n_kv_heads * d_head, n_kv_heads * d_head)
        ws = torch.split(weight, sizes, dim=0)
        bs = torch.split(bias, sizes, dim=0) if bias is not None else (None, None, None)
        qkv = list(zip(ws, bs))
    else:
        qkv = [linear_weights(get_path(block, p)) for p in (adapter.q, adapter.k, adapter.v)]
    return (*qkv, linear_weights(get_path(block, adapter.o)))
