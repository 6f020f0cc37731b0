"""The raster renderer: attention maps drawn straight into pixels with numpy and PIL (no Vega rows)."""

from __future__ import annotations

import base64
import functools
import io
import unicodedata
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING

import numpy as np

from explorer.analysis.heads import head_name
from explorer.views.fonts import chart_font, label_font
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


def _fit(label: str, font, max_px: float) -> str:
    """The longest start of `label` that fits in max_px pixels of `font` (a CJK character is about two Latin wide)."""
    if font.getlength(label) <= max_px:
        return label
    lo, hi = 1, len(label) - 1  # binary search: the start of lo characters fits (or is the first character)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if font.getlength(label[:mid]) <= max_px else (lo, mid - 1)
    return label[:lo]


def head_raster(
    weights: np.ndarray, masked: np.ndarray, cell_px: int, top: float | None = None, gamma: float = 1.0
) -> np.ndarray:
    """One map as an RGB image [cell_px, cell_px, 3]: max-pooled (or repeated) to cell_px, Blues, masked grey.

    weights, masked: [Nq, Nk] (Nq ≠ Nk for cross-attention: each axis is pooled or repeated on its own). top: the
    weight shown darkest (default: this map's max). gamma < 1 brightens faint weights (colour = (w / top) ** gamma).
    """
    rows, cols = pixel_starts(weights.shape[0], cell_px), pixel_starts(weights.shape[1], cell_px)  # [P] each
    w, m = weights, masked
    for axis, starts in ((0, rows), (1, cols)):
        if w.shape[axis] >= cell_px:  # several tokens per pixel: keep the largest weight
            w, m = pool(w, starts, "max", axes=(axis,)), pool(m, starts, "all", axes=(axis,))
        else:  # several pixels per token: nearest neighbour
            w, m = np.take(w, starts, axis=axis), np.take(m, starts, axis=axis)
    top = float(w.max()) if top is None else top
    rgb = _blues((w / (top if top > 0 else 1.0)) ** gamma)  # [P, P, 3]
    rgb[m] = MASKED_RGB
    return rgb


SAMPLE_ROWS_ABOVE = 1024  # query tokens above which the all-heads image samples one query row per pixel row


