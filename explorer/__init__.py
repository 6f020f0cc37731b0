"""Multi-Head Subspace Explorer: every attention head of a real pretrained Transformer, exactly."""

from explorer.errors import ExplorerError
from explorer.extract import Extraction, extract
from explorer.models import DEFAULT_MODEL, ModelBundle, load_model

__all__ = ["DEFAULT_MODEL", "Extraction", "ExplorerError", "ModelBundle", "extract", "load_model", "load_run"]


def load_run(path):
    """Read a run written by `python -m explorer export` (run.npz + run.json) back into an Extraction."""
    from explorer.export import load_run as _load_run

    return _load_run(path)
