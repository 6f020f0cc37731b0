"""explorer/export.py: every format exists and parses, numbers equal extract()'s, load_run round trip, safe names."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
import xml.etree.ElementTree as ET
import zipfile
from datetime import datetime
from importlib.metadata import version

import numpy as np
import pytest
from PIL import Image

import explorer
from explorer import ExplorerError
from explorer.io import runfiles
from explorer.io.export import build_zip, estimate_sizes, plan, write_export
from explorer.io.rendering import head_image
from explorer.io.runfiles import CSV_COLUMNS, run_json
from explorer.io.selection import (
    FORMATS,
    format_indices,
    model_slug,
    parse_formats,
    parse_indices,
    safe_stem,
    select,
    slug,
)

FIELDS = [f.name for f in dataclasses.fields(explorer.Extraction)]
ARRAYS = ("q", "k", "v", "scores", "attn", "context", "hidden", "attn_input")


def assert_same_run(got: explorer.Extraction, want: explorer.Extraction) -> None:
    """Field by field: arrays bit-equal with the same dtype and shape, everything else ==."""
    for name in FIELDS:
        a, b = getattr(got, name), getattr(want, name)
        if name == "blocked":  # the model's mask, [L, N, N] bool, or None when nothing was masked
            assert (a is None and b is None) or np.array_equal(a, b), name
        elif name in ARRAYS:
            assert a.dtype == b.dtype == np.float32, name
            assert a.shape == b.shape, name
            assert np.array_equal(a, b), name
        else:
            assert a == b, name
            assert type(a) is type(b), name


def read_csv(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


@pytest.fixture(scope="module")
def data_export(apple_run, tmp_path_factory):
    """csv, json and npz of every head of apple_run."""
    out = tmp_path_factory.mktemp("data")
    paths = write_export(apple_run, out, "csv,json,npz")
    return out, paths


@pytest.fixture(scope="module")
def image_export(apple_run, tmp_path_factory):
    """png and svg of layers 0 and 5, heads 0 and 11 (4 heads), plus the all-heads grid."""
    out = tmp_path_factory.mktemp("images")
    paths = write_export(apple_run, out, "png,svg", layers="0,5", heads=[0, 11])
    return out, paths


def test_full_data_export_writes_the_three_files(data_export):
    out, paths = data_export
    assert sorted(p.name for p in paths) == ["attention.csv", "run.json", "run.npz"]
    assert all(p.parent == out and p.stat().st_size > 0 for p in paths)


def test_csv_has_one_row_per_layer_head_query_key_with_exact_values(apple_run, data_export):
    out, _ = data_export
    rows = read_csv((out / "attention.csv").read_bytes())
    run = apple_run
    L, H, N = run.n_layers, run.n_heads, run.n_tokens
    assert (L, H, N) == (6, 12, 14)
    assert len(rows) == L * H * N * N == 14_112
    assert list(rows[0]) == list(CSV_COLUMNS)
    # Row order: layer, head, query, key (row-major), so the columns reshape straight into [L, H, N, N].
    idx = np.array([[int(r["layer"]), int(r["head"]), int(r["query_index"]), int(r["key_index"])] for r in rows])
    want_idx = np.stack(np.unravel_index(np.arange(L * H * N * N), (L, H, N, N)), axis=1)
    assert np.array_equal(idx, want_idx)
    weight = np.array([float(r["weight"]) for r in rows], dtype=np.float32).reshape(L, H, N, N)
    score = np.array([float(r["score"]) for r in rows], dtype=np.float32).reshape(L, H, N, N)
    assert np.array_equal(weight, run.attn)  # 9 significant digits read back as the very same float32
    assert np.array_equal(score, run.scores)
    # Tokens, including the comma token (quoted in the file), match the index columns.
    assert [r["key_token"] for r in rows[:N]] == run.tokens
    assert {r["query_token"] for r in rows if r["query_index"] == "6"} == {","}
    assert all(r["query_token"] == run.tokens[int(r["query_index"])] for r in rows[:: N + 1])


def test_json_has_metadata_tokens_spans_versions_and_small_attention(apple_run, data_export):
    out, _ = data_export
    doc = json.loads((out / "run.json").read_text(encoding="utf-8"))
    run = apple_run
    assert doc["text"] == run.text
    assert doc["model"]["name"] == explorer.DEFAULT_MODEL
    assert doc["model"]["architecture"] == "BertModel"
    assert (doc["model"]["n_layers"], doc["model"]["n_heads"], doc["model"]["d_head"]) == (6, 12, 32)
    assert [t["token"] for t in doc["tokens"]] == run.tokens
    assert [t["id"] for t in doc["tokens"]] == run.token_ids
    for t in doc["tokens"]:
        if not t["special"]:  # a span cuts the token out of the text (case kept: "Apple", "iPhone")
            assert run.text[t["start"] : t["end"]] == t["token"]
    assert doc["tokens"][0]["token"] == "[CLS]" and doc["tokens"][0]["special"]
    assert doc["shapes"]["attn"] == [6, 12, 14, 14] and doc["shapes"]["q"] == [6, 12, 14, 32]
    assert doc["versions"]["torch"] == version("torch")
    assert doc["versions"]["transformers"] == version("transformers")
    created = datetime.fromisoformat(doc["created"])
    assert created.tzinfo is not None and abs((datetime.now(created.tzinfo) - created).total_seconds()) < 3600
    att = doc["attention"]
    assert att["layers"] == list(range(6)) and att["heads"] == list(range(12))
    assert np.array_equal(np.array(att["weights"], dtype=np.float32), run.attn)


def test_json_leaves_out_attention_above_the_limit(apple_run, monkeypatch):
    monkeypatch.setattr(runfiles, "JSON_ATTENTION_LIMIT", 14 * 14 * 2)  # two heads' worth
    small = json.loads(run_json(apple_run, select(apple_run, "json", [1], [2, 3])))
    assert np.array_equal(np.array(small["attention"]["weights"], np.float32), apple_run.attn[1:2, 2:4])
    big = json.loads(run_json(apple_run, select(apple_run, "json", [1], [2, 3, 4])))
    assert big["attention"] is None
    assert "attention.csv or run.npz" in big["attention_note"]


def test_npz_loads_without_pickle_and_equals_extract(bundle, apple_run, data_export):
    out, _ = data_export
    fresh = explorer.extract(bundle, apple_run.text)  # a second, independent forward pass
    with np.load(out / "run.npz", allow_pickle=False) as z:
        assert {"tokens", "q", "k", "v", "scores", "attn", "context"} <= set(z.files)
        assert z["tokens"].dtype.kind == "U"
        assert z["tokens"].tolist() == fresh.tokens
        assert z["token_ids"].tolist() == fresh.token_ids
        for name in ("q", "k", "v", "scores", "attn", "context"):
            assert z[name].dtype == np.float32, name
            np.testing.assert_allclose(z[name], getattr(fresh, name), rtol=1e-5, atol=1e-6, err_msg=name)
            assert np.array_equal(z[name], getattr(apple_run, name)), name
        np.testing.assert_allclose(z["attn"].sum(-1), 1.0, atol=1e-5)


def test_load_run_round_trip_from_folder_npz_and_json(apple_run, data_export):
    out, _ = data_export
    for path in (out, out / "run.npz", out / "run.json", str(out / "run.npz")):
        assert_same_run(explorer.load_run(path), apple_run)


def test_load_run_round_trip_keeps_causal_masks(tmp_path):
    from tests.tiny_models import make_tiny

    tiny = explorer.load_model(str(make_tiny("gpt2", tmp_path / "gpt2")))
    run = explorer.extract(tiny, "the cat sat on the mat")
    assert run.is_causal and np.isneginf(run.scores).any()
    write_export(run, tmp_path / "out", "csv,npz")
    back = explorer.load_run(tmp_path / "out")
    assert_same_run(back, run)
    rows = read_csv((tmp_path / "out" / "attention.csv").read_bytes())
    masked = [r for r in rows if int(r["key_index"]) > int(r["query_index"])]
    assert masked and all(r["score"] == "-inf" and float(r["weight"]) == 0.0 for r in masked)


def test_load_run_errors_say_what_to_do(tmp_path):
    with pytest.raises(ExplorerError, match="python -m explorer export"):
        explorer.load_run(tmp_path)
    (tmp_path / "run.npz").write_bytes(b"not a zip")
    with pytest.raises(ExplorerError, match="not a readable run.npz"):
        explorer.load_run(tmp_path)


def test_pngs_decode_with_sensible_size(apple_run, image_export):
    out, paths = image_export
    names = sorted(p.name for p in paths)
    stems = [f"all-minilm-l6-v2_L{layer:02d}_H{head:02d}" for layer in (0, 5) for head in (0, 11)]
    assert names == sorted([f"{s}.{e}" for s in stems for e in ("png", "svg")] + ["all-minilm-l6-v2_all_heads.png"])
    for stem in stems:
        with Image.open(out / f"{stem}.png") as im:
            im.load()
            assert im.format == "PNG"
            w, h = im.size
            # 14 tokens: a ~240 px map plus axes, labels and legend, at scale 2.
            assert 500 <= w <= 2500 and 500 <= h <= 2500, im.size
            pixels = np.asarray(im.convert("RGB"), dtype=np.int16)
            assert pixels.std() > 20  # not blank
    with Image.open(out / "all-minilm-l6-v2_all_heads.png") as grid:
        w, h = grid.size
        assert w > h and w >= 12 * 50 and h >= 6 * 50  # 12 heads across, 6 layers down


def test_svgs_parse_and_carry_the_title(image_export):
    out, _ = image_export
    root = ET.parse(out / "all-minilm-l6-v2_L05_H11.svg").getroot()
    assert root.tag.endswith("svg")
    texts = [t.text or "" for t in root.iter() if t.tag.endswith("text")]
    assert any("layer 5, head 11" in t and "all-MiniLM-L6-v2" in t for t in texts), texts[:5]
    assert any(t == "4 apple" for t in texts)  # token labels on the axes
    assert sum(1 for e in root.iter() if e.tag.endswith("path")) >= 14 * 14  # one shape per cell


def test_png_of_a_long_text_stays_feasible(bundle):
    """512 tokens: the chart pools into blocks (as in the app), so one head renders in seconds, not minutes."""
    run = explorer.extract(bundle, "word " * 600, max_tokens=512)
    assert run.n_tokens == 512
    png = head_image(run, 2, 3, "png")
    with Image.open(io.BytesIO(png)) as im:
        assert max(im.size) <= 3000
    assert len(png) < 3_000_000


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


@pytest.mark.parametrize(
    ("spec", "want"),
    [(None, list(FORMATS)), ("all", list(FORMATS)), ("npz, CSV", ["csv", "npz"]), ([".png"], ["png"])],
)
def test_parse_formats(spec, want):
    assert parse_formats(spec) == want


def test_unknown_format_names_the_choices():
    with pytest.raises(ExplorerError, match="Unknown format 'pdf': choose from png, svg, csv, json, npz"):
        parse_formats("png,pdf")


@pytest.mark.parametrize(
    ("spec", "want"), [("0,3", [0, 3]), ("1-4", [1, 2, 3, 4]), ("5, 0-1,1", [0, 1, 5]), (None, list(range(6)))]
)
def test_parse_indices(spec, want):
    assert parse_indices(spec, 6) == want
    assert parse_indices(format_indices(want), 6) == want


@pytest.mark.parametrize(
    ("spec", "message"),
    [("6", "Layer 6 does not exist: this model has layers 0 to 5"), ("4-2", "runs backwards"), ("a", "0,3 or 1-4")],
)
def test_bad_indices(spec, message):
    with pytest.raises(ExplorerError, match=message):
        parse_indices(spec, 6, "layer")


def test_file_names_come_only_from_safe_parts(apple_run, tmp_path):
    evil = dataclasses.replace(apple_run, model_name="../../etc/x", meta={"display_name": "../My Model/..\\v2:*"})
    assert model_slug(evil) == "my-model-v2"
    names = [f.name for f in plan(evil, select(evil, "png,svg,csv,json,npz", [0], [1]))]
    assert names == [
        "run.json",
        "run.npz",
        "attention.csv",
        "my-model-v2_all_heads.png",
        "my-model-v2_L00_H01.svg",
        "my-model-v2_L00_H01.png",
    ]
    assert all(re.fullmatch(r"[A-Za-z0-9_-]+\.[a-z]+", n) for n in names)
    assert safe_stem("attn L3/H7: ../x") == "attn-L3-H7-x"
    assert slug("...") == "model"


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