def sampled_rows(n_queries: int, cell_px: int = 112) -> np.ndarray | None:
    """The evenly spaced query rows all_heads_png draws for a long text (one per pixel row), or None: every row."""
    if n_queries <= SAMPLE_ROWS_ABOVE:
        return None
    return pixel_starts(n_queries, cell_px)


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
    The cell size shrinks so the image stays within max_side_px on each side (many-head models). Above
    SAMPLE_ROWS_ABOVE query tokens each pixel row is one evenly spaced query row (its keys still max-pooled), so a
    layer costs cell_px rows of maps, not N² (8,192 tokens: 73 times less); sampled_rows() tells the caption.
    """
    from PIL import Image, ImageDraw

    L, H, n = run.n_layers, run.n_heads, max(run.n_tokens, run.n_keys)
    cell_px = max(8, min(cell_px, (max_side_px - 40) // max(L, H) - gap_px))
    if n < cell_px:  # short texts: a whole number of pixels per token, so every token's row is as tall
        cell_px = n * max(1, round(cell_px / n))
    font_px = max(10, min(16, cell_px // 6))
    font = label_font(font_px)
    left, top_margin = 4 * font_px, 2 * font_px  # room for "L12" and "H31"
    width = left + H * (cell_px + gap_px)
    height = top_margin + L * (cell_px + gap_px)
    canvas = np.full((height, width, 3), 255, dtype=np.uint8)  # [height, width, RGB]

    rows = sampled_rows(run.n_tokens, cell_px)  # None: every query row, max-pooled
    for layer in range(L):
        attn = run.attn[layer] if rows is None else run.attn[layer, :, rows]  # [H, Nq or P, Nk]
        masked = run.masked_keys(layer)  # [Nq, Nk], the same for every head
        if masked is None:
            masked = np.zeros((run.n_tokens, run.n_keys), bool)
        if rows is not None:
            masked = masked[rows]
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


@dataclass(frozen=True)
class HeadPicture:
    """What a labelled picture of one head shows, in pixels, before it is drawn as PNG or SVG."""

    rgb: np.ndarray  # [h_px, w_px, 3] the map: pooled (or repeated) to at most side_px a side, Blues, masked grey
    top: float  # the weight drawn darkest
    gamma: float
    title: str
    note: str
    row_labels: list[tuple[float, str]]  # (y within the map, "i token") for evenly spaced queries
    col_labels: list[tuple[float, str]]  # (x within the map, "j token") for evenly spaced keys
    LEFT, TOP, RIGHT, BOTTOM = 150, 150, 90, 20  # margins: query labels, title + key labels, colour bar, air

    @property
    def size(self) -> tuple[int, int]:
        h_px, w_px = self.rgb.shape[:2]
        return self.LEFT + w_px + self.RIGHT, self.TOP + h_px + self.BOTTOM


def head_picture(run: Extraction, layer: int, head: int, *, side_px: int = 640, gamma: float = 0.5) -> HeadPicture:
    """One head laid out for head_png and head_svg. Queries down, keys across, the map max-pooled to at most
    side_px pixels a side (a short text gets whole pixels per token), Blues scaled to the map's largest weight
    (colour ∝ (weight / largest) ** gamma: 0.5, the square root, keeps the faint spread of long texts visible),
    masked cells grey; labels (the tokens as the model read them: [UNK], ##pieces) for every token when there is
    room, else evenly spaced ones."""
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

    def ticks(n: int, px: int, tokens) -> list[tuple[float, str]]:
        step = max(1, int(np.ceil(14 / (px / n))))  # at least 14 px between labels
        return [((i + 0.5) * px / n, f"{i} {tokens[i]}") for i in range(0, n, step)]

    title = f"{run.meta.get('display_name', run.model_name)} · {head_name(layer, head)} · {run.kind} attention"
    # the fallback font (PIL's default) has no ∝ or √: plain ASCII
    scale_note = "colour: weight / max" if gamma == 1 else f"colour: (weight / max) ^ {gamma:g}"
    note = f"queries down, keys across · {scale_note} · grey: masked"
    return HeadPicture(
        rgb, top, gamma, title, note, ticks(nq, h_px, run.shown_tokens), ticks(nk, w_px, run.key_shown_tokens)
    )


def head_png(run: Extraction, layer: int, head: int, *, side_px: int = 640, gamma: float = 0.5) -> bytes:
    """One head's map as a labelled PNG, drawn straight into pixels (the export's fast path; no Vega): the title
    names the head and the run, token labels sit on both axes, and a colour bar gives the scale (head_picture)."""
    return picture_png(head_picture(run, layer, head, side_px=side_px, gamma=gamma))


def picture_png(pic: HeadPicture) -> bytes:
    """head_png of a picture already laid out (the export draws each head's PNG and SVG from one picture)."""
    from PIL import Image, ImageDraw

    h_px, w_px = pic.rgb.shape[:2]
    left, top_margin = pic.LEFT, pic.TOP
    font = label_font(11)  # a CJK font when installed (views.fonts): Chinese tokens are not boxes
    image = Image.new("RGB", pic.size, "white")
    image.paste(Image.fromarray(pic.rgb), (left, top_margin))
    draw = ImageDraw.Draw(image)
    draw.text((left, 21), pic.title, fill=(30, 30, 30), font=label_font(14), anchor="ls")  # baselines: fonts differ
    draw.text((left, 37), pic.note, fill=(90, 90, 90), font=font, anchor="ls")
    for y, label in pic.row_labels:
        draw.text((left - 4, top_margin + y), _fit(label, font, left - 8), fill=(60, 60, 60), font=font, anchor="rm")
    keys = Image.new("RGB", (top_margin - 40, w_px), "white")  # key labels drawn sideways, then turned upright
    key_draw = ImageDraw.Draw(keys)
    for x, label in pic.col_labels:
        key_draw.text((4, x), _fit(label, font, keys.width - 8), fill=(60, 60, 60), font=font, anchor="lm")
    image.paste(keys.rotate(90, expand=True), (left, 40))
    image.paste(Image.fromarray(_colour_bar(h_px, pic.gamma)), (left + w_px + 12, top_margin))
    draw.text((left + w_px + 30, top_margin), f"{pic.top:.3f}", fill=(60, 60, 60), font=font, anchor="lt")
    draw.text((left + w_px + 30, top_margin + h_px), "0", fill=(60, 60, 60), font=font, anchor="lb")
    buf = io.BytesIO()
    image.save(buf, format="PNG", compress_level=1)  # speed over a few kB
    return buf.getvalue()


def head_svg(run: Extraction, layer: int, head: int, *, side_px: int = 640, gamma: float = 0.5) -> bytes:
    """The same picture as head_png as an SVG: title, labels and scale as vector text (selectable, searchable, in
    the CJK font's family), the map itself as one embedded image of its pooled cells drawn with crisp edges (as
    matplotlib writes imshow to SVG). Milliseconds a head, where Vega's one <path> per cell took seconds."""
    return picture_svg(head_picture(run, layer, head, side_px=side_px, gamma=gamma))


def picture_svg(pic: HeadPicture) -> bytes:
    """head_svg of a picture already laid out."""
    h_px, w_px = pic.rgb.shape[:2]
    left, top_margin = pic.LEFT, pic.TOP
    width, height = pic.size
    family = escape(chart_font() or "sans-serif", quote=True)

    def text(x: float, y: float, s: str, *, size: int = 11, anchor: str = "start", extra: str = "") -> str:
        return (
            f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="#3c3c3c"{extra}>'
            f"{escape(s)}</text>"
        )

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="{family}">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        text(left, 21, pic.title, size=14),
        text(left, 37, pic.note),
        _svg_image(_png_base64(pic.rgb), pic.rgb.shape, left, top_margin),
        _svg_image(_colour_bar_base64(h_px, pic.gamma), (h_px, 14), left + w_px + 12, top_margin),
        text(left + w_px + 30, top_margin + 10, f"{pic.top:.3f}"),
        text(left + w_px + 30, top_margin + h_px, "0"),
    ]
    parts += [text(left - 4, top_margin + y + 4, _cut(label, 22), anchor="end") for y, label in pic.row_labels]
    for x, label in pic.col_labels:  # key labels read upwards, ending just above the map
        cx, cy = left + x + 4, top_margin - 4
        parts.append(text(cx, cy, _cut(label, 17), extra=f' transform="rotate(-90 {cx:.1f} {cy:.1f})"'))
    parts.append("</svg>")
    return "\n".join(parts).encode()


