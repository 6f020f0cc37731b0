"""The capture: one attention function registered with transformers' AttentionInterface, for every family.

This module holds the explorer's one deliberate global: the capture target of the thread that is running a
forward pass (a context variable). Everything else is plain per-model data.

- `install(model)` registers `capture_attention` under CAPTURE_IMPL (with a boolean mask function) and switches
  the model to it. Every attention module that calls the interface gets a pre-hook that keeps its input.
- Outside a capture `capture_attention` calls the module's own family `eager_attention_forward`: the model
  behaves exactly as under eager attention.
- `with capturing(Recording()): model(...)` notes which modules call the interface, in call order, with their
  query and key lengths and rotary inputs: that is how load_model finds the attention layers of any family.
- `with capturing(cap): model(...)` writes q, k, v and context (after rotary and q/k norms, grouped K/V
  repeated), the scale, the mask and the family's extras (T5's position bias, soft-capping, sinks) into `cap`.
  The maps themselves are not kept: explorer.maps gives them back exactly, one block of rows at a time. Inside
  a capture the attention output comes from torch's fused scaled_dot_product_attention where the family adds
  nothing it cannot express (soft-capping and sinks go through explorer.maps in row blocks instead).

Capture targets are per thread (contextvars), so two sessions extracting from one shared model at once never
see each other's tensors.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from explorer.maps import Modifiers, logits, softmax_rows

CAPTURE_IMPL = "explorer_capture"
BLOCK_BYTES = 256 * 2**20  # working set of one row block where the output cannot come from the fused kernel


@dataclass
class PartCapture:
    """Where one kind of attention (self; or encoder, decoder, cross) writes: [L, ...] buffers."""

    q: torch.Tensor  # [L, H, Nq, d_head] after rotary and q/k norms; grouped-query K/V repeated
    k: torch.Tensor  # [L, H, Nk, d_head]
    v: torch.Tensor  # [L, H, Nk, d_head]
    context: torch.Tensor  # [L, H, Nq, d_head]
    attn_input: np.ndarray  # [L, Nq, d_model] what each attention layer was fed
    scale: list[float]  # [L] the factor the scores were multiplied by (nan: not run)
    masked: list[np.ndarray | None]  # [L] [Nq, Nk] True where the mask hid a key
    mods: Modifiers = field(default_factory=Modifiers)

    @classmethod
    def empty(cls, n_layers: int, n_heads: int, nq: int, nk: int, d_head: int, d_model: int) -> PartCapture:
        def buf(n: int) -> torch.Tensor:
            return torch.from_numpy(np.empty((n_layers, n_heads, n, d_head), np.float32))

        return cls(
            q=buf(nq),
            k=buf(nk),
            v=buf(nk),
            context=buf(nq),
            attn_input=np.empty((n_layers, nq, d_model), np.float32),
            scale=[float("nan")] * n_layers,
            masked=[None] * n_layers,
            mods=Modifiers([None] * n_layers, [None] * n_layers, [None] * n_layers),
        )


@dataclass
class Capture:
    """One forward pass's target: id(attention module) -> (kind, layer), and one PartCapture per kind."""

    where: dict[int, tuple[str, int]]
    parts: dict[str, PartCapture]
    _seen: dict[int, Any] = field(default_factory=dict)  # id(tensor) -> what it became (shared masks, biases)


@dataclass
class Call:
    """One call of the attention interface seen by a Recording."""

    module: nn.Module
    n_queries: int
    n_keys: int
    n_heads: int
    n_kv_heads: int
    d_head: int
    rotary: tuple[torch.Tensor, torch.Tensor] | None = None  # (cos, sin) the layer was given, if any


@dataclass
class Recording:
    """Target of a discovery pass: the attention calls in order, and what each layer was fed."""

    calls: list[Call] = field(default_factory=list)
    inputs: dict[int, dict[str, Any]] = field(default_factory=dict)  # id(module) -> its forward kwargs + input


# The capture target of the current thread's forward pass (None: behave exactly like eager).
_current: contextvars.ContextVar[Capture | Recording | None] = contextvars.ContextVar("explorer_capture", default=None)


@contextlib.contextmanager
def capturing(cap: Capture | Recording) -> Iterator[Capture | Recording]:
    """Within the block, forward passes on this thread write into `cap`."""
    token = _current.set(cap)
    try:
        yield cap
    finally:
        _current.reset(token)


