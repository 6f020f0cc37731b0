"""Head-vs-head numerics: Jensen–Shannon distances, clustering, MDS, head roles, one head on two texts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import torch

from explorer.errors import ExplorerError
from explorer.maps import ensure_fits

if TYPE_CHECKING:
    from explorer.extract import Extraction

LN2 = float(np.log(2.0))


def head_name(layer: int, head: int) -> str:
    """How a head is named everywhere (charts, tables, captions): "L0 H10" for layer 0, head 10."""
    return f"L{layer} H{head}"


_TINY = 1e-30  # weights below this count as 0 (far below any attention weight that matters)


# ---------------------------------------------------------------------------------------------------------------------
# Jensen–Shannon distance between heads (Clark et al. 2019, "What does BERT look at?", section 6)
# ---------------------------------------------------------------------------------------------------------------------


def _head_stack(run: Extraction, query_rows: np.ndarray | None) -> torch.Tensor:
    """All heads' attention rows as one float32 tensor [L*H, Nq, N], read one layer at a time, rows renormalised."""
    layers = []
    for layer in range(run.n_layers):  # only the rows asked for are computed (maps on demand)
        a = run.attn[layer] if query_rows is None else run.attn[layer, :, query_rows]  # [H, Nq, N]
        layers.append(np.asarray(a, dtype=np.float32))
    P = torch.from_numpy(np.concatenate(layers))  # [L*H, Nq, N]
    P = torch.nan_to_num(P, nan=0.0)
    P[P < _TINY] = 0.0  # also flushes float32 subnormals (softmax tails reach 1e-45), which slow every op on them
    return P / P.sum(-1, keepdim=True).clamp_min(_TINY)


def sample_rows(n: int, max_queries: int | None) -> np.ndarray | None:
    """Evenly spaced query rows, at most max_queries of them; None: every row."""
    if max_queries is None or n <= max_queries:
        return None
    return np.unique(np.linspace(0, n - 1, int(max_queries)).round().astype(int))


def js_distance_matrix(run: Extraction, max_queries: int | None = None) -> np.ndarray:
    """Jensen–Shannon distance between every pair of heads, averaged over query tokens.

    For heads a and b and query token i, with p = attn_a[i], q = attn_b[i] and m = (p + q) / 2:
        JS(p, q) = sqrt( H(m) - (H(p) + H(q)) / 2 )   with entropies in bits, so 0 ≤ JS ≤ 1,
    i.e. ``scipy.spatial.distance.jensenshannon(p, q, base=2)``. The matrix holds the mean of JS over the
    query tokens. Masked keys (causal models) carry weight 0 and count as 0·log 0 = 0.

    Heads are flattened layer-major: index = layer * n_heads + head. Returns float64 [L*H, L*H], symmetric,
    zero diagonal. ``max_queries`` averages over that many evenly spaced query rows instead of all of them
    (for very long texts); None uses every row. Computed in float32 with torch (one mixture entropy per pair of
    heads and query row): within 1e-6 of a float64 computation on the bundled model.
    """
    return _js(run, sample_rows(run.n_tokens, max_queries))[0]


