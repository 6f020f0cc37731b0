"""One pretrained layer recomputed step by step by the from-scratch module, and attention pooling."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

from explorer.errors import ExplorerError
from explorer.reference import MultiHeadAttention

if TYPE_CHECKING:
    from explorer.models import ModelBundle


@dataclass
class LayerWalkthrough:
    """One pretrained layer re-computed step by step by MultiHeadAttention (numpy, batch dimension dropped)."""

    x: np.ndarray  # [Nq, d_model] E: what the layer was fed (queries' side)
    x_kv: np.ndarray  # [Nk, d_model] keys' and values' side (= x for self-attention)
    q: np.ndarray  # [H, Nq, d_head]
    k: np.ndarray  # [H, Nk, d_head]
    v: np.ndarray  # [H, Nk, d_head]
    raw_scores: np.ndarray  # [H, Nq, Nk] before ÷√d_k
    scores: np.ndarray  # [H, Nq, Nk] scaled and masked (-inf)
    weights: np.ndarray  # [H, Nq, Nk]
    context: np.ndarray  # [H, Nq, d_head]
    concat: np.ndarray  # [Nq, H * d_head]
    output: np.ndarray  # [Nq, d_model]
    unscaled_weights: np.ndarray  # [H, Nq, Nk] softmax without ÷√d_k (same mask)
    scale: float
    max_abs_diff: float | None  # largest |weights - the model's own attention| (None when not comparable)
    scoring: str
    causal: bool

    def row_sum_range(self, head: int) -> tuple[float, float]:
        """Smallest and largest row sum of one head's weights (both 1 up to rounding: softmax rows)."""
        sums = self.weights[head].sum(-1)
        return float(sums.min()), float(sums.max())

    def top_keys(self, head: int, query: int, count: int = 3) -> list[int]:
        """The keys with the largest weights for one query, largest first."""
        return [int(j) for j in np.argsort(-self.weights[head, query], kind="stable")[:count]]

    def scaling_entropies(self, head: int, query: int) -> dict[str, float]:
        """Entropy (nats) of one query's attention with and without ÷√d_k, and the layer's means over all rows."""
        return {
            "scaled": float(entropy(self.weights[head, query])),
            "unscaled": float(entropy(self.unscaled_weights[head, query])),
            "layer_scaled": float(entropy(self.weights).mean()),
            "layer_unscaled": float(entropy(self.unscaled_weights).mean()),
        }


