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

import csv
import io
import re
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from explorer.errors import ExplorerError

if TYPE_CHECKING:
    from explorer.models import ModelBundle

SPACES = ("q", "k", "v", "context")
SPACE_NAMES = {
    "q": "query (q)",
    "k": "key (k)",
    "v": "value (v)",
    "context": "head output (context = attn @ v)",
}
DEFAULT_PERMUTATIONS = 1000
MIN_PERMUTATIONS = 200
SIGNIFICANCE = 0.05  # level for "significant" after the Benjamini-Hochberg adjustment over all heads
SENSES_DIR = Path(__file__).parent / "data" / "senses"
CSV_COLUMNS = ("sentence", "sense", "target")

# A word is a run of letters/digits; every other non-space character (punctuation) is a word of its own.
_WORD = re.compile(r"\w+|[^\w\s]")
_TARGET = re.compile(r"\w+")


# --- target matching ---------------------------------------------------------------------------------------------


def word_forms(word: str) -> set[str]:
    """The word and its plain English inflections: plural/3rd person (-s, -es, -ies), past (-ed, -d), -ing.

    "crane" -> {crane, cranes, craned, craning, ...}; "bat" -> {bat, bats, batted, batting, ...}.
    Deliberately simple (no dictionary): it only has to recognise the target in the user's own sentences.
    """
    w = word.lower()
    forms = {w, w + "s", w + "es", w + "ed", w + "ing"}
    if w.endswith("e"):
        forms |= {w + "d", w[:-1] + "ing"}
    if w.endswith("y") and len(w) > 1 and w[-2] not in "aeiou":
        forms |= {w[:-1] + "ies", w[:-1] + "ied"}
    if len(w) >= 3 and w[-1] not in "aeiouwxy" and w[-2] in "aeiou" and w[-3] not in "aeiou":
        forms |= {w + w[-1] + "ed", w + w[-1] + "ing"}  # consonant doubling: bat -> batted, batting
    return forms


def matches_target(word: str, target: str) -> bool:
    """True when `word` is `target` or a plain inflection of it (either way round), ignoring case.

    Either way round, so the target "cranes" finds "crane" too; a word shorter than three letters is never
    taken as the stem of a longer target (the "s" of "Apple's" is not a form of "sing").
    """
    w, t = word.lower(), target.lower()
    return w in word_forms(t) or (len(w) >= 3 and t in word_forms(w))


def word_spans(sentence: str) -> list[tuple[int, int]]:
    """Character spans of the words of a sentence: letter/digit runs, and each punctuation mark alone."""
    return [m.span() for m in _WORD.finditer(sentence)]


def find_target(sentence: str, target: str) -> tuple[int, int] | None:
    """Character span of the first whole word in `sentence` that matches `target` (see matches_target)."""
    for start, end in word_spans(sentence):
        if matches_target(sentence[start:end], target):
            return start, end
    return None


def _check_target(target: str) -> str:
    target = str(target or "").strip()
    if not target:
        raise ExplorerError("The target word is empty: type the ambiguous word to study (for example “apple”).")
    if not _TARGET.fullmatch(target):
        raise ExplorerError(
            f"The target “{target}” is not a single word: type one word of letters or digits (for example “bank”)."
        )
    return target


# --- sense sets: built-in CSV files and the user's own ---------------------------------------------------------------


@dataclass(frozen=True)
class SenseSet:
    """One ambiguous word and example sentences for each of its senses."""

    name: str  # what the selector shows, e.g. "apple"
    target: str
    contexts: dict[str, list[str]]  # sense -> sentences, in file order

    @property
    def description(self) -> str:
        counts = ", ".join(f"{sense} ({len(s)})" for sense, s in self.contexts.items())
        return f"{self.target}: {counts}"

    def to_csv(self) -> str:
        """The set as CSV text with the columns sentence, sense, target (what parse_sense_csv reads)."""
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for sense, sentences in self.contexts.items():
            for sentence in sentences:
                writer.writerow([sentence, sense, self.target])
        return buf.getvalue()


