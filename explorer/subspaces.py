"""Target word across contexts: which heads separate its senses (apple the fruit vs Apple the brand), and how.

Eight heads are eight representation subspaces: each head projects the same token into its own small
space (d_head dimensions). This module makes "different subspaces learn different meanings" measurable:

1. Find the target word in every sentence (whole words, case-insensitive, plain inflections such as
   "crane"/"cranes"; a word cut into several subword pieces is the mean of its pieces).
2. Run the model once per sentence and keep the target's vector in every (layer, head) of every space
   (q, k, v, context) and in every hidden state: one set of extractions serves every space.
3. Score each head: the silhouette of the sense labels under cosine distance (see `silhouette`), with a
   label-permutation p-value per head (all heads and all permutations at once, with matrix products).
4. Show it: a 2-D PCA projection per head (`SenseSeparation.points`), a ranked list of heads, the same
   score on each layer's whole hidden state as a baseline, and what the target attends to per sense.

    from explorer.subspaces import sense_separation
    res = sense_separation(bundle, "apple", {"fruit": [...], "brand": [...]}, space="v")
    res.scores      # [L, H] silhouette in [-1, 1]
    res.p_values    # [L, H] permutation p-values
    res.points(3, 7)  # DataFrame: pc1, pc2, sense, sentence, word
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from explorer.analysis.senses import (
    MAX_SENTENCES,
    SPACES,
    Duplicate,
    TargetSamples,
    collect_targets,
    duplicates_note,
)
from explorer.analysis.stats import (
    DEFAULT_PERMUTATIONS,
    MIN_PERMUTATIONS,
    benjamini_hochberg,
    cosine_distances,
    permutation_test,
)
from explorer.errors import ExplorerError, whole_number
from explorer.maps import memory_budget

if TYPE_CHECKING:
    from explorer.models import ModelBundle

SIGNIFICANCE = 0.05  # level for "significant" after the Benjamini-Hochberg adjustment over all heads
MAX_PERMUTATIONS = 100_000  # label shuffles: p-values finer than 1e-5 tell nothing more
MAX_SCORING_STEPS = 10**11  # heads × sentences² × senses × shuffles: about a minute on a 2-core laptop


# --- the result ---------------------------------------------------------------------------------------------------


@dataclass
class SenseSeparation:
    """How well each head separates the senses of one word, in one space. See the module docstring.

    scores: [L, H] silhouette (cosine distance) of the sense labels, in [-1, 1]; higher separates better.
    p_values: [L, H] label-permutation p-values; q_values: the same, Benjamini-Hochberg adjusted over the
    L*H heads (a head is "significant" when its q-value < SIGNIFICANCE).
    hidden_scores, hidden_p_values: [L + 1] the same score on the whole hidden state (index 0 the
    embeddings, index l + 1 the output of block l), the baseline a single head is compared with.
    """

    target: str
    space: str
    samples: TargetSamples = field(repr=False)
    scores: np.ndarray  # [L, H]
    p_values: np.ndarray  # [L, H]
    q_values: np.ndarray  # [L, H]
    hidden_scores: np.ndarray  # [L + 1]
    hidden_p_values: np.ndarray  # [L + 1]
    n_permutations: int
    seed: int

    @property
    def senses(self) -> list[str]:
        return self.samples.senses

    @property
    def n_layers(self) -> int:
        return self.scores.shape[0]

    @property
    def n_heads(self) -> int:
        return self.scores.shape[1]

    @property
    def significant(self) -> np.ndarray:
        """[L, H] bool: q-value (adjusted p) below SIGNIFICANCE."""
        return self.q_values < SIGNIFICANCE

    def best_head(self) -> tuple[int, int]:
        """(layer, head) with the highest score."""
        layer, head = np.unravel_index(int(np.argmax(self.scores)), self.scores.shape)
        return int(layer), int(head)

    def best_hidden(self) -> tuple[int, str, float]:
        """(index, name, score) of the whole hidden state that separates best: index 0 is the embeddings,
        index l + 1 the output of layer l."""
        index = int(np.argmax(self.hidden_scores))
        name = "the embeddings" if index == 0 else f"after layer {index - 1}"
        return index, name, float(self.hidden_scores[index])

    @property
    def duplicates(self) -> list[Duplicate]:
        """Sentences given more than once: each copy counts again, so the scores are flagged (see warnings)."""
        return self.samples.duplicates

    @property
    def warnings(self) -> list[str]:
        """What makes these scores less trustworthy than they look, one plain sentence each (empty: nothing)."""
        note = duplicates_note(self.duplicates)
        return [note] if note else []

    @property
    def n_significant(self) -> int:
        """Heads whose adjusted p-value is below SIGNIFICANCE."""
        return int(np.count_nonzero(self.significant))

    def _check(self, layer: int, head: int) -> None:
        if not 0 <= layer < self.n_layers:
            raise ValueError(f"Layer {layer} does not exist: this model has layers 0 to {self.n_layers - 1}.")
        if not 0 <= head < self.n_heads:
            raise ValueError(f"Head {head} does not exist: this model has heads 0 to {self.n_heads - 1}.")

    def vectors(self, layer: int, head: int) -> np.ndarray:
        """The target's vectors in that head and space: [S, d_head]."""
        self._check(layer, head)
        return self.samples.vectors[self.space][:, layer, head, :]

    def points(self, layer: int, head: int) -> pd.DataFrame:
        """2-D PCA projection of the target's vectors in that head (unit length first, as the cosine score sees
        them), one row per sentence: pc1, pc2, sense, sentence, word. frame.attrs["explained"] holds the
        share of variance each axis shows."""
        return self._projection(self.vectors(layer, head))

    def hidden_points(self, index: int) -> pd.DataFrame:
        """Same as points() for hidden state `index` (0 the embeddings, l + 1 the output of block l)."""
        if not 0 <= index <= self.n_layers:
            raise ValueError(f"Hidden state {index} does not exist: choose 0 to {self.n_layers}.")
        return self._projection(self.samples.hidden[:, index, :])

    def _projection(self, x: np.ndarray) -> pd.DataFrame:
        x = np.asarray(x, np.float64)  # [S, d]
        norm = np.linalg.norm(x, axis=1, keepdims=True)
        centred = x / np.where(norm > 0, norm, 1.0)
        centred = centred - centred.mean(axis=0)
        u, sv, vt = np.linalg.svd(centred, full_matrices=False)  # centred = u @ diag(sv) @ vt
        comps = u * sv  # [S, r] coordinates on the principal axes
        signs = np.sign(vt[np.arange(len(vt)), np.abs(vt).argmax(axis=1)])  # fix each axis' sign
        comps = comps * np.where(signs == 0, 1.0, signs)
        comps = np.pad(comps, ((0, 0), (0, max(0, 2 - comps.shape[1]))))[:, :2]  # [S, 2]
        total = float((sv**2).sum())
        explained = [float(v**2 / total) if total > 0 else 0.0 for v in np.pad(sv, (0, 2))[:2]]
        s = self.samples
        frame = pd.DataFrame(
            {
                "pc1": comps[:, 0],
                "pc2": comps[:, 1],
                "sense": [s.senses[i] for i in s.labels],
                "sentence": s.sentences,
                "word": s.words,
            }
        )
        frame.attrs["explained"] = explained
        return frame

    def ranking(self, top: int | None = None) -> pd.DataFrame:
        """Heads from best to worst: layer, head, score, p_value, q_value, significant."""
        L, H = self.scores.shape
        layer, head = np.divmod(np.arange(L * H), H)
        frame = pd.DataFrame(
            {
                "layer": layer,
                "head": head,
                "score": self.scores.ravel(),
                "p_value": self.p_values.ravel(),
                "q_value": self.q_values.ravel(),
                "significant": self.significant.ravel(),
            }
        )
        frame = frame.sort_values(["score", "layer", "head"], ascending=[False, True, True], kind="stable")
        frame = frame.reset_index(drop=True)
        return frame if top is None else frame.head(top)

    def to_frame(self) -> pd.DataFrame:
        """Every head in layer-then-head order (the CSV behind the heatmap)."""
        return self.ranking().sort_values(["layer", "head"]).reset_index(drop=True).assign(space=self.space)

    def hidden_frame(self) -> pd.DataFrame:
        """The hidden-state baseline: state (0 = embeddings), name, score, p_value, best head of that layer."""
        names = ["embeddings"] + [f"after layer {l}" for l in range(self.n_layers)]
        best = [np.nan] + [float(self.scores[l].max()) for l in range(self.n_layers)]
        return pd.DataFrame(
            {
                "state": np.arange(self.n_layers + 1),
                "name": names,
                "score": self.hidden_scores,
                "p_value": self.hidden_p_values,
                "best_head_score": best,
            }
        )

    def attends_to(
        self,
        layer: int,
        head: int,
        top: int = 8,
        include_special: bool = False,
        include_punctuation: bool = False,
        rank_by: str = "weight",
    ) -> pd.DataFrame:
        """What the target attends to in that head, per sense.

        Columns: sense, word, weight, other_senses, distinctive, sentences, rank.
        weight = the mean, over the sense's sentences, of the attention the target (mean of its pieces' rows)
        gives to the word (sum over the word's pieces; 0 in sentences without it); other_senses = the same
        mean over the other senses' sentences; distinctive = weight - other_senses (what this sense's
        sentences draw the target to beyond the others: "the" drops out, "iPhone" stays); sentences = how
        many of the sense's sentences contain the word. rank_by "weight" or "distinctive" picks the top
        words. The target itself is left out; [CLS]/[SEP]-like tokens and punctuation only when asked.
        The same for every space (attention does not depend on it).
        """
        self._check(layer, head)
        if rank_by not in ("weight", "distinctive"):
            raise ValueError(f"rank_by must be 'weight' or 'distinctive', not {rank_by!r}.")
        s = self.samples
        K = len(s.senses)
        totals: dict[str, np.ndarray] = {}  # word -> [K] summed attention per sense
        counts: dict[str, np.ndarray] = {}  # word -> [K] sentences that contain it
        for i, label in enumerate(s.labels):
            weights = s.context_attn[i][layer, head]  # [W]
            seen = set()
            for word, kind, w in zip(s.context_words[i], s.context_kind[i], weights):
                if kind == 3 or (kind == 2 and not include_special) or (kind == 1 and not include_punctuation):
                    continue
                totals.setdefault(word, np.zeros(K))[label] += float(w)
                if word not in seen:
                    counts.setdefault(word, np.zeros(K, np.int64))[label] += 1
                    seen.add(word)
        sizes = np.bincount(s.labels, minlength=K).astype(np.float64)  # [K] sentences per sense
        rows = []
        for label, sense in enumerate(s.senses):
            others = np.arange(K) != label
            entries = []
            for word, total in totals.items():
                if counts[word][label] == 0:
                    continue  # only words that occur in this sense's sentences
                weight = total[label] / sizes[label]
                other = total[others].sum() / sizes[others].sum()
                entries.append((word, weight, other, weight - other, int(counts[word][label])))
            key = 1 if rank_by == "weight" else 3
            entries.sort(key=lambda e: (-e[key], e[0]))
            for rank, (word, weight, other, distinct, n) in enumerate(entries[:top], start=1):
                rows.append(
                    {
                        "sense": sense,
                        "word": word,
                        "weight": weight,
                        "other_senses": other,
                        "distinctive": distinct,
                        "sentences": n,
                        "rank": rank,
                    }
                )
        columns = ["sense", "word", "weight", "other_senses", "distinctive", "sentences", "rank"]
        return pd.DataFrame(rows, columns=columns)


