"""Tiny random models of every supported family, built from their configs and saved to a folder (no download)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import torch

CORPUS = [
    "the cat sat on the mat because it was tired",
    "apple pie and apple juice with an apple iphone",
    "he said that she would come back tomorrow morning",
    "attention is all you need for the big red dog",
]
FAMILIES = ("bert", "roberta", "distilbert", "electra", "gpt2", "llama", "qwen2", "mistral")


def _bpe_tokenizer(bos: str | None, eos: str | None, unk: str | None = None):
    """A byte-level BPE tokenizer trained on a few sentences (stand-in for GPT-2/RoBERTa/Llama vocabularies)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    specials = [t for t in ("<pad>", bos, eos, unk) if t]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=300, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tok.train_from_iterator(CORPUS, trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=bos, eos_token=eos, pad_token="<pad>")


def _wordpiece_tokenizer():
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(vocab_size=200, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
    tok.train_from_iterator(CORPUS, trainer)
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]", special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="[UNK]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        pad_token="[PAD]",
        mask_token="[MASK]",
    )


def make_tiny(family: str, folder: Path | str) -> Path:
    """Save a 2-layer random model of `family` with a fitting tokenizer to `folder` (safetensors)."""
    from transformers import (
        AutoModel,
        BertConfig,
        DistilBertConfig,
        ElectraConfig,
        GPT2Config,
        LlamaConfig,
        MistralConfig,
        Qwen2Config,
        RobertaConfig,
    )

    folder = Path(folder)
    torch.manual_seed(0)
    common = dict(vocab_size=320, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64)
    if family in ("bert", "electra"):
        tokenizer = _wordpiece_tokenizer()
        cls = BertConfig if family == "bert" else ElectraConfig
        config = cls(hidden_size=32, max_position_embeddings=64, **common)
        if family == "electra":
            config.embedding_size = 32
    elif family == "distilbert":
        tokenizer = _wordpiece_tokenizer()
        config = DistilBertConfig(
            vocab_size=320, dim=32, n_layers=2, n_heads=4, hidden_dim=64, max_position_embeddings=64
        )
    elif family == "roberta":
        tokenizer = _bpe_tokenizer("<s>", "</s>")
        config = RobertaConfig(hidden_size=32, max_position_embeddings=70, pad_token_id=0, **common)
    elif family == "gpt2":
        tokenizer = _bpe_tokenizer(None, None)
        config = GPT2Config(vocab_size=320, n_embd=32, n_layer=2, n_head=4, n_positions=64)
    elif family in ("llama", "qwen2", "mistral"):
        tokenizer = _bpe_tokenizer("<s>", "</s>")
        tokenizer.add_bos_token = True
        cls = {"llama": LlamaConfig, "qwen2": Qwen2Config, "mistral": MistralConfig}[family]
        config = cls(hidden_size=32, num_key_value_heads=2, max_position_embeddings=64, **common)
    else:
        raise ValueError(family)
    model = AutoModel.from_config(config, attn_implementation="eager")
    with torch.no_grad():  # random biases too, so bias handling is tested
        for name, p in model.named_parameters():
            if name.endswith("bias"):
                p.normal_(0, 0.1)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


class TinyModels(Mapping[str, Path]):
    """family -> folder `tiny-<family>` under `root`, built by make_tiny on first use and reused afterwards.

    The conftest's session fixture `tiny_dirs` is one of these, so each family is built at most once per test
    session, and only when a test asks for it. Treat the folders as read-only: copy one to change its files.
    """

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self._built: dict[str, Path] = {}

    def __getitem__(self, family: str) -> Path:
        if family not in FAMILIES:
            raise KeyError(family)
        if family not in self._built:
            with torch.random.fork_rng(devices=[]):  # make_tiny seeds torch: keep the tests' own RNG untouched
                self._built[family] = make_tiny(family, self.root / f"tiny-{family}")
        return self._built[family]

    def __iter__(self) -> Iterator[str]:
        return iter(FAMILIES)

    def __len__(self) -> int:
        return len(FAMILIES)
