"""explorer/views/fonts.py: exported images draw Chinese with the CJK font, not as empty boxes ("tofu").

A label in an image is compared with the same text drawn straight with the CJK font file (ink cropped to its
bounding box, then intersection over union): the raster PNG (PIL) and a vl-convert chart must match it, and must
not match the boxes a Latin font draws. Without a CJK font the tests skip locally and fail under CI (CI=true):
.ci/run installs fonts-noto-cjk.
"""

from __future__ import annotations

import io
import os
import subprocess

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

import explorer
from explorer.io.rendering import spec_svg, svg_to_png
from explorer.views import fonts
from explorer.views.raster import head_png, head_svg
from tests.support.tiny_models import make_chinese

GLYPH = "他"  # "he": one of the first characters a Chinese text has


def cjk_face() -> fonts.FontFace:
    face = fonts.cjk_font()
    if face is None:
        reason = "no CJK font on this machine (apt install fonts-noto-cjk)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}: CI needs it (.ci/run installs fonts-noto-cjk)")
        pytest.skip(reason)
    return face


def ink(image: Image.Image) -> np.ndarray:
    """Where the image is dark, cropped to the bounding box of that ink. -> bool [h, w]"""
    dark = np.asarray(image.convert("L")) < 160
    ys, xs = np.nonzero(dark)
    assert ys.size, "nothing is drawn"
    return dark[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


def overlap(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two ink masks laid on each other by their top-left corners."""
    shape = max(a.shape[0], b.shape[0]), max(a.shape[1], b.shape[1])
    pa, pb = np.zeros(shape, bool), np.zeros(shape, bool)
    pa[: a.shape[0], : a.shape[1]], pb[: b.shape[0], : b.shape[1]] = a, b
    return (pa & pb).sum() / (pa | pb).sum()


def drawn(text: str, font, size=(400, 300)) -> np.ndarray:
    """The ink of `text` drawn straight with `font`."""
    image = Image.new("RGB", size, "white")
    ImageDraw.Draw(image).text((20, 20), text, fill=(60, 60, 60), font=font)
    return ink(image)


def direct(face: fonts.FontFace, size: int):
    return ImageFont.truetype(str(face.path), size, index=face.index)


@pytest.fixture(scope="module")
def chinese_run(tmp_path_factory):
    """A Chinese text read by a model that knows its characters (the bundled model reads them as [UNK])."""
    model = explorer.load_model(str(make_chinese(tmp_path_factory.mktemp("tiny-chinese"))))
    run = explorer.extract(model, "他们说中文。")
    assert run.shown_tokens[1] == GLYPH  # one token a character, as the model read it
    return run


def test_the_cjk_font_is_found_with_its_simplified_chinese_face():
    face = cjk_face()
    assert face.path.is_file()
    font = direct(face, 12)
    assert font.getname()[0] == face.family
    if face.path.name == "NotoSansCJK-Regular.ttc":  # a collection of JP, KR, SC, TC, HK faces
        assert face.family == "Noto Sans CJK SC"
    assert fonts.chart_font() == f'"{face.family}", sans-serif'


def token_labels(png: bytes, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The ink of the labels of query 1 and key 1 in a head_png of n tokens (key labels turned back level)."""
    image = Image.open(io.BytesIO(png))
    per = 640 // n  # head_png: whole pixels per token, the map's corner at (150, 150)
    at = 150 + int(1.5 * per)  # the row of query 1 and the column of key 1
    query = ink(image.crop((0, at - per // 2, 150, at + per // 2)))
    key = ink(image.crop((at - per // 2, 40, at + per // 2, 150)).rotate(-90, expand=True))  # drawn upright
    return query, key


def test_head_png_draws_chinese_token_labels_with_the_cjk_font(chinese_run):
    face = cjk_face()
    want = drawn(f"1 {GLYPH}", direct(face, 11))
    tofu = drawn(f"1 {GLYPH}", ImageFont.load_default(size=11))  # what a Latin-only font draws
    assert overlap(tofu, want) < 0.5  # the two are told apart
    for label in token_labels(head_png(chinese_run, 0, 0), chinese_run.n_tokens):
        assert overlap(label, want) > 0.9
        assert overlap(label, tofu) < 0.5


def test_a_rendered_chart_draws_chinese_with_the_cjk_font():
    """vl-convert (SVG, then PNG) draws the glyph of the CJK font found, not a box nor another CJK font's."""
    face = cjk_face()
    spec = {
        "data": {"values": [{"t": GLYPH}]},
        "mark": {"type": "text", "fontSize": 100},
        "encoding": {"text": {"field": "t"}},
        "width": 150,
        "height": 150,
        "config": {"view": {"stroke": None}},
    }
    svg = spec_svg(spec)
    assert face.family in svg.decode()  # the SVG asks for the font, so a reader's viewer can find it too
    glyph = ink(Image.open(io.BytesIO(svg_to_png(svg, scale=2))))  # fontSize 100 at scale 2: 200 px
    assert overlap(glyph, drawn(GLYPH, direct(face, 200))) > 0.9
    assert overlap(glyph, drawn(GLYPH, ImageFont.load_default(size=200))) < 0.5


def test_the_export_svg_of_a_chinese_run_names_the_cjk_font(chinese_run):
    face = cjk_face()
    svg = head_svg(chinese_run, 0, 0).decode()  # what the export writes
    assert f"&quot;{face.family}&quot;, sans-serif" in svg
    assert f">1 {GLYPH}<" in svg  # the token label, as text


def test_without_a_cjk_font_labels_still_draw(chinese_run, monkeypatch):
    """PIL's default font (boxes for Chinese) in the same layout."""
    size = Image.open(io.BytesIO(head_png(chinese_run, 0, 0))).size
    monkeypatch.setattr(fonts, "cjk_font", lambda: None)
    assert fonts.chart_font() is None
    png = head_png(chinese_run, 0, 0)
    assert Image.open(io.BytesIO(png)).size == size
    tofu = drawn(f"1 {GLYPH}", ImageFont.load_default(size=11))
    for label in token_labels(png, chinese_run.n_tokens):
        assert overlap(label, tofu) > 0.9


def test_a_font_without_chinese_is_not_taken_and_the_search_warns(monkeypatch):
    """fc-match always answers (DejaVu for a family it lacks): an answer without zh-cn is refused."""
    dejavu = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf\n0\nDejaVu Sans\naa|af|en|fr"
    answer = subprocess.CompletedProcess([], 0, stdout=dejavu, stderr="")
    monkeypatch.setattr(fonts.subprocess, "run", lambda *args, **kwargs: answer)
    assert fonts._fontconfig_face("Noto Sans CJK SC:lang=zh-cn") is None
    monkeypatch.setattr(fonts, "KNOWN_CJK_FILES", ())
    with pytest.warns(RuntimeWarning, match="fonts-noto-cjk"):
        assert fonts.cjk_font.__wrapped__() is None
