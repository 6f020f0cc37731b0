"""The "How attention is computed" page, driven with Streamlit's AppTest (the numbers: analysis/test_walkthrough)."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

import app.downloads
import explorer.analysis.walkthrough
from app.i18n import TABLES
from explorer.analysis.walkthrough import STOP_WORDS, default_query, walkthrough
from explorer.views.walkthrough import MATRIX_DIMS, MATRIX_KEYS, MATRIX_ROWS
from tests.support import REPO
from tests.support.apptest import (
    APP,
    app_test,
    assert_every_chart_has_a_caption,
    charts,
    count_calls,
    errors,
    in_page_order,
    on_page,
)

LONG = " ".join(["The jungler ganked top, but he got killed by the top laner while the apple pie cooled."] * 8)
EN, ZH = TABLES["en"], TABLES["zh"]


def matrices(at: AppTest) -> dict[str, pd.DataFrame]:
    """Every matrix (or bar chart) drawn, by its title: the rows its chart was sent (a stack has one per part)."""
    found = {}
    for element in charts(at):
        spec = json.loads(element.proto.spec)
        data = {d.name: pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in element.proto.datasets}
        for part in spec.get("vconcat", [spec]):
            title = part.get("title", "")
            title = title.get("text", "") if isinstance(title, dict) else title
            frame = data[part["data"]["name"]]
            found[title] = frame.astype(
                {c: object for c, t in frame.dtypes.items() if isinstance(t, pd.CategoricalDtype)}
            )
    return found


def as_matrix(frame: pd.DataFrame) -> np.ndarray:
    """A heatmap's rows back to its 2-D array, in the order it was drawn (masked cells NaN)."""
    rows, cols = list(dict.fromkeys(frame["row"])), list(dict.fromkeys(frame["col"]))
    return frame["value"].to_numpy(float).reshape(len(rows), len(cols))


def captions(at: AppTest) -> str:
    return "\n".join(str(c.value) for c in at.caption)


def test_walkthrough_page():
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/walkthrough.py")
    at.run()
    assert not at.exception and not at.error
    shown = matrices(at)
    assert len(charts(at)) >= 9 and len(shown) >= 13  # the steps (Q/K/V and scores stacked), √d_k, cross, pooling
    assert any("cos(attention-pooled, mean-pooled)" in c.value for c in at.caption)
    assert at.metric[0].value in ("0.0e+00",) or float(at.metric[0].value) < 1e-5
    assert_every_chart_has_a_caption(at)
    before = [m.value for m in at.metric]
    at.slider(key="walk_layer").set_value(4).run()
    assert not at.exception
    assert [m.value for m in at.metric] != before  # entropies of another layer
    at.radio(key="walk_scoring").set_value("additive").run()
    assert not at.exception and any("not pretrained" in i.value for i in at.info)
    at.toggle(key="walk_causal").set_value(True).run()
    assert not at.exception
    at.text_input(key="walk_cross_text").set_value("").run()
    assert not at.exception and any("text B" in i.value for i in at.info)


def test_moving_head_or_token_does_not_recompute_the_layer(monkeypatch):
    """walkthrough() runs once per (text, layer, mask, scoring): head and token controls only pick from it."""
    calls = count_calls(monkeypatch, explorer.analysis.walkthrough, "walkthrough")
    at = on_page("pages/walkthrough.py", timeout=120)
    at.text_area(key="sidebar_text").input("Counting walkthrough calls: the quick brown fox jumps over a lazy dog.")
    at.run()
    assert not at.exception and not at.error
    layers = [args[2] for args, _ in calls[-2:]]
    assert layers == [0, 0] and calls[-1][1]["kv_run"] is at.session_state["run"]  # the layer, then cross-attention
    seen = len(calls)
    at.slider(key="walk_head").set_value(5)
    at.selectbox(key="walk_query").set_value(3)
    at.run()
    assert not at.exception and len(calls) == seen
    at.slider(key="walk_layer").set_value(2).run()
    assert [args[2] for args, _ in calls[seen:]] == [2, 2]
    at.slider(key="walk_layer").set_value(0).run()  # back to a layer already computed
    assert not at.exception and len(calls) == seen + 2


