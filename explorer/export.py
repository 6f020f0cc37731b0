"""Export a run: PNG/SVG heatmaps, attention.csv, run.json, run.npz (to a folder or one zip), and load_run().

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
    <model>_L<l>_H<h>.png / .svg  one heatmap per selected head: the app's Altair chart (charts.head_heatmap),
                                  rendered offline with vl-convert (no browser)
    <model>_all_heads.png         every head of every layer in one raster image (charts.all_heads_png)

Writers report progress through `progress(done, total, label)`; the command line turns it into a tqdm bar and the
Export page into st.progress.
"""

from __future__ import annotations

import functools
import io
import json
import math
import re
import sys
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from explorer.errors import ExplorerError
from explorer.extract import Extraction

if TYPE_CHECKING:
    import altair as alt

FORMATS = ("png", "svg", "csv", "json", "npz")
FORMAT_LABELS = {
    "png": "PNG heatmaps (one per head, plus an all-heads grid)",
    "svg": "SVG heatmaps (one per head, vector)",
    "csv": "attention.csv (long form)",
    "json": "run.json (metadata; weights when small)",
    "npz": "run.npz (every array, float32)",
}
JSON_ATTENTION_LIMIT = 250_000  # weights written into run.json only up to this many numbers (72 heads x 58²)
PNG_SCALE = 2.0  # pixel density of the PNG heatmaps (2 = crisp on slides and in papers)
CSV_COLUMNS = ("layer", "head", "query_index", "query_token", "key_index", "key_token", "weight", "score")
NPZ_ARRAYS = ("q", "k", "v", "scores", "attn", "context", "hidden", "attn_input")  # float32 in run.npz

Progress = Callable[[int, int, str], None]  # (steps done, steps in all, what is being written)


# --- names and selections ----------------------------------------------------------------------------------


def slug(name: str, fallback: str = "model") -> str:
    """A file-name-safe slug: lower-case letters, digits and single dashes ("all-MiniLM-L6-v2 (bundled)" ->
    "all-minilm-l6-v2-bundled"). Path separators, dots and anything else become dashes; at most 48 characters."""
    text = re.sub(r"[^a-z0-9]+", "-", str(name).lower()).strip("-")[:48].strip("-")
    return text or fallback


def safe_stem(text: str, fallback: str = "chart") -> str:
    """A file name stem from letters, digits, "_" and "-" only (no dots or separators); at most 80 characters."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", str(text)).strip("-_")[:80].strip("-_")
    return stem or fallback


def model_slug(run: Extraction) -> str:
    """Slug of the model's short name (the folder's last part for a local path)."""
    name = run.meta.get("display_name") or Path(str(run.model_name).rstrip("/\\")).name or run.model_name
    return slug(name)


def head_stem(run: Extraction, layer: int, head: int) -> str:
    """File name stem of one head's heatmap: "<model>_L03_H07"."""
    return f"{model_slug(run)}_L{int(layer):02d}_H{int(head):02d}"


def parse_formats(spec: str | Iterable[str] | None) -> list[str]:
    """ "png,csv" or ["png", "csv"] -> ["png", "csv"] in FORMATS order; None or "all" -> every format."""
    if spec is None:
        return list(FORMATS)
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    wanted = [str(s).strip().lower().lstrip(".") for s in items if str(s).strip()]
    if wanted == ["all"]:
        return list(FORMATS)
    if not wanted:
        raise ExplorerError(f"No format given: choose one or more of {', '.join(FORMATS)}.")
    unknown = [w for w in wanted if w not in FORMATS]
    if unknown:
        raise ExplorerError(f"Unknown format {unknown[0]!r}: choose from {', '.join(FORMATS)} (comma-separated).")
    return [f for f in FORMATS if f in wanted]


