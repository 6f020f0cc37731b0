"""An export: the files a selection makes, written to a folder or one zip, with progress and size estimates.

What an export holds (file names are built only from safe parts: layer and head numbers, a slug of the model):

    attention.csv                 long form, one row per (layer, head, query, key) of the selected heads:
                                  layer, head, query_index, query_token, key_index, key_token, weight, score
                                  (floats with 9 significant digits: they read back as the exact float32;
                                  a masked score is written -inf); built with numpy (explorer.io.csvbytes), the
                                  bytes runfiles.write_attention_csv writes
    run.json                      model, text, tokens with character spans, shapes, package versions, time;
                                  the attention weights of the selected heads only when they are at most
                                  JSON_ATTENTION_LIMIT numbers (all 72 heads of the bundled model: up to 58 tokens)
    run.npz                       the whole run (every layer and head, whatever the selection), float32 arrays
                                  and unicode token arrays: loads with np.load(path, allow_pickle=False);
                                  `load_run` turns it back into an Extraction equal to the original
    <model>_L<l>_H<h>.png / .svg  one heatmap per selected head, drawn straight from the map (views.raster: head_png,
                                  and head_svg with the same picture: vector text around the map's cells as one
                                  embedded image); no browser and no Vega, milliseconds a head
    <model>_all_heads.png         every head of every layer in one raster image (views.raster.all_heads_png)

Writers report progress through `progress(done, total, label)`; the command line turns it into a tqdm bar and the
Export page into st.progress.

Writing to a folder is all or nothing (write_export): each file goes to a temporary name in the folder, is flushed
to disk, and only once every file is complete are they renamed into place. Nothing is written through a symbolic
link, and a file the export did not make is replaced only with force=True (--force). A zip (build_zip) is returned
only once every file is in it.

Two cores work at once: the one-piece files (images, JSON) are made ahead on a thread of their own (_ahead), and in
a zip, attention.csv is formatted on another thread while the calling thread deflates it (_made_beside).
"""

from __future__ import annotations

import functools
import io
import os
import queue
import secrets
import threading
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

from explorer.errors import ExplorerError
from explorer.extract import Extraction
from explorer.io.csvbytes import write_attention_csv
from explorer.io.runfiles import JSON_ATTENTION_LIMIT, npz_bytes, run_json, save_npz
from explorer.io.selection import Selection, head_stem, model_slug, select
from explorer.views.raster import HeadPicture, all_heads_png, head_picture, picture_png, picture_svg

Progress = Callable[[int, int, str], None]  # (steps done, steps in all, what is being written)


@dataclass
class ExportFile:
    """One file of an export: its name, how many progress steps it takes, and how to write it."""

    name: str
    steps: int
    write: Callable[[IO[bytes], Callable[[], None]], None]  # write(binary file, tick) calls tick() once per step
    compress: bool = True  # worth deflating inside a zip (text); PNG and NPZ are stored as they are
    make: Callable[[], bytes] | None = None  # a file made in one piece (images, JSON): can be made ahead (_ahead)


def _writer(make: Callable[[], bytes]) -> Callable[[IO[bytes], Callable[[], None]], None]:
    """An ExportFile.write for a file made in one piece (one progress step)."""

    def write(f: IO[bytes], tick: Callable[[], None]) -> None:
        f.write(make())
        tick()

    return write


def _one_piece(name: str, make: Callable[[], bytes], compress: bool = True) -> ExportFile:
    return ExportFile(name, 1, _writer(make), compress, make)