def _js(run: Extraction, rows: np.ndarray | None) -> tuple[np.ndarray, float]:
    """(mean JS distance over the query rows [M, M], the largest standard error of a mean over sampled rows:
    0 when every row is used)."""
    n_rows = run.n_tokens if rows is None else len(rows)
    stack = run.n_layers * run.n_heads * n_rows * run.n_keys * 4  # bytes of the stacked rows
    ensure_fits(4 * stack, f"Comparing every pair of heads over {n_rows} query rows")  # rows, 2 buffers, entropies
    P = _head_stack(run, rows)  # [M, Nq, N]
    M, R = P.shape[0], P.shape[1]

    # 1) each head's entropy per query row (nats): -Σ x ln x, with 0 ln 0 = 0 (x is clamped to a tiny value inside
    #    the log only). The same steps run on the mixtures, so two equal rows give exactly equal entropies and a
    #    distance of exactly 0. (A log and a multiply: about 30% faster than torch.special.entr's branches.)
    def entropy(x: torch.Tensor, buf: torch.Tensor) -> torch.Tensor:
        return -torch.clamp_min(x, _TINY, out=buf).log_().mul_(x).sum(-1)

    H_rows = entropy(P, torch.empty_like(P))  # [M, Nq]

    # 2) for head a against heads a..M-1 at once: entropy of the mixture m = (p + q) / 2
    mix_buf, log_buf = torch.empty_like(P), torch.empty_like(P)
    dist = torch.zeros(M, M, dtype=torch.float64)
    spread = torch.zeros(M, M, dtype=torch.float64)  # variance of the per-row distances
    for a in range(M):
        k = M - a
        mix = torch.add(P[a:], P[a], out=mix_buf[:k]).mul_(0.5)  # [k, Nq, N]
        H_mix = entropy(mix, log_buf[:k])  # [k, Nq]
        jsd_bits = (H_mix - 0.5 * (H_rows[a] + H_rows[a:])).clamp_min_(0.0) / LN2  # [k, Nq]
        per_row = jsd_bits.sqrt_()
        dist[a, a:] = per_row.mean(-1).double()
        spread[a, a:] = per_row.double().var(-1, correction=1) if R > 1 else 0.0

    # 3) symmetric, exact zero diagonal
    dist = torch.triu(dist, 1)
    out = (dist + dist.T).numpy()
    np.fill_diagonal(out, 0.0)
    error = 0.0
    if rows is not None:  # a sample of R of N rows: standard error with the finite-population correction
        n = run.n_tokens
        error = float(np.sqrt(torch.triu(spread, 1).max().item() / R * (1 - R / n)))
    return out, error


OVERVIEW_MAX_ROWS = 1024  # sampled query rows at most: the standard error stays far below what the views show
JS_BUDGET = 3e8  # mixture cells (head pairs × query rows × keys) the head overview may visit: ~0.5 s on 2 idle cores


