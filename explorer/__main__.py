"""Command line: `python -m explorer export --text "..." --out DIR` writes heatmaps, CSV, JSON and NPZ of a run.

Exit codes: 0 done; 1 a problem the user can fix (empty text, unknown format, folder not writable, files that
already exist without --force, unknown or broken model, not enough memory), with one plain sentence on stderr;
2 a malformed command line (argparse's usage message); 3 a bug in the explorer (one sentence too, and the
traceback only with EXPLORER_TRACEBACK=1); 130 interrupted. No input the user gives ends in a traceback.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

from explorer.errors import ExplorerError, whole_number

MAX_INDEX = 100_000  # no model has this many layers or heads: --layers 0-999999999999 stops here, unexpanded


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m explorer",
        description="Multi-Head Subspace Explorer on the command line.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    export = commands.add_parser(
        "export",
        help="export attention maps and Q/K/V of a text (PNG, SVG, CSV, JSON, NPZ)",
        description=(
            "Run the model once on a text and write, into --out: one PNG and SVG heatmap per head plus an "
            "all-heads PNG, attention.csv (long form), run.json (metadata; weights when small) and run.npz "
            "(every array; read it back with explorer.load_run)."
        ),
    )
    source = export.add_mutually_exclusive_group(required=True)
    source.add_argument("--text", help="the text to analyse")
    source.add_argument("--text-file", type=Path, metavar="FILE", help="read the text from a UTF-8 file")
    export.add_argument("--out", required=True, type=Path, metavar="DIR", help="folder to write into (created)")
    export.add_argument("--model", default=None, help="local folder or hub id (default: the bundled MiniLM)")
    export.add_argument(
        "--format",
        default="png,svg,csv,json,npz",
        metavar="LIST",
        help="comma-separated formats out of png, svg, csv, json, npz (default: all)",
    )
    export.add_argument("--layers", default=None, metavar="LIST", help="layers, e.g. 0,3 or 1-4 (default: all)")
    export.add_argument("--heads", default=None, metavar="LIST", help="heads, e.g. 0,3 or 1-4 (default: all)")
    export.add_argument(
        "--target",
        default=None,
        metavar="TEXT",
        help="encoder–decoder models only: the decoder's text (the encoder reads --text); the export holds the "
        "encoder's self-attention",
    )
    export.add_argument("--max-tokens", type=int, default=512, metavar="N", help="token limit (default 512)")
    export.add_argument("--force", action="store_true", help="overwrite files that already exist")
    export.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def read_text(args: argparse.Namespace) -> str:
    from explorer.extract import MAX_TEXT_CHARS, clean_text

    if args.text_file is not None:
        try:
            with args.text_file.expanduser().open(encoding="utf-8") as f:
                text = f.read(MAX_TEXT_CHARS + 1)  # a bounded read: the file may be huge, or /dev/stdin
        except FileNotFoundError as err:
            raise ExplorerError(f"The text file {args.text_file} does not exist: check the path.") from err
        except UnicodeDecodeError as err:
            raise ExplorerError(f"The text file {args.text_file} is not UTF-8 text: save it as UTF-8.") from err
        except OSError as err:
            raise ExplorerError(f"Cannot read the text file {args.text_file} ({err.strerror}).") from err
        if len(text) > MAX_TEXT_CHARS:
            raise ExplorerError(
                f"The text file {args.text_file} is longer than the {MAX_TEXT_CHARS:,} characters the explorer reads: "
                "cut it to the part you want to see."
            )
    else:
        text = args.text
    text = clean_text(text)  # bytes that were not UTF-8 reach argv as lone surrogates: refused here
    if not text.strip():
        raise ExplorerError('The text is empty: pass --text "some words" or a --text-file with some words.')
    return text


def check_indices(spec: str | None, what: str) -> None:
    """Refuse a number no model reaches before a range is expanded ("0-999999999999" would take minutes)."""
    for number in re.findall(r"\d+", spec or ""):
        if len(number) > len(str(MAX_INDEX)) or int(number) > MAX_INDEX:
            shown = number if len(number) <= 20 else number[:20] + "…"
            raise ExplorerError(
                f"--{what}s asks for {what} {shown}, and no model has that many {what}s: give {what}s such as 0,3 "
                "or 1-4 (counting from 0)."
            )


def printable(path: Path) -> str:
    """A path as the terminal can show it (a name that was not UTF-8 keeps its bytes as \\x escapes)."""
    return str(path).encode("utf-8", "backslashreplace").decode("utf-8")


def run_export(args: argparse.Namespace) -> int:
    import explorer
    from explorer.extract import clean_text
    from explorer.io import export, selection

    # 1) check everything that needs no model, so mistakes show at once
    text = read_text(args)
    if args.target is not None:
        clean_text(args.target, "target")
    formats = selection.parse_formats(args.format)
    for spec, what in ((args.layers, "layer"), (args.heads, "head")):
        check_indices(spec, what)
        selection.parse_indices(spec, what=what)
    whole_number(args.max_tokens, "The token limit", minimum=2)
    export.prepare_folder(args.out)

    # 2) one forward pass
    started = time.perf_counter()
    bundle = explorer.load_model(args.model) if args.model else explorer.load_model()
    run = explorer.extract(bundle, text, max_tokens=args.max_tokens, target=args.target)
    if run.truncated:
        print(f"note: the text has {run.n_tokens_total} tokens; exported the first {run.n_tokens}.", file=sys.stderr)

    # 3) write, with a progress bar on stderr
    bar = None  # made at the first report, after write_export has checked the folder and the files

    def progress(done: int, total: int, name: str) -> None:
        nonlocal bar
        if args.quiet:
            return
        if bar is None:
            from tqdm import tqdm

            bar = tqdm(total=total, unit="step", file=sys.stderr, desc="export", dynamic_ncols=True)
        bar.set_postfix_str(name, refresh=False)
        bar.update(done - bar.n)

    try:
        paths = export.write_export(
            run, args.out, formats, args.layers, args.heads, force=args.force, progress=progress
        )
    finally:
        if bar is not None:
            bar.close()
    size = sum(p.stat().st_size for p in paths)
    seconds = time.perf_counter() - started
    print(f"Wrote {len(paths)} files ({export.human_bytes(size)}) to {printable(args.out)} in {seconds:.1f} s.")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code (see the module docstring)."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "export":
            return run_export(args)
    except ExplorerError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except MemoryError:
        print("error: not enough memory for this run: lower --max-tokens or use a smaller model.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # a bug, not the user's input: one sentence, the traceback only when asked for
        if os.environ.get("EXPLORER_TRACEBACK"):
            traceback.print_exc()
        print(
            f"error: the explorer failed unexpectedly ({type(err).__name__}: {err}). This is a bug: please report it "
            "with the command line (EXPLORER_TRACEBACK=1 shows the details).",
            file=sys.stderr,
        )
        return 3
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":
    sys.exit(main())
