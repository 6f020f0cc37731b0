"""explorer/views/attention.py: the data behind each attention chart equals the run's arrays (pooled when long)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import explorer
from explorer.views.attention import attention_frame, head_heatmap, token_heads_strip


def chart_data(chart) -> pd.DataFrame:
    """The rows an Altair chart would send (its inline dataset)."""
    spec = chart.to_dict()
    (values,) = spec["datasets"].values()
    return pd.DataFrame(values)


def axis_orders(chart) -> tuple[list[str], list[str]]:
    """The order of the x and y axes' values as Vega draws them: the spec's sort list, or, with sort=None (the
    views' IN_ROW_ORDER), the order in which the values first appear in the chart's rows."""
    spec, data = chart.to_dict(), chart_data(chart)
    return tuple(
        spec["encoding"][axis]["sort"] or list(dict.fromkeys(data[spec["encoding"][axis]["field"]]))
        for axis in ("x", "y")
    )


def drawn_axis_labels(chart) -> tuple[list[str], list[str]]:
    """The x labels left to right and the y labels top to bottom in the chart as vl-convert draws it (Vega itself)."""
    import html
    import re

    from explorer.io.rendering import spec_svg

    svg = spec_svg(chart.to_dict()).decode()
    axes = []
    for group in re.findall(r'class="mark-text role-axis-label"[^>]*>(.*?)</g>', svg, flags=re.S):
        found = re.findall(r'transform="translate\(([-\d.]+),([-\d.]+)\)[^"]*"[^>]*>([^<]*)</text>', group)
        axes.append([html.unescape(t) for _, _, t in sorted(found, key=lambda f: (float(f[0]), float(f[1])))])
    x, y = axes  # Vega draws the x axis first
    return x, y


def per_cell_expressions(chart) -> list[str]:
    """Expressions Vega would evaluate for every cell beyond the fields themselves: sort lists compiled to
    `datum.key === "…" ? 0 : …` formulas, ARIA descriptions (the browser runs them through an interpreter)."""
    import vl_convert

    vega = vl_convert.vegalite_to_vega(chart.to_dict())
    found = [t["expr"][:60] for d in vega["data"] for t in d.get("transform", []) if t["type"] == "formula"]

    def marks(node):
        for mark in node.get("marks", []):
            yield mark
            yield from marks(mark)

    found += [
        f"description of {m.get('name')}" for m in marks(vega) if "description" in m.get("encode", {}).get("update", {})
    ]
    return found


@pytest.fixture(scope="module")
def gpt2_run(tiny_dirs):
    """A causal run: tiny random GPT-2 (2 layers x 4 heads), so keys after each query are masked."""
    folder = tiny_dirs["gpt2"]
    return explorer.extract(explorer.load_model(str(folder)), "the cat sat on the mat because it was tired")


@pytest.fixture(scope="module")
def long_run(apple_run):
    """A synthetic 300-token run (random q and k, attn = softmax of their scores), to exercise the pooled paths
    without a model."""
    rng = np.random.default_rng(0)
    L, H, N, d = 2, 3, 300, 8
    q = rng.normal(size=(L, H, N, d)).astype(np.float32)
    k = rng.normal(size=(L, H, N, d)).astype(np.float32)
    scores = np.einsum("lhid,lhjd->lhij", q, k) * 0.5
    attn = np.exp(scores) / np.exp(scores).sum(-1, keepdims=True)
    return replace(
        apple_run,
        tokens=[f"t{i}" for i in range(N)],
        special=[False] * N,
        q=q,
        k=k,
        v=q,
        context=q,
        scale=[0.5] * L,
        attn=attn.astype(np.float32),
        masked=None,
    )


def test_attention_frame_is_the_run_arrays(apple_run):
    frame = attention_frame(apple_run, 2, 5)
    n = apple_run.n_tokens
    assert len(frame) == n * n
    assert list(frame.columns) == ["query_index", "query_token", "key_index", "key_token", "weight", "score"]
    np.testing.assert_array_equal(frame["weight"].to_numpy().reshape(n, n), apple_run.attn[2, 5])
    np.testing.assert_array_equal(frame["score"].to_numpy().reshape(n, n), apple_run.scores[2, 5])
    row = frame.iloc[3 * n + 7]  # query 3, key 7
    assert (row.query_index, row.key_index) == (3, 7)
    assert (row.query_token, row.key_token) == (apple_run.tokens[3], apple_run.tokens[7])
    # Rows of the map sum to one (softmax), so each query's weights in the frame do too.
    np.testing.assert_allclose(frame.groupby("query_index")["weight"].sum(), 1.0, atol=1e-5)


def test_head_heatmap_draws_every_cell_in_text_order(apple_run):
    chart = head_heatmap(apple_run, 1, 4)
    data = chart_data(chart)
    n, labels = apple_run.n_tokens, apple_run.labels()
    assert len(data) == n * n
    index = {label: i for i, label in enumerate(labels)}
    got = np.zeros((n, n))
    got[data["query"].map(index), data["key"].map(index)] = data["weight"]
    np.testing.assert_allclose(got, apple_run.attn[1, 4], rtol=1e-6)
    assert axis_orders(chart) == (labels, labels)  # the browser's axes: in the text's order
    spec = chart.to_dict()
    assert spec["encoding"]["color"]["scale"]["domain"] == pytest.approx([0.0, float(apple_run.attn[1, 4].max())])
    assert not data["masked"].any()  # a BERT encoder masks nothing
    assert data["score_text"].iloc[0] == f"{apple_run.scores[1, 4, 0, 0]:.4f}"


def test_head_heatmap_shared_domain_and_scores(apple_run):
    spec = head_heatmap(apple_run, 0, 0, domain=(0.0, 1.0)).to_dict()
    assert spec["encoding"]["color"]["scale"]["domain"] == [0.0, 1.0]
    spec = head_heatmap(apple_run, 0, 0, value="scores").to_dict()
    m = float(np.abs(apple_run.scores[0, 0]).max())
    assert spec["encoding"]["color"]["field"] == "score"
    assert spec["encoding"]["color"]["scale"]["domain"] == pytest.approx([-m, m])


def test_bad_layer_head_or_value_is_a_user_error(apple_run):
    with pytest.raises(ValueError, match="Layer 9"):
        head_heatmap(apple_run, 9, 0)
    with pytest.raises(ValueError, match="Head 12"):
        attention_frame(apple_run, 0, 12)
    with pytest.raises(ValueError, match="value"):
        head_heatmap(apple_run, 0, 0, value="weights")


def test_causal_masked_cells_are_marked(gpt2_run):
    n = gpt2_run.n_tokens
    data = chart_data(head_heatmap(gpt2_run, 1, 2))
    upper = np.triu(np.ones((n, n), bool), k=1).reshape(-1)  # key after query
    np.testing.assert_array_equal(data["masked"].to_numpy(), upper)
    assert (data.loc[upper, "score_text"] == "masked").all()
    assert (data.loc[upper, "weight"] == 0).all()
    assert data.loc[~upper, "score"].notna().all() and data.loc[upper, "score"].isna().all()
    frame = attention_frame(gpt2_run, 1, 2)
    assert np.isneginf(frame["score"].to_numpy()[upper]).all()


def test_pooled_heatmap_is_block_max(long_run):
    from explorer.views.attention import HEATMAP_MAX_CELLS

    n = 300
    size = -(-n // HEATMAP_MAX_CELLS)  # 300 tokens > 96 -> blocks of 4 tokens, 75 per axis
    b = n // size
    assert b * size == n and b <= HEATMAP_MAX_CELLS
    data = chart_data(head_heatmap(long_run, 1, 2))
    assert len(data) == b**2
    w = long_run.attn[1, 2]
    block_max = w.reshape(b, size, b, size).max(axis=(1, 3))
    block_mean = w.reshape(b, size, b, size).mean(axis=(1, 3))
    np.testing.assert_allclose(data["weight"].to_numpy().reshape(b, b), block_max, rtol=1e-6)
    np.testing.assert_allclose(data["mean_weight"].to_numpy().reshape(b, b), block_mean, rtol=1e-5)
    assert data["query"].iloc[0] == f"0–{size - 1} t0…"


def test_token_heads_strip_is_one_query_row_per_head(apple_run):
    t = 4
    data = chart_data(token_heads_strip(apple_run, t))
    L, H, n = apple_run.n_layers, apple_run.n_heads, apple_run.n_tokens
    assert len(data) == L * H * n
    got = data["weight"].to_numpy().reshape(L, H, n)
    np.testing.assert_allclose(got, apple_run.attn[:, :, t, :], rtol=1e-6)
    assert data["row"].iloc[n] == "L0 H1"
    one_layer = chart_data(token_heads_strip(apple_run, t, layer=2))
    np.testing.assert_allclose(one_layer["weight"].to_numpy().reshape(H, n), apple_run.attn[2, :, t, :], rtol=1e-6)
    with pytest.raises(ValueError, match="Token"):
        token_heads_strip(apple_run, n)


def test_token_heads_strip_masks_later_keys_in_causal_models(gpt2_run):
    t = 3
    data = chart_data(token_heads_strip(gpt2_run, t, layer=0))
    n = gpt2_run.n_tokens
    later = np.tile(np.arange(n) > t, gpt2_run.n_heads)
    np.testing.assert_array_equal(data["masked"].to_numpy(), later)


@pytest.mark.parametrize("chunk_bytes", [1, 2**30])  # one query block at a time, or every block at once
def test_a_pooled_head_read_in_row_blocks_equals_pooling_the_whole_map(gpt2_run, monkeypatch, chunk_bytes):
    import explorer.views.attention as views
    from explorer.views.attention import pooled_head

    monkeypatch.setattr(views, "POOL_CHUNK_BYTES", chunk_bytes)
    from explorer.views.pooling import block_starts, pool

    q_edges, k_edges = block_starts(gpt2_run.n_tokens, 4), block_starts(gpt2_run.n_tokens, 3)
    w_max, w_sum, s_max, masked = pooled_head(gpt2_run, 1, 2, q_edges, k_edges)
    whole, scores = gpt2_run.attn[1, 2], gpt2_run.scores[1, 2]
    # rows computed in blocks go through matmuls of other shapes: equal up to float32 rounding (masked: -inf both)
    np.testing.assert_allclose(w_max, pool(whole, (q_edges, k_edges), "max"), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(w_sum, pool(whole, (q_edges, k_edges), "sum"), atol=1e-6)
    np.testing.assert_allclose(s_max, pool(scores, (q_edges, k_edges), "max"), rtol=1e-6, atol=1e-9)
    np.testing.assert_array_equal(masked, pool(~np.isfinite(scores), (q_edges, k_edges), "all"))


def test_an_exact_window_of_a_long_map_holds_those_cells(gpt2_run):
    from explorer.views.attention import window_heatmap

    chart = window_heatmap(gpt2_run, 1, 3, 2, 1, size=4)
    frame = chart_data(chart)
    assert len(frame) == 16 and frame["query"].iloc[0].startswith("2 ") and frame["key"].iloc[0].startswith("1 ")
    np.testing.assert_allclose(frame["weight"].to_numpy().reshape(4, 4), gpt2_run.attn[1, 3][2:6, 1:5], atol=1e-7)
    np.testing.assert_array_equal(frame["masked"].to_numpy().reshape(4, 4), gpt2_run.masked_keys(1)[2:6, 1:5])


@pytest.mark.parametrize("value", ["attn", "scores"])
def test_masked_cells_are_drawn_grey_in_either_colouring(gpt2_run, value):
    """A masked cell has no score; Vega-Lite drops such cells unless the mark shows invalid data, and then the
    background would show through where the caption promises grey."""
    import io

    from PIL import Image

    from explorer.io.rendering import spec_svg, svg_to_png
    from explorer.views.style import MASKED_RGB

    png = svg_to_png(spec_svg(head_heatmap(gpt2_run, 0, 1, value=value).to_dict()), scale=1)
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    grey = (pixels == MASKED_RGB).all(-1).sum()
    n = gpt2_run.n_tokens
    cell = pixels.shape[0] / 3 / n  # rough: at least a third of each masked cell's pixels are drawn grey
    assert grey > (n * (n - 1) / 2) * cell * cell / 3


# --- honest tokens: axes show what the model read, tooltips the text behind it ----------------------------------

CHINESE = "打野来抓上单，结果他被反杀了。"


@pytest.fixture(scope="module")
def chinese_run(bundle):
    """The bundled English-only model reads 11 of these 15 characters as [UNK]."""
    return explorer.extract(bundle, CHINESE)


def tooltip_fields(chart) -> list[str]:
    return [t["field"] for t in chart.to_dict()["encoding"]["tooltip"]]


def test_heatmap_axes_read_unk_and_tooltips_carry_the_characters(chinese_run):
    chart = head_heatmap(chinese_run, 0, 0)
    data = chart_data(chart)
    he = chinese_run.tokens.index("他")
    assert f"{he} [UNK]" in set(data["query"]) and f"{he} [UNK]" in set(data["key"])
    assert not any("他" in label for label in set(data["query"]) | set(data["key"]))  # the axes: as the model read
    assert f"{he} [UNK] (text “他”)" in set(data["query_tip"]) and f"{he} [UNK] (text “他”)" in set(data["key_tip"])
    assert axis_orders(chart) == (chinese_run.labels(), chinese_run.labels())
    assert tooltip_fields(chart)[:2] == ["query_tip", "key_tip"]
    window = chart_data(window_heatmap_of(chinese_run))
    assert f"{he} [UNK] (text “他”)" in set(window["query_tip"])


def window_heatmap_of(run):
    from explorer.views.attention import window_heatmap

    return window_heatmap(run, 0, 0, 0, 0, size=run.n_tokens)


def test_token_strip_names_unknown_keys_and_its_own_token_honestly(chinese_run):
    he = chinese_run.tokens.index("他")
    chart = token_heads_strip(chinese_run, he, layer=0)
    data = chart_data(chart)
    assert "key_tip" in tooltip_fields(chart)
    assert set(data["key_tip"]) == set(chinese_run.labels(with_text=True))
    assert f"{he} [UNK] (text “他”)" in set(data["key_tip"]) and f"{he} [UNK]" in set(data["key"])
    assert chart.to_dict()["title"] == f"Where “[UNK]” (token {he}, text “他”) attends, layer 0"


def test_word_pieces_and_lower_case_in_chart_labels(bundle, apple_run):
    run = explorer.extract(bundle, "The jungler ganked top.")
    data = chart_data(head_heatmap(run, 0, 0))
    assert {"2 jungle", "3 ##r", "1 the"} <= set(data["key"])
    assert "1 the (text “The”)" in set(data["key_tip"]) and "3 ##r" in set(data["key_tip"])  # "r" is read as written
    brand = apple_run.tokens.index("Apple")
    title = token_heads_strip(apple_run, brand, layer=0).to_dict()["title"]
    assert title == f"Where “apple” (token {brand}, text “Apple”) attends, layer 0"


# --- what the browser does with a chart: axes in the text's order with no per-cell sort work ------------------------


def test_drawn_axes_follow_the_text_not_the_alphabet(bundle):
    run = explorer.extract(
        bundle, "zebra apple mango banana kiwi lemon cherry date fig grape"
    )  # "10 grape" < "2 apple"
    labels = run.labels()
    assert sorted(labels) != labels
    for chart in (head_heatmap(run, 0, 0), window_heatmap_of(run)):
        assert drawn_axis_labels(chart) == (labels, labels)
    x, y = drawn_axis_labels(token_heads_strip(run, 3, layer=1))
    assert x == labels and y == [f"H{h}" for h in range(run.n_heads)]


def test_pooled_axes_are_drawn_in_block_order(long_run):
    x, y = drawn_axis_labels(head_heatmap(long_run, 0, 1))
    blocks = list(dict.fromkeys(chart_data(head_heatmap(long_run, 0, 1))["key"]))  # "0–3 t0…", "4–7 t4…", …
    assert blocks[:3] == ["0–3 t0…", "4–7 t4…", "8–11 t8…"]
    assert x == [b for b in blocks if b in set(x)] and len(x) > len(blocks) // 3  # Vega may skip overlapping labels
    assert y == [b for b in blocks if b in set(y)] and len(y) > len(blocks) // 3


def test_map_charts_ask_the_browser_for_no_per_cell_sorting_or_descriptions(apple_run, long_run, gpt2_run):
    charts = [
        head_heatmap(apple_run, 0, 0),
        head_heatmap(long_run, 1, 2),
        head_heatmap(gpt2_run, 1, 1, value="scores"),
        window_heatmap_of(apple_run),
        token_heads_strip(apple_run, 3),
        token_heads_strip(long_run, 3),
    ]
    for chart in charts:
        assert per_cell_expressions(chart) == []
