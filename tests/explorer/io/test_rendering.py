"""explorer/io/rendering.py: the PNG and SVG of a head decode with sensible sizes and carry their titles."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image

import explorer
from explorer.io.export import write_export
from explorer.io.rendering import spec_svg, svg_to_png
from explorer.views.attention import head_heatmap


@pytest.fixture(scope="module")
def image_export(apple_run, tmp_path_factory):
    """png and svg of layers 0 and 5, heads 0 and 11 (4 heads), plus the all-heads grid."""
    out = tmp_path_factory.mktemp("images")
    paths = write_export(apple_run, out, "png,svg", layers="0,5", heads=[0, 11])
    return out, paths


def test_pngs_decode_with_sensible_size(apple_run, image_export):
    out, paths = image_export
    names = sorted(p.name for p in paths)
    stems = [f"all-minilm-l6-v2_L{layer:02d}_H{head:02d}" for layer in (0, 5) for head in (0, 11)]
    assert names == sorted([f"{s}.{e}" for s in stems for e in ("png", "svg")] + ["all-minilm-l6-v2_all_heads.png"])
    for stem in stems:
        with Image.open(out / f"{stem}.png") as im:
            im.load()
            assert im.format == "PNG"
            w, h = im.size
            # 14 tokens: a ~240 px map plus axes, labels and legend, at scale 2.
            assert 500 <= w <= 2500 and 500 <= h <= 2500, im.size
            pixels = np.asarray(im.convert("RGB"), dtype=np.int16)
            assert pixels.std() > 20  # not blank
    with Image.open(out / "all-minilm-l6-v2_all_heads.png") as grid:
        w, h = grid.size
        assert w > h and w >= 12 * 50 and h >= 6 * 50  # 12 heads across, 6 layers down


def test_svgs_parse_and_carry_the_title(image_export):
    out, _ = image_export
    root = ET.parse(out / "all-minilm-l6-v2_L05_H11.svg").getroot()
    assert root.tag.endswith("svg")
    texts = [t.text or "" for t in root.iter() if t.tag.endswith("text")]
    assert any("L5 H11" in t and "all-MiniLM-L6-v2" in t for t in texts), texts[:5]
    assert any(t == "4 apple" for t in texts)  # token labels on the axes
    images = [e for e in root.iter() if e.tag.endswith("image")]  # the map's cells and the colour bar
    assert len(images) == 2 and images[0].get("width") == images[0].get("height") == "630"  # 14 tokens × 45 px
    assert all(i.get("href").startswith("data:image/png;base64,") for i in images)  # inside the file: no fetch


def test_png_of_a_long_text_stays_feasible(bundle):
    """512 tokens: the chart pools into blocks (as in the app), so one head renders in seconds, not minutes."""
    run = explorer.extract(bundle, "word " * 600, max_tokens=512)
    assert run.n_tokens == 512
    png = svg_to_png(spec_svg(head_heatmap(run, 2, 3).to_dict()))  # the app's chart, as its PNG button makes it
    with Image.open(io.BytesIO(png)) as im:
        assert max(im.size) <= 3000
    assert len(png) < 3_000_000
