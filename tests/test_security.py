"""Security defaults: localhost only, no usage statistics, safetensors only, never trust_remote_code."""

import re
import tomllib
from pathlib import Path

import transformers

import explorer

ROOT = Path(__file__).resolve().parents[1]


def test_server_binds_localhost_and_sends_no_statistics():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "localhost"
    assert config["browser"]["gatherUsageStats"] is False


def test_no_source_turns_on_remote_code():
    for path in list((ROOT / "explorer").rglob("*.py")) + list((ROOT / "pages").glob("*.py")):
        assert not re.search(r"trust_remote_code\s*=\s*True", path.read_text()), path


def test_loading_asks_for_safetensors_and_no_remote_code(monkeypatch):
    seen = {}
    original = transformers.AutoModel.from_pretrained

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return original(*args, **kwargs)

    monkeypatch.setattr(transformers.AutoModel, "from_pretrained", spy)
    explorer.load_model()
    assert seen["use_safetensors"] is True
    assert seen["trust_remote_code"] is False
    assert seen["attn_implementation"] == "eager"
    assert seen["local_files_only"] is True  # a folder (here the bundled one) never touches the network
