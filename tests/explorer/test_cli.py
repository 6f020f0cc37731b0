"""`python -m explorer export`: files written, exit codes and one-line messages on bad input (no tracebacks)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import explorer
from explorer.__main__ import main
from tests.support import REPO

TEXT = "The animal didn't cross the street because it was too tired."


def cli(*args: str) -> subprocess.CompletedProcess:
    """A real `python -m explorer ...` in a fresh process, offline."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "explorer", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture
def shared_model(bundle, monkeypatch):
    """In-process main() reuses the session's model instead of loading it again (the subprocess tests load it)."""
    monkeypatch.setattr(explorer, "load_model", lambda name=None: bundle)


@pytest.mark.slow  # a fresh Python process imports torch and loads the model: ~5 s
def test_subprocess_export_writes_files_that_match_extract(bundle, tmp_path):
    out = tmp_path / "export"
    done = cli("export", "--text", TEXT, "--out", str(out), "--format", "csv,json,npz", "--layers", "0,3")
    assert done.returncode == 0, done.stderr
    assert "Wrote 3 files" in done.stdout
    assert sorted(p.name for p in out.iterdir()) == ["attention.csv", "run.json", "run.npz"]
    want = explorer.extract(bundle, TEXT)
    back = explorer.load_run(out)
    assert back.tokens == want.tokens
    np.testing.assert_allclose(back.attn, want.attn, rtol=1e-5, atol=1e-7)
    with open(out / "attention.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    n = want.n_tokens
    assert len(rows) == 2 * 12 * n * n  # layers 0 and 3, every head
    assert {r["layer"] for r in rows} == {"0", "3"}
    assert json.loads((out / "run.json").read_text())["selection"]["layers"] == [0, 3]


def test_subprocess_bad_format_exits_1_with_a_message(tmp_path):
    done = cli("export", "--text", TEXT, "--out", str(tmp_path), "--format", "png,pdf")
    assert done.returncode == 1
    assert done.stderr.strip() == "error: Unknown format 'pdf': choose from png, svg, csv, json, npz (comma-separated)."
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_main_writes_a_text_file_export_with_heads_range(shared_model, tmp_path, capsys):
    text_file = tmp_path / "text.txt"
    text_file.write_text("Apple pie, Apple iPhone.\n", encoding="utf-8")
    out = tmp_path / "out"
    args = ["export", "--text-file", str(text_file), "--out", str(out), "--format", "json,svg", "--quiet"]
    assert main([*args, "--layers", "2", "--heads", "1-3"]) == 0
    names = sorted(p.name for p in out.iterdir())
    stems = [f"all-minilm-l6-v2_L02_H0{h}" for h in (1, 2, 3)]
    assert names == [f"{s}.svg" for s in stems] + ["run.json"]
    assert json.loads((out / "run.json").read_text())["text"] == "Apple pie, Apple iPhone.\n"
    assert "Wrote 4 files" in capsys.readouterr().out


def test_main_keeps_existing_files_without_force(shared_model, tmp_path, capsys):
    args = ["export", "--text", TEXT, "--out", str(tmp_path), "--format", "json", "--quiet"]
    assert main(args) == 0
    first = (tmp_path / "run.json").read_bytes()
    capsys.readouterr()
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "run.json already exists: use --force to overwrite" in err
    assert (tmp_path / "run.json").read_bytes() == first
    assert main([*args, "--force"]) == 0


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--text", "   "], "The text is empty"),
        (["--text", TEXT, "--format", "gif"], "Unknown format 'gif'"),
        (["--text", TEXT, "--heads", "12"], "Head 12 does not exist: this model has heads 0 to 11."),
        (["--text", TEXT, "--layers", "2-x"], "Cannot read layers '2-x'"),
        (["--text-file", "/no/such/file.txt"], "The text file /no/such/file.txt does not exist"),
        (["--text", TEXT, "--max-tokens", "1"], "The token limit must be at least 2."),
    ],
)
def test_main_bad_input_exits_1_with_one_line(shared_model, tmp_path, capsys, extra, message):
    code = main(["export", "--out", str(tmp_path / "out"), *extra])
    captured = capsys.readouterr()
    assert code == 1
    assert captured.err.startswith("error: ") and message in captured.err
    assert "Traceback" not in captured.err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_main_unwritable_folder(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["export", "--text", TEXT, "--out", str(blocker / "sub")]) == 1
    assert "Cannot write to the folder" in capsys.readouterr().err


def test_main_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["export", "--text", TEXT])  # no --out
    assert stop.value.code == 2
    assert "--out" in capsys.readouterr().err


def test_main_exports_a_local_causal_model(tiny_dirs, tmp_path, capsys):
    folder = tiny_dirs["gpt2"]
    out = tmp_path / "out"
    args = ["export", "--model", str(folder), "--text", "the cat sat on the mat", "--out", str(out), "--quiet"]
    assert main([*args, "--format", "npz,png,csv", "--layers", "0", "--heads", "0"]) == 0
    run = explorer.load_run(out)
    assert run.is_causal and run.model_name == str(folder)
    names = sorted(p.name for p in out.iterdir())
    assert names == ["attention.csv", "run.npz", "tiny-gpt2_L00_H00.png", "tiny-gpt2_all_heads.png"]
    with open(out / "attention.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == run.n_tokens**2
    assert sum(r["score"] == "-inf" for r in rows) == run.n_tokens * (run.n_tokens - 1) // 2  # keys after the query


def test_main_exports_an_encoder_decoder_model_given_a_target(tiny_dirs, tmp_path, capsys):
    folder, out = tiny_dirs["bart"], tmp_path / "out"
    args = ["export", "--model", str(folder), "--text", "the cat sat on the mat", "--out", str(out), "--quiet"]
    assert main([*args, "--format", "npz"]) == 1  # no decoder text: one clear line, nothing written
    assert "--target" in capsys.readouterr().err and not (out.exists() and any(out.iterdir()))
    assert main([*args, "--format", "npz", "--target", "apple pie"]) == 0
    run = explorer.load_run(out)
    bundle = explorer.load_model(str(folder))
    want = explorer.extract(bundle, "the cat sat on the mat", target="apple pie")
    np.testing.assert_array_equal(run.attn, np.asarray(want.attn))  # the encoder's self-attention
