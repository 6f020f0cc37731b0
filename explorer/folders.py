"""The loading gate: what a model folder must hold before any weight is read, and what it says when it does not.

check_folder(folder) reads config.json and only the headers of the safetensors weights: a folder with damaged,
empty or missing weights, a config that is not a JSON object, no tokenizer files, or a layer count its weights
cannot hold is refused here, naming the file and what to do. check_shapes() then compares every weight's shape
with the model the config builds (on the meta device, so nothing is allocated). trained_length() reads how long
the texts the model was trained on were.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import torch

from explorer.discovery import SUPPORTED
from explorer.errors import ExplorerError

PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")
KINDS = {"encoder": ("self",), "decoder": ("self",), "encoder-decoder": ("encoder", "decoder", "cross")}
WEIGHTS, WEIGHTS_INDEX = "model.safetensors", "model.safetensors.index.json"  # the names transformers loads
TOKENIZER_FILES = (
    "tokenizer.json", "vocab.txt", "vocab.json", "spiece.model", "sentencepiece.bpe.model", "tokenizer.model",
    "source.spm",
)  # fmt: skip
FOLDER_FILES = (".json", ".safetensors", ".txt", ".model", ".spm")  # what a load may open: regular files only
JSON_LIMIT = 64 * 2**20  # bytes; a config is a few KB, the largest tokenizer.json files about 35 MB
LAYER_KEYS = ("num_hidden_layers", "n_layer", "n_layers", "num_layers", "encoder_layers", "decoder_layers")


def read_json(path: Path, folder: str) -> dict:
    """A JSON object from a model folder's file, or ExplorerError naming the file and what is wrong with it."""
    fix = "Restore the file, or save the model again with save_pretrained()."
    try:
        data = path.read_bytes() if path.stat().st_size <= JSON_LIMIT else None
    except OSError as err:
        raise ExplorerError(f"Cannot read {path.name} in '{folder}' ({err.strerror}): check its permissions.") from err
    if data is None:
        raise ExplorerError(f"{path.name} in '{folder}' is {path.stat().st_size:,} bytes, too big to be one. {fix}")
    try:
        text = data.decode("utf-8-sig")
        doc = json.loads(text)
    except UnicodeDecodeError as err:
        raise ExplorerError(f"{path.name} in '{folder}' is not UTF-8 text (byte {err.start}). {fix}") from err
    except (ValueError, RecursionError) as err:
        what = "is empty" if not text.strip() else f"is not valid JSON ({str(err)[:80]})"
        raise ExplorerError(f"{path.name} in '{folder}' {what}. {fix}") from err
    if not isinstance(doc, dict):
        raise ExplorerError(
            f"{path.name} in '{folder}' holds a JSON {type(doc).__name__}, not an object of settings. {fix}"
        )
    return doc


def check_folder(folder: str) -> dict[str, tuple[str, tuple[int, ...]]]:
    """The gate for a local folder, before any weight is read: config.json, the safetensors headers, tokenizer
    files. Returns each tensor's (file, shape). Pickle-only weights are refused, never opened."""
    try:
        files = set(os.listdir(folder))
    except OSError as err:
        raise ExplorerError(f"Cannot read the folder '{folder}' ({err.strerror}): check its permissions.") from err
    if "config.json" not in files:
        raise ExplorerError(
            f"'{folder}' has no config.json, so it is not a Hugging Face model folder. Give a folder saved with "
            "save_pretrained()."
        )
    odd = sorted(f for f in files if f.endswith(FOLDER_FILES) and not os.path.isfile(os.path.join(folder, f)))
    if odd:
        raise ExplorerError(f"'{odd[0]}' in '{folder}' is not a regular file: replace it with the real file.")
    config = read_json(Path(folder, "config.json"), folder)
    if not isinstance(config.get("model_type"), str):
        raise ExplorerError(
            f"config.json in '{folder}' names no model_type, so the model family is unknown. Use the config.json "
            "saved with these weights."
        )
    check_family(config["model_type"])
    tensors = weight_headers(folder, files)
    for doc in [config, *(v for v in config.values() if isinstance(v, dict))]:  # and nested text/encoder configs
        key = next((k for k in LAYER_KEYS if isinstance(doc.get(k), int) and doc[k] > len(tensors)), None)
        if key:  # checked before a model is built from the config: a million layers would take minutes
            raise ExplorerError(
                f"config.json in '{folder}' says {key} = {doc[key]:,}, but the weights hold only {len(tensors)} "
                "tensors: the config does not belong to these weights. Use the config.json saved with them."
            )
    if not files & set(TOKENIZER_FILES):
        raise ExplorerError(
            f"'{folder}' has no tokenizer files (none of {', '.join(TOKENIZER_FILES)}), so every word would be "
            "unknown to the model. Save the tokenizer into the folder: tokenizer.save_pretrained(folder)."
        )
    return tensors


