"""Broken model folders and hostile text typed into the sidebar: an error box with the library's message, never an
exception, and the folder left as it was."""

from __future__ import annotations

import hashlib
import json
import re
import shutil

from tests.support.apptest import app_test, errors, use_model_folder


def shown(at) -> list[str]:
    """The error boxes' text as read on screen (the app escapes markdown in messages with backslashes)."""
    return [re.sub(r"\\(.)", r"\1", e) for e in errors(at)]


def snapshot(folder) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_broken_folders_typed_into_the_sidebar_show_an_error_box(tiny_dirs, tmp_path):
    folders = {}
    for case in ("truncated", "config-array", "no-tokenizer", "hidden-size"):
        folders[case] = tmp_path / case
        shutil.copytree(tiny_dirs["bert"], folders[case])
    weights = folders["truncated"] / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    (folders["config-array"] / "config.json").write_text("[]")
    (folders["no-tokenizer"] / "tokenizer.json").unlink()
    (folders["no-tokenizer"] / "tokenizer_config.json").unlink()
    config = json.loads((folders["hidden-size"] / "config.json").read_text())
    (folders["hidden-size"] / "config.json").write_text(json.dumps({**config, "hidden_size": 64}))
    expected = {
        "truncated": "The weights file model.safetensors in '{f}' is damaged or incomplete",
        "config-array": "config.json in '{f}' holds a JSON list, not an object of settings",
        "no-tokenizer": "'{f}' has no tokenizer files (none of tokenizer.json",
        "hidden-size": "The weights in '{f}' do not match its config.json",
    }
    before = {case: snapshot(folder) for case, folder in folders.items()}
    at = app_test()
    for case, folder in folders.items():
        use_model_folder(at, folder)
        assert not at.exception, case
        assert any(expected[case].format(f=folder) in e for e in shown(at)), (case, shown(at))
        assert at.session_state["bundle"] is None and at.session_state["run"] is None
    assert {case: snapshot(folder) for case, folder in folders.items()} == before
    use_model_folder(at, tiny_dirs["bert"], text="the\x00cat\x1b sat")  # a good folder; control characters
    assert not at.exception and not errors(at)
    assert at.session_state["run"].text == "the cat  sat"
