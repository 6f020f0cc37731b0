"""`python -m explorer export` with hostile flags: huge layer ranges, token limits that are not whole numbers, text
that is not UTF-8, failures inside. Always one line on stderr and an exit code, never a traceback, no files."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import explorer
from explorer.__main__ import main
from tests.support import REPO


@pytest.fixture(scope="module")
def tiny(tiny_dirs):
    return explorer.load_model(str(tiny_dirs["bert"]))


@pytest.fixture
def no_model(monkeypatch):
    """A load_model that fails the test: these mistakes must be caught before any model is loaded."""

    def refuse(*args, **kwargs):
        raise AssertionError("the model was loaded before the command line was checked")

    monkeypatch.setattr(explorer, "load_model", refuse)


@pytest.fixture
def tiny_model(tiny, monkeypatch):
    monkeypatch.setattr(explorer, "load_model", lambda name=None: tiny)


def run_main(capsys, out, *args: str) -> tuple[int, str]:
    code = main(["export", "--out", str(out), "--quiet", *args])
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--layers", "0-999999999999"], "--layers asks for layer 999999999999, and no model has that many layers"),
        (["--heads", "1,2-" + "9" * 5000], "--heads asks for head 99999999999999999999…, and no model has that many"),
        (["--layers", "100001"], "asks for layer 100001"),
        (["--max-tokens", "-5"], "The token limit must be at least 2."),
        (["--text", "caf\udcc3\udca9 \udcff"], "The text holds an invalid character at position 3 (U+DCC3"),
        (["--target", "\udcff"], "The target holds an invalid character at position 0"),
    ],
    ids=["huge-range", "huge-number", "past-limit", "negative-limit", "argv-bytes", "target-bytes"],
)
def test_mistakes_are_refused_before_the_model_loads(no_model, tmp_path, capsys, args, message):
    text = [] if "--text" in args else ["--text", "the cat"]
    code, err = run_main(capsys, tmp_path / "out", *text, *args)
    assert code == 1
    assert err.startswith("error: ") and message in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_a_range_within_the_bound_is_checked_against_the_model(tiny_model, tmp_path, capsys):
    code, err = run_main(capsys, tmp_path / "out", "--text", "the cat", "--layers", "0-5000", "--format", "json")
    assert code == 1 and "Layer 5,000 does not exist: this model has layers 0 to 1." in err
    assert not any((tmp_path / "out").iterdir())


def test_a_fractional_token_limit_is_a_usage_error(no_model, tmp_path, capsys):
    with pytest.raises(SystemExit) as done:
        main(["export", "--text", "the cat", "--out", str(tmp_path / "out"), "--max-tokens", "2.5"])
    assert done.value.code == 2
    assert "argument --max-tokens: invalid int value: '2.5'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_huge_text_file_is_refused_without_reading_it_all(no_model, tmp_path, capsys):
    text_file = tmp_path / "huge.txt"
    text_file.write_text("word " * 400_000, encoding="utf-8")  # 2,000,000 characters
    code, err = run_main(capsys, tmp_path / "out", "--text-file", str(text_file))
    assert code == 1 and "is longer than the 1,000,000 characters the explorer reads" in err


def test_control_characters_in_a_text_file_are_cleaned(tiny_model, tmp_path, capsys):
    import json

    text_file = tmp_path / "text.txt"
    text_file.write_text("the\x00cat\x1b sat", encoding="utf-8")
    code, _ = run_main(capsys, tmp_path / "out", "--text-file", str(text_file), "--format", "json")
    assert code == 0
    assert json.loads((tmp_path / "out" / "run.json").read_text())["text"] == "the cat  sat"


@pytest.mark.parametrize(
    ("error", "code", "message"),
    [
        (MemoryError(), 1, "error: not enough memory for this run: lower --max-tokens or use a smaller model."),
        (RuntimeError("boom"), 3, "error: the explorer failed unexpectedly (RuntimeError: boom). This is a bug"),
    ],
)
def test_a_failure_inside_is_one_line_not_a_traceback(tiny_model, monkeypatch, tmp_path, capsys, error, code, message):
    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(explorer, "extract", fail)
    got, err = run_main(capsys, tmp_path / "out", "--text", "the cat")
    assert got == code and err.startswith(message) and "Traceback" not in err


@pytest.mark.slow  # a fresh Python process imports torch: ~4 s
def test_bytes_that_are_not_utf8_in_argv_give_a_message_not_a_traceback(tiny_dirs, tmp_path):
    """Real argv bytes: an --out folder and a --text that are not UTF-8, and a model folder with a broken config."""
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_bytes(b"[1, 2]")
    out = os.fsencode(tmp_path) + b"/out-\xff"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONIOENCODING": "utf-8"}
    base = [sys.executable.encode(), b"-m", b"explorer", b"export", b"--out", out]
    for extra, message in [
        ([b"--text", b"caf\xc3\xa9 \xff"], b"The text holds an invalid character at position 5 (U+DCFF"),
        ([b"--text", b"the cat", b"--model", os.fsencode(broken)], b"holds a JSON list, not an object of settings"),
    ]:
        done = subprocess.run([*base, *extra], cwd=REPO, env=env, capture_output=True, timeout=300)
        assert done.returncode == 1, done.stderr
        assert done.stderr.startswith(b"error: ") and message in done.stderr
        assert b"Traceback" not in done.stderr
        assert not os.path.exists(out) or not os.listdir(out)  # made empty by the check of --out, at most
