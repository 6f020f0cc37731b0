"""Q and K in detail: the q∘k products behind one row of scores, and how far apart heads' W subspaces lie."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import torch

from explorer.maps import finish_scores, softmax_rows

if TYPE_CHECKING:
    from explorer.extract import Extraction
    from explorer.models import ModelBundle


# ---------------------------------------------------------------------------------------------------------------------
# Weight-subspace overlap between heads
# ---------------------------------------------------------------------------------------------------------------------

PROJECTIONS = {"q": 0, "k": 1, "v": 2, "o": 3}


def head_bases(bundle: ModelBundle, layer: int, which: str = "q") -> tuple[np.ndarray, np.ndarray]:
    """Orthonormal bases of each head's subspace of the d_model space, and each one's rank.

    W_Q/W_K/W_V: head h's block is rows h·d_head:(h+1)·d_head of the [out, in] weight; its d_model × d_head
    transpose spans the directions of the residual stream the head reads. W_O: columns h·d_head:(h+1)·d_head,
    the directions the head writes. Returns (bases [H', d_model, d_head] zero-padded past each rank, ranks [H']);
    H' = n_kv_heads for K and V of grouped-query models.
    """
    which = str(which).lower()
    if which not in PROJECTIONS:
        raise ValueError(f"Choose the projection as 'q', 'k', 'v' or 'o', not {which!r}.")
    w = bundle.stack().layer_weights(layer)  # ExplorerError for a family with maps but no weight views
    weight, _bias = (w.q, w.k, w.v, w.o)[PROJECTIONS[which]]
    W = weight.detach().double().cpu().numpy()  # [out, in]
    d = bundle.d_head
    if which == "o":
        blocks = W.T.reshape(-1, d, W.shape[0]).transpose(0, 2, 1)  # [H, d_model, d_head]
    else:
        blocks = W.reshape(-1, d, W.shape[1]).transpose(0, 2, 1)  # [H', d_model, d_head]
    U, s, _ = np.linalg.svd(np.ascontiguousarray(blocks), full_matrices=False)  # U [H', d_model, d_head]
    tol = s.max(-1, keepdims=True) * max(blocks.shape[1:]) * np.finfo(np.float64).eps
    keep = s > tol  # [H', d_head] numerical rank
    return U * keep[:, None, :], keep.sum(-1)


def weight_subspace_overlap(
    bundle: ModelBundle, layer_a: int, layer_b: int | None = None, which: str = "q"
) -> np.ndarray:
    """Overlap of the subspaces two heads' W_Q (or W_K, W_V, W_O) blocks span: mean cos² of the principal angles.

    Entry [g, h] compares head g of ``layer_a`` with head h of ``layer_b`` (same layer when None). With
    orthonormal bases U_g, U_h the cosines of the principal angles are the singular values of U_gᵀU_h, so
    mean cos² = ‖U_gᵀU_h‖²_F / min(rank_g, rank_h): 1 for the same subspace, 0 for orthogonal ones, and about
    d_head / d_model for random subspaces. Returns float64 [H', H'] (H' = n_kv_heads for K/V with grouped-query
    attention).
    """
    Ua, ra = head_bases(bundle, layer_a, which)
    Ub, rb = head_bases(bundle, layer_a if layer_b is None else layer_b, which)
    n_a, d_model, d = Ua.shape
    n_b = Ub.shape[0]
    rows = Ua.transpose(0, 2, 1).reshape(n_a * d, d_model)  # [H'·d_head, d_model]: every head's basis vectors
    cols = Ub.transpose(1, 0, 2).reshape(d_model, n_b * d)  # [d_model, H'·d_head]
    cross = (rows @ cols).reshape(n_a, d, n_b, d)  # [g, k, h, l] = (U_gᵀ U_h)[k, l]
    return (cross**2).sum((1, 3)) / np.maximum(np.minimum(ra[:, None], rb[None, :]), 1)


def mean_overlap(overlap: np.ndarray, same_layer: bool) -> float:
    """Mean overlap between different heads: off-diagonal cells for one layer with itself, all cells otherwise."""
    cells = overlap[~np.eye(*overlap.shape, dtype=bool)] if same_layer else overlap.reshape(-1)
    return float(cells.mean()) if cells.size else float("nan")


# ---------------------------------------------------------------------------------------------------------------------
# q∘k: how one query's scores are built (BertViz "neuron view")
# ---------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QKProducts:
    """The pieces of one row of attention: one head (layer, head), one query token, K keys (all N, or a subset).

    products[j] = q ∘ k_j (elementwise); a row of products adds up to dot[j] = q·k_j, the raw score before
    ÷√d_k; scores = dot·scale through the family's own steps (soft-capped and + position bias where it does so),
    masked keys at −inf; weights = their softmax over all N keys, with the sink where the family has one (a
    subset keeps them). Rebuilt in float64 from the products; qk_gaps measures them against the run's maps.
    """

    layer: int
    head: int
    query_index: int
    q: np.ndarray  # [d_head] float64
    k: np.ndarray  # [K, d_head]
    products: np.ndarray  # [K, d_head]
    dot: np.ndarray  # [K]
    scale: float  # run.scale[layer], 1/√d_head for most models
    scores: np.ndarray  # [K] equals run.scores[layer, head, query_index] at these keys
    weights: np.ndarray  # [K] equals run.attn[layer, head, query_index] at these keys
    masked: np.ndarray  # [K] bool: keys the model's mask hid from this query
    key_indices: np.ndarray  # [K] positions of these keys in the text
    tokens: list[str]  # [K] readable tokens of these keys


def qk_products(run: Extraction, layer: int, head: int, query_index: int) -> QKProducts:
    """The q∘k products behind one row of attention, for head (layer, head) and query token ``query_index``."""
    n = run.n_tokens
    if not (0 <= layer < run.n_layers and 0 <= head < run.n_heads):
        raise ValueError(f"Head {layer}.{head} does not exist: layers 0–{run.n_layers - 1}, heads 0–{run.n_heads - 1}.")
    if not 0 <= query_index < n:
        raise ValueError(f"Query token {query_index} does not exist: the text has tokens 0–{n - 1}.")
    q = np.asarray(run.q[layer, head, query_index], dtype=np.float64)  # [d_head]
    k = np.asarray(run.k[layer, head], dtype=np.float64)  # [N, d_head]
    products = q[None, :] * k  # [N, d_head]
    dot = products.sum(-1)  # [N]
    scale = float(run.scale[layer]) if len(run.scale) > layer else 1.0 / np.sqrt(run.d_head)
    layer_masked = run.masked_keys(layer)
    masked = np.zeros(run.n_keys, bool) if layer_masked is None else layer_masked[query_index]  # [Nk]
    # Rebuilt from the products, in float64, through the family's own steps (soft-cap, position bias, sinks)
    bias, softcap, sinks = run.mods.at(layer) if run.mods is not None else (None, None, None)
    row = finish_scores(
        torch.from_numpy(dot.copy())[None],  # [1, Nk]
        scale,
        torch.from_numpy(np.array(masked, dtype=bool))[None],  # a copy: the shared mask is read-only
        None if bias is None else bias[head, query_index][None].double(),
        softcap,
    )
    scores = row[0].numpy().copy()  # [Nk]
    weights = softmax_rows(row[None], None if sinks is None else sinks[head : head + 1].double())[0][0, 0].numpy()
    return QKProducts(
        layer=int(layer),
        head=int(head),
        query_index=int(query_index),
        q=q,
        k=k,
        products=products,
        dot=dot,
        scale=scale,
        scores=scores,
        weights=weights,
        masked=masked,
        key_indices=np.arange(run.n_keys),
        tokens=list(run.key_tokens),
    )


def select_keys(parts: QKProducts, keys: np.ndarray | list[int]) -> QKProducts:
    """The same pieces restricted to some keys (indices into parts' keys; weights stay those of the full softmax)."""
    keys = np.asarray(keys, dtype=int)
    return replace(
        parts,
        k=parts.k[keys],
        products=parts.products[keys],
        dot=parts.dot[keys],
        scores=parts.scores[keys],
        weights=parts.weights[keys],
        masked=parts.masked[keys],
        key_indices=parts.key_indices[keys],
        tokens=[parts.tokens[i] for i in keys],
    )


def top_keys(parts: QKProducts, count: int | None) -> np.ndarray:
    """Indices of the ``count`` keys with the largest softmax weight (always including the query itself), in text
    order; every key when count is None."""
    if count is None:
        return np.arange(parts.weights.size)
    chosen = set(np.argsort(-parts.weights, kind="stable")[:count].tolist()) | {parts.query_index}
    return np.array(sorted(chosen), dtype=int)


def qk_gaps(run: Extraction, parts: QKProducts) -> tuple[float, float]:
    """Largest |difference| of the rebuilt scores (unmasked keys) and weights from the run's own, at parts' keys."""
    own_scores = run.scores[parts.layer, parts.head, parts.query_index][parts.key_indices]
    own_weights = run.attn[parts.layer, parts.head, parts.query_index][parts.key_indices]
    gap_scores = np.abs(parts.scores[~parts.masked] - own_scores[~parts.masked])
    gap_weights = np.abs(parts.weights - own_weights)
    return float(gap_scores.max(initial=0.0)), float(gap_weights.max(initial=0.0))
