"""A target written by the model's own LM head: greedy decoding checked step by step against the LM head's logits."""

import pytest
import torch

import explorer
from explorer import ExplorerError
from explorer.generate import MAX_NEW_TOKENS, generate_target, lm_head_note
from tests.support.tiny_models import make_tiny


def lm_model(family, tmp_path_factory):
    return explorer.load_model(str(make_tiny(family, tmp_path_factory.mktemp(f"lm-{family}"), lm_head=True)))


@pytest.fixture(scope="module")
def lm_bundle(tmp_path_factory):
    return lm_model("t5", tmp_path_factory)


def test_the_target_is_the_lm_heads_greedy_choice_at_every_step(lm_bundle):
    from transformers import AutoModelForSeq2SeqLM

    text = "the cat sat on the mat"
    target = generate_target(lm_bundle, text, max_new_tokens=6)
    # Independently: the saved model, decoded by hand one argmax at a time from the decoder start token.
    model = AutoModelForSeq2SeqLM.from_pretrained(lm_bundle.source, use_safetensors=True).eval()
    enc = lm_bundle.tokenizer(text, return_tensors="pt")
    ids = torch.tensor([[lm_bundle.decoder_start]])
    with torch.no_grad():
        for _ in range(6):
            logits = model(**enc, decoder_input_ids=ids).logits[0, -1]
            ids = torch.cat([ids, logits.argmax().view(1, 1)], dim=1)
            if ids[0, -1].item() == model.config.eos_token_id:
                break
    assert target and target == lm_bundle.tokenizer.decode(ids[0], skip_special_tokens=True).strip()
    # and the generated target runs like a typed one
    run = explorer.extract(lm_bundle, text, target=target)
    assert run.kinds == ("encoder", "decoder", "cross")


def test_a_target_of_only_special_tokens_is_refused(tmp_path_factory):
    bart = lm_model("bart", tmp_path_factory)  # this random BART's LM head writes its end token first
    with pytest.raises(ExplorerError, match="ended the target at once"):
        generate_target(bart, "the cat sat on the mat because it was tired")


def test_a_folder_without_an_lm_head_says_so(tiny_dirs):
    bundle = explorer.load_model(str(tiny_dirs["t5"]))  # saved as T5Model: the base model only
    note = lm_head_note(bundle)
    assert "without its LM head" in note and "T5Model" in note
    with pytest.raises(ExplorerError, match="without its LM head"):
        generate_target(bundle, "the cat")


def test_a_one_stack_model_has_no_target_to_generate(bundle):
    assert "has no decoder" in lm_head_note(bundle)


@pytest.mark.parametrize("bad", [0, -1, MAX_NEW_TOKENS + 1, 2.5, True, "4"])
def test_the_number_of_new_tokens_is_checked(lm_bundle, bad):
    with pytest.raises(ExplorerError, match="whole number"):
        generate_target(lm_bundle, "the cat", max_new_tokens=bad)


def test_an_empty_text_is_refused(lm_bundle):
    with pytest.raises(ExplorerError, match="Type a text"):
        generate_target(lm_bundle, "   ")
