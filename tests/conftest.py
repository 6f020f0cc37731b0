"""Shared fixtures: offline everywhere, the bundled model loaded once per test session."""

import os
import sys

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pytest  # noqa: E402

import explorer  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))

# AppTest + a pages/ folder: keep Streamlit in st.navigation mode for every test, whatever the order.
import tests.apptest_support  # noqa: E402, F401


@pytest.fixture(scope="session")
def bundle():
    """The bundled all-MiniLM-L6-v2 (6 layers x 12 heads, d_head 32)."""
    return explorer.load_model()


@pytest.fixture(scope="session")
def apple_run(bundle):
    return explorer.extract(bundle, "I ate an apple pie, then bought an Apple iPhone.")


@pytest.fixture(scope="session")
def tiny_dirs(tmp_path_factory):
    """family -> folder of a tiny random model of that family (built once per test session)."""
    from tiny_models import FAMILIES, make_tiny

    root = tmp_path_factory.mktemp("tiny")
    return {family: make_tiny(family, root / family) for family in FAMILIES}
