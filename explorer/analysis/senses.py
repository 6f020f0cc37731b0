"""Sense sets: finding a target word in sentences, sense-set CSV input, and the target's vectors per head."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from explorer.csvsafe import neutralise_formula, restore_formula
from explorer.errors import ExplorerError, whole_number
from explorer.extract import MAX_TEXT_CHARS, clean_text
from explorer.maps import memory_budget
from explorer.tokens import NO_SPACE_SCRIPTS

if TYPE_CHECKING:
    from explorer.models import ModelBundle


SPACES = ("q", "k", "v", "context")
SPACE_NAMES = {
    "q": "query (q)",
    "k": "key (k)",
    "v": "value (v)",
    "context": "head output (context = attn @ v)",
}
SENSES_DIR = Path(__file__).resolve().parents[1] / "data" / "senses"  # explorer/data/senses
CSV_COLUMNS = ("sentence", "sense", "target")
MAX_SENTENCES = 500  # the most sentences one set may hold: each is a model run, and the scoring grows with S²

# A target in a script written without spaces (explorer.tokens.NO_SPACE_SCRIPTS) matches as a substring.
_NO_SPACE = NO_SPACE_SCRIPTS
_NO_SPACE_CHAR = re.compile(f"[{_NO_SPACE}]")
# A word is a run of letters/digits; every other non-space character (punctuation) is a word of its own.
_WORD = re.compile(f"[{_NO_SPACE}]|(?:(?![{_NO_SPACE}])\\w)+|[^\\w\\s]")
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
    """Character span of the first whole word in `sentence` that matches `target` (see matches_target); a target
    in a script written without spaces (“苹果” in “我吃了一个苹果。”) is found as a substring, ignoring case."""
    if _NO_SPACE_CHAR.search(target):
        found = re.search(re.escape(target), sentence, re.IGNORECASE)
        return found.span() if found else None
    for start, end in word_spans(sentence):
        if matches_target(sentence[start:end], target):
            return start, end
    return None


def _check_target(target: str) -> str:
    target = clean_text(target or "", "target word").strip()
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

    @property
    def duplicates(self) -> list[Duplicate]:
        """Sentences that appear more than once (see find_duplicates); duplicates_note() says it in words."""
        return find_duplicates(self.contexts)

    def to_csv(self) -> str:
        """The set as CSV text with the columns sentence, sense, target (what parse_sense_csv reads)."""
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for sense, sentences in self.contexts.items():
            for sentence in sentences:
                writer.writerow([neutralise_formula(sentence), neutralise_formula(sense), self.target])
        return buf.getvalue()


@dataclass(frozen=True)
class Duplicate:
    """One sentence that appears more than once in a set (ignoring case and spacing)."""

    sentence: str  # as first written
    senses: tuple[str, ...]  # the sense of each copy, in order: ("fruit", "fruit"), or ("fruit", "brand")


def find_duplicates(contexts: dict[str, list[str]]) -> list[Duplicate]:
    """Sentences given more than once, in one sense or in several: a copy counts twice in the separation."""
    seen: dict[str, tuple[str, list[str]]] = {}
    for sense, sentences in contexts.items():
        for sentence in sentences:
            seen.setdefault(" ".join(sentence.split()).casefold(), (sentence, []))[1].append(sense)
    return [Duplicate(first, tuple(senses)) for first, senses in seen.values() if len(senses) > 1]


def duplicates_note(duplicates: list[Duplicate]) -> str | None:
    """One sentence about the duplicates for the user (None when there are none)."""
    if not duplicates:
        return None
    shown = "; ".join(f"“{d.sentence}” ({', '.join(d.senses)})" for d in duplicates[:3])
    more = f" and {len(duplicates) - 3} more" if len(duplicates) > 3 else ""
    return (
        f"{len(duplicates)} sentence(s) appear more than once (ignoring case and spacing): {shown}{more}. A copy "
        "counts twice, which makes the separation look better (copies in one sense) or worse (in two senses) than "
        "it is: remove the copies."
    )


def parse_sense_csv(data: str | bytes, name: str = "uploaded") -> SenseSet:
    """Read a CSV with the columns sentence, sense, target (header row first; extra columns are ignored).

    Every row must have a sentence, a sense and the same target word, and the sentence must contain the
    target (whole word or a plain inflection). At least two senses with at least two sentences each.
    Raises ExplorerError naming the first problem line.
    """
    if len(data) > 4 * MAX_TEXT_CHARS:  # checked before decoding: 4 bytes per character at most
        raise ExplorerError(
            f"The CSV file is too big ({len(data):,} {'characters' if isinstance(data, str) else 'bytes'}): a sense "
            f"set holds at most {MAX_SENTENCES} sentences, so keep it under a few hundred KB."
        )
    if isinstance(data, bytes | bytearray):
        try:
            data = bytes(data).decode("utf-8-sig")
        except UnicodeDecodeError as err:
            raise ExplorerError("The CSV file is not UTF-8 text: save it as “CSV UTF-8” and upload it again.") from err
    text = clean_text(data, "CSV file").lstrip("\ufeff")
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
            sentence, sense, row_target = (restore_formula(row[col[c]]).strip() for c in CSV_COLUMNS)
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
        sense = clean_text(sense, "sense name").strip()
        if not sense:
            raise ExplorerError("A sense has no name: give every sense a short name (for example “fruit”).")
        if sense in contexts:
            raise ExplorerError(f"Two senses are both called “{sense}”: give each sense its own name.")
        text = clean_text(text or "", f"text of the sense “{sense}”")
        contexts[sense] = [line.strip() for line in text.splitlines() if line.strip()]
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
    count = sum(len(sentences) for sentences in contexts.values())
    if count > MAX_SENTENCES:
        raise ExplorerError(
            f"The set has {count:,} sentences, more than the {MAX_SENTENCES} one sense set may hold (each sentence "
            "is one run of the model, and the separation test grows with the square of the count): keep at most "
            f"{MAX_SENTENCES}; twenty or so per sense are plenty."
        )
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
    duplicates: list[Duplicate] = field(default_factory=list)  # sentences given more than once (find_duplicates)
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
    sentence that does not contain the target (the message names the sentence). For an encoder–decoder model
    the vectors are the encoder's self-attention ones.
    """
    from explorer.extract import extract

    target = _check_target(target)
    max_tokens = whole_number(max_tokens, "The token limit", minimum=2)
    if any(isinstance(v, str | bytes) for v in contexts_by_sense.values()):
        raise ValueError("contexts_by_sense maps each sense to a list of sentences, not to one string.")
    given = {clean_text(s, "sense name").strip(): list(v) for s, v in contexts_by_sense.items()}
    if sum(map(len, given.values())) > MAX_SENTENCES:
        _check_contexts(given)  # too many: refused before any sentence is read
    contexts = {
        s: [t for i, x in enumerate(v) if (t := clean_text(x, f"sentence {i + 1} of the sense “{s}”").strip())]
        for s, v in given.items()
    }
    _check_contexts(contexts)
    senses = list(contexts)
    L, H, d = bundle.n_layers, bundle.n_heads, bundle.d_head
    S = sum(len(v) for v in contexts.values())
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
    # 0b) what the samples will hold, before any run: S × (q, k, v, context, hidden states, attention to words)
    words_max = sum(min(len(sentence), max_tokens) + 2 for *_, sentence, _span in found)
    need = 4 * (S * (4 * L * H * d + (L + 1) * bundle.d_model) + L * H * words_max)
    if need > memory_budget():
        raise ExplorerError(
            f"The target's vectors from {S} sentences would need {need / 2**30:.1f} GB, more than the "
            f"{memory_budget() / 2**30:.1f} GB this machine can spare: use fewer or shorter sentences."
        )
    vectors = {space: np.empty((S, L, H, d), np.float32) for space in SPACES}
    hidden = np.empty((S, L + 1, bundle.d_model), np.float32)

    for s, (label, _sense, sentence, span) in enumerate(found):
        # encoder–decoder models: the target word's vectors are the encoder's, which do not depend on the decoder
        target_text = sentence if bundle.kind == "encoder-decoder" else None
        run = extract(bundle, sentence, max_tokens=max_tokens, target=target_text)
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
        spans = sorted({span, *(w for w in word_spans(sentence) if w[1] <= span[0] or w[0] >= span[1])})
        names, kinds, onehot = _word_weights(run, spans, span)  # the target is one word, also inside a longer one
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
        duplicates=find_duplicates(contexts),
    )
