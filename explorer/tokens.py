"""How the model read each token: its unknown token, word pieces and case folding, and the scripts a note names.

run.tokens is the text each token covers; what the model read can differ: "[UNK]" where its vocabulary has no
piece for the characters, "r" that continues "jungle" in "jungler", "apple" for "Apple" in an uncased model.
read_tokens() says so per token (extract() keeps it on the run: shown_tokens, unknown, continues); charts label
tokens as the model read them and name the text behind them in tooltips (with_text).
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from explorer.models import ModelBundle

# Scripts written without spaces between words (Thai, Lao, Myanmar, Khmer, kana, CJK ideographs): the offsets cannot
# say where a word ends, and a CJK character is a word of its own, so a token there never "continues" a word.
NO_SPACE_SCRIPTS = (
    "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3005-\u3007\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f"
)
_NO_SPACE_CHAR = re.compile(f"[{NO_SPACE_SCRIPTS}]")
CONTINUES = "##"  # WordPiece's mark of a piece inside a word, used for every family's labels


def _in_word(ch: str) -> bool:
    """A letter, digit or combining mark of a script written with spaces: a character a word piece can continue."""
    return unicodedata.category(ch)[0] in "LNM" and not _NO_SPACE_CHAR.match(ch)


def continuations(text: str, spans: list[tuple[int, int]], special: list[bool]) -> list[bool]:
    """[N] True where a token continues the previous token's word ("jungle" + "r" in "jungler"), from the offsets:
    neither is special, nothing lies between them, and the characters either side of the seam are letters, digits
    or marks of a script written with spaces. Punctuation starts a word of its own ("tired" + "." is two words,
    as WordPiece splits it), and so does every CJK character. A piece sharing the previous one's character (a
    byte of a multi-byte character, byte-level BPE) continues it when that character is inside a word."""
    out = [False] * len(spans)
    for i in range(1, len(spans)):
        (a, b), (pa, pb) = spans[i], spans[i - 1]
        if special[i] or special[i - 1] or b <= a or pb <= pa or a > pb:
            continue
        out[i] = _in_word(text[a]) and (a < pb or (a > 0 and _in_word(text[a - 1])))
    return out


def read_tokens(
    text: str,
    raw: list[str],
    spans: list[tuple[int, int]],
    special: list[bool],
    readable: list[str],
    unk_token: str | None,
    case_folding: bool,
) -> tuple[list[str], list[bool], list[bool]]:
    """How the model read each token: (shown, unknown, continues), each [N].

    shown is what charts label the token with: the tokenizer's own unknown string ("[UNK]") where the model read
    its unknown token, else the text the token covers ("jungle"), as the tokenizer normalised it for a model that
    folds case (its raw piece without marks: "apple" for "Apple", "cafe" for "café"), with "##" in front of a piece
    that continues the previous token's word ("##r"). Special tokens keep their readable form ("[CLS]").
    """
    continues = continuations(text, spans, special)
    unknown = [unk_token is not None and r == unk_token and not sp for r, sp in zip(raw, special)]
    shown = []
    for r, sp, piece, unk, cont in zip(raw, special, readable, unknown, continues):
        if sp or unk:
            shown.append(piece if sp else r)
            continue
        if case_folding:  # the raw piece is the normalised text (WordPiece, SentencePiece): what the model read
            piece = r.removeprefix(CONTINUES).lstrip("Ġ▁").strip() or piece
        shown.append(CONTINUES + piece if cont else piece)
    return shown, unknown, continues


def read_as_written(shown: str, text: str) -> bool:
    """Whether a token as the model read it (a shown token: "##r", "[CLS]") is the text it covers ("r", "[CLS]")."""
    return shown in (text, CONTINUES + text)


def with_text(label: str, text: str) -> str:
    """A token's label ("5 [UNK]", "3 ##r") with the text it covers where the model read something else:
    "5 [UNK] (text “他”)"; the label alone where they agree ("3 ##r" covers "r", "0 [CLS]" is special)."""
    return label if read_as_written(label.split(" ", 1)[-1], text) else f"{label} (text “{text}”)"


def _ids(bundle: ModelBundle, text: str) -> list[int]:
    return list(bundle.tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"])


def case_folding(bundle: ModelBundle) -> bool:
    """Whether the model's tokenizer folds case: "Apple" and "apple" give the same ids (and not only unknown ones),
    as for uncased BERT models (do_lower_case, a lower-casing normaliser)."""
    upper, lower = _ids(bundle, "Apple The"), _ids(bundle, "apple the")
    unk = bundle.tokenizer.unk_token_id
    return upper == lower and any(i != unk for i in lower)


def case_note(bundle: ModelBundle) -> str | None:
    """A sentence for pages when the model folds case ("… is uncased: “Apple” and “apple” are the same token to
    it …"); None when it tells them apart."""
    if not case_folding(bundle):
        return None
    accents = _ids(bundle, "café") == _ids(bundle, "cafe")
    return (
        f"{bundle.display_name} is uncased: “Apple” and “apple” are the same token to it"
        + (" (as are “café” and “cafe”)" if accents else "")
        + ", so charts show its tokens in lower case."
    )


# the script of a text's unknown characters (script_of) -> a model folder that reads it, for unknown_note
SCRIPT_MODELS = {
    "Chinese": "a multilingual or Chinese model folder (e.g. bert-base-chinese, saved with save_pretrained)",
    "Japanese": "a multilingual or Japanese model folder (e.g. xlm-roberta-base, saved with save_pretrained)",
    "Korean": "a multilingual or Korean model folder (e.g. xlm-roberta-base, saved with save_pretrained)",
}
MULTILINGUAL = "a multilingual model folder (e.g. xlm-roberta-base, saved with save_pretrained)"


def script_of(chars: list[str]) -> str | None:
    """The script most of these characters are written in ("Chinese", "Japanese", "Arabic", …); None for
    symbols and emoji, which belong to no language."""
    counts: dict[str, int] = {}
    for ch in chars:
        if unicodedata.category(ch)[0] not in "LM":
            continue
        name = unicodedata.name(ch, "")
        if name.startswith(("HIRAGANA", "KATAKANA")):
            script = "Japanese"
        elif name.startswith("HANGUL"):
            script = "Korean"
        elif name.startswith("CJK"):
            script = "Chinese"
        else:
            script = name.split(" ", 1)[0].capitalize() or None
        if script:
            counts[script] = counts.get(script, 0) + 1
    if "Japanese" in counts and "Chinese" in counts:  # kanji beside kana: Japanese
        counts["Japanese"] += counts.pop("Chinese")
    return max(counts, key=counts.get) if counts else None
