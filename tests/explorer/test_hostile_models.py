"""Broken model folders: every way one can be broken ends in an ExplorerError that names the file and says what to
do (library and command line), before any run, and nothing in the folder changes."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from safetensors.torch import load_file, save_file

import explorer
from explorer import ExplorerError
from explorer.__main__ import main

WEIGHTS = "model.safetensors"


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under `folder` with a hash of its bytes: what a load must leave as it was."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
        for p in sorted(folder.rglob("*"))
    }


def edit_config(**changes):
    def edit(folder: Path) -> None:
        config = json.loads((folder / "config.json").read_text())
        config.update(changes)
        (folder / "config.json").write_text(json.dumps(config))

    return edit


def edit_weights(change):
    def edit(folder: Path) -> None:
        tensors = load_file(folder / WEIGHTS)
        change(tensors)
        save_file(tensors, folder / WEIGHTS, metadata={"format": "pt"})

    return edit


def truncate(folder: Path) -> None:
    data = (folder / WEIGHTS).read_bytes()
    (folder / WEIGHTS).write_bytes(data[: len(data) // 2])


def bigger_tokenizer(folder: Path) -> None:
    """A tokenizer whose ids run past the model's 320 embedding rows."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(folder)
    tok.add_tokens([f"extra{i}" for i in range(330 - len(tok))])
    tok.save_pretrained(folder)


def specials_only_tokenizer(folder: Path) -> None:
    """A tokenizer.json that is there, but whose vocabulary holds only [CLS], [SEP], [PAD], [MASK] and [UNK]."""
    from transformers import BertTokenizer

    BertTokenizer().save_pretrained(folder)


# (case, how the folder is broken, the message it must give; each message names the file and says what to do)
BROKEN = [
    ("weights-empty", lambda f: (f / WEIGHTS).write_bytes(b""), "The weights file model.safetensors in '{f}' is empty"),
    ("weights-truncated", truncate, "The weights file model.safetensors in '{f}' is damaged or incomplete"),
    ("weights-garbage", lambda f: (f / WEIGHTS).write_bytes(b"\x07" * 999), "model.safetensors in '{f}' is damaged"),
    (
        "weights-a-folder",
        lambda f: ((f / WEIGHTS).unlink(), (f / WEIGHTS).mkdir()),
        "'model.safetensors' in '{f}' is not a regular file",
    ),
    ("config-invalid", lambda f: (f / "config.json").write_text("{bert"), "config.json in '{f}' is not valid JSON"),
    ("config-empty", lambda f: (f / "config.json").write_text(""), "config.json in '{f}' is empty"),
    (
        "config-not-utf8",
        lambda f: (f / "config.json").write_bytes(b'{"a": "\xff"}'),
        "config.json in '{f}' is not UTF-8",
    ),
    (
        "config-array",
        lambda f: (f / "config.json").write_text("[1, 2]"),
        "config.json in '{f}' holds a JSON list, not an object",
    ),
    (
        "config-number",
        lambda f: (f / "config.json").write_text("7"),
        "config.json in '{f}' holds a JSON int, not an object",
    ),
    (
        "config-deep",
        lambda f: (f / "config.json").write_text("[" * 50_000 + "]" * 50_000),
        "config.json in '{f}' is not valid JSON",
    ),
    ("config-no-type", edit_config(model_type=None), "config.json in '{f}' names no model_type"),
    (
        "hidden-size",
        edit_config(hidden_size=64),
        "do not match its config.json: embeddings.word_embeddings.weight is 320 × 32 in model.safetensors but 320 × 64",
    ),
    (
        "vocab-size",
        edit_config(vocab_size=100),
        "embeddings.word_embeddings.weight is 320 × 32 in model.safetensors but 100 × 32 by the config",
    ),
    ("more-layers", edit_config(num_hidden_layers=3), "lack encoder.layer.2."),
    (
        "fewer-layers",
        edit_config(num_hidden_layers=1),
        "hold 16 tensors its config.json has no place for (such as encoder.layer.1.",
    ),
    (
        "absurd-layers",
        edit_config(num_hidden_layers=10**9),
        "says num_hidden_layers = 1,000,000,000, but the weights hold only 39 tensors",
    ),
    (
        "missing-key",
        edit_weights(lambda t: t.pop("encoder.layer.1.attention.self.query.weight")),
        "lack encoder.layer.1.attention.self.query.weight, which the model uses",
    ),
    (
        "no-tokenizer",
        lambda f: [(f / n).unlink() for n in ("tokenizer.json", "tokenizer_config.json")],
        "has no tokenizer files (none of tokenizer.json, vocab.txt",
    ),
    (
        "tokenizer-invalid",
        lambda f: (f / "tokenizer.json").write_text('{"model": '),
        "tokenizer.json in '{f}' is not valid JSON",
    ),
    ("tokenizer-specials-only", specials_only_tokenizer, "The tokenizer in '{f}' holds only special tokens ([CLS]"),
    ("tokenizer-bigger", bigger_tokenizer, "The tokenizer in '{f}' does not match the model: its token 'extra"),
    (
        "pickle-only",
        lambda f: (f / WEIGHTS).rename(f / "pytorch_model.bin"),
        "holds only pickle weights (pytorch_model.bin)",
    ),
    (
        "other-safetensors",
        lambda f: (f / WEIGHTS).rename(f / "adapter.safetensors"),
        "has no model.safetensors or model.safetensors.index.json (it has adapter.safetensors)",
    ),
]


