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
# Core v2: every family whose attention goes through transformers' attention interface.
MORE_FAMILIES = (
    "xlm-roberta", "modernbert", "gpt_neox", "mixtral", "qwen3", "gemma2", "gemma3", "phi3", "olmo2",
    "gpt_bigcode", "smollm3", "gpt_oss",
)  # fmt: skip
SEQ2SEQ_FAMILIES = ("t5", "bart", "marian")
ALL_FAMILIES = FAMILIES + MORE_FAMILIES + SEQ2SEQ_FAMILIES
WINDOW = 6  # sliding windows shorter than the test texts, where a family has them


def _bpe_tokenizer(bos: str | None, eos: str | None, unk: str | None = None, template: str | None = None):
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
    if template:  # e.g. "$A </s>": the special tokens an encoder–decoder tokenizer adds
        from tokenizers import processors

        used = [t for t in specials if t in template.split()]
        tok.post_processor = processors.TemplateProcessing(
            single=template, special_tokens=[(t, tok.token_to_id(t)) for t in used]
        )
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


# The tutorials' Chinese examples (../shared/seeds): a tiny model whose vocabulary holds their characters reads them.
CHINESE = (
    "打野来抓上单，结果他被反杀了。", "我吃了一个苹果。", "苹果很甜。", "她买了三个红苹果。", "苹果公司发布了新手机。",
    "我用苹果电脑工作。", "苹果的股票涨了。", "我吃了一个苹果派。然后我在店里买了一部苹果手机和一台苹果笔记本电脑。",
    "他们说中文。",
)  # fmt: skip


