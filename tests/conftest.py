"""Shared fixtures: offline everywhere, the bundled model loaded once per test session, tiny models built once."""

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pytest  # noqa: E402

import explorer  # noqa: E402

# AppTest + a pages/ folder: keep Streamlit in st.navigation mode for every test, whatever the order.
import tests.support.apptest  # noqa: E402, F401
from tests.support.tiny_models import TinyModels  # noqa: E402


@pytest.fixture(scope="session")
def bundle():
    """The bundled all-MiniLM-L6-v2 (6 layers x 12 heads, d_head 32)."""
    return explorer.load_model()


@pytest.fixture(scope="session")
def apple_run(bundle):
    return explorer.extract(bundle, "I ate an apple pie, then bought an Apple iPhone.")


@pytest.fixture(scope="session")
def tiny_dirs(tmp_path_factory):
    """family -> folder `tiny-<family>` of a tiny random model (2 layers x 4 heads), each family built once per
    test session on first use. The one source of tiny models for every test: read-only, so a test that changes
    files on disk copies the folder first (shutil.copytree)."""
    return TinyModels(tmp_path_factory.mktemp("tiny"))
