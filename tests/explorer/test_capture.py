"""explorer/capture.py: outside a capture the model is plain eager attention; captures on threads stay apart."""

import numpy as np
import torch

import explorer
from tests.support.hf import hf_attentions

TEXT = "The animal didn't cross the street because it was too tired."


def test_model_without_capture_still_gives_eager_attention(bundle):
    """Outside extract() the model behaves like plain eager attention (output_attentions works)."""
    ids = torch.tensor([bundle.tokenizer(TEXT)["input_ids"]])
    with torch.no_grad():
        out = bundle.model(input_ids=ids, output_attentions=True)
    ref = hf_attentions(bundle.source, ids[0].tolist())
    np.testing.assert_allclose(np.stack([a[0].numpy() for a in out.attentions]), ref, atol=1e-6)


def test_concurrent_extractions_from_one_model_stay_apart(bundle):
    """Streamlit serves sessions from threads that share one cached model: runs must not mix."""
    from concurrent.futures import ThreadPoolExecutor

    texts = ["The animal didn't cross the street because it was too tired.", "Apple stock rose. " * 20, "Hi there"]
    alone = [explorer.extract(bundle, t) for t in texts]
    with ThreadPoolExecutor(max_workers=3) as pool:
        together = list(pool.map(lambda t: explorer.extract(bundle, t), texts * 3))
    for i, run in enumerate(together):
        ref = alone[i % 3]
        assert run.token_ids == ref.token_ids
        np.testing.assert_allclose(run.attn, ref.attn, atol=1e-5)
        np.testing.assert_allclose(run.attn_input, ref.attn_input, atol=1e-5)
        np.testing.assert_allclose(run.q, ref.q, atol=1e-5)