def entropy(weights: np.ndarray) -> np.ndarray:
    """Shannon entropy in nats over the last axis (0·log 0 = 0): how spread out each attention row is."""
    w = np.asarray(weights, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.where(w > 0, w * np.log(w), 0.0).sum(-1)


def walkthrough(
    bundle: ModelBundle,
    run,
    layer: int,
    *,
    causal: bool | None = None,
    scoring: str = "dot",
    kv_run=None,
    seed: int = 0,
    rows: tuple[int, int] | None = None,
) -> LayerWalkthrough:
    """Re-run `layer` of the model from scratch on its real input (run.attn_input[layer]).

    causal: None = the model's own masking. scoring "additive"/"cosine" keep the pretrained W_Q, W_K, W_V, W_O
    but their scoring has no pretrained counterpart (additive parameters are random, seeded).
    kv_run: another Extraction of the same model: its layer input gives the keys and values (cross-attention,
    queries from `run`). max_abs_diff compares with the model's own attention only where that is meaningful
    (self-attention, dot scoring, the model's own mask).
    rows: (start, stop) a window of query rows for a long text: the queries are those rows, the keys every token
    (the model's mask and positions of those rows), so the N × N matrices become (stop − start) × N.
    """
    if not 0 <= layer < run.n_layers:
        raise ValueError(f"Layer {layer} does not exist: this run has layers 0 to {run.n_layers - 1}.")
    causal = run.is_causal if causal is None else bool(causal)
    torch.manual_seed(seed)
    kind = None if run.kind == "self" else run.kind  # encoder–decoder: that kind's own layer weights
    mha = MultiHeadAttention.from_pretrained_layer(bundle, layer, kind)
    if scoring != "dot":
        other = MultiHeadAttention(
            bundle.d_model,
            bundle.n_heads,
            scoring=scoring,
            n_kv_heads=bundle.n_kv_heads,
            d_head=bundle.d_head,
            bias=mha.w_q.bias is not None,
            out_bias=mha.w_o.bias is not None,
            scale=mha.scale,
            rotary_inv_freq=mha.rotary_inv_freq,
            rotary_factor=mha.rotary_factor,
            q_norm=mha.q_norm,
            k_norm=mha.k_norm,
        )
        for name in ("w_q", "w_k", "w_v", "w_o"):
            getattr(other, name).load_state_dict(getattr(mha, name).state_dict())
        mha = other.eval()
    start, stop = (0, run.n_tokens) if rows is None else (max(0, int(rows[0])), min(run.n_tokens, int(rows[1])))
    window = slice(start, stop)
    x_all = torch.from_numpy(np.ascontiguousarray(run.attn_input[layer]))[None]  # (1, N, d_model)
    x = x_all[:, window]  # (1, Nq, d_model): the query rows
    x_kv = None if kv_run is None else torch.from_numpy(np.ascontiguousarray(kv_run.attn_input[layer]))[None]
    if x_kv is None and rows is not None:  # a window of queries still sees every key
        x_kv = x_all
    if kv_run is None and run.kv_input is not None:  # real cross-attention: K = V from the encoder's output
        x_kv = torch.from_numpy(np.ascontiguousarray(run.kv_input))[None]
    # The model's own mask (a causal one, and a sliding window where the family has one) when it is asked for
    own = kv_run is None and causal == run.is_causal and run.masked_keys(layer) is not None
    mask = torch.from_numpy(~np.asarray(run.masked_keys(layer)[window]))[None] if own else None
    bias = run.mods.bias[layer] if kv_run is None and run.mods is not None else None
    bias = None if bias is None else bias[:, window]
    windowed = rows is not None and run.kv_input is None and kv_run is None
    if windowed and causal and not own:  # the causal mask of those rows, aligned to their own positions
        mask = torch.from_numpy(np.arange(run.n_tokens)[None, :] <= np.arange(start, stop)[:, None])[None]
    positions = torch.arange(start, stop) if windowed else None
    with torch.no_grad():
        t = mha(
            x,
            x_kv=x_kv,
            mask=mask,
            causal=causal and not own and not windowed,
            position_bias=bias,
            positions=positions,
        )
        unscaled = torch.softmax(t.scores / (mha.scale if scoring == "dot" else 1.0), dim=-1).nan_to_num(0.0)
    comparable = kv_run is None and scoring == "dot" and causal == run.is_causal
    weights = t.weights[0].numpy()
    diff = float(np.abs(weights - run.attn[layer, :, start:stop]).max()) if comparable else None
    return LayerWalkthrough(
        x=x[0].numpy(),
        x_kv=(x if x_kv is None else x_kv)[0].numpy(),
        q=t.q[0].numpy(),
        k=t.k[0].numpy(),
        v=t.v[0].numpy(),
        raw_scores=t.raw_scores[0].numpy(),
        scores=t.scores[0].numpy(),
        weights=weights,
        context=t.context[0].numpy(),
        concat=t.concat[0].numpy(),
        output=t.output[0].numpy(),
        unscaled_weights=unscaled[0].numpy(),
        scale=float(mha.scale if scoring == "dot" else (mha.cosine_scale if scoring == "cosine" else 1.0)),
        max_abs_diff=diff,
        scoring=scoring,
        causal=causal,
    )


@dataclass
class Pooling:
    """One query attending over a whole sequence: the sequence's states pooled into one vector."""

    query: np.ndarray  # [d] the whole sequence's state (mean of the states unless given)
    scores: np.ndarray  # [N] q·k_j/√d (-inf where excluded)
    weights: np.ndarray  # [N] softmax(scores)
    pooled: np.ndarray  # [d] Σ_j weights_j · v_j
    mean: np.ndarray  # [d] plain mean of the included states (what mean pooling would give)
    cosine_to_mean: float  # cos(pooled, mean)
    kept: np.ndarray  # [N] bool: the positions pooled over

    @property
    def kept_indices(self) -> list[int]:
        return [int(i) for i in np.flatnonzero(self.kept)]

    @property
    def kept_weights(self) -> np.ndarray:
        return self.weights[self.kept]

    @property
    def top(self) -> int:
        """Position with the largest share."""
        return int(np.argmax(self.weights))

    @property
    def uniform_share(self) -> float:
        """The share every kept token would get from a plain mean."""
        return 1.0 / int(self.kept.sum())


def attention_pooling(states: np.ndarray, query: np.ndarray | None = None, include: list[bool] | None = None):
    """Attention pooling: keys = values = the partial states [N, d]; the query is the whole sequence's state.

    As in a recommender that pools a user's viewing history: each watched item's state is a key and a value,
    the summary state asks "which of these matter?", and the answer is a weighted sum instead of a plain mean.
    include: False for positions to leave out (e.g. [CLS]/[SEP]).
    """
    x = np.asarray(states, dtype=np.float64)  # [N, d]
    keep = np.ones(len(x), bool) if include is None else np.asarray(include, bool)
    if not keep.any():
        raise ExplorerError("Attention pooling needs at least one token to pool over.")
    mean = x[keep].mean(0)
    q = mean if query is None else np.asarray(query, dtype=np.float64)
    scores = np.where(keep, x @ q / np.sqrt(x.shape[1]), -np.inf)  # 1) score: q·k_j / √d
    w = np.exp(scores - scores[keep].max())  # 2) softmax over the sequence
    w /= w.sum()
    pooled = w @ x  # 3) weighted sum of the values (= the states)
    cos = float(pooled @ mean / (np.linalg.norm(pooled) * np.linalg.norm(mean) + 1e-12))
    return Pooling(q, scores, w, pooled, mean, cos, keep)