def parse_indices(spec: str | Iterable[int] | None, count: int | None = None, what: str = "layer") -> list[int] | None:
    """ "0,3", "1-4", "0,2-5" or [0, 3] -> sorted unique indices; None or "all" -> every index (None if count unknown).

    With `count` given, indices must lie in 0 .. count - 1; ranges are inclusive ("1-4" is 1, 2, 3, 4).
    """
    if spec is None or (isinstance(spec, str) and spec.strip().lower() in ("", "all")):
        return None if count is None else list(range(count))
    if isinstance(spec, str):
        out: set[int] = set()
        for part in spec.split(","):
            part = part.strip()
            if not part:
                continue
            m = re.fullmatch(r"(\d+)\s*-\s*(\d+)|(\d+)", part)
            if m is None:
                raise ExplorerError(
                    f"Cannot read {what}s {spec!r}: use numbers and ranges such as 0,3 or 1-4 (counting from 0)."
                )
            if m.group(3) is not None:
                out.add(int(m.group(3)))
            else:
                lo, hi = int(m.group(1)), int(m.group(2))
                if hi < lo:
                    raise ExplorerError(f"The {what} range {part!r} runs backwards: write the smaller number first.")
                out.update(range(lo, hi + 1))
        indices = sorted(out)
    else:
        try:
            indices = sorted({int(i) for i in spec})
        except (TypeError, ValueError) as err:
            raise ExplorerError(f"{what.capitalize()}s must be whole numbers, not {spec!r}.") from err
    if not indices:
        raise ExplorerError(f"No {what} chosen: pick at least one.")
    if count is not None:
        bad = [i for i in indices if not 0 <= i < count]
        if bad:
            raise ExplorerError(
                f"{what.capitalize()} {bad[0]} does not exist: this model has {what}s 0 to {count - 1}."
            )
    return indices


def format_indices(indices: Iterable[int]) -> str:
    """[0, 1, 2, 5] -> "0-2,5": the inverse of parse_indices, for showing a selection or a command line."""
    out: list[str] = []
    streak: list[int] = []
    for i in sorted(set(indices)):
        if streak and i == streak[-1] + 1:
            streak.append(i)
            continue
        if streak:
            out.append(f"{streak[0]}-{streak[-1]}" if len(streak) > 2 else ",".join(map(str, streak)))
        streak = [i]
    if streak:
        out.append(f"{streak[0]}-{streak[-1]}" if len(streak) > 2 else ",".join(map(str, streak)))
    return ",".join(out)


@dataclass(frozen=True)
class Selection:
    """What to export: formats, and the layers and heads whose maps go into images, CSV and JSON."""

    formats: tuple[str, ...]
    layers: tuple[int, ...]
    heads: tuple[int, ...]

    @property
    def pairs(self) -> list[tuple[int, int]]:
        return [(layer, head) for layer in self.layers for head in self.heads]


def select(
    run: Extraction,
    formats: str | Iterable[str] | None = None,
    layers: str | Iterable[int] | None = None,
    heads: str | Iterable[int] | None = None,
) -> Selection:
    """Check formats, layers and heads against the run (None = all) and return the Selection."""
    return Selection(
        formats=tuple(parse_formats(formats)),
        layers=tuple(parse_indices(layers, run.n_layers, "layer")),
        heads=tuple(parse_indices(heads, run.n_heads, "head")),
    )


# --- the files of an export ----------------------------------------------------------------------------------


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

    # Each head's chart is rendered to SVG once; its PNG is drawn from that SVG (same pixels as vl-convert's PNG).
    last_svg: dict[tuple[int, int], bytes] = {}

    from explorer import charts

    def head_bytes(layer: int, head: int, fmt: str) -> bytes:
        if (layer, head) not in last_svg:
            last_svg.clear()
            last_svg[(layer, head)] = chart_svg(head_chart(run, layer, head))
        svg = last_svg[(layer, head)]
        return svg if fmt == "svg" else svg_to_png(svg)

    files: list[ExportFile] = []
    if "json" in sel.formats:
        files.append(ExportFile("run.json", 1, _writer(lambda: run_json(run, sel))))
    if "npz" in sel.formats:
        files.append(ExportFile("run.npz", 1, write_npz, compress=False))
    if "csv" in sel.formats:
        files.append(ExportFile("attention.csv", len(sel.pairs), write_csv))
    if "png" in sel.formats:
        grid = _writer(lambda: charts.all_heads_png(run))
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
        sizes["npz"] = sum(a.nbytes + 400 for a in npz_arrays(run).values()) + 200  # + zip and .npy headers
    side = _heatmap_cells(n)
    # Image sizes fitted to the bundled model at 14, 64 and 512 tokens (rough: PNG bytes depend on the picture).
    if "png" in sel.formats:
        side_px = min(640, max(240, 16 * side))  # the chart's width and height (charts.head_heatmap's default)
        grid = 30_000 + int(1.6 * run.n_layers * run.n_heads * min(n, 112) ** 2)  # the all-heads raster
        sizes["png"] = pairs * int(150_000 + 0.014 * side * side_px**2) + grid  # axes and legend + the map
    if "svg" in sel.formats:
        sizes["svg"] = pairs * (5_000 + 280 * side * side)  # one <path> of ~200-330 bytes per cell
    return sizes