def test_the_page_starts_on_apple_not_cls():
    """The apple example starts on its first "apple" (the bundled model is uncased), the word the example is about;
    a new text starts on its own first content word."""
    at = on_page("pages/walkthrough.py", timeout=120)
    run = at.session_state["run"]
    query = at.selectbox(key="walk_query").value
    assert run.tokens[query] == "apple" and query == run.tokens.index("apple") == 4
    assert "query '4 apple'" in captions(at).replace("\\", "")
    at.text_area(key="sidebar_text").input("The animal didn't cross the street because it was too tired.").run()
    run = at.session_state["run"]
    assert run.tokens[at.selectbox(key="walk_query").value] == "animal"


@pytest.mark.parametrize("scoring", ["dot", "cosine", "additive"])
def test_the_sqrt_dk_section_is_true_for_each_scoring(scoring):
    at = on_page("pages/walkthrough.py", timeout=120)
    at.radio(key="walk_scoring").set_value(scoring).run()
    assert not at.exception and not errors(at)
    bundle, run = at.session_state["bundle"], at.session_state["run"]
    steps = walkthrough(bundle, run, 0, scoring=scoring)  # what the page shows, computed here independently
    text = captions(at) + "\n".join(str(m.value) for m in at.markdown)
    metrics = {m.label: m.value for m in at.metric}
    if scoring == "additive":  # no step 3: no comparison, no entropies, no claim about √d_k's effect
        assert "Additive scoring has no ÷√d_k" in text and "bounded by the learned vector v" in text
        assert not any("Entropy" in label for label in metrics)
        assert "one-hot" not in text and not any(t.startswith("query ") for t in charts_titles(at))  # no bars
        assert "query '4 apple'" not in text.replace("\\", "")
        return
    h = steps.scaling_entropies(0, 4)
    bars = matrices(at)["query 4 apple (L0 H0)"]  # the two softmaxes of the query, as drawn
    np.testing.assert_allclose(bars["weight"].to_numpy(float)[: run.n_tokens], steps.weights[0, 4], atol=1e-6)
    np.testing.assert_allclose(bars["weight"].to_numpy(float)[run.n_tokens :], steps.unscaled_weights[0, 4], atol=1e-6)
    assert metrics["Entropy without"] == f"{h['unscaled']:.3f} nats"
    with_ = next(v for k, v in metrics.items() if k.startswith("Entropy with "))
    assert with_ == f"{h['scaled']:.3f} nats"
    if scoring == "dot":  # the real comparison: without ÷√d_k softmax is sharper
        assert h["unscaled"] < h["scaled"] and "Entropy with ÷√d_k" in metrics
        assert f"entropy {h['unscaled']:.3f} nats instead of {h['scaled']:.3f}" in text
        assert ("nearly one-hot)" in text) == (h["unscaled_max"] > 0.9)
    else:  # cosine: a fixed temperature, and without it softmax is flatter, not sharper
        assert h["unscaled"] > h["scaled"] and "fixed temperature" in text
        assert "one-hot" not in text and f"× {steps.scale:.3g}" in " ".join(metrics)


def charts_titles(at: AppTest) -> list[str]:
    return list(matrices(at))


