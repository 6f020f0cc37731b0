"""Benchmark of the app: the all-heads overview (time, bytes) at 128 and 512 tokens, server time of an interaction
on a cached extraction, time from `streamlit run` to the first chart in a browser, and BertViz's model_view beside it.

Run: python benchmarks/app.py [--no-browser] [--no-bertviz]   (prints figures; no asserts)
     python benchmarks/app.py --pages                            server time of every page's controls (AppTest)
     python benchmarks/app.py --controls [--only "Head comparison,Query token"] [--changes 4] [--profile]
                                 click to drawn in Chromium, the charts each change mounts again, and with
                                 --profile where the browser's main thread spends the time (by script)
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


BROWSER_CONTROLS = [  # (page title, widget, label, which of the widgets so named (0: the first), changes):
    # sliders and number inputs move with the keyboard, as a user's would; a selectbox is opened, moved one option
    # down (up on every other change, so it stays in range) and chosen with Enter (timed from the Enter)
    ("Attention maps", "slider", "Layer", 0, 3),
    ("Attention maps", "slider", "Head", 0, 3),
    ("Attention maps", "spinbutton", "First query token", 0, 2),
    ("Attention maps", "combobox", "Query token", 0, 2),
    ("Head comparison", "combobox", "Layer", 0, 2),
    ("Head comparison", "combobox", "Head", 0, 2),
    ("Head comparison", "combobox", "Layer", 3, 2),  # the two texts' head (after three panels' pickers)
    ("Head comparison", "combobox", "Head", 3, 2),
    ("Q/K/V vectors", "combobox", "Layer", 0, 2),
    ("Q/K/V vectors", "combobox", "Query token", 0, 2),
    ("How attention is computed", "slider", "Layer", 0, 3),
    ("How attention is computed", "slider", "Head", 0, 3),
    ("How attention is computed", "combobox", "Query token", 0, 2),
]
# Each chart's canvas gets a mark before a change; one without it after the change was mounted again (redrawn
# from its spec), where a chart whose spec and data did not change keeps its canvas.
DRAWN_CHARTS = "[data-testid=stVegaLiteChart] canvas, [data-testid=stVegaLiteChart] svg.marks"
MARK_CHARTS_JS = f"() => document.querySelectorAll('{DRAWN_CHARTS}').forEach(e => {{ e.dataset.benchMark = '1'; }})"
COUNT_CHARTS_JS = (
    f"() => {{ const all = Array.from(document.querySelectorAll('{DRAWN_CHARTS}'));"
    " return [all.length, all.filter(e => !e.dataset.benchMark).length]; }"
)


def profile_by_script(profile: dict) -> dict[str, float]:
    """Milliseconds of a Chrome DevTools CPU profile by script file ("vega-interpreter", "embed" for Vega itself,
    "react-dom", …) or by what V8 calls the rest ("(garbage collector)", "(program)", "(idle)": waiting)."""
    nodes = {node["id"]: node["callFrame"] for node in profile["nodes"]}
    out: dict[str, float] = {}
    for sample, delta in zip(profile["samples"], profile["timeDeltas"][1:] + [0], strict=True):
        frame = nodes[sample]
        name = frame["url"].rsplit("/", 1)[-1].split(".")[0] if frame["url"] else frame["functionName"] or "(anon)"
        out[name] = out.get(name, 0.0) + delta / 1000
    return out


def ready_to_change(page, widget: str, control, step: int) -> str:
    """Focus the control and get it one key press away from a change; that key. Every other change goes the
    other way (step: the change's number), so that the control stays in range."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    back = step % 2 == 1
    control.focus()
    if widget == "combobox":  # open the list (on the current option), move one down or up; Enter chooses it
        for _ in range(3):  # a busy machine can miss the first key press
            page.keyboard.press("ArrowDown")
            try:
                page.wait_for_selector("[role=listbox] [role=option]", timeout=5_000)
                break
            except PlaywrightTimeout:
                page.keyboard.press("Escape")
                control.focus()
        page.wait_for_timeout(300)
        for _ in range(2 if back else 1):  # up: from one below the current option, where the list may open
            page.keyboard.press("ArrowUp" if back else "ArrowDown")
        page.wait_for_timeout(200)
        return "Enter"
    if widget == "slider":
        return "ArrowLeft" if back else "ArrowRight"
    return "ArrowDown" if back else "ArrowUp"  # a number input: one step


def browser_controls(only: str = "", changes: int | None = None, profile: bool = False) -> None:
    """6) Click (key press) to drawn in headless Chromium, per control, at 512 tokens on the bundled model: the
    median time, the charts on the page and how many were mounted again by the change, and with profile=True
    where the browser's main thread spent the time (milliseconds per change, by script)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
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
    controls = [c for c in BROWSER_CONTROLS if not only or any(o in f"{c[0]}/{c[2]}" for o in only.split(","))]
    port = free_port()
    url = f"http://localhost:{port}"
    server = start_server(port)
    try:
        wait_healthy(url, server)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            cdp = page.context.new_cdp_session(page)
            cdp.send("Profiler.enable")
            page.goto(url, wait_until="domcontentloaded")
            settle(page)
            page.get_by_role("spinbutton", name="Token limit").fill("512")  # the default is the trained length, 256
            page.keyboard.press("Enter")
            settle(page)
            page.locator('[data-testid="stSidebar"] textarea').first.fill(TEXT * 40)
            page.keyboard.press("Control+Enter")
            page.get_by_text("512 tokens in this run.").wait_for(timeout=120_000)
            settle(page)
            print(f"{'page':<26} {'control':<26} {'median s':>9} {'max s':>7} {'runs':>5}  charts (mounted again)")
            for title, widget, label, nth, count in controls:
                page.locator('[data-testid="stSidebarNav"] a', has_text=title).first.click()
                settle(page)
                times, mounted, spent, missed = [], [], {}, 0
                runs = changes or count
                for step in range(runs):
                    key = ready_to_change(page, widget, page.get_by_role(widget, name=label).nth(nth), step)
                    page.evaluate(MARK_CHARTS_JS)
                    if profile:
                        cdp.send("Profiler.start")
                    t = time.perf_counter()
                    page.keyboard.press(key)
                    try:
                        page.wait_for_function(
                            "() => !!document.querySelector('[data-testid=stApp][data-test-script-state=running]')"
                            " || document.querySelectorAll('[data-stale=true]').length > 0",
                            timeout=10_000,
                            polling=5,
                        )
                    except PlaywrightTimeout:  # the key press changed nothing (a busy machine): not timed
                        page.keyboard.press("Escape")
                        missed += 1
                        continue
                    page.wait_for_function(SCRIPT_DONE_JS, timeout=60_000, polling=5)
                    times.append(time.perf_counter() - t)
                    if profile:
                        for name, ms in profile_by_script(cdp.send("Profiler.stop")["profile"]).items():
                            spent[name] = spent.get(name, 0.0) + ms / runs
                    mounted.append(tuple(page.evaluate(COUNT_CHARTS_JS)))
                    page.wait_for_timeout(300)
                name = f"{label} ({widget})" + (f" #{nth + 1}" if nth else "")
                shown = ", ".join(sorted({f"{a} ({b})" for a, b in mounted})) + (f"; {missed} missed" if missed else "")
                if not times:
                    print(f"{title:<26} {name:<26} (no change took effect)")
                    continue
                print(
                    f"{title:<26} {name:<26} {statistics.median(times):>9.3f} {max(times):>7.3f} {len(times):>5}"
                    f"  {shown}"
                )
                if profile:
                    top = sorted(spent.items(), key=lambda kv: -kv[1])[:8]
                    print(f"{'':<26} ms per change: " + ", ".join(f"{k} {v:.0f}" for k, v in top))
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
    parser.add_argument("--only", default="", help="--controls: only these, e.g. 'Head comparison,Query token'")
    parser.add_argument("--changes", type=int, default=None, help="--controls: changes per control")
    parser.add_argument("--profile", action="store_true", help="--controls: where the browser spends the time")
    parser.add_argument("--long", default=None, metavar="FOLDER", help="also per page at 8,192 tokens on FOLDER")
    args = parser.parse_args()
    if args.controls:
        browser_controls(args.only, args.changes, args.profile)
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
