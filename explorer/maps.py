"""Scores and attention maps computed on demand from the stored q and k: a layer, a head or a block of rows.

An extraction keeps what is linear in N (q, k, v, context) plus what the model's attention function was given
beyond them: the scale, the mask, and where the family has them T5's position bias, Gemma 2's soft-capping and
gpt-oss's attention sinks. `logits()` applies them in the order the families' own eager attention does:

    scores = softcap(q·kᵀ · scale) + position_bias, masked keys at -inf
    attn   = softmax(scores)                          (no sinks: every row sums to 1)
    attn   = softmax([scores, sink])[:, :-1]          (sinks: the row's real keys share less than 1)

Softmax is per row, so a block of query rows is exact on its own.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from explorer.errors import ExplorerError


def memory_budget() -> int:
    """Bytes one request may hold: EXPLORER_MEMORY_BUDGET_MB, else half of the memory available now."""
    override = os.environ.get("EXPLORER_MEMORY_BUDGET_MB")
    if override:
        return int(float(override) * 2**20)
    try:
        with open("/proc/meminfo") as f:
            info = dict(line.split(":", 1) for line in f)
        return int(info["MemAvailable"].split()[0]) * 1024 // 2
    except (OSError, KeyError, ValueError):
        return 4 * 2**30


def ensure_fits(need: int, what: str) -> None:
    """Refuse (ExplorerError) before building something of `need` bytes that memory_budget() cannot spare."""
    budget = memory_budget()
    if need > budget:
        raise ExplorerError(
            f"{what} would take {need / 2**30:.1f} GB, more than the {budget / 2**30:.1f} GB this machine can spare "
            "now: ask for fewer layers, heads or query rows (a shorter text, or a window of it)."
        )


class MaskStack:
    """[L, Nq, Nk] bool, True where a layer's mask hid a key, kept as one array per distinct mask.

    Gemma-style models alternate a sliding-window mask with a full causal one: L stacked N² masks would cost
    L·N² bytes, the distinct ones cost 2·N². Indexing like an array: masked[l], masked[l, rows], masked[l, i, j].
    """

    def __init__(self, per_layer: Sequence[np.ndarray]):
        self._layers = list(per_layer)

    @property
    def shape(self) -> tuple[int, int, int]:
        return (len(self._layers), *self._layers[0].shape)

    ndim = 3
    dtype = np.dtype(bool)

    def __len__(self) -> int:
        return len(self._layers)

    def __getitem__(self, index: Any) -> np.ndarray:
        if isinstance(index, tuple):
            return self._layers[index[0]][index[1:]] if len(index) > 1 else self._layers[index[0]]
        if isinstance(index, int | np.integer):
            return self._layers[index]
        return np.asarray(self)[index]

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        return np.stack(self._layers) if dtype is None else np.stack(self._layers).astype(dtype)

    def __eq__(self, other: object) -> Any:
        return np.asarray(self) == other

    def __repr__(self) -> str:
        return f"MaskStack(shape={self.shape}, {len({id(m) for m in self._layers})} distinct masks)"


def stack_masks(per_layer: Sequence[np.ndarray | None]) -> np.ndarray | MaskStack | None:
    """One layer-indexed mask from the per-layer masks a capture saw (shared arrays are the same object)."""
    if all(m is None for m in per_layer):
        return None
    shape = next(m.shape for m in per_layer if m is not None)
    layers = [m if m is not None else np.zeros(shape, bool) for m in per_layer]
    if all(m is layers[0] for m in layers):
        return np.broadcast_to(layers[0], (len(layers), *shape))  # one [Nq, Nk] array seen as every layer's
    return MaskStack(layers)


@dataclass
class Modifiers:
    """What a family's attention function adds to q·kᵀ·scale, per layer (None where a layer has none)."""

    bias: list[torch.Tensor | None] = field(default_factory=list)  # [H, Nq, Nk] additive (T5's position bias)
    softcap: list[float | None] = field(default_factory=list)  # tanh soft-capping of the scores (Gemma 2)
    sinks: list[torch.Tensor | None] = field(default_factory=list)  # [H] attention-sink logits (gpt-oss)

    def any(self) -> bool:
        """Whether any layer has any of them."""
        return any(x is not None for xs in (self.bias, self.softcap, self.sinks) for x in xs)

    def at(self, layer: int) -> tuple[torch.Tensor | None, float | None, torch.Tensor | None]:
        pick = lambda xs: xs[layer] if len(xs) > layer else None  # noqa: E731
        return pick(self.bias), pick(self.softcap), pick(self.sinks)


