"""extract(): one forward pass -> Extraction (tokens, q, k, v, context; maps on demand) for every layer and head.

For an encoder–decoder model one extraction holds three records, one per kind of attention: run.part("encoder")
(the run itself), run.part("decoder") and run.part("cross"). Each record has the same fields; for "cross" the
queries are the decoder's tokens and the keys the encoder's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from explorer.capture import capturing, forward
from explorer.discovery import capture_for, lengths_of
from explorer.errors import ExplorerError, whole_number
from explorer.maps import AttentionMaps, MaskStack, Modifiers, ScoreMaps, SinkShares, memory_budget, stack_masks

if TYPE_CHECKING:
    from explorer.models import ModelBundle


@dataclass
class Extraction:
    """Everything one forward pass shows about attention. Layout as in docs/DESIGN.md (TransformerLens-style)."""

    text: str  # the text as given (before truncation)
    model_name: str
    architecture: str
    tokens: list[str]  # readable tokens, length N
    raw_tokens: list[str]  # the tokenizer's own pieces ("##ing", "Ġworld")
    token_ids: list[int]  # exactly what the model was fed
    offsets: list[tuple[int, int]]  # character span of each token in `text`; (0, 0) for special tokens
    special: list[bool]  # True for [CLS]/[SEP]/BOS-like tokens
    q: np.ndarray  # [L, H, N, d_head] after rotary where the model uses it
    k: np.ndarray  # [L, H, N, d_head] grouped-query K repeated to line up with query heads
    v: np.ndarray  # [L, H, N, d_head]
    attn: np.ndarray | AttentionMaps  # [L, H, N, N] softmax(scores), rows sum to 1; computed on demand after extract()
    context: np.ndarray  # [L, H, N, d_head] attn @ v, before W_O
    hidden: np.ndarray  # [L + 1, N, d_model] embeddings, then each block's output
    attn_input: np.ndarray  # [L, N, d_model] what each attention layer was fed (after its pre-norm)
    truncated: bool
    n_tokens_total: int  # tokens the whole text would have had
    is_causal: bool
    n_kv_heads: int
    scale: list[float] = field(default_factory=list)  # per layer: the factor scores were multiplied by
    meta: dict[str, Any] = field(default_factory=dict)
    masked: np.ndarray | MaskStack | None = None  # [L, Nq, Nk] bool, True where the mask hid a key; None: no mask
    kind: str = "self"  # "self"; or "encoder", "decoder", "cross" (see part())
    kv_tokens: list[str] | None = None  # readable key-side tokens when they differ from `tokens` (cross)
    kv_input: np.ndarray | None = None  # [Nk, d_model] what cross-attention's K and V were computed from
    mods: Modifiers | None = field(default=None, repr=False)  # position bias, soft-capping, sinks per layer
    stored_scores: np.ndarray | None = field(default=None, repr=False)  # scores read back by load_run
    parts: dict[str, Extraction] = field(default_factory=dict, repr=False, compare=False)  # kind -> record, shared

    @property
    def scores(self) -> ScoreMaps | np.ndarray:
        """[L, H, Nq, Nk] scores as the family forms them (q·kᵀ·scale, soft-capped, + position bias), masked
        keys at -inf; computed on demand (run.scores[l, h] is one head)."""
        if self.stored_scores is not None:
            return self.stored_scores
        return ScoreMaps(self.q, self.k, self.scale, self.masked, self.mods)

    def masked_keys(self, layer: int) -> np.ndarray | None:
        """[Nq, Nk] bool of one layer, True where the model's mask hid key j from query i; None when nothing was."""
        return None if self.masked is None else self.masked[layer]

    @property
    def sink(self) -> SinkShares | None:
        """[L, H, Nq] the attention sink's share of each row (gpt-oss); None for families without sinks."""
        if self.mods is None or all(s is None for s in self.mods.sinks) or not isinstance(self.attn, AttentionMaps):
            return None
        return SinkShares(self.attn)

    @property
    def kinds(self) -> tuple[str, ...]:
        """("self",) for one-stack models; ("encoder", "decoder", "cross") for encoder–decoder ones."""
        return tuple(self.parts) if self.parts else (self.kind,)

    def part(self, kind: str) -> Extraction:
        """The record of one kind of attention: part("self") is the run itself, as is part("encoder")."""
        if kind == self.kind or (kind == "self" and not self.parts):
            return self
        if kind not in self.parts:
            raise ValueError(f"This run has no '{kind}' attention: choose one of {', '.join(self.kinds)}.")
        return self.parts[kind]

    @property
    def key_special(self) -> list[bool]:
        """special flags of the key side (the encoder's for cross-attention)."""
        return self.parts["encoder"].special if self.kind == "cross" else self.special

    @property
    def query_tokens(self) -> list[str]:
        return self.tokens

    @property
    def key_tokens(self) -> list[str]:
        """Readable key-side tokens (the same as tokens for self-attention; the encoder's for cross)."""
        return self.tokens if self.kv_tokens is None else self.kv_tokens

    @property
    def n_layers(self) -> int:
        return self.attn.shape[0]

    @property
    def n_heads(self) -> int:
        return self.attn.shape[1]

    @property
    def n_tokens(self) -> int:
        return self.attn.shape[2]

    @property
    def d_head(self) -> int:
        return self.q.shape[-1]

    @property
    def n_keys(self) -> int:
        return self.k.shape[2]

    def labels(self) -> list[str]:
        """Tokens made unique for chart axes: "3 apple" (index, then the readable token)."""
        return [f"{i} {t}" for i, t in enumerate(self.tokens)]

    def key_labels(self) -> list[str]:
        """labels() of the key side (the encoder's tokens for cross-attention)."""
        return [f"{i} {t}" for i, t in enumerate(self.key_tokens)]