def separation_from_samples(
    samples: TargetSamples, space: str = "v", n_permutations: int = DEFAULT_PERMUTATIONS, seed: int = 0
) -> SenseSeparation:
    """Score every head of `samples` in one space, and the hidden-state baseline (no model run)."""
    if space not in SPACES:
        raise ValueError(f"Unknown space {space!r}: choose one of {', '.join(SPACES)}.")
    n_permutations = whole_number(
        n_permutations, "The number of label shuffles", minimum=MIN_PERMUTATIONS, maximum=MAX_PERMUTATIONS
    )
    seed = whole_number(seed, "The seed", minimum=0, maximum=2**63 - 1)
    x = samples.vectors[space]  # [S, L, H, d]
    S, L, H, d = x.shape
    check_scoring(S, L * H + L + 1, len(samples.senses), n_permutations)
    dist = cosine_distances(x.transpose(1, 2, 0, 3).reshape(L * H, S, d))  # [L*H, S, S]
    scores, p = permutation_test(dist, samples.labels, n_permutations, seed)
    key = (int(n_permutations), int(seed))
    if key not in samples.baseline:  # the same for every space: computed once per set of samples
        hidden_dist = cosine_distances(samples.hidden.transpose(1, 0, 2))  # [L + 1, S, S]
        samples.baseline[key] = permutation_test(hidden_dist, samples.labels, n_permutations, seed)
    h_scores, h_p = samples.baseline[key]
    p = p.reshape(L, H)
    return SenseSeparation(
        target=samples.target,
        space=space,
        samples=samples,
        scores=scores.reshape(L, H),
        p_values=p,
        q_values=benjamini_hochberg(p),
        hidden_scores=h_scores,
        hidden_p_values=h_p,
        n_permutations=int(n_permutations),
        seed=int(seed),
    )


