"""Multi-Head Subspace Explorer: every attention head of a real pretrained Transformer, exactly."""

from explorer.errors import ExplorerError
from explorer.extract import Extraction, extract
from explorer.io.runfiles import load_run
from explorer.models import DEFAULT_MODEL, ModelBundle, load_model

__all__ = ["DEFAULT_MODEL", "Extraction", "ExplorerError", "ModelBundle", "extract", "load_model", "load_run"]
