"""From-scratch multi-head attention that shows every step, and loads any supported pretrained layer exactly.

Written from the equations (no torch.nn.MultiheadAttention, no scaled_dot_product_attention), in the
numbered steps the tutorials teach:

    1) project    Q = X·W_Q, K = X_kv·W_K, V = X_kv·W_V, split into heads   (+ rotary where the model uses it)
    2) score      q·kᵀ (or an additive network, or cosine similarity)
    3) scale      ÷ √d_k
    4) mask       padding / causal positions -> -inf
    5) softmax    scores -> shares that sum to 1 over the keys
    6) weight V   context = Σ_j weight_ij · v_j
    7) concat     heads side by side -> [N, H · d_head]
    8) W_O        output = concat · W_O
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

SCORINGS = ("dot", "additive", "cosine")


@dataclass
class AttentionTrace:
    """Every intermediate of one MultiHeadAttention call (B batch, H heads, Nq queries, Nk keys)."""

    q: torch.Tensor  # [B, H, Nq, d_head]  after rotary, if any
    k: torch.Tensor  # [B, H, Nk, d_head]  grouped-query heads already repeated
    v: torch.Tensor  # [B, H, Nk, d_head]
    raw_scores: torch.Tensor  # [B, H, Nq, Nk]  step 2, before scaling
    scores: torch.Tensor  # [B, H, Nq, Nk]  steps 2-4: scaled, masked entries -inf
    weights: torch.Tensor  # [B, H, Nq, Nk]  step 5: softmax(scores), rows sum to 1
    context: torch.Tensor  # [B, H, Nq, d_head]  step 6: weights @ v
    concat: torch.Tensor  # [B, Nq, H * d_head]  step 7
    output: torch.Tensor  # [B, Nq, d_model]  step 8: concat @ W_Oᵀ + b_O


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    """[x1, x2] -> [-x2, x1] on the last dimension (the rotary pairing used by Llama-style models)."""
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


def apply_rotary(x: torch.Tensor, inv_freq: torch.Tensor, positions: torch.Tensor, factor: float = 1.0):
    """Rotate each (i, i + r/2) pair of the first r = 2·len(inv_freq) dims of x [B, H, N, d] by position · inv_freq[i].

    With r < d (partial rotary, GPT-NeoX) the remaining dims pass through unrotated.
    """
    r = 2 * inv_freq.shape[0]
    angles = positions.to(inv_freq.dtype)[:, None] * inv_freq[None, :]  # (N, r/2)
    emb = torch.cat((angles, angles), dim=-1)  # (N, r)
    cos, sin = emb.cos() * factor, emb.sin() * factor
    rotated = x[..., :r] * cos.to(x.dtype) + rotate_half(x[..., :r]) * sin.to(x.dtype)
    return rotated if r == x.shape[-1] else torch.cat((rotated, x[..., r:]), dim=-1)


class MultiHeadAttention(nn.Module):
    """Multi-head attention with named projections w_q, w_k, w_v, w_o (the tutorials' W_Q, W_K, W_V, W_O).

    scoring: "dot" (scaled dot product, what Transformers use), "additive" (Bahdanau: vᵀ·tanh(W₁q + W₂k),
    its own parameters, per head) or "cosine" (cosine similarity times `cosine_scale`).
    n_kv_heads < n_heads gives grouped-query attention (K/V head g serves n_heads / n_kv_heads query heads).
    rotary_inv_freq: a [r / 2] tensor turns on rotary position embeddings on the first r dims of q and k.
    The pieces some families add, all off by default: q_norm/k_norm (modules normalising q and k before
    rotary, per head or over the whole projection), softcap (Gemma 2's tanh capping of the scores), sinks
    (gpt-oss's per-head sink logit, which takes a share of every row), and forward(position_bias=) (T5).
    """

    def __init__(
        self,
        d_model: int,
        n_heads: int,
        bias: bool = True,
        scoring: str = "dot",
        *,
        n_kv_heads: int | None = None,
        d_head: int | None = None,
        out_bias: bool | None = None,
        scale: float | None = None,
        rotary_inv_freq: torch.Tensor | None = None,
        rotary_factor: float = 1.0,
        cosine_scale: float | None = None,
        q_norm: nn.Module | None = None,
        k_norm: nn.Module | None = None,
        softcap: float | None = None,
        sinks: torch.Tensor | None = None,
    ):
        super().__init__()
        if scoring not in SCORINGS:
            raise ValueError(f"Unknown scoring '{scoring}': choose one of {', '.join(SCORINGS)}.")
        if d_head is None and d_model % n_heads:
            raise ValueError(f"d_model {d_model} is not divisible by {n_heads} heads; give d_head explicitly.")
        self.d_model, self.n_heads = d_model, n_heads
        self.n_kv_heads = n_kv_heads or n_heads
        if n_heads % self.n_kv_heads:
            raise ValueError(f"{n_heads} query heads cannot share {self.n_kv_heads} key/value heads evenly.")
        self.d_head = d_head or d_model // n_heads
        self.scoring = scoring
        self.scale = scale if scale is not None else 1.0 / math.sqrt(self.d_head)  # step 3: 1/√d_k
        self.w_q = nn.Linear(d_model, n_heads * self.d_head, bias=bias)
        self.w_k = nn.Linear(d_model, self.n_kv_heads * self.d_head, bias=bias)
        self.w_v = nn.Linear(d_model, self.n_kv_heads * self.d_head, bias=bias)
        self.w_o = nn.Linear(n_heads * self.d_head, d_model, bias=bias if out_bias is None else out_bias)
        if rotary_inv_freq is not None:
            self.register_buffer("rotary_inv_freq", rotary_inv_freq.detach().clone().float(), persistent=False)
        else:
            self.rotary_inv_freq = None
        self.rotary_factor = rotary_factor
        self.q_norm, self.k_norm, self.softcap = q_norm, k_norm, softcap
        self.sinks = None if sinks is None else nn.Parameter(sinks.detach().clone().float(), requires_grad=False)
        if scoring == "additive":
            # Bahdanau scoring, per head: score_ij = vᵀ tanh(W₁ q_i + W₂ k_j). Not pretrained in any model here.
            d_att = self.d_head
            self.add_w1 = nn.Parameter(torch.randn(n_heads, self.d_head, d_att) / math.sqrt(self.d_head))
            self.add_w2 = nn.Parameter(torch.randn(n_heads, self.d_head, d_att) / math.sqrt(self.d_head))
            self.add_v = nn.Parameter(torch.randn(n_heads, d_att) / math.sqrt(d_att))
        if scoring == "cosine":
            self.cosine_scale = float(cosine_scale if cosine_scale is not None else math.sqrt(self.d_head))

    def _split(self, x: torch.Tensor, heads: int) -> torch.Tensor:
        B, N, _ = x.shape
        return x.view(B, N, heads, self.d_head).transpose(1, 2)  # (B, N, heads*d) -> (B, heads, N, d)

    def forward(
        self,
        x: torch.Tensor,
        x_kv: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
        causal: bool = False,
        position_bias: torch.Tensor | None = None,
        positions: torch.Tensor | None = None,
    ) -> AttentionTrace:
        """x: [B, Nq, d_model] queries; x_kv: [B, Nk, d_model] keys/values (None: self-attention).

        mask: 1/True = may attend. [B, Nk] (key padding, like Hugging Face's attention_mask) or [B, Nq, Nk]
        (B may be 1). causal: query i sees keys j <= i (aligned to the end when Nk > Nq).
        position_bias: [H, Nq, Nk] added to the scaled scores (T5's relative position bias).
        positions: [Nq] the queries' positions among the keys, for rotary (default: the last Nq keys); a window
        of query rows of a long text passes its own positions and the mask of those rows.
        """
        if x.dim() == 2:
            x = x.unsqueeze(0)
        x_kv = x if x_kv is None else (x_kv.unsqueeze(0) if x_kv.dim() == 2 else x_kv)
        B, Nq, _ = x.shape
        Nk = x_kv.shape[1]

        # 1) project: Q = X·W_Q, K = X_kv·W_K, V = X_kv·W_V, then split into heads
        q, k = self.w_q(x), self.w_k(x_kv)
        if self.q_norm is not None and self.q_norm.weight.shape[-1] == q.shape[-1]:  # norm over the projection
            q, k = self.q_norm(q), self.k_norm(k)
        q = self._split(q, self.n_heads)  # (B, H, Nq, d)
        k = self._split(k, self.n_kv_heads)  # (B, Hkv, Nk, d)
        if self.q_norm is not None and self.q_norm.weight.shape[-1] == self.d_head:  # norm per head
            q, k = self.q_norm(q), self.k_norm(k)
        v = self._split(self.w_v(x_kv), self.n_kv_heads)  # (B, Hkv, Nk, d)
        if self.rotary_inv_freq is not None:  # rotary: rotate q and k by their positions
            q_pos = torch.arange(Nq) + (Nk - Nq) if positions is None else torch.as_tensor(positions)
            q = apply_rotary(q, self.rotary_inv_freq, q_pos, self.rotary_factor)
            k = apply_rotary(k, self.rotary_inv_freq, torch.arange(Nk), self.rotary_factor)
        if self.n_kv_heads != self.n_heads:  # grouped-query: each K/V head serves a group of query heads
            group = self.n_heads // self.n_kv_heads
            k = k.repeat_interleave(group, dim=1)  # (B, H, Nk, d)
            v = v.repeat_interleave(group, dim=1)

        # 2) score: how well each query matches each key
        if self.scoring == "dot":
            raw = q @ k.transpose(-2, -1)  # (B, H, Nq, d) x (B, H, d, Nk) -> (B, H, Nq, Nk)
            scale = self.scale
        elif self.scoring == "cosine":
            qn = q / q.norm(dim=-1, keepdim=True).clamp_min(1e-12)
            kn = k / k.norm(dim=-1, keepdim=True).clamp_min(1e-12)
            raw = qn @ kn.transpose(-2, -1)  # cosine similarity in [-1, 1]
            scale = self.cosine_scale
        else:  # additive
            wq = torch.einsum("bhqd,hde->bhqe", q, self.add_w1)  # (B, H, Nq, d_att)
            wk = torch.einsum("bhkd,hde->bhke", k, self.add_w2)  # (B, H, Nk, d_att)
            hidden = torch.tanh(wq[:, :, :, None, :] + wk[:, :, None, :, :])  # (B, H, Nq, Nk, d_att)
            raw = torch.einsum("bhqke,he->bhqk", hidden, self.add_v)
            scale = 1.0

        # 3) scale: ÷√d_k keeps dot products of d_k-dimensional vectors from growing with d_k
        scores = raw * scale
        if self.softcap is not None:  # soft-capping: scores squeezed into (-softcap, softcap)
            scores = torch.tanh(scores / self.softcap) * self.softcap
        if position_bias is not None:  # a learned bias per head and (query, key) distance
            scores = scores + position_bias

        # 4) mask: masked positions get -inf, so softmax gives them exactly 0
        masked = torch.zeros(B, 1, Nq, Nk, dtype=torch.bool, device=x.device)
        if mask is not None:
            m = mask.to(torch.bool)  # True = may attend
            if m.dim() == 2:  # key padding [B, Nk], like Hugging Face's attention_mask
                m = m[:, None, None, :]
            elif m.dim() == 3:  # [B, Nq, Nk] (use B = 1 for one pattern shared by the batch)
                m = m[:, None]
            masked = masked | ~m
        if causal:  # query i sees keys j <= i (aligned to the end when Nk > Nq)
            masked = masked | torch.ones(Nq, Nk, dtype=torch.bool, device=x.device).triu(Nk - Nq + 1)
        scores = scores.masked_fill(masked, float("-inf"))

        # 5) softmax over the keys (a row whose keys are all masked gets all-zero weights, not NaN)
        if self.sinks is None:
            weights = torch.softmax(scores, dim=-1).nan_to_num(0.0)
        else:  # a sink logit per head joins every row's softmax and takes its share; the keys share the rest
            sink = self.sinks[None, :, None, None].expand(B, -1, Nq, 1)
            weights = torch.softmax(torch.cat((scores, sink), dim=-1), dim=-1)[..., :-1]

        # 6) weight V: each query's context is the weighted sum of the value vectors
        context = weights @ v  # (B, H, Nq, Nk) x (B, H, Nk, d) -> (B, H, Nq, d)

        # 7) concat the heads side by side
        concat = context.transpose(1, 2).reshape(B, Nq, self.n_heads * self.d_head)  # (B, Nq, H*d)

        # 8) W_O mixes the heads back into d_model
        output = self.w_o(concat)  # (B, Nq, d_model)
        return AttentionTrace(q, k, v, raw, scores, weights, context, concat, output)

    @classmethod
    def from_weights(cls, w, d_model: int, n_heads: int, n_kv_heads: int, d_head: int, **options) -> MultiHeadAttention:
        """A MultiHeadAttention holding one layer's explorer.adapters.LayerWeights (options: scale, softcap...)."""
        if w.o is None:
            raise ValueError("LayerWeights without W_O cannot make a MultiHeadAttention.")
        bq, bo = w.q[1], w.o[1]
        mha = cls(
            d_model,
            n_heads,
            bias=bq is not None,
            out_bias=bo is not None,
            n_kv_heads=n_kv_heads,
            d_head=d_head,
            rotary_inv_freq=None if w.rotary is None else w.rotary.inv_freq,
            rotary_factor=1.0 if w.rotary is None else w.rotary.factor,
            q_norm=w.q_norm,
            k_norm=w.k_norm,
            **options,
        )
        with torch.no_grad():
            for linear, (weight, bias) in zip((mha.w_q, mha.w_k, mha.w_v, mha.w_o), (w.q, w.k, w.v, w.o)):
                linear.weight.copy_(weight)
                if bias is not None:
                    linear.bias.copy_(bias)
        return mha.eval()

    @classmethod
    def from_pretrained_layer(cls, bundle: Any, layer: int, kind: str | None = None) -> MultiHeadAttention:
        """A MultiHeadAttention holding exactly the weights of `layer` of a loaded model (an explorer.ModelBundle;
        not imported here, as load_model checks weights with this module). kind: "self", or
        "encoder", "decoder", "cross" for encoder–decoder models; None: the bundle's first kind).

        Feed it that layer's attention input (rec.attn_input[layer], and for "cross" the encoder output
        rec.kv_input as x_kv) with the layer's mask (rec.masked_keys(layer)) and, for T5, its position bias:
        it reproduces the model's own q, k, v, maps and context. A family whose weights are not laid out in any
        way explorer.adapters knows raises ExplorerError (its maps are still exact; only weight views are off).
        """
        stack = bundle.stack(kind)
        w = stack.layer_weights(layer)
        return cls.from_weights(
            w,
            stack.d_model,
            stack.n_heads,
            stack.n_kv_heads,
            stack.d_head,
            scale=stack.scale[layer],
            softcap=stack.softcap[layer],
            sinks=stack.sinks[layer],
        )
