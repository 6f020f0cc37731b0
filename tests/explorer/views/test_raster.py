"""explorer/views/raster.py: the raster path matches numpy by hand; the all-heads PNG is a labelled grid."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

import explorer
from explorer.views.raster import _blues, all_heads_png, head_raster
from explorer.views.style import BLUES_RGB, MASKED_RGB


def test_head_raster_matches_numpy_by_hand():
    rng = np.random.default_rng(1)
    w = rng.random((10, 10)).astype(np.float32)
    masked = np.zeros((10, 10), bool)
    masked[0, 9] = True
    # Upsampling 10 -> 30 pixels: each token becomes a 3x3 block (nearest neighbour).
    img = head_raster(w, masked, 30, top=1.0)
    assert img.shape == (30, 30, 3)
    np.testing.assert_array_equal(img[3 * 4 + 1, 3 * 7 + 2], _blues(np.array(w[4, 7])))
    np.testing.assert_array_equal(img[0, 29], MASKED_RGB)
    # Downsampling 10 -> 5 pixels: each pixel is the max of a 2x2 block.
    img = head_raster(w, masked, 5, top=1.0)
    np.testing.assert_array_equal(img[2, 3], _blues(np.array(w[4:6, 6:8].max())))
    # Darkest colour is the map's own max by default; white is 0.
    assert (head_raster(w, masked, 10)[np.unravel_index(w.argmax(), w.shape)] == BLUES_RGB[-1]).all()
    np.testing.assert_array_equal(_blues(np.array(0.0)), BLUES_RGB[0])


def test_all_heads_png_is_a_labelled_grid(apple_run):
    png = all_heads_png(apple_run, cell_px=40, gap_px=4, gamma=1.0)
    image = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    L, H, n = apple_run.n_layers, apple_run.n_heads, apple_run.n_tokens
    cell = n * round(40 / n)  # short text: a whole number of pixels per token
    font_px = 10
    left, top = 4 * font_px, 2 * font_px
    assert image.shape == (top + L * (cell + 4), left + H * (cell + 4), 3)
    # The cell of layer 3, head 7 is that head's raster: each token a (cell/n)-pixel square of its weight's colour.
    y0, x0 = top + 3 * (cell + 4), left + 7 * (cell + 4)
    block = image[y0 : y0 + cell, x0 : x0 + cell]
    w = apple_run.attn[3, 7]
    np.testing.assert_array_equal(block, head_raster(w, np.zeros_like(w, bool), cell))
    k = cell // n
    np.testing.assert_array_equal(block[::k, ::k], _blues(w / w.max()))
    # Labels are drawn: the margins are not blank.
    assert (image[:top, left:] < 200).any() and (image[top:, :left] < 200).any()


def test_all_heads_png_stays_small_at_512_tokens(bundle):
    text = " ".join(["The quick brown fox jumps over the lazy dog, and then it ate an apple."] * 40)
    run = explorer.extract(bundle, text, max_tokens=512)
    assert run.n_tokens == 512
    png = all_heads_png(run)
    assert len(png) < 10_000_000
    assert Image.open(io.BytesIO(png)).size[0] < 2000  # one raster, not 72 full-size maps


def test_head_png_draws_each_cell_of_the_map_in_its_colour(tiny_dirs):
    """The export's per-head PNG: one block of pixels per (query, key), coloured from that cell's weight, grey
    where the model's mask hid the key."""
    from explorer.views.raster import head_png

    run = explorer.extract(explorer.load_model(str(tiny_dirs["gpt2"])), "the cat sat on the mat")
    png = head_png(run, 1, 2)
    image = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    n, per = run.n_tokens, 640 // run.n_tokens
    weights = run.attn[1, 2]
    want = _blues((weights / weights.max()) ** 0.5)
    for i in range(n):
        for j in range(n):
            pixel = image[150 + i * per + per // 2, 150 + j * per + per // 2]
            expected = MASKED_RGB if j > i else want[i, j]  # causal: keys after the query are masked
            np.testing.assert_array_equal(pixel, expected, err_msg=f"cell {i}, {j}")


def test_the_svg_of_a_head_is_the_pngs_picture_with_vector_labels(apple_run):
    import base64
    import re
    import xml.etree.ElementTree as ET

    from explorer.views.raster import HeadPicture, head_png, head_svg

    svg = head_svg(apple_run, 2, 5)
    root = ET.fromstring(svg)  # well-formed XML
    ns = {"s": "http://www.w3.org/2000/svg"}
    texts = [t.text for t in root.iterfind(".//s:text", ns)]
    assert any("L2 H5" in t for t in texts)
    n = apple_run.n_tokens
    assert all(f"{i} {apple_run.shown_tokens[i]}" in texts for i in range(n))  # every query label, as text
    # the map: pixel for pixel what head_png draws at the same place
    image = root.find("s:image", ns)
    data = base64.b64decode(re.sub("^data:image/png;base64,", "", image.get("href")))
    pixels = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    png = np.asarray(Image.open(io.BytesIO(head_png(apple_run, 2, 5))).convert("RGB"))
    top, left = HeadPicture.TOP, HeadPicture.LEFT
    np.testing.assert_array_equal(png[top : top + pixels.shape[0], left : left + pixels.shape[1]], pixels)
    # and those pixels are the head's weights: the darkest cell is the largest weight
    per = pixels.shape[0] // n
    i, j = np.unravel_index(np.asarray(apple_run.attn[2, 5]).argmax(), (n, n))
    np.testing.assert_array_equal(pixels[i * per, j * per], BLUES_RGB[-1])


def test_svg_labels_escape_markup_and_cut_wide_characters(bundle):
    import xml.etree.ElementTree as ET

    from explorer.views.raster import _cut, head_svg

    run = explorer.extract(bundle, "if a < b & c > d then <script>")
    texts = [t.text for t in ET.fromstring(head_svg(run, 0, 0)).iter("{http://www.w3.org/2000/svg}text")]
    assert any(t.endswith(" <") for t in texts) and any(t.endswith(" &") for t in texts)  # as text, not markup

    assert _cut("12 打野来抓上单结果他被反杀了", 10) == "12 打野来…"  # each CJK character is two units wide
    assert _cut("short", 10) == "short"


def test_a_cross_attention_map_pools_each_axis_on_its_own():
    rng = np.random.default_rng(2)
    w = rng.random((30, 5)).astype(np.float32)  # 30 decoder queries × 5 encoder keys
    img = head_raster(w, np.zeros_like(w, bool), 10, top=1.0)
    assert img.shape == (10, 10, 3)
    # rows: 3 queries per pixel, largest kept; keys: each key two pixels wide
    np.testing.assert_array_equal(img[4, 2 * 3 + 1], _blues(np.array(w[12:15, 3].max())))
    wide = rng.random((4, 40)).astype(np.float32)  # and the other way round
    img = head_raster(wide, np.zeros_like(wide, bool), 8, top=1.0)
    np.testing.assert_array_equal(img[2 * 2, 3], _blues(np.array(wide[2, 15:20].max())))


def test_a_long_text_grid_draws_sampled_query_rows_only(tiny_dirs, tmp_path, monkeypatch):
    import json
    import shutil

    import explorer.maps
    from explorer.views.raster import SAMPLE_ROWS_ABOVE, sampled_rows

    folder = tmp_path / "long"
    shutil.copytree(tiny_dirs["qwen2"], folder)
    config = json.loads((folder / "config.json").read_text())
    config["max_position_embeddings"] = 2048
    (folder / "config.json").write_text(json.dumps(config))
    run = explorer.extract(explorer.load_model(str(folder)), "the cat sat on the mat " * 400, max_tokens=1500)
    assert run.n_tokens == 1500 > SAMPLE_ROWS_ABOVE
    asked = []
    block = explorer.maps.ScoreMaps._block
    monkeypatch.setattr(
        explorer.maps.ScoreMaps,
        "_block",
        lambda self, layers, heads, rows: asked.append(len(rows)) or block(self, layers, heads, rows),
    )
    png = np.asarray(Image.open(io.BytesIO(all_heads_png(run, cell_px=100))).convert("RGB"))
    rows = sampled_rows(run.n_tokens, 100)
    assert max(asked) == len(rows) == 100  # one query row per pixel row, never the whole map
    # the cell of layer 1, head 2 (labels take 4 × 16 px on the left, 2 × 16 px on top; 4 px gaps): those rows'
    # weights, their keys max-pooled
    expected = head_raster(np.asarray(run.attn[1, 2, rows]), run.masked_keys(1)[rows], 100, gamma=0.5)
    y0, x0 = 32 + 1 * 104, 64 + 2 * 104
    np.testing.assert_array_equal(png[y0 : y0 + 100, x0 : x0 + 100], expected)
