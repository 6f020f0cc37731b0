"""Discovery at load: which modules are the attention layers, whether the capture equals the family's own eager
attention, and which layers have weight views. One probe text, no per-family code.

1. A forward pass under eager attention gives the reference maps (`output_attentions`).
2. The model switches to the capture. A Recording pass lists the modules that call the attention interface, in
   call order; their query and key lengths sort them into kinds (the probe's encoder and decoder texts differ in
   length): self-attention, or encoder self, decoder self and cross.
3. A capture pass on the same probe must give every map within tolerance of step 1, or the family is refused.
4. For each layer, the candidate weight layouts of explorer.adapters run through the from-scratch module on the
   layer's real input; the first that gives back the captured q, k and v is kept.

Before step 1, load_model asks two checks of this module: every id the tokenizer can give has a row in the
embedding (check_vocabulary), and no weight the files lack reaches the probe's hidden states (check_missing_weights).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch
from torch import nn

from explorer.adapters import LayerWeights, candidates, find_rotary
from explorer.capture import Call, Capture, PartCapture, Recording, capturing, forward, hook_inputs, install
from explorer.errors import ExplorerError
from explorer.maps import AttentionMaps, stack_masks

SUPPORTED = (
    "text models whose attention goes through transformers' attention interface, for example BERT, RoBERTa, "
    "XLM-RoBERTa, DistilBERT, ELECTRA, ModernBERT, GPT-2, GPT-NeoX, Llama, Mistral, Mixtral, Qwen2, Qwen3, "
    "Gemma 2, Gemma 3, Phi-3, OLMo 2, GPT-BigCode, SmolLM3, T5, BART and Marian"
)


@dataclass
class Stack:
    """One kind of attention of a model ("self"; or "encoder", "decoder", "cross"): its layers in order."""

    kind: str
    modules: list[nn.Module]  # the module that calls the attention function, per layer
    blocks: list[nn.Module]  # the transformer block each one sits in
    n_heads: int
    n_kv_heads: int  # < n_heads for grouped-query attention
    d_head: int
    d_model: int
    scale: list[float] = field(default_factory=list)  # per layer, as the probe saw it
    softcap: list[float | None] = field(default_factory=list)
    sinks: list[torch.Tensor | None] = field(default_factory=list)
    weights: list[LayerWeights] | None = None  # None: maps only, no weight views
    weights_note: str = ""  # why there are no weight views

    @property
    def n_layers(self) -> int:
        return len(self.modules)

    def layer_weights(self, layer: int) -> LayerWeights:
        if not 0 <= layer < self.n_layers:
            raise ValueError(f"Layer {layer} does not exist: this model has layers 0 to {self.n_layers - 1}.")
        if self.weights is None:
            raise ExplorerError(self.weights_note or "This model's attention weights are not laid out in a known way.")
        return self.weights[layer]


PROBE_TEXT = "The quick brown fox jumps over the lazy dog while a cat watches every attention head."
PROBE_TARGET = "A small dog sleeps in the sun."


@dataclass
class Found:
    stacks: dict[str, Stack]
    where: dict[int, tuple[str, int]]
    is_causal: bool
    rotary: bool
    pre_norm: bool


def probe_ids(tokenizer: Any, is_enc_dec: bool, start: int | None, max_tokens: int) -> tuple[list, list | None]:
    """Encoder (or only) ids and, for encoder–decoder models, decoder ids of a different length."""
    ids = list(tokenizer(PROBE_TEXT)["input_ids"])[: max(2, min(max_tokens, 32))]
    if not is_enc_dec:
        return ids, None
    labels = list(tokenizer(PROBE_TARGET)["input_ids"])
    dec = ([start] + labels[:-1])[: max(1, len(ids) - 1)]
    return ids, dec


def capture_for(stacks: dict[str, Stack], where: dict, lengths: dict[str, tuple[int, int]]) -> Capture:
    """An empty Capture with one [L, ...] buffer set per kind (lengths: kind -> (queries, keys))."""
    parts = {
        kind: PartCapture.empty(s.n_layers, s.n_heads, *lengths[kind], s.d_head, s.d_model)
        for kind, s in stacks.items()
    }
    return Capture(where=where, parts=parts)


def lengths_of(kinds: tuple[str, ...], n: int, n_dec: int | None) -> dict[str, tuple[int, int]]:
    if kinds == ("self",):
        return {"self": (n, n)}
    return {"encoder": (n, n), "decoder": (n_dec, n_dec), "cross": (n_dec, n)}


def discover(model: nn.Module, tokenizer: Any, is_enc_dec: bool, start: int | None, max_tokens: int, name: str):
    """Find, check and describe the attention layers of a freshly loaded eager model (see the module docstring)."""
    model.config.use_cache = False
    ids, dec = probe_ids(tokenizer, is_enc_dec, start, max_tokens)
    reference = forward(model, ids, dec, output_attentions=True, output_hidden_states=True)
    try:
        install(model)
    except Exception as err:  # transformers refuses families that cannot take an attention function
        raise ExplorerError(f"'{name}' cannot run through transformers' attention interface ({err}). "
                            f"Supported: {SUPPORTED}.") from err  # fmt: skip
    first = Recording()
    with capturing(first):
        forward(model, ids, dec)
    if not first.calls:
        raise ExplorerError(
            f"'{name}' computes its attention outside transformers' attention interface, so its heads cannot be "
            f"captured exactly. Supported: {SUPPORTED}."
        )
    modules = [c.module for c in first.calls]
    if len({id(m) for m in modules}) != len(modules):
        raise ExplorerError(f"'{name}' runs one attention module in several layers (shared weights): not supported.")
    hook_inputs(modules)
    second = Recording()
    with capturing(second):
        forward(model, ids, dec)
    calls = _by_kind(second.calls, len(ids), None if dec is None else len(dec))
    names = {id(m): n for n, m in model.named_modules()}
    stacks = {kind: _stack(model, kind, cs, second, names) for kind, cs in calls.items()}
    where = {id(c.module): (kind, layer) for kind, cs in calls.items() for layer, c in enumerate(cs)}

    cap = capture_for(stacks, where, lengths_of(tuple(stacks), len(ids), None if dec is None else len(dec)))
    with capturing(cap):
        forward(model, ids, dec)
    eager = _eager_maps(reference, tuple(stacks))
    tol = 1e-4 if next(model.parameters()).dtype == torch.float32 else 3e-2
    for kind, part in cap.parts.items():
        stack = stacks[kind]
        stack.scale, stack.softcap, stack.sinks = part.scale, part.mods.softcap, part.mods.sinks
        maps = AttentionMaps(part.q.numpy(), part.k.numpy(), part.scale, stack_masks(part.masked), part.mods)
        for layer, want in enumerate(eager[kind]):
            if want is None:
                continue
            diff = float(np.abs(maps[layer] - want[0].float().cpu().numpy()).max())
            if not diff <= tol:
                raise ExplorerError(
                    f"'{name}': the captured maps differ from the model's own eager attention by {diff:.2g} ({kind} "
                    f"layer {layer}), so its attention has a term the explorer does not model. Supported: {SUPPORTED}."
                )
        _weight_views(model, stack, part, second, names)

    main = cap.parts[next(iter(stacks))]
    masks = [m for m in main.masked]
    is_causal = not is_enc_dec and all(m is not None and m[np.triu_indices(m.shape[0], 1)].all() for m in masks)
    hidden = reference.encoder_hidden_states if is_enc_dec else reference.hidden_states
    probe_layer = min(1, len(main.scale) - 1)
    first_input = main.attn_input[probe_layer]
    pre_norm = hidden is not None and not np.allclose(
        first_input, hidden[probe_layer][0].float().cpu().numpy(), rtol=1e-3, atol=1e-4
    )
    rotary = any(c.rotary is not None for c in next(iter(calls.values())))
    return Found(stacks=stacks, where=where, is_causal=is_causal, rotary=rotary, pre_norm=bool(pre_norm))


def check_vocabulary(tokenizer: Any, rows: int, folder: str, start: int | None) -> None:
    """Every id the tokenizer can give has a row in the model's embedding, and the vocabulary has real words."""
    vocab = tokenizer.get_vocab()
    token, top = max(vocab.items(), key=lambda kv: kv[1]) if vocab else (None, -1)
    if top >= rows:
        raise ExplorerError(
            f"The tokenizer in '{folder}' does not match the model: its token {token!r} has id {top:,}, but the "
            f"model's embedding has {rows:,} rows (vocab_size in config.json). Use the tokenizer saved with these "
            "weights."
        )
    if start is not None and not 0 <= start < rows:
        raise ExplorerError(
            f"config.json in '{folder}' has decoder_start_token_id {start}, outside the model's {rows:,} tokens: use "
            "the config.json saved with these weights."
        )
    if set(vocab.values()) <= set(tokenizer.all_special_ids):
        raise ExplorerError(
            f"The tokenizer in '{folder}' holds only special tokens ({', '.join(sorted(vocab)[:5])}), so every word "
            "would be unknown: save the tokenizer that belongs to the model into the folder "
            "(tokenizer.save_pretrained(folder))."
        )