@contextmanager
def _ahead(files: Sequence[ExportFile]) -> Iterator[Callable[[ExportFile, IO[bytes], Callable[[], None]], None]]:
    """write(file, f, tick), with the one-piece files (images, JSON) made ahead on one background thread while the
    calling thread streams the others: building the CSV's blocks, pooling maps and compressing PNGs mostly let go of
    the GIL, so on two cores a full export takes about the time of its longer half, not the sum. The bytes made
    ahead wait in memory until their turn (the images of the selection: ~55 MB for every head at 512 tokens)."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="export-ahead")
    futures = {id(file): pool.submit(file.make) for file in files if file.make is not None}

    def write(file: ExportFile, f: IO[bytes], tick: Callable[[], None]) -> None:
        if id(file) in futures:
            f.write(futures[id(file)].result())
            tick()
        else:
            file.write(f, tick)

    try:
        yield write
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def plan(run: Extraction, sel: Selection) -> list[ExportFile]:
    """The files an export of `sel` writes, in writing order (small metadata first, images last)."""

    def write_npz(f: IO[bytes], tick: Callable[[], None]) -> None:
        save_npz(run, f)
        tick()

    def write_csv(f: IO[bytes], tick: Callable[[], None]) -> None:
        write_attention_csv(run, f, sel.pairs, tick)  # one step per head; runfiles' text, built with numpy

    # PNG and SVG: one picture of the map (views.raster.head_picture), pixels straight from the map, no Vega; a
    # head's SVG and PNG are made one after the other (_ahead's one thread) from the same picture.
    @functools.lru_cache(maxsize=1)
    def picture(layer: int, head: int) -> HeadPicture:
        return head_picture(run, layer, head)

    def head_bytes(layer: int, head: int, fmt: str) -> bytes:
        return picture_svg(picture(layer, head)) if fmt == "svg" else picture_png(picture(layer, head))

    files: list[ExportFile] = []
    if "json" in sel.formats:
        files.append(_one_piece("run.json", lambda: run_json(run, sel)))
    if "npz" in sel.formats:
        files.append(ExportFile("run.npz", 1, write_npz, compress=False))
    if "csv" in sel.formats:
        files.append(ExportFile("attention.csv", len(sel.pairs), write_csv))
    if "png" in sel.formats:
        files.append(_one_piece(f"{model_slug(run)}_all_heads.png", lambda: all_heads_png(run), compress=False))
    for layer, head in sel.pairs:
        for fmt in ("svg", "png"):
            if fmt in sel.formats:
                make = functools.partial(head_bytes, layer, head, fmt)
                name = f"{head_stem(run, layer, head)}.{fmt}"
                files.append(_one_piece(name, make, compress=fmt == "svg"))
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
    """Create the output folder if needed and check that it can be written to (raises ExplorerError).

    The folder itself must not be a symbolic link (its parents may be). The check writes and removes one file of
    its own with a fresh random name, so no file of the user's is ever opened, truncated or removed.
    """
    out = Path(out_dir).expanduser()
    if out.is_symlink():
        raise ExplorerError(
            f"{out} is a symbolic link (to {os.readlink(out)}): the export never writes through links, so give "
            "--out the folder itself."
        )
    if out.exists() and not out.is_dir():
        raise ExplorerError(f"{out} is a file, not a folder: give --out a folder to write the export into.")
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd, probe = _create_temp(out, ".explorer-write-test")
        os.close(fd)
        probe.unlink()
    except OSError as err:
        reason = err.strerror or type(err).__name__
        raise ExplorerError(f"Cannot write to the folder {out} ({reason}): choose a folder you can write to.") from err
    return out


def _create_temp(folder: Path, stem: str) -> tuple[int, Path]:
    """A new, empty file `<stem>.<random>.part` in `folder`, opened for writing, that no one else has: created with
    O_EXCL (an existing name, a link included, is never opened) and the process's usual permissions (umask)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    while True:
        path = folder / f"{stem}.{secrets.token_hex(6)}.part"
        try:
            return os.open(path, flags, 0o666), path
        except FileExistsError:
            continue  # another file took that name first: draw another