def parse_sense_csv(data: str | bytes, name: str = "uploaded") -> SenseSet:
    """Read a CSV with the columns sentence, sense, target (header row first; extra columns are ignored).

    Every row must have a sentence, a sense and the same target word, and the sentence must contain the
    target (whole word or a plain inflection). At least two senses with at least two sentences each.
    Raises ExplorerError naming the first problem line.
    """
    if isinstance(data, bytes | bytearray):
        try:
            data = bytes(data).decode("utf-8-sig")
        except UnicodeDecodeError as err:
            raise ExplorerError("The CSV file is not UTF-8 text: save it as “CSV UTF-8” and upload it again.") from err
    text = str(data).lstrip("\ufeff")
    if not text.strip():
        raise ExplorerError(
            "The CSV file is empty: it needs a header row sentence,sense,target and one row a sentence."
        )
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except csv.Error as err:
        raise ExplorerError(f"The CSV header (line 1) cannot be read: {err}.") from err
    missing = [c for c in CSV_COLUMNS if c not in header]
    if missing:
        raise ExplorerError(
            f"The CSV header (line 1) lacks the column(s) {', '.join(missing)}: the first line must name the "
            f"columns sentence,sense,target (it reads {','.join(header) or 'nothing'})."
        )
    col = {c: header.index(c) for c in CSV_COLUMNS}
    contexts: dict[str, list[str]] = {}
    target = None
    line = 1
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue  # blank lines are fine
            if len(row) < len(header):
                raise ExplorerError(
                    f"CSV line {line} has {len(row)} field(s) but the header has {len(header)}: "
                    "every row needs a sentence, a sense and a target (quote sentences that contain commas)."
                )
            if len(row) > len(header):
                raise ExplorerError(
                    f"CSV line {line} has {len(row)} fields but the header has {len(header)}: "
                    "put sentences that contain commas in double quotes."
                )
            sentence, sense, row_target = (row[col[c]].strip() for c in CSV_COLUMNS)
            for what, value in (("sentence", sentence), ("sense", sense), ("target", row_target)):
                if not value:
                    raise ExplorerError(f"CSV line {line} has an empty {what}: fill it in or delete the row.")
            if target is None:
                target = _check_target(row_target)
            elif row_target.lower() != target.lower():
                raise ExplorerError(
                    f"CSV line {line} has the target “{row_target}” but earlier rows have “{target}”: "
                    "one file holds one target word."
                )
            if find_target(sentence, target) is None:
                raise ExplorerError(
                    f"CSV line {line}: the sentence “{sentence}” does not contain the target word “{target}”."
                )
            contexts.setdefault(sense, []).append(sentence)
    except csv.Error as err:
        raise ExplorerError(f"CSV line {reader.line_num} cannot be read: {err}.") from err
    if target is None:
        raise ExplorerError("The CSV file has a header but no rows: add one row per sentence.")
    _check_contexts(contexts)
    return SenseSet(name=name, target=target, contexts=contexts)


def builtin_sets() -> dict[str, SenseSet]:
    """The sense sets shipped in explorer/data/senses/*.csv, by name (the file's stem), apple first."""
    paths = sorted(SENSES_DIR.glob("*.csv"), key=lambda p: (p.stem != "apple", p.stem))
    return {p.stem: parse_sense_csv(p.read_bytes(), name=p.stem) for p in paths}


def load_builtin_set(name: str) -> SenseSet:
    """One built-in set by name ("apple", "bank", ...)."""
    path = SENSES_DIR / f"{name}.csv"
    if not path.is_file():
        names = ", ".join(sorted(p.stem for p in SENSES_DIR.glob("*.csv")))
        raise ExplorerError(f"There is no built-in sense set “{name}”: choose one of {names}.")
    return parse_sense_csv(path.read_bytes(), name=name)


