"""An export: the files a selection makes, written to a folder or one zip, with progress and size estimates.

What an export holds (file names are built only from safe parts: layer and head numbers, a slug of the model):

    attention.csv                 long form, one row per (layer, head, query, key) of the selected heads:
                                  layer, head, query_index, query_token, key_index, key_token, weight, score
                                  (floats with 9 significant digits: they read back as the exact float32;
                                  a masked score is written -inf)
    run.json                      model, text, tokens with character spans, shapes, package versions, time;
                                  the attention weights of the selected heads only when they are at most
                                  JSON_ATTENTION_LIMIT numbers (all 72 heads of the bundled model: up to 58 tokens)
    run.npz                       the whole run (every layer and head, whatever the selection), float32 arrays
                                  and unicode token arrays: loads with np.load(path, allow_pickle=False);
                                  `load_run` turns it back into an Extraction equal to the original
    <model>_L<l>_H<h>.png / .svg  one heatmap per selected head: the app's Altair chart (views.attention.head_heatmap),
                                  rendered offline with vl-convert (no browser)
    <model>_all_heads.png         every head of every layer in one raster image (views.raster.all_heads_png)

Writers report progress through `progress(done, total, label)`; the command line turns it into a tqdm bar and the
Export page into st.progress.
"""

from __future__ import annotations

import functools
import io
import math
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

from explorer.errors import ExplorerError
from explorer.extract import Extraction
from explorer.io.rendering import chart_svg, head_chart
from explorer.io.runfiles import JSON_ATTENTION_LIMIT, npz_bytes, run_json, save_npz, write_attention_csv
from explorer.io.selection import Selection, head_stem, model_slug, select
from explorer.views.attention import HEATMAP_MAX_CELLS
from explorer.views.raster import all_heads_png, head_png

Progress = Callable[[int, int, str], None]  # (steps done, steps in all, what is being written)


@dataclass
class ExportFile:
    """One file of an export: its name, how many progress steps it takes, and how to write it."""

    name: str
    steps: int
    write: Callable[[IO[bytes], Callable[[], None]], None]  # write(binary file, tick) calls tick() once per step
    compress: bool = True  # worth deflating inside a zip (text); PNG and NPZ are stored as they are


def _writer(make: Callable[[], bytes]) -> Callable[[IO[bytes], Callable[[], None]], None]:
    """An ExportFile.write for a file made in one piece (one progress step)."""

    def write(f: IO[bytes], tick: Callable[[], None]) -> None:
        f.write(make())
        tick()

    return write


def plan(run: Extraction, sel: Selection) -> list[ExportFile]:
    """The files an export of `sel` writes, in writing order (small metadata first, images last)."""

    def write_npz(f: IO[bytes], tick: Callable[[], None]) -> None:
        save_npz(run, f)
        tick()

    def write_csv(f: IO[bytes], tick: Callable[[], None]) -> None:
        write_attention_csv(run, f, sel.pairs, tick)  # one step per head

    # SVG: the app's chart through Vega. PNG: the raster fast path (pixels straight from the map, no Vega).
    def head_bytes(layer: int, head: int, fmt: str) -> bytes:
        return chart_svg(head_chart(run, layer, head)) if fmt == "svg" else head_png(run, layer, head)

    files: list[ExportFile] = []
    if "json" in sel.formats:
        files.append(ExportFile("run.json", 1, _writer(lambda: run_json(run, sel))))
    if "npz" in sel.formats:
        files.append(ExportFile("run.npz", 1, write_npz, compress=False))
    if "csv" in sel.formats:
        files.append(ExportFile("attention.csv", len(sel.pairs), write_csv))
    if "png" in sel.formats:
        grid = _writer(lambda: all_heads_png(run))
        files.append(ExportFile(f"{model_slug(run)}_all_heads.png", 1, grid, False))
    for layer, head in sel.pairs:
        for fmt in ("svg", "png"):
            if fmt in sel.formats:
                make = functools.partial(head_bytes, layer, head, fmt)
                name = f"{head_stem(run, layer, head)}.{fmt}"
                files.append(ExportFile(name, 1, _writer(make), compress=fmt == "svg"))
    return files


def _ticker(files: Sequence[ExportFile], progress: Progress | None) -> Callable[[str], Callable[[], None]]:
    """A tick() per file that advances one shared count and reports it."""
    total = sum(f.steps for f in files)
    done = 0

    def for_file(name: str) -> Callable[[], None]:
        def tick() -> None:
            nonlocal done
            done += 1
            if progress is not None:
                progress(done, total, name)

        return tick

    if progress is not None:
        progress(0, total, "starting")
    return for_file