def check_missing_weights(
    model: nn.Module, missing: list[str], ids: list[int], dec: list[int] | None, folder: str
) -> None:
    """Refuse weights the file lacks when the model uses them (random numbers would reach the hidden states); a
    missing head the hidden states never see (a pooler) is fine. One probe pass with gradients for those alone."""
    params = dict(model.named_parameters())
    wanted = {n: params[n] for n in missing if n in params}
    if not wanted:
        return
    before = {n: p.requires_grad for n, p in params.items()}
    for n, p in params.items():
        p.requires_grad_(n in wanted)
    device = model.get_input_embeddings().weight.device
    mask = torch.ones(1, len(ids), dtype=torch.long, device=device)
    inputs = {"input_ids": torch.tensor([ids], device=device), "attention_mask": mask}
    if dec is not None:
        inputs["decoder_input_ids"] = torch.tensor([dec], device=device)
    try:
        with torch.enable_grad():
            out = model(**inputs, output_hidden_states=True)
            states = [v for key, v in out.items() if "hidden_state" in key]
            flat = [t for v in states for t in (v if isinstance(v, tuple) else (v,)) if isinstance(t, torch.Tensor)]
            total = sum(t.float().sum() for t in flat)
            seen = [None] * len(wanted)
            if isinstance(total, torch.Tensor) and total.requires_grad:
                seen = torch.autograd.grad(total, list(wanted.values()), allow_unused=True)
    finally:
        for n, p in params.items():
            p.requires_grad_(before[n])
    used = [n for n, g in zip(wanted, seen) if g is not None]
    if used:
        more = f" and {len(used) - 1} more" if len(used) > 1 else ""
        raise ExplorerError(
            f"The weights in '{folder}' lack {used[0]}{more}, which the model uses: they would be random numbers. "
            "The weights are incomplete or belong to another config.json: download or save the model again."
        )


