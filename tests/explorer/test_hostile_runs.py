"""load_run() on tampered run files: it trusts nothing. Keys, dtypes and shapes are checked against each other,
the scalars and run.json before any array is read; sizes before allocation; no pickle is ever loaded; and the
files are never changed."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

import explorer
from explorer import ExplorerError
from explorer.io import runfiles

MARKER = "unpickled.txt"


class Evil:
    """Unpickling this writes a file: the proof that a pickle was loaded."""

    def __init__(self, folder: Path) -> None:
        self.path = str(folder / MARKER)

    def __reduce__(self):
        return (open, (self.path, "w"))


@pytest.fixture(scope="module")
def good(tiny_dirs, tmp_path_factory):
    """(folder with run.npz and run.json of a tiny BERT run, its arrays)."""
    run = explorer.extract(explorer.load_model(str(tiny_dirs["bert"])), "the cat sat on the mat")
    folder = tmp_path_factory.mktemp("good")
    runfiles.save_npz(run, folder / "run.npz")
    (folder / "run.json").write_bytes(runfiles.run_json(run))
    with np.load(folder / "run.npz", allow_pickle=False) as z:
        arrays = {name: z[name] for name in z.files}
    return folder, arrays


def tampered(good, tmp_path: Path, change=None, **replace) -> Path:
    """A copy of the good export whose run.npz has arrays replaced (None: dropped) and `change` applied."""
    folder, arrays = good
    shutil.copy(folder / "run.json", tmp_path / "run.json")
    arrays = {**arrays, **replace}
    if change is not None:
        change(arrays)
    np.savez(tmp_path / "run.npz", **{k: v for k, v in arrays.items() if v is not None})
    return tmp_path


def meta_with(good, **fields) -> np.ndarray:
    meta = json.loads(str(good[1]["run_json"]))
    meta.update(fields)
    return np.array(json.dumps(meta))


def snapshot(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def refused(path: Path, message: str) -> str:
    before = snapshot(path if path.is_dir() else path.parent)
    with pytest.raises(ExplorerError) as err:
        explorer.load_run(path)
    assert message in str(err.value), str(err.value)
    assert snapshot(path if path.is_dir() else path.parent) == before  # load_run never writes
    return str(err.value)


def test_the_good_export_loads(good):
    back = explorer.load_run(good[0])
    assert back.tokens == ["[CLS]", "the", "cat", "sat", "on", "the", "mat", "[SEP]"]


def test_a_pickled_array_is_refused_and_never_unpickled(good, tmp_path):
    folder = tampered(good, tmp_path, tokens=np.array([Evil(tmp_path)] * 8, dtype=object))
    refused(folder, "the array tokens is object, not what an export writes")
    assert not (tmp_path / MARKER).exists()


@pytest.mark.parametrize(
    ("replace", "message"),
    [
        ({"q": "float64"}, "the array q is float64, not what an export writes"),
        ({"token_ids": "float32"}, "the array token_ids is float32"),
        ({"special": "int8"}, "the array special is int8"),
    ],
)
def test_a_wrong_dtype_is_refused(good, tmp_path, replace, message):
    ((name, dtype),) = replace.items()
    refused(tampered(good, tmp_path, **{name: good[1][name].astype(dtype)}), message)


@pytest.mark.parametrize(
    ("name", "cut", "message"),
    [
        ("k", np.s_[:, :3], "so its arrays do not belong together"),  # 3 heads where q has 4
        ("tokens", np.s_[:7], "so its arrays do not belong together"),  # 7 tokens for 8 rows of q
        ("scale", np.s_[:1], "so its arrays do not belong together"),
        ("hidden", np.s_[:2], "has 2 hidden states for 2 layers"),
        ("offsets", np.s_[:, :1], "so its arrays do not belong together"),  # the "2" of [N, 2]
    ],
)
def test_shapes_that_do_not_fit_each_other_are_refused(good, tmp_path, name, cut, message):
    refused(tampered(good, tmp_path, **{name: good[1][name][cut]}), message)


def test_a_missing_or_an_unknown_array_is_refused(good, tmp_path):
    (tmp_path / "a").mkdir()
    refused(tampered(good, tmp_path / "a", q=None), "lacks q: it was not written by this explorer's export")
    (tmp_path / "b").mkdir()
    refused(tampered(good, tmp_path / "b", evil=np.zeros(3)), "holds 'evil.npy', which no export writes")


def write_members(path: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def npy_bytes(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def test_a_header_that_claims_more_than_is_stored_is_refused_before_allocation(good, tmp_path):
    """A 16-byte member whose header says [100000, 100000, 1000, 1000] float32 (4e16 bytes)."""
    members = {f"{k}.npy": npy_bytes(v) for k, v in good[1].items()}
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": "<f4", "fortran_order": False, "shape": (100_000, 100_000, 1000, 1000)}
    )
    members["q.npy"] = buf.getvalue() + b"\x00" * 16  # the header (magic included), then 16 bytes of data
    write_members(tmp_path / "run.npz", members)
    refused(tmp_path / "run.npz", "the array q has the shape (100000, 100000, 1000, 1000), which does not fit")


def test_a_duplicate_member_is_refused(good, tmp_path):
    members = [(f"{k}.npy", npy_bytes(v)) for k, v in good[1].items()] + [("q.npy", npy_bytes(good[1]["q"] * 0))]
    with pytest.warns(UserWarning, match="Duplicate name"), zipfile.ZipFile(tmp_path / "run.npz", "w") as zf:
        for name, data in members:
            zf.writestr(name, data)
    refused(tmp_path / "run.npz", "holds 'q.npy', which no export writes")


def test_sizes_are_checked_against_the_memory_there_is(good, monkeypatch):
    monkeypatch.setattr(runfiles, "memory_budget", lambda: 1000)
    refused(good[0] / "run.npz", "would need 0.0 MB to read, more than the 0.0 MB this machine can spare")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ("[1, 2]", "its run_json lacks or mistypes text, model_name"),
        ("{bad json", "its run_json is not valid JSON"),
        ({"text": 5}, "its run_json lacks or mistypes text"),
        ({"truncated": "no"}, "lacks or mistypes truncated"),
        ({"n_kv_heads": 0}, "its n_kv_heads do not fit the run it holds"),
        ({"n_tokens_total": 3}, "its n_tokens_total do not fit"),
        ({"text": "cat"}, "its offsets do not fit"),  # spans past the end of the text
        ({"meta": []}, "lacks or mistypes meta"),
    ],
)
def test_scalars_that_do_not_fit_the_arrays_are_refused(good, tmp_path, fields, message):
    run_json = np.array(fields) if isinstance(fields, str) else meta_with(good, **fields)
    refused(tampered(good, tmp_path, run_json=run_json), message)


@pytest.mark.parametrize(
    ("replace", "message"),
    [
        ({"token_ids": np.full(8, -1, np.int64)}, "its token_ids do not fit"),
        ({"scale": np.array([np.nan, 1.0])}, "its scale do not fit"),
        ({"offsets": np.array([[0, 0]] + [[5, 2]] * 7, np.int64)}, "its offsets do not fit"),
    ],
)
def test_values_that_cannot_be_are_refused(good, tmp_path, replace, message):
    refused(tampered(good, tmp_path, **replace), message)


def test_a_long_runs_masks_are_checked(good, tmp_path):
    def long_form(arrays):  # what save_npz writes above NPZ_MAPS_LIMIT: q, k and the masks, no maps
        n = arrays["tokens"].shape[0]
        arrays.update(scores=None, attn=None, mask_patterns=np.zeros((0, n, n), bool))

    (tmp_path / "a").mkdir()
    ok = tampered(good, tmp_path / "a", long_form, mask_of_layer=np.array([-1, -1], np.int64))
    assert explorer.load_run(ok).masked is None
    (tmp_path / "b").mkdir()
    bad = tampered(good, tmp_path / "b", long_form, mask_of_layer=np.array([5, -1], np.int64))
    refused(bad, "its mask_of_layer do not fit the run it holds")


def test_run_json_beside_the_npz_must_describe_the_same_run(good, tmp_path):
    folder = tampered(good, tmp_path)
    doc = json.loads((folder / "run.json").read_text())
    (folder / "run.json").write_text(json.dumps({**doc, "text": "another text"}))
    refused(folder, "run.json and run.npz in")
    refused(folder / "run.json", "describe different runs (their text differ)")
    assert explorer.load_run(folder / "run.npz").text == "the cat sat on the mat"  # the .npz alone is fine
    (folder / "run.json").write_text(json.dumps({**doc, "shapes": {**doc["shapes"], "q": [9, 9, 9, 9]}}))
    refused(folder, "(their shapes differ)")
    (folder / "run.json").write_text("[]")
    refused(folder, "is not a run.json this explorer writes")
    (folder / "run.json").write_bytes(b"\xff{")
    refused(folder, "cannot be read as a run.json")


@pytest.mark.parametrize(
    "data", [b"", b"PK\x03\x04 truncated", npy_bytes(np.zeros(3))], ids=["empty", "truncated-zip", "a-npy-file"]
)
def test_files_that_are_not_an_npz_are_refused(tmp_path, data):
    (tmp_path / "run.npz").write_bytes(data)
    refused(tmp_path / "run.npz", "is not a readable run.npz")