def _heatmap_cells(n: int) -> int:
    """Cells per axis that charts.head_heatmap draws for n tokens (it pools long texts into blocks)."""
    from explorer.charts import HEATMAP_MAX_CELLS

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


# --- CSV -----------------------------------------------------------------------------------------------------


def _csv_field(text: str) -> str:
    """A CSV field (RFC 4180): quoted when it holds a comma, quote, or line break."""
    if any(c in text for c in ',"\n\r') or text != text.strip():
        return '"' + text.replace('"', '""') + '"'
    return text


def _floats(a: np.ndarray) -> list[str]:
    """float32 values as text with 9 significant digits: enough for each to read back as the same float32."""
    return [f"{x:.9g}" for x in a.tolist()]


def write_attention_csv(
    run: Extraction,
    f: IO[bytes],
    pairs: Iterable[tuple[int, int]] | None = None,
    tick: Callable[[], None] | None = None,
) -> None:
    """attention.csv in long form for the (layer, head) pairs (default: all), query-major within each head.

    Writes one head at a time (one N x N map in memory as text), so a 512-token export stays small in memory.
    """
    if pairs is None:
        pairs = [(layer, head) for layer in range(run.n_layers) for head in range(run.n_heads)]
    n = run.n_tokens
    index_token = [f"{i},{_csv_field(t)}" for i, t in enumerate(run.tokens)]  # "3,apple"
    f.write((",".join(CSV_COLUMNS) + "\n").encode())
    for layer, head in pairs:
        weights = _floats(run.attn[layer][head].reshape(-1))  # [N*N] row-major: query, then key
        scores = _floats(run.scores[layer][head].reshape(-1))
        lines = []
        for qi in range(n):
            prefix = f"{layer},{head},{index_token[qi]},"
            row = qi * n
            lines.append(
                "".join(f"{prefix}{index_token[ki]},{weights[row + ki]},{scores[row + ki]}\n" for ki in range(n))
            )
        f.write("".join(lines).encode())
        if tick is not None:
            tick()


# --- JSON ----------------------------------------------------------------------------------------------------