def check_scoring(n_sentences: int, n_groups: int, n_senses: int, n_permutations: int) -> None:
    """Refuse, before any work, a separation test too big to finish: its steps (groups × S² × senses × shuffles,
    what the silhouettes of every shuffle cost) against MAX_SCORING_STEPS, its distances against the memory."""
    S, G = n_sentences, n_groups
    steps = G * S * S * n_senses * (n_permutations + 1)
    if steps > MAX_SCORING_STEPS:
        fits = MAX_SCORING_STEPS // (G * S * S * n_senses) - 1
        fix = (
            f"use at most {fits:,} label shuffles"
            if fits >= MIN_PERMUTATIONS
            else f"use at most {int((MAX_SCORING_STEPS / (G * n_senses * (MIN_PERMUTATIONS + 1))) ** 0.5)} sentences"
        )
        raise ExplorerError(
            f"Testing {S} sentences in {G} heads and hidden states with {n_permutations:,} label shuffles takes "
            f"about {steps:.1e} steps, more than the {MAX_SCORING_STEPS:.0e} one test may take (about a minute): "
            f"{fix}."
        )
    need = 2 * 8 * G * S * S + 3 * 8 * S * n_senses * (n_permutations + 1)  # distances, shuffled labels
    if need > memory_budget():
        raise ExplorerError(
            f"Testing {S} sentences in {G} heads and hidden states needs {need / 2**30:.1f} GB, more than the "
            f"{memory_budget() / 2**30:.1f} GB this machine can spare: use fewer sentences."
        )