def test_a_long_text_is_shown_in_windows_the_user_moves(monkeypatch):
    """100 tokens: every matrix shows 32 rows and 32 keys at a time, the captions say which, the window controls
    move them, and what is drawn (and downloaded) is exactly those rows of the model's own attention."""
    assert (MATRIX_ROWS, MATRIX_KEYS, MATRIX_DIMS) == (32, 32, 32)
    stems = count_calls(monkeypatch, app.downloads, "download_row")
    at = on_page("pages/walkthrough.py", timeout=120)
    at.text_area(key="sidebar_text").input(LONG)
    at.number_input(key="sidebar_max_tokens").set_value(100).run()
    run = at.session_state["run"]
    assert run.n_tokens == 100 and not at.exception and not errors(at)
    text = captions(at)
    assert "Shown: rows 0–31 of 100, columns 0–31 of 100 (queries × keys)" in text
    shown = matrices(at)
    np.testing.assert_allclose(as_matrix(shown["attention weights (L0 H0)"]), run.attn[0, 0, :32, :32], atol=1e-5)
    assert "Each row sums to 1.000000 … 1.000000 over all 100 keys; the 32 keys shown hold" in text
    assert "(move “First key shown” to see the rest)" in text
    assert "rows sum to 1" not in text

    stems.clear()
    at.number_input(key="walk_rows").set_value(50)
    at.number_input(key="walk_keys").set_value(40)
    at.number_input(key="walk_e_dims").set_value(64)
    at.slider(key="walk_head").set_value(10)
    at.run()
    assert not at.exception and not errors(at)
    text = captions(at)
    assert "Shown: rows 50–81 of 100, columns 40–71 of 100 (queries × keys)" in text
    assert "Shown: rows 50–81 of 100, columns 64–95 of 384 (tokens × dimensions of d_model)" in text
    assert "Q: rows 50–81 of 100 (query tokens); K and V: rows 40–71 of 100" in text
    shown = matrices(at)
    weights = shown["attention weights (L0 H10)"]
    assert list(dict.fromkeys(weights["row"])) == run.labels()[50:82]  # the chosen rows, not the first 32
    assert list(dict.fromkeys(weights["col"])) == run.labels()[40:72]
    np.testing.assert_allclose(as_matrix(weights), run.attn[0, 10, 50:82, 40:72], atol=1e-5)
    np.testing.assert_allclose(as_matrix(shown["E: layer 0's input"]), run.attn_input[0][50:82, 64:96], atol=1e-6)
    np.testing.assert_allclose(as_matrix(shown["Q (L0 H10)"]), run.q[0, 10, 50:82], atol=1e-4)
    np.testing.assert_allclose(as_matrix(shown["K (L0 H10)"]), run.k[0, 10, 40:72], atol=1e-4)
    for title, frame in shown.items():  # nothing is cut silently: each matrix is one stated window
        if "row" in frame:
            assert frame["row"].nunique() <= 32 and frame["col"].nunique() <= 32, title
    query = at.selectbox(key="walk_query").value  # the query follows the window, to its first content word
    assert query == 50 + default_query(run.tokens[50:82], run.special[50:82]) and run.tokens[query] not in STOP_WORDS
    names = [args[2] for args, _ in stems]  # download file names say the head and the window
    assert "weights_L0_H10_rows50-81_keys40-71" in names and "QKV_L0_H10_rows50-81_keys40-71" in names
    assert "E_L0_rows50-81_dims64-95" in names
    (weights_csv,) = [args[1] for args, _ in stems if args[2].startswith("weights_")]
    np.testing.assert_allclose(as_matrix(weights_csv()), run.attn[0, 10, 50:82, 40:72], atol=1e-5)
    assert_every_chart_has_a_caption(at)


def test_heads_are_named_layer_and_head():
    at = on_page("pages/walkthrough.py", timeout=120)
    at.slider(key="walk_layer").set_value(3)
    at.slider(key="walk_head").set_value(10)
    at.run()
    titles = charts_titles(at)
    for step in ("Q", "K", "V", "attention weights", "context = weights · V"):
        assert any(t.startswith(step) and t.endswith("(L3 H10)") for t in titles), step
    words = " ".join(titles) + captions(at)
    assert "3.10" not in words and "head 10" not in words and "L3 H10" in captions(at)


# --- The page in both languages ------------------------------------------------------------------------------------


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in str(text))


