"""Command line: `python -m explorer export --text "..." --out DIR` writes heatmaps, CSV, JSON and NPZ of a run.

Exit codes: 0 done; 1 a problem the user can fix (empty text, unknown format, folder not writable, files that
already exist without --force, unknown model), with one plain sentence on stderr; 2 a malformed command line
(argparse's usage message); 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from explorer.errors import ExplorerError


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
    if args.text_file is not None:
        try:
            text = args.text_file.expanduser().read_text(encoding="utf-8")
        except FileNotFoundError as err:
            raise ExplorerError(f"The text file {args.text_file} does not exist: check the path.") from err
        except UnicodeDecodeError as err:
            raise ExplorerError(f"The text file {args.text_file} is not UTF-8 text: save it as UTF-8.") from err
        except OSError as err:
            raise ExplorerError(f"Cannot read the text file {args.text_file} ({err.strerror}).") from err
    else:
        text = args.text
    if not text or not text.strip():
        raise ExplorerError('The text is empty: pass --text "some words" or a --text-file with some words.')
    return text


def run_export(args: argparse.Namespace) -> int:
    import explorer
    from explorer.io import export, selection

    # 1) check everything that needs no model, so mistakes show at once
    text = read_text(args)
    formats = selection.parse_formats(args.format)
    selection.parse_indices(args.layers, what="layer")
    selection.parse_indices(args.heads, what="head")
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
    print(f"Wrote {len(paths)} files ({export.human_bytes(size)}) to {args.out} in {seconds:.1f} s.")
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
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":
    sys.exit(main())