def sets_from_text(target: str, texts_by_sense: dict[str, str] | list[tuple[str, str]]) -> SenseSet:
    """A set from typed text: (sense name, sentences one a line) per sense; blank lines are ignored."""
    target = _check_target(target)
    pairs = list(texts_by_sense.items()) if isinstance(texts_by_sense, dict) else list(texts_by_sense)
    contexts: dict[str, list[str]] = {}
    for sense, text in pairs:
        sense = str(sense).strip()
        if not sense:
            raise ExplorerError("A sense has no name: give every sense a short name (for example “fruit”).")
        if sense in contexts:
            raise ExplorerError(f"Two senses are both called “{sense}”: give each sense its own name.")
        contexts[sense] = [line.strip() for line in str(text or "").splitlines() if line.strip()]
    for sense, sentences in contexts.items():
        for sentence in sentences:
            if find_target(sentence, target) is None:
                raise ExplorerError(
                    f"The sentence “{sentence}” (sense “{sense}”) does not contain the target word “{target}”: "
                    "add the word to it or remove the sentence."
                )
    _check_contexts(contexts)
    return SenseSet(name="typed", target=target, contexts=contexts)


def _check_contexts(contexts: dict[str, list[str]]) -> None:
    if len(contexts) < 2:
        raise ExplorerError(
            f"Only {len(contexts)} sense given: a separation needs at least two senses, each with its own sentences."
        )
    for sense, sentences in contexts.items():
        if len(sentences) < 2:
            raise ExplorerError(
                f"The sense “{sense}” has {len(sentences)} sentence(s): give every sense at least two "
                "(eight or more make the test meaningful)."
            )


# --- collecting the target's vectors ----------------------------------------------------------------------------------


@dataclass
class TargetSamples:
    """The target word's vectors in every sentence, layer, head and space: everything a separation needs.

    S sentences (senses in order), L layers, H heads, d head size, D model size, W_s words of sentence s.
    """

    target: str
    model_name: str
    senses: list[str]  # sense names, in the order given
    labels: np.ndarray  # [S] int: index into `senses`
    sentences: list[str]  # [S]
    words: list[str]  # [S] the target as written in each sentence ("Apples")
    vectors: dict[str, np.ndarray]  # space -> [S, L, H, d] float32, mean over the target's pieces
    hidden: np.ndarray  # [S, L + 1, D] float32: embeddings, then each block's output
    context_words: list[list[str]]  # [S][W_s] the sentence's words, lower case; specials as "[CLS]" etc.
    context_kind: list[np.ndarray]  # [S][W_s] 0 word, 1 punctuation, 2 special token, 3 the target itself
    context_attn: list[np.ndarray]  # [S] [L, H, W_s] float32: attention from the target to each word
    n_pieces: list[int]  # [S] how many subword pieces the target was split into
    baseline: dict = field(default_factory=dict, repr=False)  # (n_permutations, seed) -> hidden-state scores, p

    @property
    def n_layers(self) -> int:
        return self.hidden.shape[1] - 1

    @property
    def n_heads(self) -> int:
        return self.vectors["q"].shape[2]


def _word_weights(run, spans: list[tuple[int, int]], target_span: tuple[int, int]):
    """Map tokens to words: [N, W] 0/1 matrix (specials are words of their own), with word names and kinds."""
    text = run.text
    names, kinds = [], []
    token_word = np.full(run.n_tokens, -1)
    for i in range(run.n_tokens):
        if run.special[i]:
            token_word[i] = len(names)
            names.append(run.tokens[i])
            kinds.append(2)
    for ws, we in spans:
        idx = [i for i, (a, b) in enumerate(run.offsets) if not run.special[i] and a < we and b > ws]
        if not idx:
            continue  # cut off by the token limit
        for i in idx:
            if token_word[i] < 0:
                token_word[i] = len(names)
        word = text[ws:we]
        names.append(word.lower())
        kinds.append(3 if (ws, we) == target_span else (0 if _TARGET.fullmatch(word) else 1))
    onehot = np.zeros((run.n_tokens, len(names)), np.float32)  # [N, W]
    for i, w in enumerate(token_word):
        if w >= 0:
            onehot[i, w] = 1.0
    return names, np.asarray(kinds, np.int8), onehot


