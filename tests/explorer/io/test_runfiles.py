"""explorer/io/runfiles.py: the CSV, JSON and NPZ of a run hold extract()'s numbers; load_run round trip."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from importlib.metadata import version

import numpy as np
import pytest

import explorer
from explorer import ExplorerError
from explorer.io import runfiles
from explorer.io.export import write_export
from explorer.io.runfiles import CSV_COLUMNS, run_json
from explorer.io.selection import select
from tests.support.files import read_csv

FIELDS = [f.name for f in dataclasses.fields(explorer.Extraction)]


ARRAYS = ("q", "k", "v", "scores", "attn", "context", "hidden", "attn_input")


def assert_same_run(got: explorer.Extraction, want: explorer.Extraction) -> None:
    """Field by field: arrays bit-equal with the same dtype and shape, everything else ==."""
    for name in FIELDS:
        a, b = getattr(got, name), getattr(want, name)
        if name == "masked":  # the model's mask, [L, N, N] bool, or None when nothing was masked
            assert (a is None and b is None) or np.array_equal(a, b), name
        elif name in ARRAYS:
            assert a.dtype == b.dtype == np.float32, name
            assert a.shape == b.shape, name
            assert np.array_equal(a, b), name
        else:
            assert a == b, name
            assert type(a) is type(b), name
    assert np.array_equal(np.asarray(got.scores), np.asarray(want.scores))  # computed from q, k and the mask


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


def test_load_run_round_trip_keeps_causal_masks(tiny_dirs, tmp_path):
    tiny = explorer.load_model(str(tiny_dirs["gpt2"]))
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


def test_a_long_runs_npz_keeps_q_k_and_masks_and_load_run_computes_the_maps(tiny_dirs, tmp_path, monkeypatch):
    """Above NPZ_MAPS_LIMIT run.npz leaves out scores and attn (N² per head); load_run gives back the same maps,
    computed on demand from q, k, the scale and the stored masks (a sliding window and the causal one)."""
    import explorer.io.runfiles as rf

    run = explorer.extract(
        explorer.load_model(str(tiny_dirs["mistral"])), "the cat sat on the mat because it was tired and the dog"
    )
    monkeypatch.setattr(rf, "NPZ_MAPS_LIMIT", 1)  # this short run counts as a long one
    rf.save_npz(run, tmp_path / "run.npz")
    with np.load(tmp_path / "run.npz") as z:
        assert "attn" not in z.files and "scores" not in z.files
        assert z["mask_patterns"].shape[1:] == (run.n_tokens, run.n_tokens)
        assert rf.npz_bytes(run) == pytest.approx((tmp_path / "run.npz").stat().st_size, rel=0.05)
    back = explorer.load_run(tmp_path / "run.npz")
    np.testing.assert_array_equal(np.asarray(back.attn), np.asarray(run.attn))
    np.testing.assert_array_equal(np.asarray(back.masked), np.asarray(run.masked))
    assert back.masked_keys(0)[-1].sum() > 0  # the sliding window hides early keys from the last query