def make_chinese(folder: Path | str, texts: tuple[str, ...] = CHINESE) -> Path:
    """Save a tiny random BERT (2 layers × 4 heads) whose vocabulary holds every character of `texts`, one token a
    character as Chinese BERTs split them, to `folder`."""
    from transformers import BertConfig, BertModel, BertTokenizer

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *sorted({c for t in texts for c in t})]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    BertTokenizer(vocab=str(folder / "vocab.txt")).save_pretrained(folder)
    config = BertConfig(
        vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        BertModel(config).save_pretrained(folder)
    return folder


def make_tiny(family: str, folder: Path | str, *, lm_head: bool = False) -> Path:
    """Save a 2-layer random model of `family` with a fitting tokenizer to `folder` (safetensors); lm_head=True
    saves an encoder–decoder family with its LM head (…ForConditionalGeneration), as translation models ship."""
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
        if family == "mistral":
            config.sliding_window = WINDOW
    else:
        tokenizer, config = _more(family, common)
    if lm_head:
        from transformers import AutoModelForSeq2SeqLM

        model = AutoModelForSeq2SeqLM.from_config(config, attn_implementation="eager")
    else:
        model = AutoModel.from_config(config, attn_implementation="eager")
    with torch.no_grad():  # random biases too, so bias handling is tested
        for name, p in model.named_parameters():
            if name.endswith("bias"):
                p.normal_(0, 0.1)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def _more(family: str, common: dict):
    """(tokenizer, config) of the Core v2 families: grouped-query heads, sliding windows, soft-capping, sinks,
    partial rotary, fused projections, relative position bias, encoder–decoder."""
    import transformers as tf

    causal = dict(hidden_size=32, max_position_embeddings=64, **common)
    gqa = dict(num_key_value_heads=2, **causal)
    decoder_tok = _bpe_tokenizer("<s>", "</s>")
    decoder_tok.add_bos_token = True
    layers = ["sliding_attention", "full_attention"]
    if family == "xlm-roberta":
        return _bpe_tokenizer("<s>", "</s>", template="<s> $A </s>"), tf.XLMRobertaConfig(
            hidden_size=32, max_position_embeddings=70, pad_token_id=0, **common
        )
    if family == "modernbert":
        return _wordpiece_tokenizer(), tf.ModernBertConfig(
            hidden_size=32, max_position_embeddings=64, local_attention=WINDOW, global_attn_every_n_layers=2,
            num_hidden_layers=3, pad_token_id=0, bos_token_id=2, eos_token_id=3, cls_token_id=2, sep_token_id=3,
            **{k: v for k, v in common.items() if k != "num_hidden_layers"},
        )  # fmt: skip
    if family == "gpt_neox":
        return decoder_tok, tf.GPTNeoXConfig(rotary_pct=0.5, bos_token_id=1, eos_token_id=2, **causal)
    if family == "mixtral":
        return decoder_tok, tf.MixtralConfig(num_local_experts=2, num_experts_per_tok=1, sliding_window=WINDOW, **gqa)
    if family == "qwen3":
        return decoder_tok, tf.Qwen3Config(head_dim=8, **gqa)
    if family == "gemma2":
        return decoder_tok, tf.Gemma2Config(
            head_dim=8, sliding_window=WINDOW, query_pre_attn_scalar=16, attn_logit_softcapping=5.0,
            layer_types=layers, pad_token_id=0, bos_token_id=1, eos_token_id=2, **gqa,
        )  # fmt: skip
    if family == "gemma3":
        return decoder_tok, tf.Gemma3TextConfig(
            head_dim=8, sliding_window=WINDOW, query_pre_attn_scalar=16, layer_types=layers, pad_token_id=0,
            bos_token_id=1, eos_token_id=2, **gqa,
        )  # fmt: skip
    if family == "phi3":
        return decoder_tok, tf.Phi3Config(pad_token_id=0, bos_token_id=1, eos_token_id=2, **gqa)
    if family == "olmo2":
        return decoder_tok, tf.Olmo2Config(pad_token_id=0, bos_token_id=1, eos_token_id=2, **gqa)
    if family == "gpt_bigcode":
        return _bpe_tokenizer(None, None), tf.GPTBigCodeConfig(
            vocab_size=320, n_embd=32, n_layer=2, n_head=4, n_positions=64, multi_query=True
        )
    if family == "smollm3":
        return decoder_tok, tf.SmolLM3Config(pad_token_id=0, bos_token_id=1, eos_token_id=2, **gqa)
    if family == "gpt_oss":
        return decoder_tok, tf.GptOssConfig(
            head_dim=8, num_local_experts=2, num_experts_per_tok=1, sliding_window=WINDOW, layer_types=layers,
            pad_token_id=0, bos_token_id=1, eos_token_id=2, **gqa,
        )  # fmt: skip
    seq2seq = dict(vocab_size=320, d_model=32, max_position_embeddings=64, pad_token_id=0)
    sizes = dict(encoder_layers=2, decoder_layers=2, encoder_attention_heads=4, decoder_attention_heads=4)
    ffn = dict(encoder_ffn_dim=64, decoder_ffn_dim=64)
    if family == "t5":
        return _bpe_tokenizer(None, "</s>", template="$A </s>"), tf.T5Config(
            vocab_size=320, d_model=32, d_kv=8, d_ff=64, num_layers=2, num_heads=4,
            relative_attention_num_buckets=8, pad_token_id=0, eos_token_id=1, decoder_start_token_id=0,
        )  # fmt: skip
    if family == "bart":
        return _bpe_tokenizer("<s>", "</s>", template="<s> $A </s>"), tf.BartConfig(
            bos_token_id=1, eos_token_id=2, decoder_start_token_id=2, **seq2seq, **sizes, **ffn
        )
    if family == "marian":
        return _bpe_tokenizer(None, "</s>", template="$A </s>"), tf.MarianConfig(
            eos_token_id=1, decoder_start_token_id=0, **seq2seq, **sizes, **ffn
        )
    raise ValueError(family)


class TinyModels(Mapping[str, Path]):
    """family -> folder `tiny-<family>` under `root`, built by make_tiny on first use and reused afterwards.

    The conftest's session fixture `tiny_dirs` is one of these, so each family is built at most once per test
    session, and only when a test asks for it. Treat the folders as read-only: copy one to change its files.
    """

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self._built: dict[str, Path] = {}

    def __getitem__(self, family: str) -> Path:
        if family not in ALL_FAMILIES:
            raise KeyError(family)
        if family not in self._built:
            with torch.random.fork_rng(devices=[]):  # make_tiny seeds torch: keep the tests' own RNG untouched
                self._built[family] = make_tiny(family, self.root / f"tiny-{family}")
        return self._built[family]

    def __iter__(self) -> Iterator[str]:
        return iter(FAMILIES)

    def __len__(self) -> int:
        return len(FAMILIES)
