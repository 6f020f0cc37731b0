"""load_model(): bundled default, every family from a local folder, and the errors a user can cause."""

import shutil

import pytest
from transformers import DebertaV2Config

import explorer
from explorer import ExplorerError
from tests.support.tiny_models import FAMILIES


def test_bundled_model_shape(bundle):
    assert (bundle.n_layers, bundle.n_heads, bundle.d_head, bundle.d_model) == (6, 12, 32, 384)
    assert bundle.architecture == "BertModel" and bundle.family == "BERT"
    assert not bundle.is_causal and bundle.n_kv_heads == 12
    assert bundle.max_tokens == 512
    assert "6 layers × 12 heads" in bundle.summary()


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_loads(tiny_dirs, family):
    b = explorer.load_model(str(tiny_dirs[family]))
    assert (b.n_layers, b.n_heads, b.d_head) == (2, 4, 8)
    assert b.is_causal == (family in ("gpt2", "llama", "qwen2", "mistral"))
    assert b.n_kv_heads == (2 if family in ("llama", "qwen2", "mistral") else 4)
    assert b.model.config.use_return_dict is not None  # a real transformers model
    assert not b.model.training


def test_missing_folder_says_what_to_do():
    with pytest.raises(ExplorerError, match="does not exist"):
        explorer.load_model("/no/such/model/folder")


def test_offline_hub_id_says_what_to_do():
    with pytest.raises(ExplorerError, match="local folder"):
        explorer.load_model("someone/not-a-real-model-xyz")


def test_pickle_only_weights_are_refused(tiny_dirs, tmp_path):
    folder = tmp_path / "pickled"
    shutil.copytree(tiny_dirs["bert"], folder)
    for f in folder.glob("*.safetensors"):
        f.unlink()
    (folder / "pytorch_model.bin").write_bytes(b"not unpickled: refused before reading")
    with pytest.raises(ExplorerError, match="pickle"):
        explorer.load_model(str(folder))


def test_unsupported_architecture_lists_families(tiny_dirs, tmp_path):
    folder = tmp_path / "debertaish"
    shutil.copytree(tiny_dirs["bert"], folder)
    DebertaV2Config(hidden_size=32, num_hidden_layers=1, num_attention_heads=4, vocab_size=320).to_json_file(
        folder / "config.json"
    )
    with pytest.raises(ExplorerError, match="outside transformers' attention interface") as err:
        explorer.load_model(str(folder))
    for family in ("BERT", "ModernBERT", "GPT-2", "GPT-NeoX", "Qwen3", "Gemma 2", "Phi-3", "T5", "BART", "Marian"):
        assert family in str(err.value)


def test_folder_without_config(tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"")
    with pytest.raises(ExplorerError, match="config.json"):
        explorer.load_model(str(tmp_path))


def test_explorer_error_is_value_error():
    assert issubclass(ExplorerError, ValueError)


def test_unreachable_hub_fails_fast(monkeypatch):
    """Online mode but no hub (a closed local port): the error comes in seconds, not after minutes of retries."""
    import socket
    import time

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    t0 = time.perf_counter()
    with pytest.raises(ExplorerError, match="could not be found on the Hugging Face hub"):
        explorer.load_model("someone/not-cached-model")
    assert time.perf_counter() - t0 < 10


def test_device_and_dtype_at_load(tiny_dirs):
    import numpy as np
    import torch

    b = explorer.load_model(str(tiny_dirs["qwen3"]), device="cpu", dtype="bfloat16")
    assert b.dtype == torch.bfloat16 and b.device.type == "cpu"
    run = explorer.extract(b, "the cat sat on the mat because it was tired")
    assert run.q.dtype == np.float32 and run.attn[0].dtype == np.float32  # what is kept is float32 on the host
    full = explorer.load_model(str(tiny_dirs["qwen3"]))
    want = explorer.extract(full, "the cat sat on the mat because it was tired")
    np.testing.assert_allclose(run.attn[1], want.attn[1], atol=0.05)  # bfloat16 rounding, same maps
    auto = explorer.load_model(str(tiny_dirs["bert"]), device="auto")  # accelerate's device_map
    assert auto.device.type in ("cpu", "cuda", "mps")


@pytest.mark.parametrize(
    ("options", "message"),
    [({"dtype": "int8"}, "Unknown dtype"), ({"device": "tpu:9"}, "device"), ({"dtype": 3}, "dtype")],
)
def test_bad_device_or_dtype_is_refused(tiny_dirs, options, message):
    with pytest.raises(ExplorerError, match=message):
        explorer.load_model(str(tiny_dirs["bert"]), **options)


def test_a_gpu_asked_for_on_a_machine_without_one_is_refused(tiny_dirs):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    with pytest.raises(ExplorerError, match="no CUDA GPU"):
        explorer.load_model(str(tiny_dirs["bert"]), device="cuda")


def test_the_trained_length_is_read_from_the_models_own_files(bundle, tiny_dirs):
    import json
    from pathlib import Path

    own = json.loads(Path(bundle.source, "sentence_bert_config.json").read_text())["max_seq_length"]
    assert bundle.trained_tokens == own == 256 and bundle.max_tokens == 512
    tiny = explorer.load_model(str(tiny_dirs["bert"]))  # no sentence-transformers config: the position limit
    assert tiny.trained_tokens == tiny.max_tokens
