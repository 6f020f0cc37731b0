"""Hugging Face's own eager attention, the reference that extract() and the capture are checked against."""

from __future__ import annotations

import numpy as np
import torch
from transformers import AutoModel


def hf_attentions(folder, token_ids):
    """[L, H, N, N] from a separately loaded Hugging Face model with eager attention (the reference)."""
    model = AutoModel.from_pretrained(folder, attn_implementation="eager").eval()
    with torch.no_grad():
        out = model(input_ids=torch.tensor([token_ids]), output_attentions=True)
    return np.stack([a[0].numpy() for a in out.attentions])