@functools.cache
def family_eager(module_type: type) -> Callable:
    """The `eager_attention_forward` of the module's own family (the maths its eager attention runs)."""
    fn = getattr(sys.modules.get(module_type.__module__), "eager_attention_forward", None)
    if fn is None:
        raise TypeError(f"{module_type.__name__} has no eager_attention_forward in {module_type.__module__}")
    return fn


def hidden_keys(mask: torch.Tensor) -> torch.Tensor:
    """True where a mask hides a key: a boolean mask marks the kept keys, an additive one hides with its minimum."""
    if mask.dtype == torch.bool:
        return ~mask
    return mask <= torch.finfo(mask.dtype).min / 2


def _additive(mask: torch.Tensor | None, dtype: torch.dtype) -> torch.Tensor | None:
    """Eager attention adds its mask: a boolean one becomes 0 where kept and the dtype's minimum where hidden."""
    if mask is None or mask.dtype != torch.bool:
        return mask
    return torch.where(mask, torch.zeros((), dtype=dtype, device=mask.device), torch.finfo(dtype).min)


def capture_attention(module, query, key, value, attention_mask, scaling=None, dropout=0.0, **kwargs):
    """The attention function every captured model runs (B = 1 inside a capture)."""
    cap = _current.get()
    where = cap.where.get(id(module)) if isinstance(cap, Capture) else None
    if isinstance(cap, Recording):
        h, hkv = query.shape[1], key.shape[1]
        seen = cap.inputs.get(id(module), {})
        cap.calls.append(Call(module, query.shape[2], key.shape[2], h, hkv, query.shape[3], seen.get("rotary")))
    if where is None:
        mask = _additive(attention_mask, query.dtype)
        return family_eager(type(module))(module, query, key, value, mask, scaling=scaling, dropout=dropout, **kwargs)

    kind, layer = where
    part = cap.parts[kind]
    if scaling is None:
        scaling = query.size(-1) ** -0.5
    n_rep = query.shape[1] // key.shape[1]
    if n_rep > 1:  # grouped-query: KV head g serves query heads g * n_rep ... (g + 1) * n_rep - 1
        key = key.repeat_interleave(n_rep, dim=1)  # (B, H, Nk, d)
        value = value.repeat_interleave(n_rep, dim=1)
    nq, nk = query.shape[2], key.shape[2]
    masked, causal = _masked(cap, attention_mask, nq, nk)
    bias = _bias(cap, kwargs.get("position_bias"))
    softcap = kwargs.get("softcap")
    sinks = getattr(module, "sinks", None)
    sinks = sinks.detach().float().cpu() if isinstance(sinks, torch.Tensor) else None

    if softcap is None and sinks is None:
        if bias is not None:
            mask_arg = bias.to(query.device, query.dtype)[None]
            if masked is not None:
                mask_arg = mask_arg.masked_fill(torch.from_numpy(masked).to(query.device), float("-inf"))
        elif masked is not None and not causal:
            mask_arg = torch.from_numpy(~masked).to(query.device)
        else:
            mask_arg = None
        output = torch.nn.functional.scaled_dot_product_attention(
            query, key, value, attn_mask=mask_arg, dropout_p=0.0, is_causal=causal, scale=float(scaling)
        )  # (1, H, Nq, d)
    else:
        output = _rows_output(query[0], key[0], value[0], float(scaling), masked, bias, softcap, sinks)[None]

    part.q[layer].copy_(query[0])
    part.k[layer].copy_(key[0])
    part.v[layer].copy_(value[0])
    part.context[layer].copy_(output[0])
    part.scale[layer] = float(scaling)
    part.masked[layer] = masked
    part.mods.bias[layer], part.mods.softcap[layer], part.mods.sinks[layer] = bias, softcap, sinks
    return output.transpose(1, 2).contiguous(), None


def _masked(cap: Capture, mask: torch.Tensor | None, nq: int, nk: int) -> tuple[np.ndarray | None, bool]:
    """The mask as [Nq, Nk] bool (True: hidden), shared between layers given the same tensor; and whether it is
    exactly the causal pattern (then the fused kernel runs with is_causal instead of a mask)."""
    if mask is None:
        return None, False
    seen = cap._seen.get(id(mask))
    if seen is not None and seen[0] is mask:
        return seen[1], seen[2]
    hidden = hidden_keys(mask[..., :nk])[0, 0].cpu().numpy()  # (Nq, Nk)
    for _, earlier, was_causal in cap._seen.values():  # another tensor with the same pattern: keep one copy
        if isinstance(earlier, np.ndarray) and earlier.shape == hidden.shape and np.array_equal(earlier, hidden):
            hidden, causal = earlier, was_causal
            break
    else:
        causal = nq == nk and np.array_equal(hidden, np.triu(np.ones((nq, nk), bool), 1))
        if not hidden.any():
            hidden = None
    cap._seen[id(mask)] = (mask, hidden, causal)
    return hidden, causal