def _check_targets(out: Path, names: Sequence[str], force: bool) -> None:
    """Refuse names that are links (never written through, even with force), that are not plain files, or that
    exist when force is False; the message names the first and counts the others."""
    links, others, existing = [], [], []
    for name in names:
        path = out / name
        if path.is_symlink():  # a dangling link too: writing to it would create its target, outside `out`
            links.append(path)
        elif path.exists() and not path.is_file():
            others.append(path)
        elif path.exists():
            existing.append(path)
    if links:
        raise ExplorerError(
            f"{_first_of(links, 'is', 'are')} a symbolic link: the export never writes through links (they can "
            "point outside --out). Remove the link or choose another --out folder."
        )
    if others:
        raise ExplorerError(
            f"{_first_of(others, 'is', 'are')} not a plain file (a folder?): remove it or choose another --out folder."
        )
    if existing and not force:
        which = _first_of(existing, "already exists", "already exist")
        raise ExplorerError(f"{which}: use --force to overwrite, or choose another --out folder.")


def _first_of(paths: Sequence[Path], one: str, many: str) -> str:
    """ "a is" or "a and 2 other files are" (one="is", many="are"): the start of a sentence about paths."""
    others = len(paths) - 1
    if not others:
        return f"{paths[0]} {one}"
    return f"{paths[0]} and {others} other file{'s' if others > 1 else ''} {many}"


def _own_write(file: ExportFile, f: IO[bytes], tick: Callable[[], None]) -> None:
    file.write(f, tick)


def _stage(out: Path, file: ExportFile, tick: Callable[[], None], write: Callable = _own_write) -> Path:
    """Write one file to a temporary name in `out`, flushed to disk; on any failure the temporary file is removed.
    write(file, f, tick): how its bytes are made (the _ahead writer, or the file's own)."""
    fd, tmp = _create_temp(out, f".{file.name}")
    try:
        with os.fdopen(fd, "wb") as f:
            write(file, f, tick)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _place(tmp: Path, target: Path, force: bool) -> None:
    """Rename a staged file to its name. Without force, never over a file that appeared meanwhile: a hard link
    fails on an existing name (atomic); where the disk has no hard links, check and rename."""
    if not force:
        try:
            os.link(tmp, target)
        except FileExistsError:
            raise ExplorerError(
                f"{target} appeared while the export was being written: use --force to overwrite it."
            ) from None
        except OSError:  # FAT, some network disks: no hard links
            if os.path.lexists(target):
                raise ExplorerError(f"{target} appeared while the export was being written: use --force.") from None
        else:
            tmp.unlink()
            return
    os.replace(tmp, target)  # replaces a link itself, never what it points to


