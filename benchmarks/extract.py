"""extract() vs Hugging Face's eager forward with output_attentions (what BertViz runs) vs a plain sdpa forward.

Same process, interleaved repeats, bundled model, 16 / 128 / 512 tokens. Prints medians, ratios and peak
memory (tracemalloc for numpy-side allocations; ru_maxrss for the process).

    python benchmarks/extract.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time
import tracemalloc

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import sys  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np
import torch  # noqa: E402
from transformers import AutoModel  # noqa: E402

import explorer  # noqa: E402

WORDS = "the apple fell from the tree while Apple released a new phone and the market moved".split()


def text_of(bundle, n_tokens: int) -> str:
    """A text that tokenizes to exactly n_tokens (with [CLS]/[SEP])."""
    words, k = [], 0
    while len(bundle.tokenizer(" ".join(words))["input_ids"]) < n_tokens:
        words.append(WORDS[k % len(WORDS)])
        k += 1
    while len(bundle.tokenizer(" ".join(words))["input_ids"]) > n_tokens:
        words.pop()
    return " ".join(words)


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)

    bundle = explorer.load_model()
    eager = AutoModel.from_pretrained(bundle.source, attn_implementation="eager").eval()
    sdpa = AutoModel.from_pretrained(bundle.source, attn_implementation="sdpa").eval()
    print(f"model: {bundle.summary()}; torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(
        f"{'tokens':>6} {'extract ms':>11} {'+maps ms':>11} {'eager+attn ms':>14} {'sdpa ms':>8} "
        f"{'extract/eager':>14} {'+maps/eager':>14} {'extract/sdpa':>13} {'returned MB':>12} {'peak MB':>8}"
    )
    for n in (16, 128, 512):
        text = text_of(bundle, n)
        ids = torch.tensor([bundle.tokenizer(text)["input_ids"]])
        assert ids.shape[1] == n, ids.shape

        def run_extract(text=text):
            return explorer.extract(bundle, text, max_tokens=512)

        def run_extract_maps(text=text):
            run = explorer.extract(bundle, text, max_tokens=512)
            return run, np.asarray(run.attn)  # every map as numpy, as eager+attn gives them

        def run_eager(ids=ids):
            with torch.inference_mode():
                out = eager(input_ids=ids, output_attentions=True)
            return [a.numpy() for a in out.attentions]  # maps as numpy, as a viewer would use them

        def run_sdpa(ids=ids):
            with torch.inference_mode():
                return sdpa(input_ids=ids).last_hidden_state

        for fn in (run_extract, run_extract_maps, run_eager, run_sdpa):  # warm-up
            fn()
        times = {"extract": [], "extract+maps": [], "eager": [], "sdpa": []}
        for _ in range(args.repeats):  # interleaved, so drift hits all four alike
            times["extract"].append(timed(run_extract))
            times["extract+maps"].append(timed(run_extract_maps))
            times["eager"].append(timed(run_eager))
            times["sdpa"].append(timed(run_sdpa))
        med = {k: statistics.median(v) * 1e3 for k, v in times.items()}
        tracemalloc.start()
        run = run_extract()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        returned = sum(a.nbytes for a in (run.q, run.k, run.v, run.context, run.hidden, run.attn_input))
        print(
            f"{n:>6} {med['extract']:>11.1f} {med['extract+maps']:>11.1f} {med['eager']:>14.1f} "
            f"{med['sdpa']:>8.1f} {med['extract'] / med['eager']:>13.2f}x "
            f"{med['extract+maps'] / med['eager']:>13.2f}x {med['extract'] / med['sdpa']:>12.2f}x "
            f"{returned / 2**20:>12.1f} {peak / 2**20:>8.1f}"
        )
    print(f"process max RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    print(
        "extract returns q, k, v, context, hidden states and layer inputs; its maps and scores are computed on"
        " demand ('+maps' builds every map as numpy); eager+attn returns the maps only; sdpa returns no maps."
    )


if __name__ == "__main__":
    main()