def package_versions() -> dict[str, str]:
    """Versions of Python and the packages that shape the numbers and the images."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": sys.version.split()[0]}
    for name in ("numpy", "torch", "transformers", "tokenizers", "altair", "vl-convert-python", "pillow"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            continue
    return out


def _float32_list(a: np.ndarray) -> Any:
    """Nested lists of 9-digit decimals that read back as the same float32 (not 17-digit doubles)."""
    flat = np.array([float(x) for x in _floats(a.reshape(-1))])
    return flat.reshape(a.shape).tolist()


def run_metadata(run: Extraction, sel: Selection | None = None) -> dict[str, Any]:
    """Everything about a run except its big arrays (those live in run.npz); JSON-ready."""
    sel = sel or select(run)
    L, H, N, d = run.n_layers, run.n_heads, run.n_tokens, run.d_head
    return {
        "model": {
            "name": run.model_name,
            "display_name": run.meta.get("display_name", run.model_name),
            "architecture": run.architecture,
            "family": run.meta.get("family"),
            "n_layers": L,
            "n_heads": H,
            "n_kv_heads": run.n_kv_heads,
            "d_head": d,
            "d_model": int(run.hidden.shape[-1]),
            "is_causal": run.is_causal,
        },
        "text": run.text,
        "tokens": [
            {"index": i, "token": t, "raw": r, "id": tid, "start": s, "end": e, "special": sp}
            for i, (t, r, tid, (s, e), sp) in enumerate(
                zip(run.tokens, run.raw_tokens, run.token_ids, run.offsets, run.special)
            )
        ],
        "n_tokens": N,
        "n_tokens_total": run.n_tokens_total,
        "truncated": run.truncated,
        "scale": [float(s) for s in run.scale],
        "shapes": {
            "q": [L, H, N, d],
            "k": [L, H, N, d],
            "v": [L, H, N, d],
            "scores": [L, H, N, N],
            "attn": [L, H, N, N],
            "context": [L, H, N, d],
            "hidden": list(run.hidden.shape),
            "attn_input": list(run.attn_input.shape),
        },
        "layout": "q, k, v, context: [layer, head, token, d_head]; scores, attn: [layer, head, query, key]",
        "meta": run.meta,
        "selection": {"layers": list(sel.layers), "heads": list(sel.heads), "formats": list(sel.formats)},
        "versions": package_versions(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def run_json(run: Extraction, sel: Selection | None = None) -> bytes:
    """run.json: run_metadata plus the selected heads' attention weights when they are JSON_ATTENTION_LIMIT or fewer."""
    sel = sel or select(run)
    doc = run_metadata(run, sel)
    count = len(sel.pairs) * run.n_tokens**2
    weights = None
    if count <= JSON_ATTENTION_LIMIT:
        weights = [_float32_list(run.attn[layer][list(sel.heads)]) for layer in sel.layers]  # [layers, heads, N, N]
        doc["attention"] = {
            "layout": "weights[i][j][query][key] for layer layers[i], head heads[j]",
            "layers": list(sel.layers),
            "heads": list(sel.heads),
            "weights": "@WEIGHTS@",  # placeholder: the numbers go in compactly, not one per indented line
        }
    else:
        doc["attention"] = None
        doc["attention_note"] = (
            f"{count:,} weights are more than the {JSON_ATTENTION_LIMIT:,} run.json carries: "
            "read them from attention.csv or run.npz."
        )
    text = json.dumps(doc, ensure_ascii=False, indent=1, default=str)
    if weights is not None:
        before, _, after = text.rpartition('"@WEIGHTS@"')  # the last occurrence: "attention" is the last key
        text = before + json.dumps(weights, separators=(",", ":")) + after
    return text.encode()


# --- NPZ and load_run -----------------------------------------------------------------------------------------


def npz_arrays(run: Extraction) -> dict[str, np.ndarray]:
    """Every field of the run as plain numpy arrays (no Python objects, so allow_pickle=False loads them)."""
    meta = {
        "text": run.text,
        "model_name": run.model_name,
        "architecture": run.architecture,
        "truncated": run.truncated,
        "n_tokens_total": run.n_tokens_total,
        "is_causal": run.is_causal,
        "n_kv_heads": run.n_kv_heads,
        "meta": run.meta,
    }
    arrays = {
        "tokens": np.array(run.tokens, dtype=str),  # [N] unicode
        "raw_tokens": np.array(run.raw_tokens, dtype=str),  # [N] unicode
        "token_ids": np.array(run.token_ids, dtype=np.int64),  # [N]
        "offsets": np.array(run.offsets, dtype=np.int64).reshape(-1, 2),  # [N, 2] character spans
        "special": np.array(run.special, dtype=bool),  # [N]
        "scale": np.array(run.scale, dtype=np.float64),  # [L]
        "run_json": np.array(json.dumps(meta, ensure_ascii=False, default=str)),  # 0-d unicode: the scalars
    }
    for name in NPZ_ARRAYS:
        arrays[name] = np.asarray(getattr(run, name), dtype=np.float32)
    return arrays


def save_npz(run: Extraction, f: str | Path | IO[bytes]) -> None:
    """Write run.npz (uncompressed: the float maps barely compress and loading stays fast)."""
    arrays = npz_arrays(run)
    if isinstance(f, str | Path) or f.seekable():
        np.savez(f, **arrays)
    else:  # a zip member cannot seek: build the npz in memory first
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        f.write(buf.getbuffer())