def _by_kind(calls: list[Call], n: int, n_dec: int | None) -> dict[str, list[Call]]:
    if n_dec is None:
        return {"self": calls}
    kinds: dict[str, list[Call]] = {"encoder": [], "decoder": [], "cross": []}
    for c in calls:
        if (c.n_queries, c.n_keys) == (n, n):
            kinds["encoder"].append(c)
        elif (c.n_queries, c.n_keys) == (n_dec, n_dec):
            kinds["decoder"].append(c)
        elif (c.n_queries, c.n_keys) == (n_dec, n):
            kinds["cross"].append(c)
    if not all(kinds.values()):
        raise ExplorerError("This encoder–decoder model did not show all three kinds of attention on a probe text.")
    return kinds


def _stack(model: nn.Module, kind: str, calls: list[Call], rec: Recording, names: dict[int, str]) -> Stack:
    blocks = []
    for c in calls:
        path = names[id(c.module)].split(".")
        cut = next((i for i, part in enumerate(path) if part.isdigit()), len(path) - 1)
        blocks.append(model.get_submodule(".".join(path[: cut + 1])))
    x = rec.inputs[id(calls[0].module)]["input"]
    c = calls[0]
    return Stack(kind, [c.module for c in calls], blocks, c.n_heads, c.n_kv_heads, c.d_head, int(x.shape[-1]))


def _eager_maps(out: Any, kinds: tuple[str, ...]) -> dict[str, Any]:
    if kinds == ("self",):
        return {"self": out.attentions or []}
    return {"encoder": out.encoder_attentions, "decoder": out.decoder_attentions, "cross": out.cross_attentions}


def _weight_views(model: nn.Module, stack: Stack, part: PartCapture, rec: Recording, names: dict[int, str]) -> None:
    """Keep, per layer, the first weight layout that reproduces the captured q, k and v (else note why not)."""
    from explorer.reference import MultiHeadAttention

    found: list[LayerWeights] = []
    for layer, module in enumerate(stack.modules):
        seen = rec.inputs[id(module)]
        x, x_kv = seen["input"], seen["kv_input"]
        rotary = None
        if seen["rotary"] is not None:
            rotary = find_rotary(model, seen["rotary"][0], stack.d_head)
            if rotary is None:
                stack.weights_note = "its rotary position embedding is not one the from-scratch module knows"
                return
        parent = model.get_submodule(names[id(module)].rsplit(".", 1)[0]) if "." in names[id(module)] else None
        match = None
        for cand in candidates(module, parent, stack.n_heads, stack.n_kv_heads, stack.d_head):
            if cand.o is None:
                continue
            cand = replace(cand, rotary=rotary)
            try:
                mha = MultiHeadAttention.from_weights(
                    cand, stack.d_model, stack.n_heads, stack.n_kv_heads, stack.d_head, scale=part.scale[layer]
                )
                with torch.no_grad():
                    t = mha(x.float().cpu(), x_kv=None if x_kv is None else x_kv.float().cpu())
            except (RuntimeError, ValueError, TypeError):
                continue
            if all(
                torch.allclose(a[0], b[layer], rtol=1e-3, atol=1e-4)
                for a, b in zip((t.q, t.k, t.v), (part.q, part.k, part.v))
            ):
                match = cand
                break
        if match is None:
            stack.weights_note = (
                f"its layer {layer} keeps W_Q, W_K, W_V and W_O in a layout the from-scratch module does not know"
            )
            return
        found.append(match)
    stack.weights = found
