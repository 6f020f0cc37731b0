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
from explorer.models import DEFAULT_MODEL
from explorer.tokens import MULTILINGUAL, SCRIPT_MODELS, read_tokens, script_of, with_text
from explorer.tokens import case_folding as case_folding  # re-exported: explorer.extract.case_folding, case_note
from explorer.tokens import case_note as case_note

if TYPE_CHECKING:
    from explorer.models import ModelBundle


@dataclass
class Extraction:
    """Everything one forward pass shows about attention. Layout as in docs/DESIGN.md (TransformerLens-style)."""

    text: str  # the text as given (before truncation)
    model_name: str
    architecture: str
    tokens: list[str]  # [N] the text each token covers (CSV, export, subspaces); shown_tokens is what charts show
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
    # How the model read each token (see read_tokens). Left empty (load_run, runs built by hand), they are derived
    # from raw_tokens, offsets and meta ("unk_token", "case_folding") when the run is made.
    shown_tokens: list[str] = field(default_factory=list, repr=False)  # [N] "[UNK]", "##r", "apple" for "Apple"
    unknown: list[bool] = field(default_factory=list, repr=False)  # [N] the model read its unknown token here
    continues: list[bool] = field(default_factory=list, repr=False)  # [N] a piece continuing the previous word

    def __post_init__(self) -> None:
        n = len(self.tokens)
        if len(self.shown_tokens) == len(self.unknown) == len(self.continues) == n:
            return
        if len(self.raw_tokens) == len(self.offsets) == len(self.special) == n:
            unk, folds = self.meta.get("unk_token"), bool(self.meta.get("case_folding"))
            reading = read_tokens(self.text, self.raw_tokens, self.offsets, self.special, self.tokens, unk, folds)
        else:  # tokens replaced by hand (tests, synthetic runs): nothing is known but the tokens themselves
            reading = (list(self.tokens), [False] * n, [False] * n)
        self.shown_tokens, self.unknown, self.continues = reading

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

    @property
    def key_shown_tokens(self) -> list[str]:
        """shown_tokens of the key side (the encoder's for cross-attention)."""
        if self.kind == "cross":
            encoder = self.parts.get("encoder")
            return self.key_tokens if encoder is None else encoder.shown_tokens
        return self.shown_tokens

    def labels(self, with_text: bool = False) -> list[str]:
        """Tokens as the model read them, made unique for chart axes: "3 apple", "4 ##r", "5 [UNK]" (index, then
        shown_tokens). with_text: for tooltips, with the text a token covers where the model read something
        else: "5 [UNK] (text “他”)", "1 the (text “The”)" for an uncased model."""
        return _labels(self.shown_tokens, self.tokens, with_text)

    def key_labels(self, with_text: bool = False) -> list[str]:
        """labels() of the key side (the encoder's tokens for cross-attention)."""
        return _labels(self.key_shown_tokens, self.key_tokens, with_text)


def _labels(shown: list[str], texts: list[str], text: bool) -> list[str]:
    labels = [f"{i} {t}" for i, t in enumerate(shown)]
    return [with_text(label, t) for label, t in zip(labels, texts)] if text else labels


# --- text in, tokens out ---------------------------------------------------------------------------------------------

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
    """The text a token covers (run.tokens): its own characters, not the tokenizer's ##/Ġ/▁ marks (a special
    token's raw piece; "␣" or "↵" for one that is only white space)."""
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
    readable: list[str]  # [N] the text each token covers (its own characters)
    shown: list[str]  # [N] what charts label it with, as the model read it: "[UNK]", "##r" (read_tokens)
    unknown: list[bool]  # [N] True where the model read its unknown token
    continues: list[bool]  # [N] True where the token continues the previous token's word
    total: int  # tokens the whole text has
    truncated: bool  # total > N