def weight_headers(folder: str, files: set[str]) -> dict[str, tuple[str, tuple[int, ...]]]:
    """tensor name -> (file, shape) from the safetensors headers (model.safetensors, or the shards its index
    names); damaged, truncated or empty files are refused here, naming the file."""
    from safetensors import safe_open

    if WEIGHTS_INDEX in files:
        weight_map = read_json(Path(folder, WEIGHTS_INDEX), folder).get("weight_map")
        shards = sorted(set(weight_map.values())) if isinstance(weight_map, dict) else []
        if not shards or not all(isinstance(f, str) and f in files and os.path.basename(f) == f for f in shards):
            raise ExplorerError(
                f"{WEIGHTS_INDEX} in '{folder}' does not list weight files that are in the folder: download or save "
                "the model again."
            )
    elif WEIGHTS in files:
        shards = [WEIGHTS]
    else:
        pickles = sorted(f for f in files if f.endswith(PICKLE_SUFFIXES))
        others = sorted(f for f in files if f.endswith(".safetensors"))
        if pickles and not others:
            raise ExplorerError(
                f"'{folder}' holds only pickle weights ({', '.join(pickles)}). Pickle files can run arbitrary code "
                "when loaded, so they are refused: convert them to safetensors (model.save_pretrained(dir, "
                "safe_serialization=True)) and load that folder."
            )
        found = f" (it has {', '.join(others)})" if others else ""
        raise ExplorerError(
            f"'{folder}' has no {WEIGHTS} or {WEIGHTS_INDEX}{found}. Save the model with save_pretrained() first."
        )
    tensors = {}
    for shard in shards:
        path = os.path.join(folder, shard)
        if os.path.getsize(path) == 0:
            raise ExplorerError(f"The weights file {shard} in '{folder}' is empty: download or save it again.")
        try:
            with safe_open(path, framework="pt") as f:
                tensors.update({k: (shard, tuple(f.get_slice(k).get_shape())) for k in f.keys()})
        except Exception as err:  # safetensors' own error type for every damaged header
            raise ExplorerError(
                f"The weights file {shard} in '{folder}' is damaged or incomplete ({err}): download or save it again."
            ) from err
    if not tensors:
        raise ExplorerError(f"The weights in '{folder}' hold no tensors: download or save the model again.")
    return tensors


def check_shapes(config: Any, tensors: dict[str, tuple[str, tuple[int, ...]]], folder: str) -> None:
    """Refuse weights whose shapes differ from what config.json builds, before reading them (a model built on the
    meta device costs no memory). Names the model cannot be matched with are left to the load's own report."""
    from transformers import AutoModel

    if getattr(config, "quantization_config", None) is not None:
        return  # packed weights: their stored shapes are not the layer shapes
    try:
        with torch.device("meta"):
            model = AutoModel.from_config(config, attn_implementation="eager")
    except Exception:  # noqa: BLE001 - the real load below reports what is wrong with this config
        return
    prefix = getattr(model, "base_model_prefix", "")
    wrong = []
    for name, p in model.named_parameters():
        hit = tensors.get(name) or tensors.get(f"{prefix}.{name}")
        if hit is not None and tuple(hit[1]) != tuple(p.shape):
            wrong.append((name, hit[1], tuple(p.shape), hit[0]))
    refuse_mismatch(wrong, folder)
    want = sum(p.numel() for p in model.parameters())
    held = sum(math.prod(shape) for _, shape in tensors.values())
    if want > 2 * held + 10**7:
        raise ExplorerError(
            f"config.json in '{folder}' describes a model of {want:,} weights, but the weight files hold {held:,}: "
            "the config does not belong to these weights. Use the config.json saved with them."
        )


def refuse_mismatch(wrong: list[tuple], folder: str) -> None:
    """wrong: (name, shape in the file, shape the config builds, file name) per tensor that differs."""
    if not wrong:
        return
    name, have, want, file = wrong[0]
    more = f" (and {len(wrong) - 1} more)" if len(wrong) > 1 else ""
    have, want = (" × ".join(map(str, shape)) or "a scalar" for shape in (have, want))
    raise ExplorerError(
        f"The weights in '{folder}' do not match its config.json: {name} is {have} in {file} but {want} by the "
        f"config{more}. Use the config.json saved with these weights (its hidden size, layer "
        "count and vocabulary size must be theirs)."
    )


def check_family(model_type: str) -> None:
    """Refuse, before any weight is read, the families known to compute attention outside the interface."""
    outside = {"deberta": "DeBERTa", "deberta-v2": "DeBERTa-v2", "falcon": "Falcon"}
    if model_type in outside:
        raise ExplorerError(
            f"{outside[model_type]} computes its attention in its own code, outside transformers' attention "
            f"interface, so its heads cannot be captured exactly. Supported: {SUPPORTED}."
        )


def trained_length(folder: str, position_limit: int) -> int:
    """How many tokens the model's texts had in training, as its own files say: sentence-transformers'
    max_seq_length (sentence_bert_config.json) where the folder has one, else the position limit. Beyond it the
    model meets positions (or lengths) it was never trained on, and heads change how they behave."""
    path = Path(folder, "sentence_bert_config.json")
    if path.is_file():
        try:
            length = json.loads(path.read_text(encoding="utf-8")).get("max_seq_length")
        except (OSError, ValueError, AttributeError):
            length = None
        if isinstance(length, int) and not isinstance(length, bool) and 2 <= length <= position_limit:
            return length
    return position_limit