def load_run(path: str | Path) -> Extraction:
    """Read an exported run back: `path` is run.npz, its run.json, or the export folder."""
    path = Path(path).expanduser()
    if path.is_dir():
        path = path / "run.npz"
    elif path.suffix.lower() == ".json":
        path = path.with_suffix(".npz")
    if not path.is_file():
        raise ExplorerError(
            f"No run found at {path}: export one with `python -m explorer export --format npz --out FOLDER`."
        )
    try:
        with np.load(path, allow_pickle=False) as z:
            data = {name: z[name] for name in z.files}
    except (OSError, ValueError, zipfile.BadZipFile) as err:
        raise ExplorerError(f"{path} is not a readable run.npz ({err}): export the run again.") from err
    missing = [k for k in ("tokens", "token_ids", "run_json", *NPZ_ARRAYS) if k not in data]
    if missing:
        raise ExplorerError(f"{path} lacks {', '.join(missing)}: it was not written by this explorer's export.")
    meta = json.loads(str(data["run_json"]))
    hidden_keys = ~np.isfinite(data["scores"][:, 0])  # [L, N, N]: the model's mask is the same for every head
    return Extraction(
        text=meta["text"],
        model_name=meta["model_name"],
        architecture=meta["architecture"],
        tokens=[str(t) for t in data["tokens"]],
        raw_tokens=[str(t) for t in data["raw_tokens"]],
        token_ids=[int(i) for i in data["token_ids"]],
        offsets=[(int(a), int(b)) for a, b in data["offsets"]],
        special=[bool(s) for s in data["special"]],
        **{name: data[name] for name in NPZ_ARRAYS},
        truncated=bool(meta["truncated"]),
        n_tokens_total=int(meta["n_tokens_total"]),
        is_causal=bool(meta["is_causal"]),
        n_kv_heads=int(meta["n_kv_heads"]),
        scale=[float(s) for s in data["scale"]],
        meta=meta.get("meta", {}),
        blocked=hidden_keys if hidden_keys.any() else None,
    )


# --- images --------------------------------------------------------------------------------------------------


def head_chart(run: Extraction, layer: int, head: int) -> alt.Chart:
    """The app's heatmap of one head, titled with the model, layer and head."""
    from explorer.charts import head_heatmap

    name = run.meta.get("display_name") or run.model_name
    return head_heatmap(run, layer, head, title=f"{name} · layer {layer}, head {head}")


def chart_svg(chart: alt.TopLevelMixin) -> bytes:
    """Render an Altair chart to SVG (UTF-8 bytes) offline with vl-convert (no browser)."""
    import altair as alt

    with alt.data_transformers.disable_max_rows():
        return spec_svg(chart.to_dict())


def spec_svg(spec: dict) -> bytes:
    """Render a Vega-Lite spec (a chart's to_dict()) to SVG bytes with vl-convert."""
    import vl_convert as vlc

    try:  # the Vega-Lite version vl-convert should read the spec as (Altair's own choice when saving)
        from altair.utils._importers import vl_version_for_vl_convert

        vl_version = vl_version_for_vl_convert()
    except (ImportError, AttributeError):  # pragma: no cover - older or newer Altair
        vl_version = None
    try:
        return vlc.vegalite_to_svg(spec, vl_version=vl_version).encode()
    except ValueError as err:  # vl-convert reports spec problems as ValueError
        raise ExplorerError(f"Could not render the chart: {err}") from err


def svg_to_png(svg: bytes, scale: float = PNG_SCALE) -> bytes:
    """Rasterise an SVG from chart_svg to PNG (vl-convert's own path: vegalite_to_png is SVG, then this)."""
    import vl_convert as vlc

    return vlc.svg_to_png(svg.decode(), scale=scale)


def head_image(run: Extraction, layer: int, head: int, fmt: str) -> bytes:
    """One head's heatmap as PNG or SVG bytes."""
    svg = chart_svg(head_chart(run, layer, head))
    return svg if fmt == "svg" else svg_to_png(svg)