def _sync_folder(out: Path) -> None:
    """Make the renames durable (POSIX); where a folder cannot be opened (Windows) there is nothing to do."""
    try:
        fd = os.open(out, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


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

    All or nothing: every file is first written to a temporary name in out_dir (`.<name>.<random>.part`) and
    flushed to disk; only when all of them are complete are they renamed to their names. An export that fails or is
    interrupted while writing leaves out_dir as it was (its own temporary files removed; a process killed outright
    can leave one `.part` file, never a partial file under an export's name).

    Files that already exist are left alone unless force=True: then nothing is written and an ExplorerError
    names them. Links are never written through, with or without force: out_dir and every name the export
    writes must not be symbolic links. Everything is checked before the first file is written.
    """
    sel = select(run, formats, layers, heads)
    out = prepare_folder(out_dir)
    files = plan(run, sel)
    names = [f.name for f in files]
    if any(Path(n).name != n or n in ("", ".", "..") for n in names):  # plan() builds names from safe parts only
        raise ValueError(f"Export file names must be plain names in the folder, not {names}.")
    _check_targets(out, names, force)
    ticker = _ticker(files, progress)
    staged: list[Path] = []
    placed = 0
    try:
        with _ahead(files) as write:
            for file in files:
                staged.append(_stage(out, file, ticker(file.name), write))
        _check_targets(out, names, force)  # again, just before the renames: nothing changed meanwhile
        for tmp, name in zip(staged, names, strict=True):
            _place(tmp, out / name, force)
            placed += 1
    except OSError as err:
        _remove_staged(staged[placed:])
        done = "nothing was changed there" if not placed else f"{placed} of its {len(names)} files were renamed"
        raise ExplorerError(
            f"Could not write the export to {out} ({err.strerror or err}): {done}; check the free space and the folder."
        ) from err
    except BaseException:
        _remove_staged(staged[placed:])
        raise
    _sync_folder(out)
    return [out / name for name in names]


def _remove_staged(temporary: Sequence[Path]) -> None:
    """Remove the export's own temporary files (those not renamed to their names yet)."""
    for path in temporary:
        path.unlink(missing_ok=True)


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
    with _ahead(files) as write, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as zf:
        for file in files:
            member: str | zipfile.ZipInfo = file.name  # deflated at `compresslevel` (the zip's default)
            if not file.compress:  # PNG and NPZ barely shrink: store them as they are
                member = zipfile.ZipInfo(file.name, date_time=datetime.now().timetuple()[:6])
                member.compress_type = zipfile.ZIP_STORED
            with zf.open(member, "w", force_zip64=True) as f:
                if file.make is None and file.compress:  # attention.csv: formatted beside its deflating
                    _made_beside(file, f, ticker(file.name))
                else:
                    write(file, f, ticker(file.name))
    return buf.getvalue()


_TICK, _DONE = object(), object()
CHUNKS_AHEAD = 4  # chunks of a streamed file (a block of CSV lines, ~1.6 MB each) waiting to be deflated


class _StoppedError(Exception):
    """The reader of a file made beside it gave up (an error of its own): the maker stops."""


def _made_beside(file: ExportFile, f: IO[bytes], tick: Callable[[], None]) -> None:
    """file.write on a thread of its own, its chunks written to f (a zip member: deflated) on this one, so that
    formatting and deflating run at once (both let go of the GIL: numpy's blocks, zlib). tick() is called here,
    on the caller's thread (the Export page's progress bar must be updated from the page's thread)."""
    chunks: queue.Queue = queue.Queue(maxsize=CHUNKS_AHEAD)
    stop = threading.Event()

    def put(item: object) -> None:
        while not stop.is_set():
            try:
                chunks.put(item, timeout=0.1)
                return
            except queue.Full:
                continue
        raise _StoppedError

    class Chunks(io.RawIOBase):
        def writable(self) -> bool:
            return True

        def write(self, data) -> int:
            put(bytes(data))
            return len(data)

    def make() -> None:
        try:
            file.write(Chunks(), lambda: put(_TICK))
            put(_DONE)
        except _StoppedError:
            return
        except BaseException as err:  # handed to the reader, which raises it
            try:
                put(err)
            except _StoppedError:
                return

    def next_item() -> object:
        while True:
            try:
                return chunks.get(timeout=0.5)
            except queue.Empty:
                if not maker.is_alive() and chunks.empty():  # cannot happen: make() always hands something over
                    raise RuntimeError(f"{file.name}: its writer stopped without finishing.") from None

    maker = threading.Thread(target=make, name=f"export-{file.name}", daemon=True)
    maker.start()
    try:
        while (item := next_item()) is not _DONE:
            if item is _TICK:
                tick()
            elif isinstance(item, BaseException):
                raise item
            else:
                f.write(item)
    finally:
        stop.set()
        maker.join()


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
    # Image sizes fitted to the bundled model at 14, 64, 150 and 512 tokens (rough: bytes depend on the picture).
    per_token = max(1, 640 // max(n, 1))  # head_png / head_svg: whole pixels per token, at most 640 a side
    pixels = min(640, n * per_token) ** 2
    picture = int(pixels * (1.0 if per_token == 1 else 0.06))  # the map's pixels, compressed
    if "png" in sel.formats:
        grid = 30_000 + int(1.6 * run.n_layers * run.n_heads * min(n, 112) ** 2)  # the all-heads raster
        sizes["png"] = pairs * (30_000 + picture) + grid  # labels + map
    if "svg" in sel.formats:
        sizes["svg"] = pairs * (5_000 + 130 * min(n, 90) + picture)  # text labels + the map as one embedded PNG
    return sizes


def human_bytes(n: float) -> str:
    """1234567 -> "1.2 MB" (powers of 1000, like file managers)."""
    for unit in ("bytes", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"  # pragma: no cover
