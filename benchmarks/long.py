"""Long texts on a Qwen2-0.5B-shaped random model: extract() against a plain sdpa forward, and maps on demand.

Same process, interleaved repeats. The model has Qwen2-0.5B's shape (24 layers × 14 heads, 2 KV heads, d_model
896, MLP 4864, vocabulary 151,936) with random weights, built from its config in a temp folder (no download).
For each length: median time and peak resident memory above the pre-call baseline (sampled every 5 ms), for
extract() and for the same weights loaded with sdpa attention and run with no maps kept. At the longest length
it also times one head's full map and one 256-row block, and prints the memory guard's estimate.

    python benchmarks/long.py [--lengths 512 2048 8192] [--repeats 2] [--device cpu] [--dtype float32]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch  # noqa: E402
from transformers import AutoModel, Qwen2Config  # noqa: E402

import explorer  # noqa: E402
from explorer.capture import forward  # noqa: E402
from explorer.extract import estimate_bytes  # noqa: E402
from tests.support.tiny_models import CORPUS, _bpe_tokenizer  # noqa: E402


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measured(fn) -> tuple[float, int, object]:
    """(seconds, peak RSS above the start, result), sampling RSS every 5 ms on a thread."""
    base, peak, done = rss(), [0], threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss())
            time.sleep(0.005)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    t0 = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - t0
    done.set()
    t.join()
    return seconds, max(peak[0], rss()) - base, result


def build(folder: str, max_len: int) -> None:
    config = Qwen2Config(
        vocab_size=151936, hidden_size=896, intermediate_size=4864, num_hidden_layers=24, num_attention_heads=14,
        num_key_value_heads=2, max_position_embeddings=max(32768, max_len), tie_word_embeddings=True,
    )  # fmt: skip
    torch.manual_seed(0)
    AutoModel.from_config(config).save_pretrained(folder)
    tok = _bpe_tokenizer("<s>", "</s>")
    tok.save_pretrained(folder)


def text_of(bundle, n: int) -> str:
    words = " ".join(CORPUS).split()
    text = " ".join(words * (n // len(words) + 2))
    assert len(bundle.tokenizer(text)["input_ids"]) >= n
    return text


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lengths", type=int, nargs="+", default=[512, 2048, 8192])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--device", default=None)
    parser.add_argument("--dtype", default=None)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="qwen2-0.5b-shape-")
    build(folder, max(args.lengths))
    bundle = explorer.load_model(folder, device=args.device, dtype=args.dtype)
    sdpa = AutoModel.from_pretrained(folder, attn_implementation="sdpa", dtype=bundle.dtype).to(bundle.device).eval()
    sdpa.config.use_cache = False
    warm = bundle.tokenizer(text_of(bundle, 64))["input_ids"][:64]
    forward(sdpa, warm), explorer.extract(bundle, text_of(bundle, 64), max_tokens=64)  # page the weights in
    weights = sum(p.numel() * p.element_size() for p in bundle.model.parameters())
    print(f"model: {bundle.summary()}; {weights / 2**30:.2f} GiB of weights; torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, device {bundle.device}, dtype {bundle.dtype}")  # fmt: skip
    print("| tokens | extract() | plain sdpa forward | ratio | extract peak | sdpa peak | kept arrays | estimate |")
    print("|---|---|---|---|---|---|---|---|")
    for n in args.lengths:
        text = text_of(bundle, n)
        ids = bundle.tokenizer(text)["input_ids"][:n]
        times: dict[str, list[float]] = {"extract": [], "sdpa": []}
        peaks: dict[str, list[int]] = {"extract": [], "sdpa": []}
        run = None
        for _ in range(args.repeats):
            run = None
            s, p, run = measured(lambda text=text, n=n: explorer.extract(bundle, text, max_tokens=n))
            times["extract"].append(s), peaks["extract"].append(p)
            s, p, _ = measured(lambda ids=ids: forward(sdpa, ids))
            times["sdpa"].append(s), peaks["sdpa"].append(p)
        kept = sum(a.nbytes for a in (run.q, run.k, run.v, run.context, run.hidden, run.attn_input))
        te, ts = statistics.median(times["extract"]), statistics.median(times["sdpa"])
        print(
            f"| {n} | {te:.2f} s | {ts:.2f} s | {te / ts:.2f}× | {max(peaks['extract']) / 2**30:.2f} GiB | "
            f"{max(peaks['sdpa']) / 2**30:.2f} GiB | {kept / 2**30:.2f} GiB | "
            f"{estimate_bytes(bundle, n) / 2**30:.2f} GiB |"
        )
    last = args.lengths[-1]
    head = [measured(lambda: run.attn[12, 5])[0] for _ in range(3)]
    block = [measured(lambda: run.attn[12, 5, last - 256 : last])[0] for _ in range(5)]
    layer_s, layer_p, _ = measured(lambda: run.attn[12])
    print(
        f"\nat {last} tokens: one head's map {statistics.median(head):.3f} s; one 256-row block "
        f"{statistics.median(block) * 1000:.1f} ms; one layer's maps {layer_s:.2f} s, {layer_p / 2**30:.2f} GiB"
    )


if __name__ == "__main__":
    main()