def collect_targets(
    bundle: ModelBundle, target: str, contexts_by_sense: dict[str, list[str]], max_tokens: int = 512
) -> TargetSamples:
    """Run the model on every sentence (one forward pass each) and keep the target's vectors everywhere.

    Raises ExplorerError for an empty target, fewer than two senses or two sentences per sense, or a
    sentence that does not contain the target (the message names the sentence).
    """
    from explorer.extract import extract

    target = _check_target(target)
    contexts = {str(s).strip(): [str(x).strip() for x in v if str(x).strip()] for s, v in contexts_by_sense.items()}
    _check_contexts(contexts)
    senses = list(contexts)
    L, H, d = bundle.n_layers, bundle.n_heads, bundle.d_head
    S = sum(len(v) for v in contexts.values())
    vectors = {space: np.empty((S, L, H, d), np.float32) for space in SPACES}
    hidden = np.empty((S, L + 1, bundle.d_model), np.float32)
    labels, sentences, words, ctx_words, ctx_kind, ctx_attn, n_pieces = [], [], [], [], [], [], []

    # 0) find the target in every sentence first, so a missing one is reported before any model run
    found = []  # (label, sense, sentence, span)
    for label, sense in enumerate(senses):
        for sentence in contexts[sense]:
            span = find_target(sentence, target)
            if span is None:
                raise ExplorerError(
                    f"The sentence “{sentence}” (sense “{sense}”) does not contain the target word “{target}”: "
                    "add the word to it or remove the sentence."
                )
            found.append((label, sense, sentence, span))

    for s, (label, _sense, sentence, span) in enumerate(found):
        run = extract(bundle, sentence, max_tokens=max_tokens)
        ws, we = span
        pieces = [i for i, (a, b) in enumerate(run.offsets) if not run.special[i] and a < we and b > ws]
        if not pieces:
            raise ExplorerError(
                f"The target “{target}” lies beyond the token limit in “{sentence[:60]}…”: shorten the sentence."
            )
        # 1) the target's vector: mean over its subword pieces, in every layer, head and space
        for space in SPACES:
            vectors[space][s] = getattr(run, space)[:, :, pieces, :].mean(axis=2)  # [L, H, d]
        hidden[s] = run.hidden[:, pieces, :].mean(axis=1)  # [L + 1, D]
        # 2) where the target looks: its attention row (mean over its pieces), summed over each word's pieces
        names, kinds, onehot = _word_weights(run, word_spans(sentence), span)
        row = run.attn[:, :, pieces, :].mean(axis=2)  # [L, H, N]
        ctx_attn.append(row @ onehot)  # [L, H, W]
        ctx_words.append(names)
        ctx_kind.append(kinds)
        labels.append(label)
        sentences.append(sentence)
        words.append(sentence[ws:we])
        n_pieces.append(len(pieces))

    return TargetSamples(
        target=target,
        model_name=bundle.name,
        senses=senses,
        labels=np.asarray(labels, np.int64),
        sentences=sentences,
        words=words,
        vectors=vectors,
        hidden=hidden,
        context_words=ctx_words,
        context_kind=ctx_kind,
        context_attn=ctx_attn,
        n_pieces=n_pieces,
    )


# A few recent collections, so that asking for q, then k, then v re-uses one set of forward passes.
_SAMPLES_CACHE: OrderedDict[tuple, tuple[weakref.ref, TargetSamples]] = OrderedDict()
_SAMPLES_CACHE_SIZE = 4
_SAMPLES_LOCK = threading.Lock()  # app sessions call this from several threads