def _bias(cap: Capture, bias: torch.Tensor | None) -> torch.Tensor | None:
    """T5's position bias as [H, Nq, Nk] float32 on the host, shared between layers given the same tensor."""
    if bias is None:
        return None
    seen = cap._seen.get(id(bias))
    if seen is not None and seen[0] is bias:
        return seen[1]
    kept = bias[0].detach().float().cpu() if bias.any() else None
    cap._seen[id(bias)] = (bias, kept, False)
    return kept


def _rows_output(q, k, v, scale, masked, bias, softcap, sinks) -> torch.Tensor:
    """Attention output [H, Nq, d] through explorer.maps's formula, a block of query rows at a time."""
    h, nq, nk = q.shape[0], q.shape[1], k.shape[1]
    step = max(1, BLOCK_BYTES // (4 * h * nk))
    out = torch.empty(h, nq, v.shape[-1], dtype=torch.float32, device=q.device)
    mask_t = torch.from_numpy(masked).to(q.device) if masked is not None else None
    for i0 in range(0, nq, step):
        rows = slice(i0, min(nq, i0 + step))
        scores = logits(
            q[:, rows].float(),
            k.float(),
            scale,
            None if mask_t is None else mask_t[rows],
            None if bias is None else bias[:, rows].to(q.device),
            softcap,
        )
        weights, _ = softmax_rows(scores, None if sinks is None else sinks.to(q.device))
        out[:, rows] = weights @ v.float()
    return out.to(q.dtype)


def forward(model: nn.Module, ids: list[int], decoder_ids: list[int] | None = None, **options: Any) -> Any:
    """One forward pass on one text (and, for encoder–decoder models, the decoder's ids), no cache kept."""
    device = model.get_input_embeddings().weight.device
    inputs = {
        "input_ids": torch.tensor([ids], device=device),
        "attention_mask": torch.ones(1, len(ids), dtype=torch.long, device=device),
    }
    if decoder_ids is not None:
        inputs["decoder_input_ids"] = torch.tensor([decoder_ids], device=device)
    with torch.inference_mode():
        return model(**inputs, **options)


def _keep_input(module: nn.Module, args: tuple, kwargs: dict) -> None:
    """Pre-hook on every attention module: keep what the layer is fed (and, while discovering, its rotary)."""
    cap = _current.get()
    if cap is None:
        return
    x = kwargs.get("hidden_states", args[0] if args else None)
    if isinstance(cap, Recording):
        rotary = kwargs.get("position_embeddings")
        cap.inputs[id(module)] = {
            "input": x,
            "kv_input": kwargs.get("key_value_states", kwargs.get("encoder_hidden_states")),
            "rotary": tuple(rotary) if isinstance(rotary, tuple | list) and len(rotary) == 2 else None,
        }
        return
    where = cap.where.get(id(module))
    if where is not None and isinstance(x, torch.Tensor):
        kind, layer = where
        cap.parts[kind].attn_input[layer] = x[0].detach().float().cpu().numpy()  # (Nq, d_model)


def _bool_mask(*args, **kwargs):
    """The mask function registered with our implementation: transformers' boolean mask (True: attend), never
    skipped for causal models, so every layer's pattern reaches the capture."""
    from transformers.masking_utils import sdpa_mask

    kwargs.pop("allow_is_causal_skip", None)
    kwargs.pop("dtype", None)
    return sdpa_mask(*args, allow_is_causal_skip=False, **kwargs)


def register() -> None:
    """Register capture_attention and its mask function with transformers (idempotent)."""
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface

    AttentionInterface.register(CAPTURE_IMPL, capture_attention)
    AttentionMaskInterface.register(CAPTURE_IMPL, _bool_mask)


def install(model: nn.Module) -> None:
    """Switch a loaded model to capture_attention (raises what transformers raises when a family cannot)."""
    register()
    model.set_attn_implementation(CAPTURE_IMPL)


def hook_inputs(modules: list[nn.Module]) -> None:
    """Keep each attention module's input (hooks stay for the model's lifetime)."""
    for module in modules:
        module.register_forward_pre_hook(_keep_input, with_kwargs=True)
