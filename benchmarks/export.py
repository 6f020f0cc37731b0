"""Benchmark: full export of the bundled model at 512 tokens (6 layers x 12 heads = 72 heads): time, bytes per format.

    python benchmarks/export.py [--tokens 512] [--formats png,svg,csv,json,npz] [--zip]

Each format is written on its own into a fresh folder (so its time is its own), then all formats together (PNG
and SVG are drawn from one raster picture of the map: views.raster.head_png / head_svg, no Vega). --zip also times
build_zip (the Export page's path) for all formats.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import explorer  # noqa: E402
from explorer.io import export as ex  # noqa: E402
from explorer.io.selection import parse_formats  # noqa: E402

PARAGRAPH = (
    "Attention lets every token look at every other token. In a multi-head layer each head projects the "
    "same hidden states into its own small query, key and value spaces, so one head can follow syntax while "
    "another tracks the previous word, the sentence boundary or the subject of a verb. "
)


def write(run: explorer.Extraction, formats: str) -> tuple[float, int, int]:
    """Seconds, bytes and files of one write_export into a fresh folder."""
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        paths = ex.write_export(run, folder, formats)
        seconds = time.perf_counter() - start
        return seconds, sum(p.stat().st_size for p in paths), len(paths)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=512)
    parser.add_argument("--formats", default="png,svg,csv,json,npz")
    parser.add_argument("--zip", action="store_true", help="also time build_zip for all the formats")
    args = parser.parse_args()

    bundle = explorer.load_model()
    text = PARAGRAPH * (1 + args.tokens // 40)
    run = explorer.extract(bundle, text, max_tokens=args.tokens)
    heads = run.n_layers * run.n_heads
    print(f"{bundle.summary()}")
    print(f"{run.n_tokens} tokens, {heads} heads")
    estimates = ex.estimate_sizes(run, ex.select(run, args.formats))

    print(f"\n{'format':<8}{'files':>6}{'seconds':>10}{'per head':>10}{'bytes':>14}{'estimate':>12}{'MB/s':>8}")
    total_s = 0.0
    for fmt in parse_formats(args.formats):
        seconds, size, files = write(run, fmt)
        total_s += seconds
        per_head = f"{seconds / heads * 1000:.0f} ms" if fmt in ("png", "svg", "csv") else ""
        print(
            f"{fmt:<8}{files:>6}{seconds:>10.2f}{per_head:>10}{size:>14,}{ex.human_bytes(estimates[fmt]):>12}"
            f"{size / 1e6 / seconds:>8.1f}"
        )
    seconds, size, files = write(run, args.formats)
    print(f"{'all':<8}{files:>6}{seconds:>10.2f}{'':>10}{size:>14,}{'':>12}{size / 1e6 / seconds:>8.1f}")
    print(f"sum of the single-format runs: {total_s:.1f} s; together: {seconds:.1f} s ({total_s / seconds:.2f}x)")

    if args.zip:
        start = time.perf_counter()
        data = ex.build_zip(run, args.formats)
        zip_s = time.perf_counter() - start
        print(f"zip     {zip_s:.2f} s, {len(data):,} bytes ({len(data) / size:.2f} of the folder's bytes)")


if __name__ == "__main__":
    main()