def page_words(at: AppTest) -> dict[str, list[str]]:
    """What the page says, by kind: headings, captions, markdown, boxes, metric and widget labels, options."""
    found: dict[str, list[str]] = {}
    for e in in_page_order(at.main):
        if e.type in ("title", "subheader", "caption", "markdown", "info", "warning"):
            found.setdefault(e.type, []).append(str(e.value))
        elif e.type == "metric":
            found.setdefault("label", []).append(e.label)
        elif e.type in ("slider", "selectbox", "toggle", "radio", "number_input", "text_input"):
            found.setdefault("label", []).append(e.label)
            if e.type == "radio":
                found.setdefault("option", []).extend(e.options)
    return found


def english_walk_sentences() -> list[str]:
    """The English of every walk.* string, cut at its placeholders: pieces of 12+ characters that must not show in
    Chinese mode (a piece left English would be one of them)."""
    pieces = []
    for key, text in EN.items():
        if key.startswith("walk."):
            pieces += [p.strip() for p in re.split(r"\{[^}]*\}", text) if len(p.strip()) >= 12]
    return pieces


def test_every_string_the_page_asks_for_is_in_both_tables():
    """tests/app/test_i18n.py checks the other pages' sources; this one is the walkthrough's."""
    source = (REPO / "pages/walkthrough.py").read_text(encoding="utf-8")
    asked = re.findall(r'\bt\(\s*"([^"]+)"', source)
    assert len(asked) > 80
    for key in asked:
        assert key in EN and key in ZH, key
    for prefix in re.findall(r'\bt\(\s*f"([^"{]+)\{', source) + re.findall(r'\bnames\(\s*"([^"]+)"', source):
        assert any(k.startswith(prefix) for k in EN), prefix
    for a, b in re.findall(r'\bt\(\s*"([^"]+)" if .+? else "([^"]+)"', source):
        assert a in EN and b in EN, (a, b)
    assert not re.search(r'st\.(title|subheader|caption|markdown|info|metric)\(\s*f?"', source)  # no literal text


@pytest.mark.slow  # about 10 s: every control in Chinese
def test_the_page_speaks_chinese_in_chinese():
    """简体中文: the title, every heading, caption, paragraph, box and label is Chinese, no English sentence of the
    page is left, and every control still works; back in English, none of it is Chinese."""
    at = on_page("pages/walkthrough.py", timeout=120)
    english = page_words(at)
    at.radio(key="sidebar_language").set_value("zh").run()
    assert not at.exception and not errors(at)
    words = page_words(at)
    assert words["title"] == [ZH["walk.title"]]
    for kind in ("subheader", "caption", "markdown", "label", "option"):
        assert words[kind] and all(has_chinese(w) for w in words[kind]), (kind, words[kind])
    assert "cos(注意力池化, 平均池化)" in " ".join(words["caption"])
    assert at.slider(key="walk_layer").label == "层" and at.selectbox(key="walk_query").label == "查询词元"
    assert at.radio(key="walk_scoring").options[0] == ZH["walk.scoring.dot"]
    said = " ".join(w for ws in words.values() for w in ws)
    left = [piece for piece in english_walk_sentences() if piece in said]
    assert not left, left
    assert len(charts(at)) == len(charts(on_page("pages/walkthrough.py", timeout=120)))  # the same charts
    # every control, in Chinese
    at.slider(key="walk_layer").set_value(3).run()
    at.slider(key="walk_head").set_value(7).run()
    at.selectbox(key="walk_query").set_value(2).run()
    assert not at.exception and not errors(at)
    at.radio(key="walk_scoring").set_value("cosine").run()
    assert any("温度系数" in c.value for c in at.caption)
    at.radio(key="walk_scoring").set_value("additive").run()
    assert not at.exception and any(ZH["walk.untrained.additive"] in i.value for i in at.info)
    assert any(ZH["walk.why_additive"][:20] in m.value for m in at.markdown)
    at.toggle(key="walk_causal").set_value(True).run()
    assert not at.exception and any(ZH["walk.scores_masked"] in c.value for c in at.caption)
    at.text_input(key="walk_cross_text").set_value("").run()
    assert not at.exception and any(i.value == ZH["walk.type_b"] for i in at.info)
    at.radio(key="sidebar_language").set_value("en").run()
    back = page_words(at)
    assert not any(has_chinese(w) for ws in back.values() for w in ws)
    assert back["title"] == english["title"] == [EN["walk.title"]]