def prepare_folder(out_dir: str | Path) -> Path:
    """Create the output folder if needed and check that it can be written to (raises ExplorerError)."""
    out = Path(out_dir).expanduser()
    if out.exists() and not out.is_dir():
        raise ExplorerError(f"{out} is a file, not a folder: give --out a folder to write the export into.")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".explorer-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        reason = err.strerror or type(err).__name__
        raise ExplorerError(f"Cannot write to the folder {out} ({reason}): choose a folder you can write to.") from err
    return out


def write_export(
    run: Extraction,
    out_dir: str | Path,
    formats: str | Iterable[str] | None = None,
    layers: str | Iterable[int] | None = None,
    heads: str | Iterable[int] | None = None,
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> list[Path]:
    """Write the export of the chosen formats, layers and heads (None = all) into out_dir; return the paths.

    Files that already exist are left alone unless force=True: then nothing is written and an ExplorerError
    names them. Everything is checked before the first file is written.
    """
    sel = select(run, formats, layers, heads)
    out = prepare_folder(out_dir)
    files = plan(run, sel)
    existing = [f.name for f in files if (out / f.name).exists()]
    if existing and not force:
        others = len(existing) - 1
        which = f"{out / existing[0]}" + (f" and {others} other file{'s' if others > 1 else ''}" if others else "")
        verb = "exist" if len(existing) > 1 else "exists"
        raise ExplorerError(f"{which} already {verb}: use --force to overwrite, or choose another --out folder.")
    ticker = _ticker(files, progress)
    paths = []
    for file in files:
        path = out / file.name
        try:
            with open(path, "wb") as f:
                file.write(f, ticker(file.name))
        except OSError as err:
            raise ExplorerError(f"Could not write {path} ({err.strerror or err}): check the disk and folder.") from err
        paths.append(path)
    return paths


def build_zip(
    run: Extraction,
    formats: str | Iterable[str] | None = None,
    layers: str | Iterable[int] | None = None,
    heads: str | Iterable[int] | None = None,
    *,
    progress: Progress | None = None,
    compresslevel: int = 1,
) -> bytes:
    """The same export as `write_export`, as the bytes of one zip (files at the zip's top level)."""
    sel = select(run, formats, layers, heads)
    files = plan(run, sel)
    ticker = _ticker(files, progress)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as zf:
        for file in files:
            member: str | zipfile.ZipInfo = file.name  # deflated at `compresslevel` (the zip's default)
            if not file.compress:  # PNG and NPZ barely shrink: store them as they are
                member = zipfile.ZipInfo(file.name, date_time=datetime.now().timetuple()[:6])
                member.compress_type = zipfile.ZIP_STORED
            with zf.open(member, "w", force_zip64=True) as f:
                file.write(f, ticker(file.name))
    return buf.getvalue()


def estimate_sizes(run: Extraction, sel: Selection) -> dict[str, int]:
    """Rough bytes per format for an export of `sel` (before zip compression); npz is exact to a few kB."""
    n, pairs = run.n_tokens, len(sel.pairs)
    sizes: dict[str, int] = {}
    if "csv" in sel.formats:
        token_chars = sum(len(t.encode()) + len(str(i)) + 1 for i, t in enumerate(run.tokens))  # "i,token" per side
        per_head = 2 * n * token_chars + n * n * (2 + 2 + 2 + 6 + 1 + 11 + 12)  # ids, commas, two floats, newline
        sizes["csv"] = pairs * per_head + 80
    if "json" in sel.formats:
        weights = pairs * n * n if pairs * n * n <= JSON_ATTENTION_LIMIT else 0
        sizes["json"] = 2_000 + n * 110 + len(run.text.encode()) + weights * 12
    if "npz" in sel.formats:
        sizes["npz"] = npz_bytes(run) + 200  # + zip and .npy headers; counted, never built
    side = _heatmap_cells(n)
    # Image sizes fitted to the bundled model at 14, 64 and 512 tokens (rough: PNG bytes depend on the picture).
    if "png" in sel.formats:
        per_token = max(1, 640 // max(n, 1))  # head_png: whole pixels per token, at most 640 a side
        pixels = min(640, n * per_token) ** 2
        grid = 30_000 + int(1.6 * run.n_layers * run.n_heads * min(n, 112) ** 2)  # the all-heads raster
        sizes["png"] = pairs * (30_000 + int(pixels * (1.1 if per_token == 1 else 0.08))) + grid  # labels + map
    if "svg" in sel.formats:
        sizes["svg"] = pairs * (5_000 + 280 * side * side)  # one <path> of ~200-330 bytes per cell
    return sizes


def _heatmap_cells(n: int) -> int:
    """Cells per axis that head_heatmap draws for n tokens (it pools long texts into blocks)."""
    if n <= HEATMAP_MAX_CELLS:
        return n
    return math.ceil(n / math.ceil(n / HEATMAP_MAX_CELLS))


def human_bytes(n: float) -> str:
    """1234567 -> "1.2 MB" (powers of 1000, like file managers)."""
    for unit in ("bytes", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"  # pragma: no cover
