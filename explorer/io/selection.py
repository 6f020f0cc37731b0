"""What an export covers: formats, layers and heads parsed from user input, and safe file names."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from explorer.errors import ExplorerError, whole_number

if TYPE_CHECKING:
    from explorer.extract import Extraction


FORMATS = ("png", "svg", "csv", "json", "npz")
MAX_INDEX = 100_000  # layers or heads no model has (a range is checked against it before it is expanded)
FORMAT_LABELS = {
    "png": "PNG heatmaps (one per head, plus an all-heads grid)",
    "svg": "SVG heatmaps (one per head: text as vector, the map as one embedded image)",
    "csv": "attention.csv (long form)",
    "json": "run.json (metadata; weights when small)",
    "npz": "run.npz (every array, float32)",
}


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
    limit = MAX_INDEX if count is None else count  # checked before any range is expanded ("0-999999999999")

    def bounded(i: int) -> int:
        if not 0 <= i < limit:
            have = f"this model has {what}s 0 to {count - 1}" if count is not None else f"no model has {i:,} {what}s"
            raise ExplorerError(f"{what.capitalize()} {i:,} does not exist: {have}.")
        return i

    if isinstance(spec, str):
        if len(spec) > 10_000:
            raise ExplorerError(f"The {what}s {spec[:40]!r}… run to {len(spec):,} characters: give ranges (1-4).")
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
                out.add(bounded(int(m.group(3))))
            else:
                lo, hi = int(m.group(1)), int(m.group(2))
                if hi < lo:
                    raise ExplorerError(f"The {what} range {part!r} runs backwards: write the smaller number first.")
                out.update(range(bounded(lo), bounded(hi) + 1))
        indices = sorted(out)
    else:
        indices = sorted({bounded(whole_number(i, f"A {what}")) for i in spec})
    if not indices:
        raise ExplorerError(f"No {what} chosen: pick at least one.")
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
