"""Run files: attention.csv, run.json and run.npz written from a run, and load_run() reading one back."""

from __future__ import annotations

import io
import json
import math
import sys
import zipfile
import zlib
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import numpy as np

from explorer.csvsafe import neutralise_formula
from explorer.errors import ExplorerError
from explorer.extract import Extraction
from explorer.io.selection import Selection, select
from explorer.maps import AttentionMaps, memory_budget, stack_masks

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
    nq, nk = run.n_tokens, run.n_keys  # cross-attention: decoder queries, encoder keys

    def index_token(tokens: list[str]) -> list[str]:  # "3,apple"; a token a spreadsheet would run starts with '
        return [f"{i},{_csv_field(neutralise_formula(t))}" for i, t in enumerate(tokens)]

    queries, keys = index_token(run.tokens), index_token(run.key_tokens)
    f.write((",".join(CSV_COLUMNS) + "\n").encode())
    for layer, head in pairs:
        weights = _floats(run.attn[layer, head].reshape(-1))  # [Nq*Nk] row-major: query, then key
        scores = _floats(run.scores[layer, head].reshape(-1))
        lines = []
        for qi in range(nq):
            prefix = f"{layer},{head},{queries[qi]},"
            row = qi * nk
            lines.append("".join(f"{prefix}{keys[ki]},{weights[row + ki]},{scores[row + ki]}\n" for ki in range(nk)))
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
        "score_terms": score_terms(run),  # load_run keeps the stored scores of these families
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


# dtype kind and dimensions of every array run.npz may hold: L layers, H heads, N tokens (queries), M keys, d d_head,
# D d_model, P = L + 1 hidden states, U distinct masks, 2 a start and an end
NPZ_LAYOUT = {
    "tokens": ("U", "N"), "raw_tokens": ("U", "N"), "token_ids": ("iu", "N"), "offsets": ("iu", "N2"),
    "special": ("b", "N"), "scale": ("f", "L"), "run_json": ("U", ""), "q": ("f", "LHNd"), "k": ("f", "LHMd"),
    "v": ("f", "LHMd"), "context": ("f", "LHNd"), "scores": ("f", "LHNM"), "attn": ("f", "LHNM"),
    "hidden": ("f", "PND"), "attn_input": ("f", "LND"), "mask_patterns": ("b", "UNM"), "mask_of_layer": ("iu", "L"),
}  # fmt: skip
NPZ_SMALL = ("tokens", "raw_tokens", "token_ids", "offsets", "special", "scale", "run_json")
RUN_JSON_LIMIT = 256 * 2**20  # bytes of a run.json read to check it against run.npz
# What a damaged, encrypted or foreign zip raises while it is read
ZIP_ERRORS = (OSError, ValueError, EOFError, RuntimeError, NotImplementedError, zipfile.BadZipFile, zlib.error)


def _npz_headers(path: Path, zf: zipfile.ZipFile) -> dict[str, tuple[zipfile.ZipInfo, tuple[int, ...], np.dtype]]:
    """name -> (member, shape, dtype) from each member's .npy header, before any array is read."""
    found = {}
    for info in zf.infolist():
        name = info.filename.removesuffix(".npy")
        if name not in NPZ_LAYOUT or name in found or not info.filename.endswith(".npy"):
            raise ExplorerError(f"{path} holds {info.filename!r}, which no export writes: export the run again.")
        try:
            with zf.open(info) as f:
                version = np.lib.format.read_magic(f)
                read = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
                if version not in read:
                    raise ValueError(f"npy version {version}")
                shape, _, dtype = read[version](f, max_header_size=10_000)
        except ZIP_ERRORS as err:
            raise ExplorerError(f"{path}: the array {name} cannot be read ({err}): export the run again.") from err
        kinds, dims = NPZ_LAYOUT[name]
        if dtype.hasobject or dtype.kind not in kinds or (kinds == "f" and len(dims) > 1 and dtype.itemsize != 4):
            raise ExplorerError(
                f"{path}: the array {name} is {dtype}, not what an export writes: export the run again."
            )
        if len(shape) != len(dims) or math.prod(shape) * dtype.itemsize > info.file_size:
            raise ExplorerError(
                f"{path}: the array {name} has the shape {shape}, which does not fit its layout "
                f"({dims or 'one value'}) or the bytes stored: export the run again."
            )
        found[name] = (info, tuple(int(n) for n in shape), dtype)
    return found


def _check_layout(path: Path, headers: dict) -> dict[str, int]:
    """Every array's dimensions agree with the others' (L, H, N, ...) and the whole fits in memory."""
    maps = "attn" in headers or "scores" in headers
    needed = [*NPZ_SMALL, *(n for n in NPZ_ARRAYS if maps or n not in NPZ_MAPS)]
    needed += [] if maps else ["mask_patterns", "mask_of_layer"]
    missing = [n for n in needed if n not in headers]
    if missing:
        raise ExplorerError(f"{path} lacks {', '.join(missing)}: it was not written by this explorer's export.")
    size: dict[str, int] = {"2": 2}
    for name in headers:
        for letter, n in zip(NPZ_LAYOUT[name][1], headers[name][1]):
            if size.setdefault(letter, n) != n:
                raise ExplorerError(
                    f"{path}: the array {name} has {n} where the others have {size[letter]} ({letter} in "
                    f"{NPZ_LAYOUT[name][1]}), so its arrays do not belong together: export the run again."
                )
    if size["P"] != size["L"] + 1 or min(size[c] for c in "LHNMdD") < 1:
        raise ExplorerError(f"{path} has {size['P']} hidden states for {size['L']} layers: export the run again.")
    need, budget = sum(math.prod(shape) * dtype.itemsize for _, shape, dtype in headers.values()), memory_budget()
    if need > budget:
        raise ExplorerError(
            f"{path} would need {need / 2**20:,.1f} MB to read, more than the {budget / 2**20:,.1f} MB this machine "
            "can spare: read it on a machine with more memory."
        )
    return size


