"""explorer/io/csvbytes.py, the export's attention.csv writer: every float as Python's own "%.9g" writes it, every
file byte for byte what runfiles.write_attention_csv (the plain one-value-at-a-time writer) writes; and build_zip's
streamed CSV: progress on the caller's thread, nothing returned when making it fails."""

from __future__ import annotations

import dataclasses
import io
import threading
import zipfile

import numpy as np
import pytest

import explorer
from explorer.io import csvbytes, runfiles
from explorer.io.export import build_zip, write_export
from explorer.io.selection import head_stem
from explorer.views.raster import head_png, head_svg


def python_texts(values: np.ndarray) -> list[str]:
    return [f"{v:.9g}" for v in np.asarray(values, np.float32).tolist()]


def test_random_float32_bit_patterns_are_written_as_python_writes_them():
    bits = np.random.default_rng(7).integers(0, 2**32, 300_000, dtype=np.uint64).astype(np.uint32)
    values = bits.view(np.float32)  # every exponent, subnormals, infinities and NaNs included
    assert csvbytes.float_texts(values) == python_texts(values)


def test_edge_values_are_written_as_python_writes_them():
    powers = np.array([10.0**k for k in range(-45, 39)], np.float32)
    values = np.concatenate(
        [
            [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 3.4028235e38, 1e-4, 1e-5, 0.5, 123456789, 99999.9999],
            powers,
            np.nextafter(powers, np.float32(np.inf)),  # just above and below every power of ten: 9.99999e-05 …
            np.nextafter(powers, np.float32(0)),
            -np.nextafter(powers, np.float32(0)),
            np.arange(-3000, 3000) * 0.25,  # whole numbers and short fractions: "-750", "12.25"
        ]
    ).astype(np.float32)
    assert csvbytes.float_texts(values) == python_texts(values)


def test_rounding_ties_and_near_ties_are_decided_as_python_decides_them():
    # 1000000.125, …: ten significant digits ending in 5, exactly; the ninth digit is rounded to even
    ties = (np.arange(8_000_000, 8_020_000) / 8).astype(np.float32)
    assert csvbytes.float_texts(ties) == python_texts(ties)
    assert csvbytes.float_texts(np.array([1000000.125, 1000000.375], np.float32)) == ["1000000.12", "1000000.38"]
    # within 1e-7 of a tie, where float64's |x|·10^k lands on the wrong side (4 of 2e8 random float32 values):
    # Python's own rounding decides these
    near = np.array([3.7524328e-31, 6.839422e-23, 6.476829e-22, 7.2377905e31], np.float32)
    assert csvbytes.float_texts(near) == python_texts(near) == ["3.75243281e-31", "6.83942215e-23", "6.47682925e-22",
                                                                 "7.23779053e+31"]  # fmt: skip


def test_attention_weights_read_back_as_the_same_float32():
    weights = np.random.default_rng(0).dirichlet(np.ones(300), 200).astype(np.float32).reshape(-1)
    back = np.array([np.float32(t) for t in csvbytes.float_texts(weights)])
    np.testing.assert_array_equal(back, weights)


def plain_and_fast(run, pairs) -> tuple[bytes, bytes]:
    plain, fast = io.BytesIO(), io.BytesIO()
    runfiles.write_attention_csv(run, plain, pairs)
    csvbytes.write_attention_csv(run, fast, pairs)
    return plain.getvalue(), fast.getvalue()


def test_the_csv_equals_the_plain_writers_for_every_head(apple_run, monkeypatch):
    monkeypatch.setattr(csvbytes, "BLOCK_CELLS", 5 * apple_run.n_keys)  # blocks of 5 query rows: a short last one
    pairs = [(layer, head) for layer in range(apple_run.n_layers) for head in range(apple_run.n_heads)]
    plain, fast = plain_and_fast(apple_run, pairs)
    assert fast == plain and len(plain.splitlines()) == 1 + len(pairs) * apple_run.n_tokens**2