def test_masked_cells_are_grey_and_the_caption_says_whether_any_are_shown():
    """BERT masks nothing: the caption says so. The causal mask hides keys after each query: the scores' chart
    draws them grey (a value-less cell with a grey condition, not dropped) and the caption says what grey means."""
    at = on_page("pages/walkthrough.py", timeout=120)
    assert EN["walk.scores_none_masked"].strip() in captions(at)
    at.toggle(key="walk_causal").set_value(True).run()
    assert EN["walk.scores_masked"].strip() in captions(at)
    masked = json.loads(drawn_specs(at)["scores"])["vconcat"][1]  # 3–4: scaled and masked
    assert masked["title"].startswith("3–4 · scaled")
    assert masked["mark"]["invalid"] == "show" and "condition" in masked["encoding"]["color"]
    frame = matrices(at)[masked["title"]]
    run = at.session_state["run"]
    n = run.n_tokens
    assert len(frame) == n * n and frame["masked"].sum() == n * (n - 1) // 2  # every masked cell is sent


# --- What a control change redraws --------------------------------------------------------------------------------


CHARTS = ("E", "QKV", "scores", "weights", "scaling", "context", "output", "cross", "pool")  # in page order


def drawn_specs(at: AppTest) -> dict[str, str]:
    """Each chart's spec (its data named by their content hash) by what it shows: a chart whose spec is the same
    after a rerun keeps its drawing in the browser."""
    drawn = charts(at)
    assert len(drawn) == len(CHARTS)
    return {name: chart.proto.spec for name, chart in zip(CHARTS, drawn, strict=True)}


def test_a_control_redraws_only_the_charts_it_changes():
    """A head change leaves E, concat/output and pooling as they were (byte-identical specs: the browser keeps
    them); a query change changes only the √d_k bars, and is drawn by its own fragment."""
    at = on_page("pages/walkthrough.py", timeout=120)
    before = drawn_specs(at)
    assert json.loads(before["E"])["title"] == "E: layer 0's input"
    at.slider(key="walk_head").set_value(3).run()
    after = drawn_specs(at)
    assert {name for name in CHARTS if before[name] == after[name]} == {"E", "output", "pool"}
    at.selectbox(key="walk_query").set_value(at.selectbox(key="walk_query").value + 1).run()
    again = drawn_specs(at)
    assert {name for name in CHARTS if after[name] != again[name]} == {"scaling"}
    source = (REPO / "pages/walkthrough.py").read_text(encoding="utf-8")
    fragment = source[source.index("@st.fragment\ndef query_sections") :].split("\ndef ")[1]
    assert 'key="walk_query"' in fragment  # the query's control lives in its fragment


@pytest.mark.slow  # about 8 s: a 512-token run
def test_at_512_tokens_every_control_change_draws_about_10000_cells_at_most():
    """The browser's drawing grows with the cells sent: at 512 tokens the page sends ~10,000 (was 23,000), every
    matrix a stated window of at most 32 × 32."""
    at = app_test(timeout=300)
    at.number_input(key="sidebar_max_tokens").set_value(512)
    at.text_area(key="sidebar_text").set_value(LONG * 6)
    at.run(timeout=300)
    at.switch_page("pages/walkthrough.py").run(timeout=300)
    assert at.session_state["run"].n_tokens == 512 and not at.exception and not errors(at)
    for key, value in (("walk_layer", 2), ("walk_head", 5)):
        at.slider(key=key).set_value(value).run(timeout=300)
        cells = sum(len(frame) for frame in matrices(at).values())
        assert cells <= 11_000, (key, cells)
        assert all(frame["row"].nunique() <= 32 for frame in matrices(at).values() if "row" in frame)


