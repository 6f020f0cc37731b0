"""explorer/io/export.py: what write_export and build_zip write, existing and unwritable folders, size estimates."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest

from explorer import ExplorerError
from explorer.io.export import build_zip, estimate_sizes, write_export
from explorer.io.selection import select
from tests.support.files import read_csv


def test_full_data_export_writes_the_three_files(data_export):
    out, paths = data_export
    assert sorted(p.name for p in paths) == ["attention.csv", "run.json", "run.npz"]
    assert all(p.parent == out and p.stat().st_size > 0 for p in paths)


def test_existing_files_are_kept_without_force(apple_run, tmp_path):
    write_export(apple_run, tmp_path, "json")
    before = (tmp_path / "run.json").read_bytes()
    with pytest.raises(ExplorerError, match="already exists: use --force"):
        write_export(apple_run, tmp_path, "csv,json")
    assert not (tmp_path / "attention.csv").exists()  # checked before writing anything
    assert (tmp_path / "run.json").read_bytes() == before
    write_export(apple_run, tmp_path, "csv,json", force=True)
    assert (tmp_path / "attention.csv").exists()


def test_unwritable_folder_is_a_clear_error(apple_run, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(ExplorerError, match="Cannot write to the folder"):
        write_export(apple_run, blocker / "sub", "json")
    with pytest.raises(ExplorerError, match="is a file, not a folder"):
        write_export(apple_run, blocker, "json")


def test_zip_holds_the_same_files_as_the_folder(apple_run, tmp_path):
    reports = []
    data = build_zip(apple_run, "csv,json,npz,png", [1], "2-3", progress=lambda *a: reports.append(a))
    paths = write_export(apple_run, tmp_path, "csv,json,npz,png", [1], "2-3")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
        assert sorted(zf.namelist()) == sorted(p.name for p in paths)
        assert zf.read("attention.csv") == (tmp_path / "attention.csv").read_bytes()
        assert len(read_csv(zf.read("attention.csv"))) == 2 * 14 * 14
        assert zf.getinfo("run.npz").compress_type == zipfile.ZIP_STORED
        assert zf.getinfo("attention.csv").compress_type == zipfile.ZIP_DEFLATED
        back = np.load(io.BytesIO(zf.read("run.npz")), allow_pickle=False)
        assert np.array_equal(back["attn"], apple_run.attn)
    # Progress: starts at 0, counts up by one to the total (1 json + 1 npz + 2 csv heads + grid + 2 png).
    assert [r[0] for r in reports] == list(range(8))
    assert {r[1] for r in reports} == {7}


def test_estimates_are_near_the_real_sizes(apple_run, data_export):
    out, _ = data_export
    est = estimate_sizes(apple_run, select(apple_run, "csv,json,npz"))
    real = {"csv": "attention.csv", "json": "run.json", "npz": "run.npz"}
    for fmt, name in real.items():
        size = (out / name).stat().st_size
        assert 0.5 * size <= est[fmt] <= 2 * size, (fmt, est[fmt], size)
    assert abs(est["npz"] - (out / "run.npz").stat().st_size) < 20_000


def test_the_csv_of_cross_attention_pairs_decoder_queries_with_encoder_keys(tiny_dirs):
    import csv

    import explorer
    from explorer.io.runfiles import write_attention_csv

    bundle = explorer.load_model(str(tiny_dirs["t5"]))
    cross = explorer.extract(bundle, "the cat sat on the mat", target="apple pie and more apple juice").part("cross")
    assert cross.n_tokens != cross.n_keys
    buf = io.BytesIO()
    write_attention_csv(cross, buf, [(1, 2)])
    rows = list(csv.DictReader(io.StringIO(buf.getvalue().decode())))
    assert len(rows) == cross.n_tokens * cross.n_keys
    last = rows[-1]
    assert last["query_token"] == cross.tokens[-1] and last["key_token"] == cross.key_tokens[-1]
    weights = np.array([float(r["weight"]) for r in rows], np.float32).reshape(cross.n_tokens, cross.n_keys)
    np.testing.assert_array_equal(weights, cross.attn[1, 2])
