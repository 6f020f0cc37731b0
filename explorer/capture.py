"""The capture: our registered copy of eager attention and the per-layer input hooks, both installed at load.

This module holds the explorer's one deliberate global: the capture target of the thread that is running a
forward pass (a context variable). Everything else is plain per-model data.

- `install(model, attention_modules, input_modules)` (called by `load_model`) registers `capture_attention`
  with transformers' AttentionInterface under CAPTURE_IMPL, switches the model to it, and hooks each layer's
  input module (its query or fused qkv projection) to keep what the attention layer is fed. The hooks stay for
  the model's lifetime.
- `with capturing(cap): model(...)` runs a forward pass that writes q, k, v, context, scale, masked keys and
  layer inputs into `cap`. The maps themselves are not kept: they are N² per head, and softmax(q·kᵀ·scale + mask)
  gives them back exactly from the stored q and k, one block of rows at a time (explorer.extract.AttentionMaps).
  Inside the block the attention output comes from torch's fused scaled_dot_product_attention with the same
  q, k, v, scale and mask; outside it the model behaves exactly like eager attention.

Capture targets are per thread (contextvars), so two sessions extracting from one shared model at once never
see each other's tensors.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

CAPTURE_IMPL = "explorer_capture"


@dataclass
class Capture:
    """Where one forward pass writes: preallocated [L, ...] buffers (torch views of numpy arrays)."""

    layers: dict[int, int]  # id(attention module) -> layer index
    q: torch.Tensor  # [L, H, N, d_head] after rotary; grouped-query K/V repeated
    k: torch.Tensor  # [L, H, N, d_head]
    v: torch.Tensor  # [L, H, N, d_head]
    context: torch.Tensor  # [L, H, N, d_head]
    attn_input: np.ndarray  # [L, N, d_model] what each attention layer was fed
    scale: list[float] = field(default_factory=list)  # [L] the factor the scores were multiplied by (nan: not run)
    masked: list[np.ndarray | None] = field(default_factory=list)  # [L] [N, N] True where the mask hid a key


# The capture target of the current thread's forward pass (None: behave exactly like eager).
_current: contextvars.ContextVar[Capture | None] = contextvars.ContextVar("explorer_capture", default=None)


@contextlib.contextmanager
def capturing(cap: Capture) -> Iterator[Capture]:
    """Within the block, forward passes on this thread write into `cap`."""
    token = _current.set(cap)
    try:
        yield cap
    finally:
        _current.reset(token)


def capture_attention(module, query, key, value, attention_mask, scaling=None, dropout=0.0, **kwargs):
    """Eager attention's maths (scaled q·kᵀ + mask, softmax, @ v, grouped-query K/V repeated, no dropout).

    Outside a capture it is eager attention written out once more. Inside one, the output comes from the fused
    kernel (no [H, N, N] weights materialised) and q, k, v, context, scale and mask go into the capture.
    """
    if scaling is None:
        scaling = query.size(-1) ** -0.5
    n_rep = query.shape[1] // key.shape[1]
    if n_rep > 1:  # grouped-query: KV head g serves query heads g * n_rep ... (g + 1) * n_rep - 1
        key = key.repeat_interleave(n_rep, dim=1)  # (B, H, Nk, d)
        value = value.repeat_interleave(n_rep, dim=1)
    if attention_mask is not None:
        attention_mask = attention_mask[..., : key.shape[-2]]  # (B or 1, 1, Nq, Nk)
    cap = _current.get()
    layer = cap.layers.get(id(module)) if cap is not None else None
    if layer is None:
        scores = torch.matmul(query, key.transpose(-1, -2)).mul_(scaling)  # (B, H, Nq, d) x (B, H, d, Nk)
        if attention_mask is not None:
            masked = ~attention_mask if attention_mask.dtype == torch.bool else attention_mask < -1e30
            scores.masked_fill_(masked, float("-inf"))
        weights = torch.softmax(scores, dim=-1, dtype=torch.float32).to(query.dtype)
        output = torch.matmul(weights, value)  # (B, H, Nq, d)
        return output.transpose(1, 2).contiguous(), weights
    output = torch.nn.functional.scaled_dot_product_attention(
        query, key, value, attn_mask=attention_mask, dropout_p=0.0, scale=float(scaling)
    )  # (1, H, Nq, d)
    cap.q[layer].copy_(query[0])
    cap.k[layer].copy_(key[0])
    cap.v[layer].copy_(value[0])
    cap.context[layer].copy_(output[0])
    cap.scale[layer] = float(scaling)
    if attention_mask is not None:
        masked = (~attention_mask if attention_mask.dtype == torch.bool else attention_mask < -1e30)[0, 0].numpy()
        earlier = next((m for m in cap.masked if m is not None), None)
        # Layers usually share one mask: keep one copy (N² bytes), not one per layer.
        cap.masked[layer] = earlier if earlier is not None and np.array_equal(earlier, masked) else masked
    return output.transpose(1, 2).contiguous(), None


def install(model: nn.Module, attention_modules: Sequence[nn.Module], input_modules: Sequence[nn.Module]) -> None:
    """Switch a loaded model to capture_attention and hook each layer's input module (layer order).

    attention_modules[l]: the module that calls the attention function in layer l (its id names the layer);
    input_modules[l]: the module whose input is what layer l's attention is fed (after its pre-norm).
    """
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, eager_mask

    AttentionInterface.register(CAPTURE_IMPL, capture_attention)
    AttentionMaskInterface.register(CAPTURE_IMPL, eager_mask)
    model.set_attn_implementation(CAPTURE_IMPL)
    for layer, module in enumerate(input_modules):

        def keep_input(_module, args, layer=layer):
            cap = _current.get()
            if cap is not None:
                cap.attn_input[layer] = args[0][0].detach().numpy()  # (N, d_model)

        module.register_forward_pre_hook(keep_input)


def layer_map(attention_modules: Sequence[nn.Module]) -> dict[int, int]:
    """id(attention module) -> layer index, the Capture.layers of a model."""
    return {id(m): i for i, m in enumerate(attention_modules)}
