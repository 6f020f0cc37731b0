"""The raster renderer: attention maps drawn straight into pixels with numpy and PIL (no Vega rows)."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import numpy as np

from explorer.views.pooling import pixel_starts, pool
from explorer.views.style import BLUES_RGB, MASKED_RGB

if TYPE_CHECKING:
    from explorer.extract import Extraction


def _blues(x: np.ndarray) -> np.ndarray:
    """Map values in [0, 1] to RGB uint8 on the Blues ramp. x: [...] -> [..., 3]."""
    pos = np.clip(x, 0.0, 1.0) * (len(BLUES_RGB) - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, len(BLUES_RGB) - 1)
    frac = (pos - lo)[..., None]
    return (BLUES_RGB[lo] * (1 - frac) + BLUES_RGB[hi] * frac + 0.5).astype(np.uint8)


def head_raster(
    weights: np.ndarray, masked: np.ndarray, cell_px: int, top: float | None = None, gamma: float = 1.0
) -> np.ndarray:
    """One map as an RGB image [cell_px, cell_px, 3]: max-pooled (or repeated) to cell_px, Blues, masked grey.

    weights, masked: [N, N]. top: the weight shown darkest (default: this map's max). gamma < 1 brightens faint
    weights (colour = (weight / top) ** gamma).
    """
    n = weights.shape[0]
    starts = pixel_starts(n, cell_px)  # [P]
    if n >= cell_px:  # several tokens per pixel: keep the largest weight
        w = pool(weights, starts, "max")  # [P, P]
        m = pool(masked, starts, "all")
    else:  # several pixels per token: nearest neighbour
        w = weights[np.ix_(starts, starts)]
        m = masked[np.ix_(starts, starts)]
    top = float(w.max()) if top is None else top
    rgb = _blues((w / (top if top > 0 else 1.0)) ** gamma)  # [P, P, 3]
    rgb[m] = MASKED_RGB
    return rgb


def all_heads_png(
    run: Extraction,
    *,
    cell_px: int = 112,
    gap_px: int = 4,
    normalize: str = "head",
    gamma: float = 0.5,
    max_side_px: int = 4000,
) -> bytes:
    """Every head of every layer as one PNG: layers down, heads across, labelled "L0".."H11".

    Each cell is one head's map (queries down, keys across), max-pooled or repeated to cell_px pixels; colour is
    weight / max of that head (normalize="head", shows each head's pattern) or weight on [0, 1]
    (normalize="global", comparable across heads), raised to `gamma` (0.5: square root, so the faint spread of
    long texts still shows). Masked cells are grey. Reads run.attn one layer at a time.
    The cell size shrinks so the image stays within max_side_px on each side (many-head models).
    """
    from PIL import Image, ImageDraw, ImageFont

    L, H, n = run.n_layers, run.n_heads, run.n_tokens
    cell_px = max(8, min(cell_px, (max_side_px - 40) // max(L, H) - gap_px))
    if n < cell_px:  # short texts: a whole number of pixels per token, so every token's row is as tall
        cell_px = n * max(1, round(cell_px / n))
    font_px = max(10, min(16, cell_px // 6))
    font = ImageFont.load_default(size=font_px)
    left, top_margin = 4 * font_px, 2 * font_px  # room for "L12" and "H31"
    width = left + H * (cell_px + gap_px)
    height = top_margin + L * (cell_px + gap_px)
    canvas = np.full((height, width, 3), 255, dtype=np.uint8)  # [height, width, RGB]

    for layer in range(L):
        attn = run.attn[layer]  # [H, N, N]
        masked = run.masked_keys(layer)  # [N, N], the same for every head
        if masked is None:
            masked = np.zeros((n, n), bool)
        y0 = top_margin + layer * (cell_px + gap_px)
        for head in range(H):
            x0 = left + head * (cell_px + gap_px)
            top = 1.0 if normalize == "global" else None
            canvas[y0 : y0 + cell_px, x0 : x0 + cell_px] = head_raster(attn[head], masked, cell_px, top, gamma)

    image = Image.fromarray(canvas)
    draw = ImageDraw.Draw(image)
    for head in range(H):
        x = left + head * (cell_px + gap_px) + cell_px // 2
        draw.text((x, top_margin // 2), f"H{head}", fill=(40, 40, 40), font=font, anchor="mm")
    for layer in range(L):
        y = top_margin + layer * (cell_px + gap_px) + cell_px // 2
        draw.text((left - font_px // 2, y), f"L{layer}", fill=(40, 40, 40), font=font, anchor="rm")
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=False, compress_level=6)
    return buf.getvalue()


def image_width(png: bytes) -> int:
    """Pixel width of a PNG (to show small grids at their own size rather than stretched)."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as im:
        return im.width
