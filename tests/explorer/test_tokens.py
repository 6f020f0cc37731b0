"""Honest tokens (explorer/tokens.py, and the run's labels and notes in explorer/extract.py): labels show what the
model read ([UNK], ##pieces, lower case for an uncased model), run.tokens keeps the text each token covers, and the
notes say when a model cannot read a text."""

from __future__ import annotations

import dataclasses

import pytest

import explorer
from explorer.extract import case_folding, case_note, unknown_note
from explorer.tokens import continuations

CHINESE = "打野来抓上单，结果他被反杀了。"  # the bundled English-only model knows 4 of these 15 characters
ENGLISH = "The jungler ganked top, but he got killed by the top laner."


@pytest.fixture(scope="module")
def chinese_run(bundle):
    return explorer.extract(bundle, CHINESE)


@pytest.fixture(scope="module")
def english_run(bundle):
    return explorer.extract(bundle, ENGLISH)


def test_unknown_tokens_read_as_the_tokenizers_unk_string(bundle, chinese_run):
    run, unk_id = chinese_run, bundle.tokenizer.unk_token_id
    assert unk_id in run.token_ids
    unknown = [i == unk_id for i in run.token_ids]
    assert run.unknown == unknown and sum(unknown) == 11
    for i, label in enumerate(run.labels()):
        assert (label == f"{i} [UNK]") == unknown[i], label
    assert run.labels()[2] == "2 野"  # a character the vocabulary has reads as itself
    # run.tokens is still the text each token covers: the CSV, export and subspaces rely on it.
    assert run.tokens[1:-1] == list(CHINESE)
    assert "他" in run.tokens and not any("他" in label for label in run.labels())


def test_tooltip_labels_carry_the_characters_behind_each_unk(chinese_run):
    tips = chinese_run.labels(with_text=True)
    he = chinese_run.tokens.index("他")
    assert tips[he] == f"{he} [UNK] (text “他”)"
    assert tips[2] == "2 野" and tips[0] == "0 [CLS]"  # read as written: the label alone
    assert chinese_run.key_labels(with_text=True) == tips


def test_word_pieces_are_marked_and_cjk_characters_never_are(english_run, chinese_run, bundle):
    labels = english_run.labels()
    i = english_run.tokens.index("jungle")
    assert labels[i : i + 2] == [f"{i} jungle", f"{i + 1} ##r"]
    assert english_run.tokens[i : i + 2] == ["jungle", "r"]
    assert not any(chinese_run.continues)
    assert not any("##" in label for label in chinese_run.labels())
    mixed = explorer.extract(bundle, "他们在jungle里ganked了")  # Latin pieces between CJK characters
    for shown, text in zip(mixed.shown_tokens, mixed.tokens):
        assert not (shown.startswith("##") and "\u4e00" <= text[0] <= "\u9fff"), (shown, text)


@pytest.mark.parametrize(
    "text", [ENGLISH, "Tokenization of unbelievably long words, 12345678 didn't x_y!", "naïve café jungler"]
)
def test_continuation_marks_agree_with_wordpiece_own(bundle, text):
    """For WordPiece the offsets-based rule gives exactly the tokenizer's own ## pieces."""
    run = explorer.extract(bundle, text)
    assert run.continues == [r.startswith("##") for r in run.raw_tokens]
    assert [s.startswith("##") for s in run.shown_tokens] == run.continues


def test_an_uncased_model_reads_lower_case_and_tooltips_give_the_text(bundle, apple_run):
    assert case_folding(bundle)
    note = case_note(bundle)
    assert note.startswith("all-MiniLM-L6-v2 is uncased: “Apple” and “apple” are the same token to it")
    brand = apple_run.tokens.index("Apple")
    assert apple_run.shown_tokens[brand] == "apple" == apple_run.raw_tokens[brand]
    assert apple_run.labels(with_text=True)[brand] == f"{brand} apple (text “Apple”)"
    cafe = explorer.extract(bundle, "a café")
    assert cafe.shown_tokens[2] == "cafe" and cafe.tokens[2] == "café"  # accents stripped too, as the model reads