MAX_TEXT_CHARS = 1_000_000  # the longest text read (about 200,000 tokens; the target is 8,192 tokens)
_SURROGATE = re.compile("[\ud800-\udfff]")
# Control characters (Unicode category Cc) but tab and line breaks: one space each, so every span stays put.
_CONTROLS = {c: " " for c in [*range(0x00, 0x20), *range(0x7F, 0xA0)] if chr(c) not in "\t\n\r"}


def clean_text(text: Any, what: str = "text") -> str:
    """The text as the tokenizer may see it: UTF-8 bytes decoded, no lone surrogates (refused: they come from
    bytes that were not UTF-8), control characters but tab and line breaks replaced by spaces (one for one, so
    character positions stay), at most MAX_TEXT_CHARS characters. ExplorerError names what is wrong."""
    if isinstance(text, bytes | bytearray):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as err:
            raise ExplorerError(
                f"The {what} is not UTF-8 text (byte {err.start} cannot be read): save or paste it as UTF-8."
            ) from err
    text = "" if text is None else str(text)
    bad = _SURROGATE.search(text)
    if bad:
        raise ExplorerError(
            f"The {what} holds an invalid character at position {bad.start()} (U+{ord(bad.group()):04X}, half of "
            "a UTF-16 pair), which comes from text that was not UTF-8: save or paste it as UTF-8 text."
        )
    if len(text) > MAX_TEXT_CHARS:
        raise ExplorerError(
            f"The {what} has {len(text):,} characters, more than the {MAX_TEXT_CHARS:,} the explorer reads: "
            "cut it to the part you want to see."
        )
    return text.translate(_CONTROLS)


def _readable(text: str, raw: str, span: tuple[int, int], special: bool) -> str:
    """What the UI shows for a token: its own characters from the text, not the tokenizer's ##/Ġ/▁ marks."""
    if special or span[1] <= span[0]:
        return raw.replace("Ġ", " ").replace("▁", " ").strip() or raw
    piece = text[span[0] : span[1]]
    if piece.strip():
        return piece.strip()
    return "↵" if "\n" in piece else "␣"  # a token that is only white space


def estimate_bytes(bundle: ModelBundle, n_tokens: int, n_target: int = 0) -> int:
    """Bytes extract() needs at its peak for n_tokens (and n_target decoder tokens), on top of the weights.

    Kept: q, k, v, context, layer inputs and hidden states (float32), the distinct masks (N² bools each).
    Transient: the model's own hidden-state tuple, its mask tensor and ours, and one layer's working set (the
    MLP's widest activation, and the grouped-query K/V repeated). Maps and scores are never kept.
    """
    total = 0
    sizes = {"self": (n_tokens, n_tokens)}
    if bundle.kind == "encoder-decoder":
        sizes = {"encoder": (n_tokens, n_tokens), "decoder": (n_target, n_target), "cross": (n_target, n_tokens)}
    ffn = int(getattr(bundle.model.config.get_text_config(), "intermediate_size", 0) or 0)
    for kind, (nq, nk) in sizes.items():
        s = bundle.stack(kind)
        L, H, d, D = s.n_layers, s.n_heads, s.d_head, s.d_model  # noqa: N806 (shape names)
        kept = 4 * (L * H * d * 2 * (nq + nk) + L * nq * D + (L + 1) * nq * D) + 2 * nq * nk
        transient = 4 * (L + 1) * nq * D + 3 * nq * nk + 4 * nq * (2 * max(ffn, 4 * D) + 4 * H * d)
        total += kept + transient
    return total


