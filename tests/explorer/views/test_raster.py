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