def test_a_cased_byte_level_model(tiny_dirs):
    bundle = explorer.load_model(str(tiny_dirs["gpt2"]))
    assert not case_folding(bundle) and case_note(bundle) is None
    run = explorer.extract(bundle, "the jungler ate Apple 他被")
    assert run.shown_tokens[:2] == ["t", "##he"]  # the tiny vocabulary splits "the"; the offsets mark the piece
    assert not any("Ġ" in s for s in run.shown_tokens)
    a = run.tokens.index("A")
    assert run.shown_tokens[a : a + 2] == ["A", "##pple"]  # a cased model reads the text as written
    cjk = [i for i, t in enumerate(run.tokens) if t in "他被"]
    assert len(cjk) > 2 and not any(run.continues[i] for i in cjk)  # bytes of a CJK character: never "##"
    assert not any(run.unknown) and unknown_note(run) is None  # byte-level BPE has no unknown token


def test_continuations_from_offsets():
    text = "jungler café, 他们 x"
    spans = [(0, 0), (0, 6), (6, 7), (8, 11), (11, 12), (11, 12), (12, 13), (14, 15), (15, 16), (17, 18), (0, 0)]
    special = [True] + [False] * 9 + [True]
    assert continuations(text, spans, special) == [
        False,  # [CLS]
        False,  # "jungle"
        True,  # "r": touches "jungle", letters either side
        False,  # "caf": after a space
        True,  # first byte of "é"
        True,  # second byte of "é": the same character, inside a word
        False,  # ",": punctuation is a word of its own
        False,  # "他"
        False,  # "们": a CJK character is a word of its own
        False,  # "x"
        False,  # [SEP]
    ]


def test_unknown_note_speaks_for_texts_the_model_cannot_read(chinese_run, english_run, bundle):
    note = unknown_note(chinese_run)
    assert note.startswith("all-MiniLM-L6-v2 reads 11 of these 15 characters as [UNK]: it was trained on English only.")
    assert "bert-base-chinese" in note and "attention over Chinese" in note
    assert unknown_note(english_run) is None
    one = explorer.extract(bundle, ENGLISH + " 🙂")  # one unknown token in 16 words: no note
    assert sum(one.unknown) == 1 and unknown_note(one) is None
    emoji = explorer.extract(bundle, "ok 🙂 🙂 🙂")  # symbols: no language to suggest
    assert unknown_note(emoji) == (
        "all-MiniLM-L6-v2 reads 3 of these 5 characters as [UNK]: its vocabulary has no tokens for them. Every "
        "[UNK] is the same token to it, so its attention cannot tell these characters apart."
    )


def test_reading_survives_load_run_and_hand_made_runs(chinese_run, tmp_path):
    from explorer.io.runfiles import save_npz

    save_npz(chinese_run, tmp_path / "run.npz")
    back = explorer.load_run(tmp_path / "run.npz")
    assert back.labels(with_text=True) == chinese_run.labels(with_text=True)
    assert back.unknown == chinese_run.unknown and unknown_note(back) == unknown_note(chinese_run)
    other = dataclasses.replace(chinese_run, tokens=["a"] * 3)  # tokens replaced by hand: labels follow them
    assert other.labels() == ["0 a", "1 a", "2 a"] and not any(other.unknown)


def test_cross_attention_keys_read_as_the_encoder_read_them(tiny_dirs):
    bundle = explorer.load_model(str(tiny_dirs["t5"]))
    run = explorer.extract(bundle, "the jungler sat", target="the cat sat")
    cross, enc, dec = run.part("cross"), run.part("encoder"), run.part("decoder")
    assert cross.key_labels() == enc.labels() and cross.labels() == dec.labels()
    assert cross.key_labels(with_text=True) == enc.labels(with_text=True)
    assert any(s.startswith("##") for s in enc.shown_tokens)  # "jungler" in pieces of the tiny vocabulary


def test_qkv_tooltips_name_keys_with_their_text(chinese_run):
    from explorer.analysis.qk import qk_products, select_keys
    from explorer.views.qkv import neuron_view, qk_frame, score_frame

    he = chinese_run.tokens.index("他")
    parts = select_keys(qk_products(chinese_run, 0, 0, he), [0, 2, he])
    labels = [chinese_run.key_labels()[i] for i in (0, 2, he)]
    scores = score_frame(parts, labels)
    assert scores["key_tip"].tolist() == ["0 [CLS]", "2 野", f"{he} [UNK] (text “他”)"]
    assert scores["key_index"].tolist() == [0, 2, he]  # positions in the text, not rows of the chart
    assert set(qk_frame(parts, labels)["key_tip"]) == set(scores["key_tip"])
    fields = [t["field"] for t in neuron_view(parts, labels).to_dict()["hconcat"][0]["encoding"]["tooltip"]]
    assert fields[0] == "key_tip"