def cached_targets(
    bundle: ModelBundle, target: str, contexts_by_sense: dict[str, list[str]], max_tokens: int = 512
) -> TargetSamples:
    """collect_targets() remembered for the last few (model, target, sentences): switching spaces is free."""
    key = (
        id(bundle),
        bundle.name,
        str(target).strip().lower(),
        tuple((str(s), tuple(str(x) for x in v)) for s, v in contexts_by_sense.items()),
        int(max_tokens),
    )
    with _SAMPLES_LOCK:
        hit = _SAMPLES_CACHE.get(key)
        if hit is not None and hit[0]() is bundle:
            _SAMPLES_CACHE.move_to_end(key)
            return hit[1]
    samples = collect_targets(bundle, target, contexts_by_sense, max_tokens=max_tokens)
    with _SAMPLES_LOCK:
        _SAMPLES_CACHE[key] = (weakref.ref(bundle), samples)
        while len(_SAMPLES_CACHE) > _SAMPLES_CACHE_SIZE:
            _SAMPLES_CACHE.popitem(last=False)
    return samples


# --- the separation score and its permutation test --------------------------------------------------------------


def cosine_distances(x: np.ndarray) -> np.ndarray:
    """Pairwise cosine distance 1 - cos(x_i, x_j) for each group: [G, S, d] -> [G, S, S], in [0, 2]."""
    x = np.asarray(x, np.float64)
    norm = np.linalg.norm(x, axis=-1, keepdims=True)  # [G, S, 1]
    unit = x / np.where(norm > 0, norm, 1.0)
    dist = 1.0 - unit @ np.swapaxes(unit, -1, -2)  # [G, S, S]
    np.clip(dist, 0.0, 2.0, out=dist)
    idx = np.arange(x.shape[-2])
    dist[..., idx, idx] = 0.0
    return dist


