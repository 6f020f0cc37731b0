"""One pretrained layer recomputed step by step by the from-scratch module, and attention pooling."""

from __future__ import annotations

import re
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
    # [H, Nq, Nk] softmax of the same scores without step 3 (same mask, bias, soft-cap and sink): for "dot" without
    # the model's scale (1/√d_k), for "cosine" without its temperature. None when there is no step 3 to leave out
    # (additive scoring, or a model whose scale is 1, like T5).
    unscaled_weights: np.ndarray | None
    scale: float  # step 3's factor: the model's scale ("dot"), the cosine temperature, 1.0 for "additive"
    max_abs_diff: float | None  # largest |weights - the model's own attention| (None when not comparable)
    scoring: str
    causal: bool
    rows: tuple[int, int]  # (start, stop): the query rows of the run these arrays hold (row 0 here is row start)

    def row_sum_range(self, head: int, rows: slice = slice(None), keys: slice = slice(None)) -> tuple[float, float]:
        """Smallest and largest sum of one head's weights over `keys`, among the query rows `rows` (indices into
        these arrays). Over every key both are 1 up to rounding (softmax rows), or 1 - the sink's share."""
        sums = self.weights[head, rows, keys].sum(-1)
        return float(sums.min()), float(sums.max())

    def score_spread(self, head: int) -> tuple[float, float]:
        """Standard deviation of one head's unmasked scores before and after step 3 (raw, scaled)."""
        scaled = self.scores[head]
        kept = np.isfinite(scaled)
        return float(self.raw_scores[head][kept].std()), float(scaled[kept].std())

    def top_keys(self, head: int, query: int, count: int = 3) -> list[int]:
        """The keys with the largest weights for one query, largest first."""
        return [int(j) for j in np.argsort(-self.weights[head, query], kind="stable")[:count]]

    def scaling_entropies(self, head: int, query: int) -> dict[str, float]:
        """One query's attention with and without step 3: entropy (nats) and largest weight of each, the mean
        entropies over every head and query row held here, and "uniform": the entropy of equal shares over the
        query's unmasked keys (log n). ValueError when there is no step 3 (additive)."""
        if self.unscaled_weights is None:
            raise ValueError(f"Scoring '{self.scoring}' with scale {self.scale} has no scaling step to leave out.")
        return {
            "scaled": float(entropy(self.weights[head, query])),
            "unscaled": float(entropy(self.unscaled_weights[head, query])),
            "scaled_max": float(self.weights[head, query].max()),
            "unscaled_max": float(self.unscaled_weights[head, query].max()),
            "layer_scaled": float(entropy(self.weights).mean()),
            "layer_unscaled": float(entropy(self.unscaled_weights).mean()),
            "uniform": float(np.log(max(int(np.isfinite(self.scores[head, query]).sum()), 1))),
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
    (and soft-cap, sinks) but their scoring has no pretrained counterpart (additive parameters are random, seeded).
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
            softcap=mha.softcap,  # the model's soft-cap and sink stay: only the scoring changes
            sinks=mha.sinks,
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
        step3 = {"dot": mha.scale, "cosine": getattr(mha, "cosine_scale", 1.0)}.get(scoring, 1.0)
        unscaled = None if step3 == 1.0 else _softmax(mha, t.raw_scores, torch.isneginf(t.scores), bias)
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
        unscaled_weights=None if unscaled is None else unscaled[0].numpy(),
        scale=float(step3),
        max_abs_diff=diff,
        scoring=scoring,
        causal=causal,
        rows=(start, stop),
    )


def _softmax(mha: MultiHeadAttention, logits: torch.Tensor, masked: torch.Tensor, bias) -> torch.Tensor:
    """Steps 4–5 of the module on scores that skipped step 3: its soft-cap and position bias, the mask, softmax
    with its sink (so "without the scale" changes nothing else)."""
    if mha.softcap is not None:
        logits = torch.tanh(logits / mha.softcap) * mha.softcap
    if bias is not None:
        logits = logits + bias
    logits = logits.masked_fill(masked, float("-inf"))  # (1, H, Nq, Nk)
    if mha.sinks is None:
        return torch.softmax(logits, dim=-1).nan_to_num(0.0)
    sink = mha.sinks[None, :, None, None].expand(*logits.shape[:3], 1)
    return torch.softmax(torch.cat((logits, sink), dim=-1), dim=-1)[..., :-1]


# Words a student would not start on: English function words (the bundled model is English-only).
STOP_WORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below between
    both but by can could did do does doing down during each few for from further had has have having he her here
    hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of
    off on once only or other our ours ourselves out over own same she should so some such than that the their
    theirs them themselves then there these they this those through to too under until up very was we were what
    when where which while who whom why will with would you your yours yourself yourselves s t d ll m re ve
    didn don doesn isn wasn weren aren hasn haven hadn won wouldn shouldn couldn also""".split()
)


def default_query(tokens: list[str], special: list[bool], theme: str = "") -> int:
    """The query token a walkthrough starts on: a content word, not [CLS].

    The first token (case-insensitively, the bundled model is uncased) that is a content word of `theme` (e.g. an
    example's title, "apple: the fruit or the brand?" -> apple; a piece of 3+ letters that starts a theme word counts,
    as "jungle" of "jungler"), else the first that is not special, not punctuation and not a stop word, else the
    first that is not special, else 0.
    """
    words = [t.strip().lower() for t in tokens]
    content = [
        i
        for i, (w, sp) in enumerate(zip(words, special))
        if not sp and any(c.isalnum() for c in w) and w not in STOP_WORDS
    ]
    wanted = {w for w in re.findall(r"\w+", theme.lower()) if w not in STOP_WORDS}
    for i in content:
        if any(words[i] == w or (len(words[i]) >= 3 and w.startswith(words[i])) for w in wanted):
            return i
    if content:
        return content[0]
    return next((i for i, sp in enumerate(special) if not sp), 0)


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
