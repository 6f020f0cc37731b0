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


def head_png(run: Extraction, layer: int, head: int, *, side_px: int = 640, gamma: float = 0.5) -> bytes:
    """One head's map as a labelled PNG, drawn straight into pixels (the export's fast path; no Vega).

    Queries down, keys across, the map max-pooled to at most side_px pixels a side (a short text gets whole
    pixels per token), Blues scaled to the map's largest weight (colour ∝ (weight / largest) ** gamma: 0.5, the
    square root, keeps the faint spread of long texts visible), masked cells grey; the title names the head and
    the run, token labels sit on both axes (every token when there is room, else evenly spaced ones), and a
    colour bar gives the scale.
    """
    from PIL import Image, ImageDraw, ImageFont

    nq, nk = run.n_tokens, run.n_keys
    weights = np.asarray(run.attn[layer, head])  # [Nq, Nk]: this head only
    masked = ~np.isfinite(np.asarray(run.scores[layer, head]))
    per_token = max(1, side_px // max(nq, nk))
    h_px, w_px = min(side_px, nq * per_token), min(side_px, nk * per_token)
    rows, cols = pixel_starts(nq, h_px), pixel_starts(nk, w_px)
    if nq >= h_px and nk >= w_px:  # several tokens per pixel: keep the largest weight
        w, m = pool(weights, (rows, cols), "max"), pool(masked, (rows, cols), "all")
    else:
        w, m = weights[np.ix_(rows, cols)], masked[np.ix_(rows, cols)]
    top = float(w.max()) or 1.0
    rgb = _blues((w / top) ** gamma)
    rgb[m] = MASKED_RGB

    font = ImageFont.load_default(size=11)
    left, top_margin, right, bottom = 150, 150, 90, 20
    image = Image.new("RGB", (left + w_px + right, top_margin + h_px + bottom), "white")
    image.paste(Image.fromarray(rgb), (left, top_margin))
    draw = ImageDraw.Draw(image)
    title = f"{run.meta.get('display_name', run.model_name)} · layer {layer}, head {head} · {run.kind} attention"
    draw.text((left, 8), title, fill=(30, 30, 30), font=ImageFont.load_default(size=14))
    # the default bitmap font has no ∝ or √: plain ASCII
    scale_note = "colour: weight / max" if gamma == 1 else f"colour: (weight / max) ^ {gamma:g}"
    draw.text((left, 28), f"queries down, keys across · {scale_note} · grey: masked", fill=(90, 90, 90), font=font)

    def ticks(n: int, px: int) -> list[tuple[int, float]]:
        step = max(1, int(np.ceil(14 / (px / n))))  # at least 14 px between labels
        return [(i, (i + 0.5) * px / n) for i in range(0, n, step)]

    for i, y in ticks(nq, h_px):
        draw.text((left - 4, top_margin + y), f"{i} {run.tokens[i]}"[:22], fill=(60, 60, 60), font=font, anchor="rm")
    keys = Image.new("RGB", (top_margin - 40, w_px), "white")  # key labels drawn sideways, then turned upright
    key_draw = ImageDraw.Draw(keys)
    for j, x in ticks(nk, w_px):
        key_draw.text((4, x), f"{j} {run.key_tokens[j]}"[:22], fill=(60, 60, 60), font=font, anchor="lm")
    image.paste(keys.rotate(90, expand=True), (left, 40))
    bar = np.linspace(1.0, 0.0, h_px)[:, None].repeat(14, 1)  # the colour scale, darkest at the top
    image.paste(Image.fromarray(_blues(bar**gamma)), (left + w_px + 12, top_margin))
    draw.text((left + w_px + 30, top_margin), f"{top:.3f}", fill=(60, 60, 60), font=font, anchor="lt")
    draw.text((left + w_px + 30, top_margin + h_px), "0", fill=(60, 60, 60), font=font, anchor="lb")
    buf = io.BytesIO()
    image.save(buf, format="PNG", compress_level=1)  # speed over a few kB
    return buf.getvalue()
