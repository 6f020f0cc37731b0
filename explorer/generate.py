"""A target text for an encoder–decoder run, written by the model's own LM head (greedy decoding).

    note = lm_head_note(bundle)          # None when the folder has an LM head; else a sentence saying why not
    target = generate_target(bundle, "The house is wonderful.", max_new_tokens=40)

load_model() keeps the base model (no LM head), which is all the capture needs. Generating loads the folder's
*ForConditionalGeneration model beside it, once per bundle, from the same local safetensors files: never the
network, never remote code. Generation runs outside any capture, so it changes nothing a run shows.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import torch

from explorer.errors import ExplorerError

if TYPE_CHECKING:
    from explorer.models import ModelBundle

MAX_NEW_TOKENS = 256  # the most tokens one generated target may have
LM_HEAD_ARCHITECTURES = ("ForConditionalGeneration", "ForSeq2SeqLM")

_LM_MODELS: dict[tuple[str, str], torch.nn.Module] = {}  # (source, dtype) -> the LM-head model, loaded once
_LOCK = threading.Lock()


def lm_head_note(bundle: ModelBundle) -> str | None:
    """None when generate_target() can write a target for this bundle; else one plain sentence saying why not."""
    if bundle.kind != "encoder-decoder":
        return f"{bundle.display_name} has no decoder, so there is no target to generate."
    architectures = getattr(bundle.model.config, "architectures", None) or []  # as saved in config.json
    if not any(str(a).endswith(LM_HEAD_ARCHITECTURES) for a in architectures):
        saved_as = ", ".join(map(str, architectures)) or "no architecture"
        return (
            f"{bundle.display_name} was saved as {saved_as}, without its LM head, so it cannot write a target: "
            "type one, or load a folder saved from the …ForConditionalGeneration model."
        )
    return None


def generate_target(bundle: ModelBundle, text: str, max_new_tokens: int = 40) -> str:
    """The model's own greedy continuation of `text` on the decoder's side (e.g. the translation), as text."""
    if note := lm_head_note(bundle):
        raise ExplorerError(note)
    whole = isinstance(max_new_tokens, int) and not isinstance(max_new_tokens, bool)
    if not whole or not 1 <= max_new_tokens <= MAX_NEW_TOKENS:
        raise ExplorerError(f"New tokens must be a whole number from 1 to {MAX_NEW_TOKENS}, not {max_new_tokens!r}.")
    if not str(text).strip():
        raise ExplorerError("Type a text first: the target is generated from it.")
    model = _lm_model(bundle)
    tokenizer = bundle.tokenizer
    enc = tokenizer(str(text), return_tensors="pt", truncation=True, max_length=bundle.max_tokens)
    device = next(model.parameters()).device
    with torch.no_grad():
        out = model.generate(
            input_ids=enc["input_ids"].to(device),
            attention_mask=enc["attention_mask"].to(device),
            max_new_tokens=max_new_tokens,
            do_sample=False,
            num_beams=1,
            decoder_start_token_id=bundle.decoder_start,
        )
    target = tokenizer.decode(out[0], skip_special_tokens=True).strip()
    if not target:
        raise ExplorerError(
            f"{bundle.display_name}'s LM head ended the target at once (it wrote only special tokens): type a target."
        )
    return target


def _lm_model(bundle: ModelBundle) -> torch.nn.Module:
    """The folder's LM-head model, loaded once per (folder, dtype) from local safetensors only."""
    key = (bundle.source, str(bundle.dtype))
    with _LOCK:
        if key in _LM_MODELS:
            return _LM_MODELS[key]
        from transformers import AutoModelForSeq2SeqLM

        try:
            model, info = AutoModelForSeq2SeqLM.from_pretrained(
                bundle.source,
                use_safetensors=True,
                trust_remote_code=False,
                local_files_only=True,
                dtype=bundle.dtype,
                output_loading_info=True,
            )
        except (OSError, ValueError, KeyError) as err:
            raise ExplorerError(f"Could not load the LM head of {bundle.display_name}: {err}") from err
        missing = [k for k in info.get("missing_keys", ()) if "lm_head" in k or "final_logits_bias" in k]
        tied = getattr(model.config, "tie_word_embeddings", False)
        if missing and not tied:
            raise ExplorerError(
                f"{bundle.display_name}'s weights have no LM head ({', '.join(sorted(missing))} missing), so it cannot "
                "write a target: type one."
            )
        model.to(bundle.device).eval()
        _LM_MODELS[key] = model
        return model