def logits(
    q: torch.Tensor,
    k: torch.Tensor,
    scale: float,
    masked: torch.Tensor | None = None,
    bias: torch.Tensor | None = None,
    softcap: float | None = None,
    out: torch.Tensor | None = None,
) -> torch.Tensor:
    """[h, n, Nk] scores of q [h, n, d] against k [h, Nk, d]: the family's eager order, masked keys at -inf.

    bias: [h, n, Nk] (or broadcastable); masked: [n, Nk] bool, True where the key is hidden.
    """
    return finish_scores(torch.matmul(q, k.transpose(-1, -2), out=out), scale, masked, bias, softcap)


def finish_scores(
    scores: torch.Tensor,
    scale: float,
    masked: torch.Tensor | None = None,
    bias: torch.Tensor | None = None,
    softcap: float | None = None,
) -> torch.Tensor:
    """In place, on raw q·k scores [..., n, Nk]: × scale, soft-cap, + bias, masked keys at -inf (the eager order)."""
    scores.mul_(scale)
    if softcap is not None:
        scores.div_(softcap).tanh_().mul_(softcap)
    if bias is not None:
        scores.add_(bias)
    if masked is not None:
        scores.masked_fill_(masked, float("-inf"))
    return scores


def softmax_rows(scores: torch.Tensor, sinks: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """In place: each row's shares of its keys, and with sinks [h] the sink's share of each row ([h, n])."""
    if sinks is None:
        return torch.softmax(scores, dim=-1, out=scores), None
    sink = sinks.to(scores.dtype)[:, None, None]  # [h, 1, 1]
    top = torch.maximum(scores.amax(dim=-1, keepdim=True), sink)  # gpt-oss subtracts the row max, sink included
    scores.sub_(top).exp_()
    sink_exp = (sink - top).exp()  # [h, n, 1]
    total = scores.sum(dim=-1, keepdim=True).add_(sink_exp)
    scores.div_(total)
    return scores, (sink_exp / total)[..., 0]


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
    """run.scores: [L, H, Nq, Nk] scores as the family's eager attention forms them, computed on demand.

    scores[l] is one layer [H, Nq, Nk], scores[l, h] one head [Nq, Nk], scores[l, h, i0:i1] a block of query
    rows. Anything else an array does (np.asarray, arithmetic, .max(), .astype) builds the whole array first,
    and only when it fits in memory (else ExplorerError).
    """

    ndim = 4
    dtype = np.dtype(np.float32)
    what = "scores"

    def __init__(
        self,
        q: np.ndarray,
        k: np.ndarray,
        scale: Sequence[float],
        masked: np.ndarray | MaskStack | None,
        modifiers: Modifiers | None = None,
    ):
        self._q, self._k, self._scale, self._masked = q, k, scale, masked  # [L, H, Nq, d], [L, H, Nk, d]
        self._mods = modifiers or Modifiers()

    @property
    def shape(self) -> tuple[int, int, int, int]:
        L, H, Nq, _ = self._q.shape
        return (L, H, Nq, self._k.shape[2])

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
        L, H, Nq, _ = self.shape
        layers, drop_layer = _axis(layer, L, "layer")
        heads, drop_head = _axis(head, H, "head")
        queries, drop_rows = _axis(rows, Nq, "query")
        out = self._block(layers, heads, queries)[..., keys]  # [layers, heads, queries, Nk]
        drop = tuple(axis for axis, gone in enumerate((drop_layer, drop_head, drop_rows)) if gone)
        return out.squeeze(drop) if drop else out

    def _layer(self, layer: int, heads: np.ndarray, queries: np.ndarray, out: torch.Tensor) -> torch.Tensor | None:
        """Fill out [heads, queries, Nk] with one layer's scores; return the sink share [heads, queries] if any."""
        H, Nq = self._q.shape[1], self._q.shape[2]
        all_heads = len(heads) == H and (heads == np.arange(H)).all()
        all_rows = len(queries) == Nq and (queries == np.arange(Nq)).all()
        q, k = self._q[layer], self._k[layer]  # [H, Nq, d], [H, Nk, d]
        if not all_heads:
            q, k = q[heads], k[heads]
        if not all_rows:
            q = q[:, queries]
        bias, softcap, _sinks = self._mods.at(layer)
        if bias is not None:
            bias = bias if all_heads else bias[torch.from_numpy(heads)]
            bias = bias if all_rows else bias[:, torch.from_numpy(queries)]
        masked = None
        if self._masked is not None:
            m = self._masked[layer] if all_rows else self._masked[layer][queries]  # [n, Nk]
            # a shared mask is a read-only broadcast view: torch gets a copy of it (N² bytes), never a write
            masked = torch.from_numpy(m if m.flags.writeable else np.array(m))
        logits(torch.from_numpy(q), torch.from_numpy(k), self._scale[layer], masked, bias, softcap, out=out)
        return None

    def _block(self, layers: np.ndarray, heads: np.ndarray, queries: np.ndarray) -> np.ndarray:
        """[layers, heads, queries, Nk], one layer at a time."""
        need = 4 * len(layers) * len(heads) * len(queries) * self._k.shape[2]
        ensure_fits(need, f"{len(layers)} layer(s) × {len(heads)} head(s) × {len(queries)} rows of {self.what}")
        out = np.empty((len(layers), len(heads), len(queries), self._k.shape[2]), np.float32)
        buf = torch.from_numpy(out)
        for i, layer in enumerate(layers):
            self._layer(int(layer), heads, queries, buf[i])
        return out

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        need, budget = self.nbytes, memory_budget()
        if need > budget:
            raise ExplorerError(
                f"All {self.what} at once would take {need / 2**30:.1f} GB, more than the {budget / 2**30:.1f} GB "
                "this machine can spare: ask for a layer, a head or a block of query rows instead."
            )
        L, H, Nq, _ = self.shape
        out = self._block(np.arange(L), np.arange(H), np.arange(Nq))
        return out if dtype is None else out.astype(dtype, copy=False)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        inputs = tuple(np.asarray(x) if isinstance(x, ScoreMaps) else x for x in inputs)
        return getattr(ufunc, method)(*inputs, **kwargs)

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(np.asarray(self), name)  # any other ndarray method, on the whole array


class AttentionMaps(ScoreMaps):
    """run.attn: each query row's shares of the keys (softmax of run.scores), computed on demand, part by part.

    Equal to the family's own eager attention (same float32 q and k, same scale, mask, bias, soft-cap, sinks).
    With attention sinks the row's shares of the real keys sum to less than 1; run.sink holds the rest.
    """

    what = "attention maps"

    def _layer(self, layer, heads, queries, out):
        super()._layer(layer, heads, queries, out)
        sinks = self._mods.at(layer)[2]
        if sinks is not None:
            sinks = sinks[torch.from_numpy(heads)]
        return softmax_rows(out, sinks)[1]


class SinkShares:
    """run.sink: the attention sink's share of each query row, [L, H, Nq], computed on demand (None: no sinks).

    sink[l] is one layer [H, Nq], sink[l, h] one head [Nq]; attn[l, h, i].sum() + sink[l, h, i] == 1.
    """

    def __init__(self, maps: AttentionMaps):
        self._maps = maps

    @property
    def shape(self) -> tuple[int, int, int]:
        return self._maps.shape[:3]

    def __getitem__(self, index: Any) -> np.ndarray:
        index = index if isinstance(index, tuple) else (index,)
        layer, head, rows = index + (slice(None),) * (3 - len(index))
        L, H, Nq, Nk = self._maps.shape
        layers, drop_layer = _axis(layer, L, "layer")
        heads, drop_head = _axis(head, H, "head")
        queries, drop_rows = _axis(rows, Nq, "query")
        out = np.zeros((len(layers), len(heads), len(queries)), np.float32)
        buf = torch.empty(len(heads), len(queries), Nk)
        for i, l in enumerate(layers):
            share = self._maps._layer(int(l), heads, queries, buf)
            if share is not None:
                out[i] = share.numpy()
        drop = tuple(axis for axis, gone in enumerate((drop_layer, drop_head, drop_rows)) if gone)
        return out.squeeze(drop) if drop else out

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        out = self[:]
        return out if dtype is None else out.astype(dtype)