def test_the_csv_of_a_causal_model_writes_masked_cells_as_the_plain_writer(tiny_dirs):
    run = explorer.extract(explorer.load_model(str(tiny_dirs["gpt2"])), "the cat sat on the mat because it was tired")
    plain, fast = plain_and_fast(run, [(0, 0), (1, 3)])
    assert fast == plain and b",0,-inf\n" in fast  # a masked key: weight 0, score -inf


def test_the_csv_of_cross_attention_equals_the_plain_writers(tiny_dirs):
    bundle = explorer.load_model(str(tiny_dirs["t5"]))
    cross = explorer.extract(bundle, "the cat sat on the mat", target="apple pie and more apple juice").part("cross")
    assert cross.n_tokens != cross.n_keys
    plain, fast = plain_and_fast(cross, [(1, 2), (0, 0)])
    assert fast == plain


HOSTILE = ['=HYPERLINK("http://evil.test","x")', "+cmd|' /C calc'!A0", "@SUM(A1)", "-", "a,b", 'say "hi"',
           "line\nbreak", " padded ", "打野来抓上单", "'=1", "x" * 40]  # fmt: skip


def test_hostile_tokens_are_quoted_and_neutralised_as_by_the_plain_writer(apple_run):
    tokens = list(apple_run.tokens)
    tokens[1 : 1 + len(HOSTILE)] = HOSTILE
    run = dataclasses.replace(apple_run, tokens=tokens)
    plain, fast = plain_and_fast(run, [(0, 0), (5, 11)])
    assert fast == plain
    assert b"'=HYPERLINK" in fast and b'"a,b"' in fast and b'"line\nbreak"' in fast


def test_a_token_with_a_zero_byte_is_written_by_the_plain_writer(apple_run):
    tokens = list(apple_run.tokens)
    tokens[2] = "nul\0byte"  # a zero byte is a gap in the fast writer's lines
    run = dataclasses.replace(apple_run, tokens=tokens)
    plain, fast = plain_and_fast(run, [(0, 0)])
    assert fast == plain and b"nul\0byte" in fast


def test_the_zip_reports_progress_on_the_callers_thread(apple_run):
    threads = set()
    data = build_zip(apple_run, "csv,json", progress=lambda *a: threads.add(threading.get_ident()))
    assert threads == {threading.get_ident()}  # the Export page's progress bar can only be moved from its thread
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
        plain = io.BytesIO()
        runfiles.write_attention_csv(apple_run, plain)
        assert zf.read("attention.csv") == plain.getvalue()


def test_a_zip_whose_csv_fails_is_not_made_and_its_maker_stops(apple_run, monkeypatch):
    def broken(run, f, pairs=None, tick=None):
        f.write(b"layer,head\n")
        raise MemoryError("no room for the next block")

    monkeypatch.setattr("explorer.io.export.write_attention_csv", broken)
    with pytest.raises(MemoryError, match="next block"):
        build_zip(apple_run, "csv,json")
    monkeypatch.undo()

    def stop(done, total, name):  # the reader fails while the CSV is still being made
        if name == "attention.csv" and done > 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build_zip(apple_run, "csv", progress=stop)
    assert not [t for t in threading.enumerate() if t.name.startswith("export-")]  # its thread ended too


def test_exported_images_are_the_heads_own_png_and_svg(apple_run, tmp_path):
    paths = write_export(apple_run, tmp_path, "png,svg", [1, 4], [0, 7])  # a head's PNG and SVG share one picture
    images = {p.name: p.read_bytes() for p in paths}
    for layer, head in [(1, 0), (1, 7), (4, 0), (4, 7)]:
        stem = head_stem(apple_run, layer, head)
        assert images[f"{stem}.png"] == head_png(apple_run, layer, head)
        assert images[f"{stem}.svg"] == head_svg(apple_run, layer, head)