def _colour_bar(h_px: int, gamma: float) -> np.ndarray:
    """The colour scale as pixels [h_px, 14, 3], darkest at the top."""
    return _blues(np.linspace(1.0, 0.0, h_px)[:, None].repeat(14, 1) ** gamma)


def _png_base64(rgb: np.ndarray) -> str:
    """RGB pixels as a base64 PNG (zlib level 1: a 512-token map in a fifth of level 6's time, 7% larger)."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="PNG", compress_level=1)
    return base64.b64encode(buf.getvalue()).decode()


@functools.lru_cache(maxsize=8)
def _colour_bar_base64(h_px: int, gamma: float) -> str:
    """The colour bar as a base64 PNG, made once per height and gamma (every head's SVG has one)."""
    return _png_base64(_colour_bar(h_px, gamma))


def _svg_image(data: str, shape: tuple[int, ...], x: int, y: int) -> str:
    """An <image> of base64 PNG pixels [h, w, ...], drawn pixel for pixel."""
    h, w = shape[:2]
    return (
        f'<image x="{x}" y="{y}" width="{w}" height="{h}" style="image-rendering:pixelated" '
        f'preserveAspectRatio="none" href="data:image/png;base64,{data}"/>'
    )


def _cut(label: str, units: int) -> str:
    """The start of label that fits in `units` Latin-character widths (a CJK character counts two)."""
    used, out = 0, []
    for ch in label:
        used += 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        if used > units:
            return "".join(out) + "…"
        out.append(ch)
    return label
