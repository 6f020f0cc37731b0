"""Weight views as data: each attention layer's W_Q, W_K, W_V, W_O, q/k norms and rotary, found by common naming.

Maps need none of this (explorer.capture sees q, k and v where the attention function receives them). Only the
weight-level views do: the from-scratch reference module and the W_Q/W_K/W_V subspace overlap. load_model
derives the candidates here and keeps a layer's weights only when they reproduce the q, k and v the model itself
produced on a probe text; a family whose layout matches no candidate has maps but no weight views.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch import nn

# Child names under which families keep their projections (checked in order).
Q_NAMES = ("q_proj", "query", "q_lin", "q", "Wq")
K_NAMES = ("k_proj", "key", "k_lin", "k", "Wk")
V_NAMES = ("v_proj", "value", "v_lin", "v", "Wv")
QKV_NAMES = ("qkv_proj", "Wqkv", "c_attn", "query_key_value", "qkv")
O_NAMES = ("o_proj", "out_proj", "out_lin", "o", "Wo", "c_proj", "dense")
O_SIBLING_PATHS = ("output.dense",)  # BERT keeps W_O next to the attention module, in its parent
Q_NORM_NAMES = ("q_norm", "q_layernorm", "query_layernorm")
K_NORM_NAMES = ("k_norm", "k_layernorm", "key_layernorm")


@dataclass(frozen=True)
class Rotary:
    """Rotary position embedding as the layer applies it: q·cos + rotate_half(q)·sin on the first `dim` dims."""

    inv_freq: torch.Tensor  # [dim / 2]
    factor: float  # cos and sin are multiplied by it (attention_scaling)
    dim: int  # rotated dimensions of each head (< d_head: partial rotary)


@dataclass(frozen=True)
class LayerWeights:
    """One attention layer's weights, as (weight [out, in], bias [out] or None) pairs."""

    q: tuple[torch.Tensor, torch.Tensor | None]
    k: tuple[torch.Tensor, torch.Tensor | None]
    v: tuple[torch.Tensor, torch.Tensor | None]
    o: tuple[torch.Tensor, torch.Tensor | None] | None
    q_norm: nn.Module | None = None
    k_norm: nn.Module | None = None
    rotary: Rotary | None = None
    layout: str = "separate"  # how the projections were found: "separate", "fused", "fused per head"


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
    return module.weight.detach().t(), None if module.bias is None else module.bias.detach()


def _child(module: nn.Module, names: tuple[str, ...]) -> nn.Module | None:
    for name in names:
        child = getattr(module, name, None)
        if isinstance(child, nn.Module) and hasattr(child, "weight"):
            return child
    return None


def _output(attention: nn.Module, parent: nn.Module | None) -> nn.Module | None:
    found = _child(attention, O_NAMES)
    if found is not None or parent is None:
        return found
    for path in O_SIBLING_PATHS:
        try:
            return get_path(parent, path)
        except (AttributeError, IndexError):
            continue
    return None


def candidates(
    attention: nn.Module, parent: nn.Module | None, n_heads: int, n_kv_heads: int, d_head: int
) -> Iterator[LayerWeights]:
    """Every reading of the layer's weights that common naming allows (load_model keeps the one that matches)."""
    o = _output(attention, parent)
    o_pair = linear_weights(o) if o is not None else None
    norms = {"q_norm": _child(attention, Q_NORM_NAMES), "k_norm": _child(attention, K_NORM_NAMES)}
    q, k, v = (_child(attention, names) for names in (Q_NAMES, K_NAMES, V_NAMES))
    if q is not None and k is not None and v is not None:
        yield LayerWeights(linear_weights(q), linear_weights(k), linear_weights(v), o_pair, **norms)
    fused = _child(attention, QKV_NAMES)
    if fused is None:
        return
    weight, bias = linear_weights(fused)
    sizes = (n_heads * d_head, n_kv_heads * d_head, n_kv_heads * d_head)
    if weight.shape[0] != sum(sizes):
        return
    # one after another: [Q | K | V] (GPT-2, Phi-3, ModernBERT, GPT-BigCode's multi-query)
    ws, bs = torch.split(weight, sizes), torch.split(bias, sizes) if bias is not None else (None,) * 3
    yield LayerWeights(*zip(ws, bs), o_pair, **norms, layout="fused")
    if n_kv_heads == n_heads:  # per head: [q_h | k_h | v_h] for each head in turn (GPT-NeoX)
        per_head = weight.view(n_heads, 3, d_head, -1)
        b = bias.view(n_heads, 3, d_head) if bias is not None else None
        parts = [
            (per_head[:, i].reshape(n_heads * d_head, -1), None if b is None else b[:, i].reshape(-1)) for i in range(3)
        ]
        yield LayerWeights(*parts, o_pair, **norms, layout="fused per head")


def find_rotary(model: nn.Module, cos: torch.Tensor, d_head: int) -> Rotary | None:
    """The model's rotary buffer that produced `cos` [.., N, dim] for positions 0..N-1 (None when none does)."""
    cos = cos.detach().float().reshape(-1, cos.shape[-2], cos.shape[-1])[0]  # (N, dim), batch 0
    n, dim = cos.shape
    if dim > d_head:
        return None
    positions = torch.arange(n, dtype=torch.float32)
    for owner in model.modules():
        for name, buffer in owner.named_buffers(recurse=False):
            # cos holds each angle twice ([θ, θ], rotate_half style) or once (gpt-oss's halves): the same rotation
            if not name.endswith("inv_freq") or buffer.numel() not in (dim // 2, dim):
                continue
            prefix = name[: -len("inv_freq")]
            factor = float(getattr(owner, f"{prefix}attention_scaling", getattr(owner, "attention_scaling", 1.0)))
            inv_freq = buffer.detach().float().cpu()
            angles = positions[:, None] * inv_freq[None, :]
            if buffer.numel() == dim // 2:
                angles = torch.cat((angles, angles), -1)
            if torch.allclose(angles.cos() * factor, cos.cpu(), atol=1e-5):
                return Rotary(inv_freq, factor, 2 * inv_freq.numel())
    return None