def _run_meta(path: Path, data: dict[str, np.ndarray], size: dict[str, int]) -> dict[str, Any]:
    """The scalars of run.npz (its run_json), checked field by field against each other and the arrays."""
    try:
        meta = json.loads(str(data["run_json"]))
    except (ValueError, RecursionError) as err:
        raise ExplorerError(f"{path}: its run_json is not valid JSON ({err}): export the run again.") from err
    fields = {"text": str, "model_name": str, "architecture": str, "truncated": bool, "is_causal": bool,
              "n_tokens_total": int, "n_kv_heads": int, "meta": dict}  # fmt: skip
    bad = [k for k, t in fields.items() if not isinstance(meta, dict) or type(meta.get(k)) is not t]
    if bad:
        raise ExplorerError(f"{path}: its run_json lacks or mistypes {', '.join(bad)}: export the run again.")
    offsets, ids = data["offsets"], data["token_ids"]
    checks = {
        "n_tokens_total": meta["n_tokens_total"] >= size["N"],
        "n_kv_heads": 1 <= meta["n_kv_heads"] <= size["H"],
        "offsets": bool(np.all((0 <= offsets) & (offsets[:, :1] <= offsets[:, 1:]) & (offsets <= len(meta["text"])))),
        "token_ids": bool(np.all(ids >= 0)),
        "scale": bool(np.all(np.isfinite(data["scale"]))),
        "mask_of_layer": "mask_of_layer" not in data
        or bool(np.all((-1 <= data["mask_of_layer"]) & (data["mask_of_layer"] < size.get("U", 0)))),
        "score_terms": "attn" in data or not meta.get("score_terms"),
    }
    wrong = [k for k, ok in checks.items() if not ok]
    if wrong:
        raise ExplorerError(f"{path}: its {', '.join(wrong)} do not fit the run it holds: export the run again.")
    return meta


def _check_run_json(path: Path, meta: dict, data: dict[str, np.ndarray]) -> None:
    """run.json beside run.npz must describe the same run: text, tokens and every array's shape."""
    try:
        doc = json.loads(path.read_bytes().decode("utf-8")) if path.stat().st_size <= RUN_JSON_LIMIT else None
    except (OSError, ValueError, RecursionError) as err:
        raise ExplorerError(f"{path} cannot be read as a run.json ({err}): export the run again.") from err
    if not isinstance(doc, dict):
        raise ExplorerError(f"{path} is not a run.json this explorer writes: export the run again.")
    tokens = doc.get("tokens")
    same = {
        "text": doc.get("text") == meta["text"],
        "tokens": isinstance(tokens, list)
        and [t.get("token") if isinstance(t, dict) else t for t in tokens] == data["tokens"].tolist(),
        "shapes": isinstance(doc.get("shapes"), dict)
        and all(
            doc["shapes"].get(n) == list(a.shape) for n, a in data.items() if n in NPZ_ARRAYS and n in doc["shapes"]
        ),
    }
    differ = [k for k, ok in same.items() if not ok]
    if differ:
        raise ExplorerError(
            f"{path.name} and {path.with_suffix('.npz').name} in {path.parent} describe different runs (their "
            f"{', '.join(differ)} differ): export the run again, or load the .npz file alone."
        )


def load_run(path: str | Path) -> Extraction:
    """Read an exported run back: `path` is run.npz, its run.json, or the export folder.

    Nothing in the files is trusted: every array's header (dtype, shape) is checked against the others and the
    memory there is before any is read, no pickle is ever loaded, and the scalars are checked against the arrays
    (and against run.json, for a folder or a .json path). Anything that does not fit is an ExplorerError.
    """
    path = Path(path).expanduser()
    given = path
    if path.is_dir():
        path = path / "run.npz"
    elif path.suffix.lower() == ".json":
        path = path.with_suffix(".npz")
    if not path.is_file():
        raise ExplorerError(
            f"No run found at {path}: export one with `python -m explorer export --format npz --out FOLDER`."
        )
    try:
        with zipfile.ZipFile(path) as zf:
            headers = _npz_headers(path, zf)
            size = _check_layout(path, headers)
            data = {}
            for name, (info, _, _) in headers.items():
                with zf.open(info) as f:
                    data[name] = np.lib.format.read_array(f, allow_pickle=False, max_header_size=10_000)
    except ZIP_ERRORS as err:
        if isinstance(err, ExplorerError):
            raise
        raise ExplorerError(f"{path} is not a readable run.npz ({err}): export the run again.") from err
    meta = _run_meta(path, data, size)
    if given.is_dir() or given.suffix.lower() == ".json":
        if path.with_suffix(".json").is_file():
            _check_run_json(path.with_suffix(".json"), meta, data)
    maps = "attn" in data  # a long run's npz holds q, k and the masks instead of its maps
    if maps:
        masked = ~np.isfinite(data["scores"][:, 0])  # [L, N, M]: the model's mask is the same for every head
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
        truncated=meta["truncated"],
        n_tokens_total=meta["n_tokens_total"],
        is_causal=meta["is_causal"],
        n_kv_heads=meta["n_kv_heads"],
        scale=[float(s) for s in data["scale"]],
        meta=meta["meta"],
        masked=masked,
        stored_scores=data["scores"] if maps and meta.get("score_terms") else None,
    )