def _check_memory(bundle: ModelBundle, n_tokens: int, n_target: int = 0) -> None:
    need, budget = estimate_bytes(bundle, n_tokens, n_target), memory_budget()
    if need <= budget:
        return
    fits = n_tokens
    while fits > 2 and estimate_bytes(bundle, fits, min(fits, n_target)) > budget:
        fits = int(fits * 0.9)
    raise ExplorerError(
        f"Keeping every head's vectors for {n_tokens} tokens would need {need / 2**30:.1f} GB, more than the "
        f"{budget / 2**30:.1f} GB this machine can spare. Lower the token limit to {fits} or less."
    )


@dataclass(frozen=True)
class Tokens:
    """A text as the model reads it, cut to the token limit (N tokens)."""

    ids: list[int]  # [N] what the model is fed
    raw: list[str]  # [N] the tokenizer's own pieces ("##ing", "Ġworld")
    spans: list[tuple[int, int]]  # [N] character span in the text; (0, 0) for special tokens
    special: list[bool]  # [N] True for [CLS]/[SEP]/BOS-like tokens
    readable: list[str]  # [N] what the UI shows (the token's own characters)
    total: int  # tokens the whole text has
    truncated: bool  # total > N


def tokenize(bundle: ModelBundle, text: str, max_tokens: int) -> Tokens:
    """Token ids, raw pieces, readable tokens and character spans, cut to max_tokens (text: see clean_text)."""
    text = clean_text(text)
    max_tokens = whole_number(max_tokens, "The token limit", minimum=1)
    tok = bundle.tokenizer
    enc = tok(text, add_special_tokens=True, return_offsets_mapping=True, verbose=False)
    ids = list(enc["input_ids"])
    spans = [tuple(o) for o in enc["offset_mapping"]]
    total = len(ids)
    truncated = total > max_tokens
    if truncated:
        enc = tok(
            text,
            add_special_tokens=True,
            return_offsets_mapping=True,
            truncation=True,
            max_length=max_tokens,
        )
        ids = list(enc["input_ids"])[:max_tokens]
        spans = [tuple(o) for o in enc["offset_mapping"]][:max_tokens]
    special_ids = set(tok.all_special_ids)
    raw = tok.convert_ids_to_tokens(ids)
    special = [i in special_ids and s == (0, 0) for i, s in zip(ids, spans)]
    tokens = [_readable(text, r, s, sp) for r, s, sp in zip(raw, spans, special)]
    return Tokens(
        ids=[int(i) for i in ids],
        raw=raw,
        spans=[(int(a), int(b)) for a, b in spans],
        special=special,
        readable=tokens,
        total=total,
        truncated=truncated,
    )


def _decoder_tokens(bundle: ModelBundle, target: str, max_tokens: int) -> tuple[Tokens, list[int]]:
    """The decoder's side, teacher-forced as in training: the start token, then the target's tokens shifted right
    (the labels are the target's ids; the decoder is fed start + labels[:-1])."""
    if target is None or not str(target).strip():
        raise ExplorerError(
            f"{bundle.display_name} is an encoder–decoder model: give the decoder's text as the target (target= "
            "in Python, --target on the command line, the Target box in the app); for a translation model, the "
            "translation, for a summariser, the summary. The encoder reads the text."
        )
    labels = tokenize(bundle, str(target), max_tokens)
    start = bundle.decoder_start
    raw = bundle.tokenizer.convert_ids_to_tokens([start])[0]
    keep = slice(0, len(labels.ids) - 1) if len(labels.ids) > 1 else slice(0, len(labels.ids))
    shifted = Tokens(
        ids=[start, *labels.ids[keep]][:max_tokens],
        raw=[raw, *labels.raw[keep]][:max_tokens],
        spans=[(0, 0), *labels.spans[keep]][:max_tokens],
        special=[True, *labels.special[keep]][:max_tokens],
        readable=[_readable("", raw, (0, 0), True), *labels.readable[keep]][:max_tokens],
        total=labels.total,
        truncated=labels.truncated,
    )
    return shifted, labels.ids


def _limit(max_tokens: Any, bundle: ModelBundle) -> int:
    return min(whole_number(max_tokens, "The token limit", minimum=2), bundle.max_tokens)


