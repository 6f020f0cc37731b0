"""extract(): one forward pass -> Extraction (tokens, q, k, v, scores, attn, context) for every layer and head."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from explorer.capture import Capture, capturing
from explorer.errors import ExplorerError

if TYPE_CHECKING:
    from explorer.models import ModelBundle


def _axis(index: Any, size: int, what: str) -> tuple[np.ndarray, bool]:
    """One axis of a map index as explicit positions, and whether the axis drops out (an integer index)."""
    if isinstance(index, int | np.integer):
        i = int(index)
        if not -size <= i < size:
            raise IndexError(f"{what} {i} is out of range 0 .. {size - 1}")
        return np.array([i % size]), True
    if isinstance(index, slice):
        return np.arange(size)[index], False
    positions = np.asarray(index)
    if positions.dtype == bool:
        return np.flatnonzero(positions), False
    if positions.ndim != 1 or not np.issubdtype(positions.dtype, np.integer):
        raise IndexError(f"a {what} index must be an integer, a slice or a 1-D list of integers")
    return positions % size, False


class ScoreMaps(np.lib.mixins.NDArrayOperatorsMixin):
    """run.scores: the scaled scores q·kᵀ·scale (-inf where the model's mask hid a key), computed on demand.

    extract() keeps no [L, H, N, N] array: writing N² numbers per head costs more than the forward pass at long
    lengths. The same matmul on the same float32 q and k gives them back, for just the part asked for:
    scores[l] is one layer [H, N, N], scores[l, h] one head [N, N], scores[l, h, i0:i1] a block of query rows.
    Anything else an array does (np.asarray, arithmetic, .max(), .astype) builds the whole [L, H, N, N] first,
    and only when it fits in memory (else ExplorerError).
    """

    ndim = 4
    dtype = np.dtype(np.float32)
    what = "scores"

    def __init__(self, q: np.ndarray, k: np.ndarray, scale: list[float], masked: np.ndarray | None):
        self._q, self._k, self._scale, self._masked = q, k, scale, masked  # [L, H, N, d], [L, H, N, d], [L], [L, N, N]

    @property
    def shape(self) -> tuple[int, int, int, int]:
        L, H, N, _ = self._q.shape
        return (L, H, N, N)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    @property
    def nbytes(self) -> int:
        return 4 * self.size

    def __len__(self) -> int:
        return self.shape[0]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(shape={self.shape}, computed on demand from q and k)"

    def __getitem__(self, index: Any) -> np.ndarray:
        index = index if isinstance(index, tuple) else (index,)
        simple = len(index) <= 4 and all(
            isinstance(i, int | np.integer | slice) or (np.ndim(i) == 1 and not isinstance(i, str)) for i in index
        )
        if not simple:  # Ellipsis, None, a 2-D or 4-D mask...: numpy's own indexing, on the whole array
            return np.asarray(self)[index]
        layer, head, rows, keys = index + (slice(None),) * (4 - len(index))
        L, H, N, _ = self.shape
        layers, drop_layer = _axis(layer, L, "layer")
        heads, drop_head = _axis(head, H, "head")
        queries, drop_rows = _axis(rows, N, "query")
        out = self._block(layers, heads, queries)  # [layers, heads, queries, N]
        out = out[..., keys]
        drop = tuple(axis for axis, gone in enumerate((drop_layer, drop_head, drop_rows)) if gone)
        return out.squeeze(drop) if drop else out

    def _block(self, layers: np.ndarray, heads: np.ndarray, queries: np.ndarray) -> np.ndarray:
        """[layers, heads, queries, N] scores, one layer at a time."""
        N = self._q.shape[2]
        out = np.empty((len(layers), len(heads), len(queries), N), np.float32)
        buf = torch.from_numpy(out)
        all_heads = len(heads) == self._q.shape[1] and (heads == np.arange(len(heads))).all()
        all_rows = len(queries) == N and (queries == np.arange(N)).all()
        for i, layer in enumerate(layers):
            q, k = self._q[layer], self._k[layer]  # [H, N, d]
            if not all_heads:
                q, k = q[heads], k[heads]
            if not all_rows:
                q = q[:, queries]
            # (h, n, d) x (h, d, N) -> (h, n, N)
            torch.matmul(torch.from_numpy(q), torch.from_numpy(k).transpose(-1, -2), out=buf[i])
            buf[i].mul_(self._scale[layer])
            if self._masked is not None:
                masked = self._masked[layer] if all_rows else self._masked[layer][queries]  # [n, N]
                # a shared mask is a read-only broadcast view: torch gets a copy of it (N² bytes), never a write
                masked = masked if masked.flags.writeable else np.array(masked)
                buf[i].masked_fill_(torch.from_numpy(masked), float("-inf"))
        return out

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        need, budget = self.nbytes, memory_budget()
        if need > budget:
            raise ExplorerError(
                f"All {self.what} at once would take {need / 2**30:.1f} GB, more than the {budget / 2**30:.1f} GB "
                "this machine can spare: ask for a layer, a head or a block of query rows instead."
            )
        L, H, N, _ = self.shape
        out = self._block(np.arange(L), np.arange(H), np.arange(N))
        return out if dtype is None else out.astype(dtype, copy=False)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        inputs = tuple(np.asarray(x) if isinstance(x, ScoreMaps) else x for x in inputs)
        return getattr(ufunc, method)(*inputs, **kwargs)

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(np.asarray(self), name)  # any other ndarray method, on the whole array


class AttentionMaps(ScoreMaps):
    """run.attn of an extraction: softmax over the keys of run.scores, computed on demand, part by part.

    Softmax is per query row, so a block of rows is exact on its own: attn[l, h, i0:i1] is the same as those
    rows of the whole map. Equal to the model's eager attention (same float32 q and k, same scale and mask).
    """

    what = "attention maps"

    def _block(self, layers: np.ndarray, heads: np.ndarray, queries: np.ndarray) -> np.ndarray:
        out = super()._block(layers, heads, queries)
        buf = torch.from_numpy(out)
        torch.softmax(buf, dim=-1, out=buf)
        return out


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
    masked: np.ndarray | None = None  # [L, N, N] bool, True where the model's mask hid a key; None: no mask

    @property
    def scores(self) -> ScoreMaps:
        """[L, H, N, N] q·kᵀ·scale with masked keys at -inf, computed on demand (run.scores[l, h] is one head)."""
        return ScoreMaps(self.q, self.k, self.scale, self.masked)

    def masked_keys(self, layer: int) -> np.ndarray | None:
        """[N, N] bool of one layer, True where the model's mask hid key j from query i; None when nothing was."""
        return None if self.masked is None else self.masked[layer]

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

    def labels(self) -> list[str]:
        """Tokens made unique for chart axes: "3 apple" (index, then the readable token)."""
        return [f"{i} {t}" for i, t in enumerate(self.tokens)]


def _readable(text: str, raw: str, span: tuple[int, int], special: bool) -> str:
    """What the UI shows for a token: its own characters from the text, not the tokenizer's ##/Ġ/▁ marks."""
    if special or span[1] <= span[0]:
        return raw.replace("Ġ", " ").replace("▁", " ").strip() or raw
    piece = text[span[0] : span[1]]
    if piece.strip():
        return piece.strip()
    return "↵" if "\n" in piece else "␣"  # a token that is only white space


def estimate_bytes(bundle: ModelBundle, n_tokens: int) -> int:
    """Bytes extract() keeps for n_tokens: q/k/v/context, hidden states and layer inputs (float32), and one
    [N, N] bool mask for a causal model. Maps and scores are computed on demand, never kept."""
    L, H, d, D = bundle.n_layers, bundle.n_heads, bundle.d_head, bundle.d_model  # noqa: N806
    n = int(n_tokens)
    mask = n * n if bundle.is_causal else 0
    return 4 * (4 * L * H * n * d + (2 * L + 1) * n * D) + mask


def memory_budget() -> int:
    """Bytes one extraction may hold: EXPLORER_MEMORY_BUDGET_MB, else half of the memory available now."""
    override = os.environ.get("EXPLORER_MEMORY_BUDGET_MB")
    if override:
        return int(float(override) * 2**20)
    try:
        with open("/proc/meminfo") as f:
            info = dict(line.split(":", 1) for line in f)
        return int(info["MemAvailable"].split()[0]) * 1024 // 2
    except (OSError, KeyError, ValueError):
        return 4 * 2**30


def _check_memory(bundle: ModelBundle, n_tokens: int) -> None:
    need, budget = estimate_bytes(bundle, n_tokens), memory_budget()
    if need <= budget:
        return
    fits = n_tokens
    while fits > 2 and estimate_bytes(bundle, fits) > budget:
        fits = int(fits * 0.9)
    raise ExplorerError(
        f"Keeping every head's vectors for {n_tokens} tokens would take {need / 2**30:.1f} GB, more than the "
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
    """Token ids, raw pieces, readable tokens and character spans, cut to max_tokens."""
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


def extract(bundle: ModelBundle, text: str, max_tokens: int = 512) -> Extraction:
    """Run the model once on `text` and return every head's Q, K, V, scores, attention and context."""
    if text is None or not str(text).strip():
        raise ExplorerError("The text is empty: type a sentence (or pick an example) to see its attention.")
    try:
        max_tokens = int(max_tokens)
    except (TypeError, ValueError) as err:
        raise ExplorerError(f"The token limit must be a whole number, not {max_tokens!r}.") from err
    if max_tokens < 2:
        raise ExplorerError("The token limit must be at least 2.")
    max_tokens = min(max_tokens, bundle.max_tokens)
    t = tokenize(bundle, str(text), max_tokens)
    n = len(t.ids)
    if n == 0:
        raise ExplorerError("The tokenizer produced no tokens for this text: type some words.")

    _check_memory(bundle, n)
    L, H, d = bundle.n_layers, bundle.n_heads, bundle.d_head  # noqa: N806 (shape names)
    arrays = {
        "q": np.empty((L, H, n, d), np.float32),
        "k": np.empty((L, H, n, d), np.float32),
        "v": np.empty((L, H, n, d), np.float32),
        "context": np.empty((L, H, n, d), np.float32),
    }
    attn_input = np.empty((L, n, bundle.d_model), np.float32)
    cap = Capture(
        layers=bundle.attention_modules,
        **{name: torch.from_numpy(a) for name, a in arrays.items()},
        attn_input=attn_input,
        scale=[float("nan")] * L,
        masked=[None] * L,
    )
    with capturing(cap), torch.inference_mode():
        out = bundle.model(
            input_ids=torch.tensor([t.ids]),
            attention_mask=torch.ones(1, n, dtype=torch.long),
            output_hidden_states=True,
        )
    if any(s != s for s in cap.scale):
        raise ExplorerError(f"{bundle.display_name}: some layers did not report attention; this model is unsupported.")
    hidden = np.stack([h[0].numpy() for h in out.hidden_states]).astype(np.float32, copy=False)
    masked = None  # [L, N, N] bool; one shared [N, N] seen L times when every layer has the same mask
    if any(m is not None for m in cap.masked):
        first = cap.masked[0]
        if all(m is first for m in cap.masked):
            masked = np.broadcast_to(first, (L, n, n))
        else:
            masked = np.stack(cap.masked)

    return Extraction(
        text=str(text),
        model_name=bundle.name,
        architecture=bundle.architecture,
        tokens=t.readable,
        raw_tokens=t.raw,
        token_ids=t.ids,
        offsets=t.spans,
        special=t.special,
        hidden=hidden,
        attn_input=attn_input,
        truncated=t.truncated,
        n_tokens_total=t.total,
        is_causal=bundle.is_causal,
        n_kv_heads=bundle.n_kv_heads,
        scale=cap.scale,
        meta={"family": bundle.family, "display_name": bundle.display_name, "max_tokens": max_tokens},
        masked=masked,
        attn=AttentionMaps(arrays["q"], arrays["k"], cap.scale, masked),
        **arrays,
    )