def js_query_rows(n_heads_total: int, n_tokens: int, budget: float = JS_BUDGET) -> int | None:
    """How many query rows js_distance_matrix can average over within ``budget``; None when all of them fit.

    The bundled model (72 heads) fits whole up to 337 tokens; at 512 it averages over 222 evenly spaced rows, and
    larger models over fewer (so opening the head comparison stays within about a second).
    """
    pairs = n_heads_total * (n_heads_total + 1) / 2
    rows = int(budget // max(pairs * n_tokens, 1))
    return None if rows >= n_tokens else max(rows, 8)


def cluster_order(distance: np.ndarray, method: str = "average") -> np.ndarray:
    """Leaf order of a hierarchical clustering (scipy linkage, optimal leaf ordering) of a distance matrix."""
    from scipy.cluster.hierarchy import leaves_list, linkage
    from scipy.spatial.distance import squareform

    d = np.asarray(distance, dtype=np.float64)
    if d.shape[0] < 3:
        return np.arange(d.shape[0])
    condensed = squareform(0.5 * (d + d.T), checks=False)
    return leaves_list(linkage(condensed, method=method, optimal_ordering=True))


def layer_distance(distance: np.ndarray, n_heads: int) -> np.ndarray:
    """Mean JS distance between the heads of two layers: [L*H, L*H] -> [L, L] (for models with too many heads
    to draw one cell per pair). The diagonal is the mean distance between different heads of one layer."""
    L = distance.shape[0] // n_heads
    blocks = distance.reshape(L, n_heads, L, n_heads)  # [layer_a, head_a, layer_b, head_b]
    out = blocks.mean((1, 3))
    if n_heads > 1:  # leave out each head against itself (always 0)
        out[np.diag_indices(L)] = blocks[np.arange(L), :, np.arange(L), :].sum((1, 2)) / (n_heads * (n_heads - 1))
    return out


def mds_embedding(distance: np.ndarray, dims: int = 2) -> np.ndarray:
    """Classical (Torgerson) MDS: points [M, dims] whose Euclidean distances approximate ``distance``.

    Deterministic: B = -½·J·D²·J (J centres), take the top eigenvectors scaled by √eigenvalue, and flip each
    axis so its largest-magnitude coordinate is positive.
    """
    d = np.asarray(distance, dtype=np.float64)
    m = d.shape[0]
    J = np.eye(m) - 1.0 / m  # centring matrix
    B = -0.5 * J @ (d**2) @ J  # [M, M]
    vals, vecs = np.linalg.eigh(B)  # ascending
    top = np.argsort(vals)[::-1][:dims]
    coords = np.zeros((m, dims))
    coords[:, : len(top)] = vecs[:, top] * np.sqrt(np.clip(vals[top], 0.0, None))  # [M, dims]
    signs = np.sign(coords[np.abs(coords).argmax(0), np.arange(coords.shape[1])])
    signs[signs == 0] = 1.0
    return coords * signs


def head_map(run: Extraction, distance: np.ndarray | None = None) -> pd.DataFrame:
    """One row per head: layer, head, "L.H" name, cluster rank and the 2-D MDS coordinates (x, y)."""
    if distance is None:
        distance = js_distance_matrix(run)
    order = cluster_order(distance)
    xy = mds_embedding(distance)
    idx = np.arange(distance.shape[0])
    rank = np.empty_like(idx)
    rank[order] = idx
    return pd.DataFrame(
        {
            "layer": idx // run.n_heads,
            "head": idx % run.n_heads,
            "name": [head_name(i // run.n_heads, i % run.n_heads) for i in idx],
            "cluster_rank": rank,
            "x": xy[:, 0],
            "y": xy[:, 1],
        }
    )


# ---------------------------------------------------------------------------------------------------------------------
# Head roles
# ---------------------------------------------------------------------------------------------------------------------

# Thresholds of the role labels (shares are mean attention per query token, 0..1). The first rule that holds wins.
POSITION_SHARE = 0.5  # previous / next / self share at least this -> "previous-token head" / "next-token head" / ...
SINK_SHARE = 0.5  # share to special tokens (or, with none, to the first token of a causal model) -> "... sink"
BROAD_ENTROPY = 0.7  # entropy at least this fraction of the uniform row's entropy -> "broad"
LOCAL_DISTANCE = 2.0  # mean |query - key| at most this many tokens -> "local"
ROLE_RULES = (
    f"previous/next/self share ≥ {POSITION_SHARE} → the largest of the three names the head; "
    f"share to special tokens ≥ {SINK_SHARE} → '[CLS] sink', '[SEP] sink' or 'BOS sink' (the special token taking "
    f"most; 'first-token sink' for a causal model without one); normalised entropy ≥ {BROAD_ENTROPY} → 'broad'; "
    f"mean distance ≤ {LOCAL_DISTANCE:g} tokens → 'local'; otherwise 'mixed'."
)


def _sink_name(run: Extraction, position: int) -> str:
    """'[CLS] sink' / '[SEP] sink' for BERT-style specials, 'BOS sink' for a causal model's first token, else the
    special token's own spelling ('</s> sink')."""
    raw = (run.part("encoder") if run.kind == "cross" else run).raw_tokens[position]  # the key side's token
    if run.is_causal and position == 0 and raw not in ("[CLS]", "[SEP]"):
        return "BOS sink"
    return f"{raw} sink"


def head_roles(run: Extraction, rows: np.ndarray | None = None) -> pd.DataFrame:
    """Per (layer, head): what the head attends to, averaged over query tokens, and a short role label.

    Columns: layer, head, entropy_bits (mean over queries of −Σ p log₂ p), entropy_norm (that ÷ the mean
    log₂(number of keys the query may attend to), 1 = uniform), mean_distance (Σ p·|i−j| in tokens),
    to_special (share to [CLS]/[SEP]/BOS, run.special), to_first (share to token 0), to_self, to_previous
    (j = i−1, queries i ≥ 1), to_next (j = i+1, queries i ≤ N−2; always 0 in causal models), top_special (the
    special token taking most), label (rules in ROLE_RULES).
    """
    nk = run.n_keys  # keys (more keys than queries in cross-attention)
    q_rows = np.arange(run.n_tokens) if rows is None else np.asarray(rows)  # the query rows read (R)
    n = len(q_rows)
    special = np.asarray(run.key_special, dtype=bool)  # [Nk]
    masked = run.masked_keys(0)  # [Nq, Nk], the same for every head
    open_keys = np.full(n, nk) if masked is None else nk - masked[q_rows].sum(-1)  # [R] keys each row may see
    log_support = np.log2(np.maximum(open_keys, 1))  # [R] entropy of a uniform row, bits
    uniform_bits = float(log_support.mean()) if n else 0.0
    distance = np.abs(q_rows[:, None] - np.arange(nk)[None, :]).astype(np.float32)  # [R, Nk]
    r = np.arange(n)
    own = r[q_rows < nk]  # rows whose query is also a key (self)
    prev_rows = r[(q_rows >= 1) & (q_rows - 1 < nk)]
    next_rows = r[q_rows + 1 < nk]

    frames = []
    for layer in range(run.n_layers):
        A = np.asarray(run.attn[layer] if rows is None else run.attn[layer, :, q_rows], dtype=np.float64)  # [H, R, Nk]
        entropy = -(A * np.log2(np.where(A > 0, A, 1.0))).sum(-1).mean(-1)  # [H]
        diag = A[:, own, q_rows[own]] if len(own) else np.zeros((A.shape[0], 1))  # [H, R']
        prev = A[:, prev_rows, q_rows[prev_rows] - 1].mean(-1) if len(prev_rows) else np.zeros(A.shape[0])
        nxt = A[:, next_rows, q_rows[next_rows] + 1].mean(-1) if len(next_rows) else np.zeros(A.shape[0])
        per_key = A.mean(1)  # [H, N] mean attention each key receives
        to_special = per_key[:, special].sum(-1) if special.any() else np.zeros(A.shape[0])
        top_special = np.where(special, per_key, -1.0).argmax(-1) if special.any() else np.full(A.shape[0], -1)
        frames.append(
            pd.DataFrame(
                {
                    "layer": layer,
                    "head": np.arange(A.shape[0]),
                    "entropy_bits": entropy,
                    "entropy_norm": entropy / uniform_bits if uniform_bits > 0 else np.zeros(A.shape[0]),
                    "mean_distance": (A * distance).sum(-1).mean(-1),
                    "to_special": to_special,
                    "to_first": per_key[:, 0],
                    "to_self": diag.mean(-1),
                    "to_previous": prev,
                    "to_next": nxt,
                    "top_special": top_special,
                }
            )
        )
    roles = pd.concat(frames, ignore_index=True)
    roles["label"] = [_label(run, row) for row in roles.itertuples(index=False)]
    roles["top_special"] = [run.key_tokens[t] if t >= 0 else "" for t in roles["top_special"]]
    return roles


def _label(run: Extraction, row) -> str:
    """The role label of one head_roles row (rules in ROLE_RULES)."""
    positional = {"previous-token head": row.to_previous, "next-token head": row.to_next, "self head": row.to_self}
    name, share = max(positional.items(), key=lambda kv: kv[1])
    if share >= POSITION_SHARE:
        return name
    if row.top_special >= 0 and row.to_special >= SINK_SHARE:
        return _sink_name(run, int(row.top_special))
    if row.top_special < 0 and run.is_causal and row.to_first >= SINK_SHARE:
        return "first-token sink"
    if row.entropy_norm >= BROAD_ENTROPY:
        return "broad"
    if row.mean_distance <= LOCAL_DISTANCE:
        return "local"
    return "mixed"


# ---------------------------------------------------------------------------------------------------------------------
# The same head on two texts
# ---------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeadsOverview:
    """Everything the "all heads" views need, computed in one pass (M = L·H heads, layer-major)."""

    distance: np.ndarray  # [M, M] Jensen–Shannon distance between heads
    order: np.ndarray  # [M] hierarchical-clustering leaf order
    points: pd.DataFrame  # head_map: layer, head, name, cluster_rank, x, y, and each head's role label
    roles: pd.DataFrame  # head_roles: one row per head
    query_rows: int | None  # query rows the distances and roles average over (None: every row)
    sampling_error: float = 0.0  # largest standard error of a distance from averaging over sampled rows only


def heads_overview(run: Extraction) -> HeadsOverview:
    """JS distances, clustering, MDS map and roles of every head. Long texts average over a budget of evenly
    spaced query rows (each row is exact on its own), and the largest standard error that causes is reported."""
    budget = js_query_rows(run.n_layers * run.n_heads, run.n_tokens)
    rows = sample_rows(run.n_tokens, None if budget is None else min(budget, OVERVIEW_MAX_ROWS))
    distance, error = _js(run, rows)
    roles = head_roles(run, rows)
    points = head_map(run, distance)
    points["label"] = roles["label"].to_numpy()
    return HeadsOverview(distance, cluster_order(distance), points, roles, None if rows is None else len(rows), error)


# One-word swaps that keep the token count, so a difference map has something to show by default.
SWAPS = (("tired", "wide"), ("apple", "orange"), ("he", "she"), ("it", "this"))


def one_word_swap(text: str) -> str:
    """The text with its first swappable word exchanged ("tired" -> "wide"), or unchanged."""
    for old, new in SWAPS:
        changed, count = re.subn(rf"\b{old}\b", new, text, count=1)
        if count:
            return changed
    return text


@dataclass
class HeadDifference:
    """One head's attention on text A and text B, and B − A where the two can be laid cell on cell."""

    layer: int
    head: int
    a: np.ndarray  # [Na, Na]
    b: np.ndarray  # [Nb, Nb]
    difference: np.ndarray | None  # [N, N] b − a when Na == Nb, else None
    same_tokens: bool  # the two token sequences are identical
    note: str  # one sentence for the page: what the difference map means, or why there is none


def head_difference(run_a: Extraction, run_b: Extraction, layer: int, head: int) -> HeadDifference:
    """The same (layer, head) on two texts; a cell-by-cell difference only when both have the same token count."""
    for run in (run_a, run_b):
        if not (0 <= layer < run.n_layers and 0 <= head < run.n_heads):
            raise ValueError(f"Head {layer}.{head} does not exist in {run.model_name}.")
    if run_a.model_name != run_b.model_name:
        raise ExplorerError("The two texts were run through different models: run both with the same model.")
    a = np.asarray(run_a.attn[layer, head])
    b = np.asarray(run_b.attn[layer, head])
    na, nb = a.shape[-1], b.shape[-1]  # key counts (the texts' tokens; the encoder's in cross-attention)
    ids_a, ids_b = (list(r.part("encoder").token_ids if r.kind == "cross" else r.token_ids) for r in (run_a, run_b))
    same_tokens = ids_a == ids_b and list(run_a.token_ids) == list(run_b.token_ids)
    if a.shape != b.shape:
        note = (
            f"The texts have {na} and {nb} tokens, so their cells do not line up and there is no difference map: "
            "compare them side by side, or edit the second text to the same number of tokens (e.g. swap one word)."
        )
        return HeadDifference(layer, head, a, b, None, same_tokens, note)
    if same_tokens:
        note = "Both texts give the same tokens, so the difference is zero everywhere."
    else:
        changed = [i for i, (x, y) in enumerate(zip(ids_a, ids_b, strict=True)) if x != y]
        shown = ", ".join(str(i) for i in changed[:8]) + (" …" if len(changed) > 8 else "")
        note = (
            f"Both texts have {na} tokens; they differ at position(s) {shown}. Cell (i, j) is B's weight minus "
            "A's for query i and key j: red where text B attends more, blue where it attends less."
        )
    return HeadDifference(layer, head, a, b, (b - a).astype(np.float32), same_tokens, note)