@pytest.fixture(scope="module")
def broken(tiny_dirs, tmp_path_factory):
    """case -> a copy of the tiny BERT broken that way (built once for the module)."""
    root = tmp_path_factory.mktemp("broken")
    folders = {}
    for case, breaks, _ in BROKEN:
        folders[case] = root / case
        shutil.copytree(tiny_dirs["bert"], folders[case])
        breaks(folders[case])
    return folders


@pytest.mark.parametrize(("case", "message"), [(c, m) for c, _, m in BROKEN], ids=[c for c, _, _ in BROKEN])
def test_a_broken_folder_is_refused_by_name_and_left_as_it_was(broken, case, message):
    folder = broken[case]
    before = snapshot(folder)
    with pytest.raises(ExplorerError) as err:
        explorer.load_model(str(folder))
    assert message.format(f=folder) in str(err.value)
    assert "\n" not in str(err.value)  # one sentence or a few, never a report or a traceback
    assert snapshot(folder) == before


def test_a_missing_pooler_is_fine(tiny_dirs, tmp_path):
    """Weights the hidden states never see (a checkpoint saved without BERT's pooler) may be missing."""
    folder = tmp_path / "no-pooler"
    shutil.copytree(tiny_dirs["bert"], folder)
    edit_weights(lambda t: [t.pop(k) for k in list(t) if k.startswith("pooler.")])(folder)
    edit_weights(lambda t: t.update(lm_head=t["embeddings.word_embeddings.weight"].clone()))(folder)  # unused extra
    run = explorer.extract(explorer.load_model(str(folder)), "the cat sat on the mat")
    assert run.tokens == ["[CLS]", "the", "cat", "sat", "on", "the", "mat", "[SEP]"]


def test_a_decoder_start_outside_the_vocabulary_is_refused(tiny_dirs, tmp_path):
    folder = tmp_path / "t5"
    shutil.copytree(tiny_dirs["t5"], folder)
    edit_config(decoder_start_token_id=5000)(folder)
    with pytest.raises(ExplorerError, match="has decoder_start_token_id 5000, outside the model's 320 tokens"):
        explorer.load_model(str(folder))


def test_the_sharded_index_must_name_files_in_the_folder(tiny_dirs, tmp_path):
    folder = tmp_path / "sharded"
    shutil.copytree(tiny_dirs["bert"], folder)
    (folder / "model.safetensors.index.json").write_text(json.dumps({"weight_map": {"a": "../../etc/passwd"}}))
    with pytest.raises(ExplorerError, match="does not list weight files that are in the folder"):
        explorer.load_model(str(folder))


@pytest.mark.parametrize("case", ["weights-truncated", "config-array", "tokenizer-bigger", "hidden-size"])
def test_the_command_line_prints_the_message_and_writes_nothing(broken, case, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["export", "--text", "the cat sat", "--out", str(out), "--model", str(broken[case]), "--quiet"])
    err = capsys.readouterr().err
    assert code == 1
    message = next(m for c, _, m in BROKEN if c == case)
    assert err.startswith("error: ") and message.format(f=broken[case]) in err
    assert "Traceback" not in err
    assert not out.exists() or not any(out.iterdir())