def _check_ids(bundle: ModelBundle, ids: list[int], raw: list[str]) -> None:
    """Every id has a row in the model's embedding (load_model checks the tokenizer; this keeps the promise)."""
    rows = bundle.model.get_input_embeddings().weight.shape[0]
    bad = next((i for i, t in enumerate(ids) if not 0 <= t < rows), None)
    if bad is not None:
        raise ExplorerError(
            f"The token {raw[bad]!r} has id {ids[bad]}, but {bundle.display_name}'s embedding has only {rows} rows: "
            "the tokenizer does not belong to this model. Use the tokenizer saved with its weights."
        )


def extract(bundle: ModelBundle, text: str, max_tokens: int = 512, target: str | None = None) -> Extraction:
    """Run the model once on `text` and keep every head's Q, K, V and context; maps come on demand.

    target: for an encoder–decoder model, the decoder's text (required); the run then has three kinds of
    attention (run.kinds), one record each (run.part(kind)).
    """
    text = clean_text(text)
    if not text.strip():
        raise ExplorerError("The text is empty: type a sentence (or pick an example) to see its attention.")
    target = None if target is None else clean_text(target, "target")
    max_tokens = _limit(max_tokens, bundle)
    enc_dec = bundle.kind == "encoder-decoder"
    if target is not None and target.strip() and not enc_dec:
        raise ExplorerError(
            f"{bundle.display_name} has one stack of layers, so there is no decoder text to give: leave the "
            "target empty (it is for encoder–decoder models such as T5, BART and Marian)."
        )
    t = tokenize(bundle, text, max_tokens)
    if not t.ids:
        raise ExplorerError("The tokenizer produced no tokens for this text: type some words.")
    dec, _labels = _decoder_tokens(bundle, target, max_tokens) if enc_dec else (None, None)
    _check_ids(bundle, t.ids, t.raw)
    if dec is not None:
        _check_ids(bundle, dec.ids, dec.raw)
    n, n_dec = len(t.ids), (len(dec.ids) if dec else 0)
    _check_memory(bundle, n, n_dec)

    cap = capture_for(bundle.stacks, bundle.attention_modules, lengths_of(bundle.kinds, n, n_dec or None))
    with capturing(cap):
        out = forward(bundle.model, t.ids, dec.ids if dec else None, output_hidden_states=True)
    missing = [k for k, p in cap.parts.items() if any(s != s for s in p.scale)]
    if missing:
        raise ExplorerError(f"{bundle.display_name}: some layers did not report attention ({', '.join(missing)}).")

    def hidden_of(states) -> np.ndarray:
        return np.stack([h[0].float().cpu().numpy() for h in states]).astype(np.float32, copy=False)

    common = dict(
        model_name=bundle.name,
        architecture=bundle.architecture,
        n_tokens_total=t.total,
        meta={"family": bundle.family, "display_name": bundle.display_name, "max_tokens": max_tokens},
    )
    if enc_dec:
        sides = {
            "encoder": (t, text, hidden_of(out.encoder_hidden_states), False),
            "decoder": (dec, target, hidden_of(out.decoder_hidden_states), True),
        }
        sides["cross"] = (dec, target, sides["decoder"][2], False)  # every decoder token sees every encoder one
        encoder_out = out.encoder_last_hidden_state[0].float().cpu().numpy()
    else:
        sides = {"self": (t, text, hidden_of(out.hidden_states), bundle.is_causal)}
    records = {}
    for kind, part in cap.parts.items():
        tok, txt, hidden, causal = sides[kind]
        masked = stack_masks(part.masked)
        records[kind] = Extraction(
            text=txt,
            tokens=tok.readable,
            raw_tokens=tok.raw,
            token_ids=tok.ids,
            offsets=tok.spans,
            special=tok.special,
            q=part.q.numpy(),
            k=part.k.numpy(),
            v=part.v.numpy(),
            context=part.context.numpy(),
            hidden=hidden,
            attn_input=part.attn_input,
            truncated=tok.truncated,
            is_causal=causal,
            n_kv_heads=bundle.stack(kind).n_kv_heads,
            scale=part.scale,
            masked=masked,
            kind=kind,
            kv_tokens=t.readable if kind == "cross" else None,
            kv_input=encoder_out if kind == "cross" else None,
            mods=part.mods if part.mods.any() else None,
            attn=AttentionMaps(part.q.numpy(), part.k.numpy(), part.scale, masked, part.mods),
            **common,
        )
    run = records[bundle.kinds[0]]
    if enc_dec:
        for kind in records:  # every record reaches the others: run.part("cross").part("encoder") works
            records[kind].parts = records
        for kind in ("decoder", "cross"):
            records[kind].n_tokens_total = dec.total
    return run
