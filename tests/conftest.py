"""Shared fixtures: offline everywhere, the bundled model loaded once per test session."""

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pytest  # noqa: E402

import explorer  # noqa: E402


@pytest.fixture(scope="session")
def bundle():
    """The bundled all-MiniLM-L6-v2 (6 layers x 12 heads, d_head 32)."""
    return explorer.load_model()


@pytest.fixture(scope="session")
def apple_run(bundle):
    return explorer.extract(bundle, "I ate an apple pie, then bought an Apple iPhone.")
