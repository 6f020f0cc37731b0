"""Run files: attention.csv, run.json and run.npz written from a run, and load_run() reading one back."""

from __future__ import annotations

import io
import json
import sys
import zipfile
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import numpy as np

from explorer.errors import ExplorerError
from explorer.extract import Extraction
from explorer.io.selection import Selection, select
from explorer.maps import AttentionMaps, stack_masks

JSON_ATTENTION_LIMIT = 250_000  # weights written into run.json only up to this many numbers (72 heads x 58²)
PNG_SCALE = 2.0  # pixel density of the PNG heatmaps (2 = crisp on slides and in papers)
CSV_COLUMNS = ("layer", "head", "query_index", "query_token", "key_index", "key_token", "weight", "score")
NPZ_ARRAYS = ("q", "k", "v", "scores", "attn", "context", "hidden", "attn_input")  # float32 in run.npz
NPZ_MAPS = ("scores", "attn")  # N² per head: left out of a long run's npz (load_run computes them on demand)
NPZ_MAPS_LIMIT = 512 * 2**20  # bytes of scores + attn above which run.npz keeps q, k and the masks instead
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
        weights = _floats(run.attn[layer, head].reshape(-1))  # [N*N] row-major: query, then key
        scores = _floats(run.scores[layer, head].reshape(-1))
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


def score_terms(run: Extraction) -> list[str]:
    """What the family adds to q·kᵀ·scale ("softcap", "position_bias", "sinks"): then run.npz's scores are the
    truth load_run keeps, as they cannot be rebuilt from q and k alone."""
    mods = run.mods
    if mods is None:
        return []
    terms = {"softcap": mods.softcap, "position_bias": mods.bias, "sinks": mods.sinks}
    return [name for name, per_layer in terms.items() if any(x is not None for x in per_layer)]


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
        "score_terms": score_terms(run),
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
        "maps_in_npz": maps_kept(run),  # False: run.npz holds mask_patterns + mask_of_layer; maps come from q, k
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
        weights = [_float32_list(run.attn[layer, list(sel.heads)]) for layer in sel.layers]  # [layers, heads, N, N]
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


def maps_kept(run: Extraction) -> bool:
    """Whether run.npz holds the maps themselves: a short run, or a family whose scores q and k alone cannot
    give back (soft-capping, position bias, sinks). A long run keeps its masks instead, and load_run computes
    the maps from q and k on demand, as extract() does."""
    return bool(score_terms(run)) or 2 * 4 * int(np.prod(run.attn.shape)) <= NPZ_MAPS_LIMIT


def npz_arrays(run: Extraction) -> dict[str, np.ndarray]:
    """Every field of the run as plain numpy arrays (no Python objects, so allow_pickle=False loads them)."""
    arrays = npz_arrays_small(run)
    keep_maps = maps_kept(run)
    for name in NPZ_ARRAYS:
        if keep_maps or name not in NPZ_MAPS:
            arrays[name] = np.asarray(getattr(run, name), dtype=np.float32)
    if not keep_maps:
        arrays.update(mask_arrays(run))
    return arrays


def mask_arrays(run: Extraction) -> dict[str, np.ndarray]:
    """The model's masks as distinct [U, Nq, Nk] bool patterns and, per layer, which one (-1: none)."""
    patterns: list[np.ndarray] = []
    which = []
    for layer in range(run.n_layers):
        m = run.masked_keys(layer)
        if m is None:
            which.append(-1)
            continue
        found = next((i for i, p in enumerate(patterns) if np.array_equal(p, m)), None)
        if found is None:
            patterns.append(np.asarray(m))
            found = len(patterns) - 1
        which.append(found)
    shape = (0, run.n_tokens, run.n_keys)
    return {
        "mask_patterns": np.stack(patterns) if patterns else np.zeros(shape, bool),
        "mask_of_layer": np.array(which, dtype=np.int64),
    }


def npz_arrays_small(run: Extraction) -> dict[str, np.ndarray]:
    """The tokens and scalars of run.npz (everything but the float arrays)."""
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
    return arrays


def npz_bytes(run: Extraction) -> int:
    """The bytes npz_arrays(run) holds, counted without building the maps (they are computed on demand)."""
    small = npz_arrays_small(run)
    names = NPZ_ARRAYS if maps_kept(run) else [n for n in NPZ_ARRAYS if n not in NPZ_MAPS]
    big = sum(4 * int(np.prod(getattr(run, name).shape)) for name in names)
    masks = 0 if maps_kept(run) else sum(a.nbytes for a in mask_arrays(run).values())
    return sum(a.nbytes + 400 for a in small.values()) + big + masks + 400 * len(NPZ_ARRAYS)


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
    maps = "attn" in data  # a long run's npz holds q, k and the masks instead of its maps
    needed = [n for n in NPZ_ARRAYS if maps or n not in NPZ_MAPS] + ([] if maps else ["mask_patterns", "mask_of_layer"])
    missing = [k for k in ("tokens", "token_ids", "run_json", *needed) if k not in data]
    if missing:
        raise ExplorerError(f"{path} lacks {', '.join(missing)}: it was not written by this explorer's export.")
    meta = json.loads(str(data["run_json"]))
    if maps:
        masked = ~np.isfinite(data["scores"][:, 0])  # [L, N, N]: the model's mask is the same for every head
        masked = masked if masked.any() else None
        attn = data["attn"]
    else:
        patterns, which = data["mask_patterns"], data["mask_of_layer"]
        per_layer = [None if int(i) < 0 else patterns[int(i)] for i in which]
        masked = stack_masks(per_layer)
        attn = AttentionMaps(data["q"], data["k"], [float(x) for x in data["scale"]], masked)
    return Extraction(
        text=meta["text"],
        model_name=meta["model_name"],
        architecture=meta["architecture"],
        tokens=[str(t) for t in data["tokens"]],
        raw_tokens=[str(t) for t in data["raw_tokens"]],
        token_ids=[int(i) for i in data["token_ids"]],
        offsets=[(int(a), int(b)) for a, b in data["offsets"]],
        special=[bool(s) for s in data["special"]],
        **{name: data[name] for name in NPZ_ARRAYS if name not in NPZ_MAPS},  # scores come from q and k
        attn=attn,
        truncated=bool(meta["truncated"]),
        n_tokens_total=int(meta["n_tokens_total"]),
        is_causal=bool(meta["is_causal"]),
        n_kv_heads=int(meta["n_kv_heads"]),
        scale=[float(s) for s in data["scale"]],
        meta=meta.get("meta", {}),
        masked=masked,
        stored_scores=data["scores"] if maps and meta.get("score_terms") else None,
    )
