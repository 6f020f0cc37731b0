"""Benchmark of the app: the all-heads overview (time, bytes) at 128 and 512 tokens, server time of an interaction
on a cached extraction, time from `streamlit run` to the first chart in a browser, and BertViz's model_view beside it.

Run: python benchmarks/app.py [--no-browser] [--no-bertviz]   (prints figures; no asserts)
BertViz is optional (`pip install bertviz`; not in requirements): without it that section is skipped.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
from timing import best_of  # noqa: E402

import explorer  # noqa: E402
from explorer.views.attention import head_heatmap, token_heads_strip  # noqa: E402
from explorer.views.raster import all_heads_png  # noqa: E402

TEXT = (
    "The animal didn't cross the street because it was too tired. I ate an apple pie with cream, then bought an "
    "Apple iPhone and an Apple laptop at the store. The jungler ganked top, but he got killed by the top laner. "
)
SIZES = (128, 512)


def mb(n_bytes: int) -> str:
    return f"{n_bytes / 1e6:.2f} MB"


def overview(bundle) -> dict:
    """1) Extraction and the overview PNG (what st.image sends), plus one head's heatmap spec, per size."""
    print("1) All-heads overview (one PNG of layers x heads), after extraction")
    print(f"{'tokens':>6} {'extract':>9} {'overview':>9} {'PNG':>9} {'heatmap':>9} {'heatmap rows':>13} {'strip':>8}")
    runs = {}
    for n in SIZES:
        run = explorer.extract(bundle, TEXT * 40, max_tokens=n)
        assert run.n_tokens == n
        runs[n] = run
        t_extract = best_of(lambda n=n: explorer.extract(bundle, TEXT * 40, max_tokens=n), repeats=2)
        t_png = best_of(lambda run=run: all_heads_png(run))
        png = all_heads_png(run)
        t_heat = best_of(lambda run=run: head_heatmap(run, 3, 5).to_dict())
        rows = len(next(iter(head_heatmap(run, 3, 5).to_dict()["datasets"].values())))
        t_strip = best_of(lambda run=run, i=n // 2: token_heads_strip(run, i).to_dict())
        print(
            f"{n:>6} {t_extract:>8.2f}s {t_png:>8.3f}s {mb(len(png)):>9} {t_heat:>8.3f}s {rows:>13,} {t_strip:>7.3f}s"
        )
    print("   targets: overview <= 3 s after extraction and <= 10 MB to the browser at 512 tokens")
    print()
    print("   first heatmap of a fresh run (one head): its scores on demand vs all layers' scores first (as v1 did)")
    for n, run in runs.items():
        t_one = best_of(lambda run=run: head_heatmap(run, 0, 0).to_dict())
        t_all = best_of(lambda run=run: (np.asarray(run.scores), head_heatmap(run, 0, 0).to_dict()))
        ratio = t_all / t_one
        print(f"{n:>6} tokens: {t_one:.3f} s vs {t_all:.3f} s ({ratio:.1f}x; all scores: {mb(4 * run.attn.size)})")
    print()
    return runs


def interactions() -> None:
    """2) Server time of moving a control on a cached 512-token extraction (AppTest runs the real scripts)."""
    from tests.support.apptest import app_test, charts

    print("2) Interaction on a cached extraction (AppTest: entry script + Attention maps page, server side)")
    at = app_test(timeout=120)
    at.number_input(key="sidebar_max_tokens").set_value(512)  # the default is the trained length, 256
    at.text_area(key="sidebar_text").set_value(TEXT * 40)
    t = time.perf_counter()
    at.run(timeout=120)
    first = time.perf_counter() - t
    run = at.session_state["run"]
    sent = sum(c.proto.ByteSize() for c in charts(at))
    print(f"   first run on {run.n_tokens} tokens (extraction + page): {first:.2f} s; chart data sent: {mb(sent)}")
    steps = [("attn_layer", v) for v in (1, 2, 3, 4)] + [("attn_head", v) for v in (1, 5, 9, 11)]
    times = []
    for key, value in steps:
        at.slider(key=key).set_value(value)
        t = time.perf_counter()
        at.run(timeout=120)
        times.append(time.perf_counter() - t)
        assert not at.exception and at.session_state["run"] is run  # the model did not run again
    token_times = []
    for token in (10, 200, 400):
        at.selectbox(key="attn_token").set_value(token)
        t = time.perf_counter()
        at.run(timeout=120)
        token_times.append(time.perf_counter() - t)
    print(
        f"   layer/head change: median {statistics.median(times):.3f} s, max {max(times):.3f} s "
        f"({len(times)} changes); token change: median {statistics.median(token_times):.3f} s"
    )
    print("   target: <= 0.3 s of server time")
    print()


# Per page: (widget kind, key, values to step through). Each step is one control change, timed on the server.
PAGE_CONTROLS = {
    "pages/attention.py": [("slider", "attn_layer", (1, 3)), ("slider", "attn_head", (4, 9)),
                           ("selectbox", "attn_token", (10, 300)), ("radio", "attn_value", ("scores", "attn"))],
    "pages/compare.py": [("selectbox", "compare_layer_0", (2, 5)), ("selectbox", "compare_diff_head", (3, 7))],
    "pages/qkv.py": [("selectbox", "qkv_layer", (1, 4)), ("selectbox", "qkv_head", (2, 6)),
                     ("selectbox", "qkv_query", (5, 200)), ("radio", "qkv_which", ("k", "v"))],
    "pages/walkthrough.py": [("slider", "walk_layer", (1, 4)), ("slider", "walk_head", (2, 7)),
                             ("selectbox", "walk_query", (3, 40))],
    "pages/export.py": [("multiselect", "export_heads", ([0, 1], [5]))],
}  # fmt: skip


def per_page(text: str, folder: str | None = None, label: str = "512 tokens, bundled model") -> None:
    """Server time of opening each page and of each control change on it (AppTest, cached extraction)."""
    from tests.support.apptest import app_test, use_model_folder

    print(f"   {label}")
    at = app_test(timeout=600)
    if folder:
        use_model_folder(at, folder)
    at.number_input(key="sidebar_max_tokens").set_value(8192 if folder else 512)  # the default is 256 (trained)
    at.text_area(key="sidebar_text").set_value(text)
    at.run(timeout=600)
    print(f"{'page':<22} {'control':<20} {'median s':>9} {'max s':>7}")
    for page, controls in PAGE_CONTROLS.items():
        at.switch_page(page)
        t = time.perf_counter()
        at.run(timeout=600)
        print(f"{page:<22} {'(open)':<20} {time.perf_counter() - t:>9.3f}")
        for kind, key, values in controls:
            times = []
            for value in values:
                widget = getattr(at, kind)(key=key)
                if kind == "slider" and not widget.min <= value <= widget.max:
                    continue  # a smaller model: this value does not exist
                if kind in ("selectbox", "radio") and widget.format_func(value) not in widget.options:
                    continue
                widget.set_value(value)
                t = time.perf_counter()
                at.run(timeout=600)
                times.append(time.perf_counter() - t)
                assert not at.exception, (page, key)
            if times:
                print(f"{'':<22} {key:<20} {statistics.median(times):>9.3f} {max(times):>7.3f}")
    print("   targets: <= 0.3 s per control change at 512 tokens; head comparison opens in <= 1.5 s")
    print()


BROWSER_CONTROLS = [  # (page title, widget, label, changes): sliders move with the keyboard, as a user's would;
    # a selectbox is opened, moved one option down and chosen with Enter (timed from the Enter)
    ("Attention maps", "slider", "Layer", 3),
    ("Attention maps", "slider", "Head", 3),
    ("Attention maps", "combobox", "Query token", 2),
    ("Head comparison", "combobox", "Layer", 2),
    ("Head comparison", "combobox", "Head", 2),
    ("Q/K/V vectors", "combobox", "Layer", 2),
    ("Q/K/V vectors", "combobox", "Query token", 2),
    ("How attention is computed", "slider", "Layer", 3),
    ("How attention is computed", "slider", "Head", 3),
    ("How attention is computed", "combobox", "Query token", 2),
]


def browser_controls() -> None:
    """6) Click (key press) to drawn in headless Chromium, per slider, at 512 tokens on the bundled model."""
    from playwright.sync_api import sync_playwright

    from tests.support.browser import (
        CHROMIUM,
        CHROMIUM_ARGS,
        SCRIPT_DONE_JS,
        free_port,
        settle,
        start_server,
        stop,
        wait_healthy,
    )

    print("6) A control change to everything drawn again, in headless Chromium (512 tokens, bundled model)")
    if not Path(CHROMIUM).exists():
        print(f"   skipped: no Chromium at {CHROMIUM}")
        return
    port = free_port()
    url = f"http://localhost:{port}"
    server = start_server(port)
    try:
        wait_healthy(url, server)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.goto(url, wait_until="domcontentloaded")
            settle(page)
            page.get_by_role("spinbutton", name="Token limit").fill("512")  # the default is the trained length, 256
            page.keyboard.press("Enter")
            settle(page)
            page.locator('[data-testid="stSidebar"] textarea').first.fill(TEXT * 40)
            page.keyboard.press("Control+Enter")
            page.get_by_text("512 tokens in this run.").wait_for(timeout=120_000)
            settle(page)
            print(f"{'page':<28} {'control':<20} {'median s':>9} {'max s':>7}")
            for title, widget, label, changes in BROWSER_CONTROLS:
                page.locator('[data-testid="stSidebarNav"] a', has_text=title).first.click()
                settle(page)
                times = []
                for _ in range(changes):
                    control = page.get_by_role(widget, name=label).first
                    if widget == "combobox":  # open the list and move one option down; the change is the Enter
                        control.focus()
                        page.keyboard.press("ArrowDown")  # opens the list on the current option
                        page.wait_for_timeout(300)
                        page.keyboard.press("ArrowDown")
                        page.wait_for_timeout(200)
                        key = "Enter"
                    else:
                        control.focus()
                        key = "ArrowRight"
                    t = time.perf_counter()
                    page.keyboard.press(key)
                    page.wait_for_function(
                        "() => !!document.querySelector('[data-testid=stApp][data-test-script-state=running]')"
                        " || document.querySelectorAll('[data-stale=true]').length > 0",
                        timeout=10_000,
                        polling=5,
                    )
                    page.wait_for_function(SCRIPT_DONE_JS, timeout=60_000, polling=5)
                    times.append(time.perf_counter() - t)
                    page.wait_for_timeout(300)
                name = f"{label} ({widget})"
                print(f"{title:<28} {name:<20} {statistics.median(times):>9.3f} {max(times):>7.3f}")
            browser.close()
    finally:
        stop(server)
    print("   target: <= 1 s from the change to drawn (the wait ends when Streamlit has re-drawn every element)")
    print()


def browser_first_chart() -> None:
    """3) Wall time from starting `streamlit run` to the first chart visible in headless Chromium."""
    from playwright.sync_api import sync_playwright

    from tests.support.browser import (
        CHART,
        CHROMIUM,
        CHROMIUM_ARGS,
        free_port,
        settle,
        start_server,
        stop,
        wait_healthy,
    )

    print("3) `streamlit run` -> first chart in the browser (headless Chromium, bundled model, default text)")
    if not Path(CHROMIUM).exists():
        print(f"   skipped: no Chromium at {CHROMIUM}")
        return
    port = free_port()
    url = f"http://localhost:{port}"
    t0 = time.perf_counter()
    server = start_server(port)
    try:
        wait_healthy(url, server)
        t_healthy = time.perf_counter() - t0
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.goto(url, wait_until="domcontentloaded")
            page.wait_for_selector(CHART, state="visible", timeout=120_000)
            t_chart = time.perf_counter() - t0
            settle(page)
            page2 = browser.new_page(viewport={"width": 1600, "height": 1000})
            t1 = time.perf_counter()
            page2.goto(url, wait_until="domcontentloaded")
            page2.wait_for_selector(CHART, state="visible", timeout=120_000)
            t_warm = time.perf_counter() - t1
            browser.close()
    finally:
        stop(server)
    print(f"   server healthy after {t_healthy:.1f} s; first chart after {t_chart:.1f} s (cold: model load + run)")
    print(f"   a second visitor (model and extraction cached): first chart after {t_warm:.1f} s")
    print()


def bertviz(bundle, runs: dict) -> None:
    """4) BertViz model_view on the same model and text: time and size of the HTML it writes."""
    try:
        from bertviz import model_view
    except ImportError:
        print("4) BertViz: not installed (pip install bertviz), skipped")
        return
    import torch

    print("4) BertViz model_view (same model, same text; HTML returned, not displayed)")
    print(f"{'tokens':>6} {'HF fwd':>9} {'model_view':>11} {'HTML':>10}   ours: {'overview':>9} {'PNG':>9}")
    for n in SIZES:
        run = runs[n]
        ids = torch.tensor([run.token_ids])
        t = time.perf_counter()
        with torch.inference_mode():
            out = bundle.model(input_ids=ids, output_attentions=True)
        attention = tuple(torch.from_numpy(run.attn[layer][None]) for layer in range(run.n_layers))  # (1, H, N, N)
        del out
        t_forward = time.perf_counter() - t
        tokens = bundle.tokenizer.convert_ids_to_tokens(run.token_ids)
        t = time.perf_counter()
        html = model_view(attention, tokens, html_action="return")
        t_view = time.perf_counter() - t
        size = len(html.data.encode())
        cdn = sorted({u for u in re.findall(r"https://cdnjs[^\"' ]+", html.data)})
        del html
        t_ours = best_of(lambda run=run: all_heads_png(run))
        png = len(all_heads_png(run))
        print(f"{n:>6} {t_forward:>8.2f}s {t_view:>10.2f}s {mb(size):>10}   ours: {t_ours:>8.3f}s {mb(png):>9}")
    print(f"   BertViz's page loads its scripts from a CDN ({', '.join(cdn)}), so offline it draws nothing.")
    print()


def main() -> None:
    import torch

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--no-bertviz", action="store_true")
    parser.add_argument("--pages", action="store_true", help="only the per-page control timings")
    parser.add_argument("--controls", action="store_true", help="only control-to-drawn times in Chromium")
    parser.add_argument("--long", default=None, metavar="FOLDER", help="also per page at 8,192 tokens on FOLDER")
    args = parser.parse_args()
    if args.controls:
        browser_controls()
        return
    if args.pages:
        print("5) Per page and control, server time (AppTest)")
        per_page(TEXT * 40)
        if args.long:
            per_page(TEXT * 400, args.long, "8,192 tokens, " + args.long)
        return
    bundle = explorer.load_model()
    print(f"model: {bundle.summary()}")
    print(f"torch threads: {torch.get_num_threads()}, CPU cores: {os.cpu_count()}")
    print()
    runs = overview(bundle)
    interactions()
    if not args.no_browser:
        browser_first_chart()
    if not args.no_bertviz:
        bertviz(bundle, runs)


if __name__ == "__main__":
    main()