# --- In a real browser ---------------------------------------------------------------------------------------------

MARK_JS = "() => document.querySelectorAll('[data-testid=stVegaLiteChart] canvas').forEach(c => c.dataset.kept = '1')"
REMOUNTED_JS = (
    "() => Array.from(document.querySelectorAll('[data-testid=stVegaLiteChart]'))"
    ".map(e => { const c = e.querySelector('canvas'); return c ? (c.dataset.kept ? 0 : 1) : -1; })"
)


@pytest.mark.slow
@pytest.mark.browser
def test_in_the_browser_charts_are_canvases_that_fit_and_only_changed_ones_are_redrawn(tmp_path):
    """At 1280 px every chart is a canvas that fits the main column (legends in view); picking another query
    token redraws the √d_k bars alone, another head leaves E, concat/output and pooling drawn as they were."""
    from pathlib import Path

    from tests.support.browser import (
        CHROMIUM,
        CHROMIUM_ARGS,
        SCRIPT_DONE_JS,
        free_port,
        missing,
        problems,
        settle,
        start_server,
        stop,
        wait_healthy,
    )

    try:
        from playwright.sync_api import sync_playwright
    except ImportError as err:  # pragma: no cover - requirements-dev installs it
        missing(f"playwright is not installed: {err}")
    if not Path(CHROMIUM).exists():
        missing(f"Chromium not found at {CHROMIUM}")
    port = free_port()
    url = f"http://localhost:{port}"
    server = start_server(port)
    try:
        wait_healthy(url, server)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            page = browser.new_page(viewport={"width": 1280, "height": 1400})

            def changed(key: str) -> list[int]:
                page.evaluate(MARK_JS)
                page.keyboard.press(key)
                page.wait_for_function(
                    "() => document.querySelectorAll('[data-testid=stVegaLiteChart] canvas:not([data-kept])').length"
                    " > 0",
                    timeout=60_000,
                )
                page.wait_for_function(SCRIPT_DONE_JS, timeout=60_000)
                page.wait_for_timeout(800)
                return page.evaluate(REMOUNTED_JS)

            page.goto(f"{url}/walkthrough", wait_until="domcontentloaded")
            settle(page)
            page.wait_for_function("() => document.querySelectorAll('[data-testid=stVegaLiteChart]').length >= 9")
            settle(page)
            page.screenshot(path=str(tmp_path / "walkthrough.png"), full_page=True)
            assert not problems(page)
            main = page.locator('[data-testid="stMain"]').bounding_box()
            drawn = page.locator('[data-testid="stVegaLiteChart"]')
            assert drawn.count() == len(CHARTS)
            assert page.locator('[data-testid="stVegaLiteChart"] svg.marks').count() == 0  # canvases, not SVG
            for i in range(drawn.count()):
                box = drawn.nth(i).locator("canvas").bounding_box()
                assert box is not None and box["x"] + box["width"] <= main["x"] + main["width"], (CHARTS[i], box)

            query = page.get_by_role("combobox", name="Query token")
            query.focus()
            page.keyboard.press("ArrowDown")
            page.wait_for_selector("[role=listbox] [role=option]")
            page.keyboard.press("ArrowDown")
            remounted = changed("Enter")
            assert dict(zip(CHARTS, remounted, strict=True)) == {name: int(name == "scaling") for name in CHARTS}

            page.get_by_role("slider", name="Head").focus()
            remounted = dict(zip(CHARTS, changed("ArrowRight"), strict=True))
            assert {name for name, again in remounted.items() if not again} == {"E", "output", "pool"}, remounted
            assert not problems(page)
            browser.close()
    finally:
        stop(server)