def tokenize(bundle: ModelBundle, text: str, max_tokens: int) -> Tokens:
    """Token ids, raw pieces, readable tokens, character spans and how the model read them (read_tokens), cut to
    max_tokens (text: see clean_text)."""
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
    spans = [(int(a), int(b)) for a, b in spans]
    tokens = [_readable(text, r, s, sp) for r, s, sp in zip(raw, spans, special)]
    shown, unknown, continues = read_tokens(text, raw, spans, special, tokens, tok.unk_token, case_folding(bundle))
    return Tokens(
        ids=[int(i) for i in ids],
        raw=raw,
        spans=spans,
        special=special,
        readable=tokens,
        shown=shown,
        unknown=unknown,
        continues=continues,
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
    readable = _readable("", raw, (0, 0), True)
    shifted = Tokens(
        ids=[start, *labels.ids[keep]][:max_tokens],
        raw=[raw, *labels.raw[keep]][:max_tokens],
        spans=[(0, 0), *labels.spans[keep]][:max_tokens],
        special=[True, *labels.special[keep]][:max_tokens],
        readable=[readable, *labels.readable[keep]][:max_tokens],
        shown=[readable, *labels.shown[keep]][:max_tokens],
        unknown=[False, *labels.unknown[keep]][:max_tokens],
        continues=[False, *labels.continues[keep]][:max_tokens],
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
        meta={
            "family": bundle.family,
            "display_name": bundle.display_name,
            "max_tokens": max_tokens,
            "unk_token": bundle.tokenizer.unk_token,  # what the model read where it did not know a text's characters
            "case_folding": case_folding(bundle),  # "Apple" and "apple" are one token to it
        },
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
            shown_tokens=tok.shown,
            unknown=tok.unknown,
            continues=tok.continues,
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


UNKNOWN_SHARE = 0.2  # unknown_note speaks from this share of a text's tokens read as unknown ...
UNKNOWN_COUNT = 3  # ... or from this many of them


def _unknown_sentence(rec: Extraction, what: str) -> str | None:
    """unknown_note's sentence for one side of a run (`what`: "these", "the target's"), or None."""
    words = [i for i, sp in enumerate(rec.special) if not sp]
    unknown = [i for i in words if rec.unknown[i]]
    if not unknown or (len(unknown) < UNKNOWN_COUNT and len(unknown) < UNKNOWN_SHARE * len(words)):
        return None

    def chars(indices: list[int]) -> list[str]:  # the characters these tokens cover, each once, spaces left out
        at = {j for i in indices for j in range(*rec.offsets[i])}
        return [rec.text[j] for j in sorted(at) if not rec.text[j].isspace()]

    seen, total = chars(unknown), chars(words)
    unk = rec.raw_tokens[unknown[0]]
    name = rec.meta.get("display_name", rec.model_name)
    script = script_of(seen)
    if script is None:  # symbols and emoji
        why = "its vocabulary has no tokens for them"
    elif rec.model_name == DEFAULT_MODEL:
        why = "it was trained on English only"
    else:
        why = f"its vocabulary has no tokens for {script}"
    sentence = (
        f"{name} reads {len(seen)} of {what} {len(total)} characters as {unk}: {why}. Every {unk} is the same token "
        "to it, so its attention cannot tell these characters apart."
    )
    if script is None:
        return sentence
    return f"{sentence} Load {SCRIPT_MODELS.get(script, MULTILINGUAL)} to see attention over {script}."


def unknown_note(run: Extraction) -> str | None:
    """A plain sentence for pages when the model does not know a run's characters: at least UNKNOWN_COUNT of the
    text's tokens, or UNKNOWN_SHARE of them, are its unknown token ("all-MiniLM-L6-v2 reads 11 of these 15
    characters as [UNK]: it was trained on English only. …"); None otherwise. Any record of an encoder–decoder run
    speaks for both of its texts (the text and the target)."""
    if run.parts:
        sides = [(run.part("encoder"), "these"), (run.part("decoder"), "the target's")]
    else:
        sides = [(run, "these")]
    sentences = [s for rec, what in sides if (s := _unknown_sentence(rec, what))]
    return " ".join(sentences) or None