def sense_separation(
    bundle: ModelBundle,
    target: str,
    contexts_by_sense: dict[str, list[str]],
    space: str = "v",
    *,
    n_permutations: int = DEFAULT_PERMUTATIONS,
    seed: int = 0,
    max_tokens: int = 512,
    samples: TargetSamples | None = None,
) -> SenseSeparation:
    """How well each (layer, head) separates the senses of `target` in `space` ("q", "k", "v" or "context").

    contexts_by_sense: sense name -> sentences that use the target in that sense (two senses or more, two
    sentences each or more; eight or more make the test worth reading). Each sentence is run once.
    samples: the result of explorer.analysis.senses.collect_targets for the same word and sentences, to score
    another space without running the sentences again (`separation_from_samples` does the same).
    """
    if space not in SPACES:
        raise ValueError(f"Unknown space {space!r}: choose one of {', '.join(SPACES)}.")
    n_permutations = whole_number(
        n_permutations, "The number of label shuffles", minimum=MIN_PERMUTATIONS, maximum=MAX_PERMUTATIONS
    )
    if samples is None:  # the test's size is known before the sentences run: refuse it before them
        n = sum(len(v) for v in contexts_by_sense.values())
        if n <= MAX_SENTENCES:  # more are refused by collect_targets, naming that limit
            groups = bundle.n_layers * bundle.n_heads + bundle.n_layers + 1
            check_scoring(n, groups, len(contexts_by_sense), n_permutations)
        samples = collect_targets(bundle, target, contexts_by_sense, max_tokens=max_tokens)
    return separation_from_samples(samples, space, n_permutations=n_permutations, seed=seed)