def silhouette(dist: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Mean silhouette of `labels` under precomputed distances, for many label vectors at once.

    dist: [G, S, S] (G groups of S points, e.g. one per head); labels: [S] or [P, S] ints in 0..K-1
    (P label vectors, e.g. permutations). Returns [G] or [G, P].

    For point i with sense c: a_i = mean distance to the other points of sense c, b_i = the smallest mean
    distance to the points of another sense, s_i = (b_i - a_i) / max(a_i, b_i) (0 where both are 0).
    The score is the mean of s_i over all points: +1 means every sentence lies far closer to its own
    sense than to any other, 0 means no structure, negative means mixed the wrong way. Same definition
    as sklearn.metrics.silhouette_score(metric="precomputed"). Every sense needs at least two points.
    """
    dist = np.asarray(dist, np.float64)
    single = np.ndim(labels) == 1
    labels = np.atleast_2d(np.asarray(labels, np.int64))  # [P, S]
    G, S, _ = dist.shape
    P = labels.shape[0]
    K = int(labels.max()) + 1
    counts = np.bincount(labels[0], minlength=K).astype(np.float64)  # [K], the same for every permutation
    if counts.min() < 2:
        raise ExplorerError("Every sense needs at least two sentences for a separation score.")
    onehot = np.zeros((S, K, P))
    onehot[np.arange(S)[:, None], labels.T, np.arange(P)[None, :]] = 1.0  # [S, K, P]
    own_label = labels.T  # [S, P] each point's own sense, per label vector
    own_count = counts[own_label]  # [S, P]
    out = np.empty((G, P))
    # Distances summed per sense, for every label vector at once: [g, S, S] @ [S, K*P] -> [g, S, K, P].
    chunk = max(1, int(4e6 // max(1, S * P * K)))
    for g0 in range(0, G, chunk):
        d = dist[g0 : g0 + chunk]  # [g, S, S]
        sums = (d.reshape(-1, S) @ onehot.reshape(S, K * P)).reshape(len(d), S, K, P)
        a = np.zeros((len(d), S, P))  # mean distance to the other points of the own sense
        b = np.full((len(d), S, P), np.inf)  # mean distance to the nearest other sense
        for k in range(K):  # K is small: a loop over senses keeps every array contiguous
            mine = own_label == k  # [S, P]
            a += np.where(mine, sums[:, :, k], 0.0)
            np.minimum(b, np.where(mine, np.inf, sums[:, :, k] / counts[k]), out=b)
        a /= own_count - 1.0
        top = np.maximum(a, b)
        s = np.divide(b - a, top, out=np.zeros_like(top), where=top > 0)  # [g, S, P]
        out[g0 : g0 + chunk] = s.mean(axis=1)
    return out[:, 0] if single else out


def permutation_test(
    dist: np.ndarray, labels: np.ndarray, n_permutations: int = DEFAULT_PERMUTATIONS, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Silhouette per group and its label-permutation p-value: [G, S, S], [S] -> ([G], [G]).

    The same n_permutations shuffles of the labels (seeded, so results repeat) serve every group.
    p = (1 + #{shuffles scoring >= the real labels}) / (1 + n_permutations): the chance of a score this
    high if the senses were arbitrary labels; the smallest possible p is 1 / (1 + n_permutations).
    """
    if n_permutations < MIN_PERMUTATIONS:
        raise ExplorerError(f"Use at least {MIN_PERMUTATIONS} permutations for a meaningful p-value.")
    labels = np.asarray(labels, np.int64)
    rng = np.random.default_rng(seed)
    shuffled = rng.permuted(np.tile(labels, (n_permutations, 1)), axis=1)  # [P, S]
    all_scores = silhouette(dist, np.vstack([labels, shuffled]))  # [G, 1 + P]
    observed = all_scores[:, 0]
    exceed = (all_scores[:, 1:] >= observed[:, None] - 1e-12).sum(axis=1)
    return observed, (1.0 + exceed) / (1.0 + n_permutations)


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """False-discovery-rate adjusted p-values (Benjamini-Hochberg) over all entries of p, same shape."""
    flat = np.asarray(p, np.float64).ravel()
    m = flat.size
    order = np.argsort(flat)
    ranked = flat[order] * m / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(ranked, 1.0)
    return out.reshape(np.shape(p))


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
    def n_significant(self) -> int:
        """Heads whose adjusted p-value is below SIGNIFICANCE."""
        return int(np.count_nonzero(self.significant))

    def _check(self, layer: int, head: int) -> None:
        if not 0 <= layer < self.n_layers:
            raise ExplorerError(f"Layer {layer} does not exist: this model has layers 0 to {self.n_layers - 1}.")
        if not 0 <= head < self.n_heads:
            raise ExplorerError(f"Head {head} does not exist: this model has heads 0 to {self.n_heads - 1}.")

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
            raise ExplorerError(f"Hidden state {index} does not exist: choose 0 to {self.n_layers}.")
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
            raise ExplorerError(f"rank_by must be 'weight' or 'distinctive', not {rank_by!r}.")
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
        raise ExplorerError(f"Unknown space {space!r}: choose one of {', '.join(SPACES)}.")
    x = samples.vectors[space]  # [S, L, H, d]
    S, L, H, d = x.shape
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


def sense_separation(
    bundle: ModelBundle,
    target: str,
    contexts_by_sense: dict[str, list[str]],
    space: str = "v",
    *,
    n_permutations: int = DEFAULT_PERMUTATIONS,
    seed: int = 0,
    max_tokens: int = 512,
) -> SenseSeparation:
    """How well each (layer, head) separates the senses of `target` in `space` ("q", "k", "v" or "context").

    contexts_by_sense: sense name -> sentences that use the target in that sense (two senses or more, two
    sentences each or more; eight or more make the test worth reading). The sentences are run once each
    and remembered, so asking for the other spaces next costs only the scoring.
    """
    if space not in SPACES:
        raise ExplorerError(f"Unknown space {space!r}: choose one of {', '.join(SPACES)}.")
    samples = cached_targets(bundle, target, contexts_by_sense, max_tokens=max_tokens)
    return separation_from_samples(samples, space, n_permutations=n_permutations, seed=seed)
