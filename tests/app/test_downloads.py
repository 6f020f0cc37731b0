"""app/downloads.py: the PNG/SVG/CSV buttons beside a chart render nothing until clicked, and what they give parses."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import numpy as np
from PIL import Image
from streamlit.testing.v1 import AppTest

from app import downloads
from explorer.views.attention import attention_frame, head_heatmap


def test_files_are_made_only_when_asked_and_parse(apple_run, monkeypatch):
    calls = []
    real = downloads.spec_svg
    monkeypatch.setattr(downloads, "spec_svg", lambda spec: calls.append(1) or real(spec))
    downloads._SVG_CACHE.clear()
    chart = head_heatmap(apple_run, 2, 5)
    frame = attention_frame(apple_run, 2, 5)
    files = downloads.download_files(chart, frame, "attn L2/H5")
    assert [(f.label, f.file_name, f.mime) for f in files] == [
        ("PNG", "attn-L2-H5.png", "image/png"),
        ("SVG", "attn-L2-H5.svg", "image/svg+xml"),
        ("CSV", "attn-L2-H5.csv", "text/csv"),
    ]
    assert calls == []  # nothing rendered while the buttons are drawn
    png, svg, table = (f.make() for f in files)
    assert len(calls) == 1  # PNG and SVG share one render of the same spec
    assert files[1].make() is svg  # a second click is served from the cache
    with Image.open(io.BytesIO(png)) as im:
        assert im.format == "PNG" and 500 <= im.size[0] <= 2500
    assert ET.fromstring(svg).tag.endswith("svg")
    rows = list(csv.DictReader(io.StringIO(table.decode(), newline="")))
    n = apple_run.n_tokens
    assert len(rows) == n * n
    got = np.array([float(r["weight"]) for r in rows]).reshape(n, n)
    np.testing.assert_allclose(got, apple_run.attn[2, 5], rtol=1e-6)


def test_without_a_frame_there_is_no_csv(apple_run):
    files = downloads.download_files(head_heatmap(apple_run, 0, 0), None, "x")
    assert [f.label for f in files] == ["PNG", "SVG"]


def _app() -> None:
    import altair as alt
    import pandas as pd

    from app.downloads import download_row

    frame = pd.DataFrame({"x": [1, 2, 3], "y": [3, 1, 2]})
    chart = alt.Chart(frame).mark_bar().encode(x="x:O", y="y:Q")
    download_row(chart, frame, "bars", key="demo")


def test_download_row_draws_three_buttons_with_keys():
    at = AppTest.from_function(_app).run()
    assert not at.exception
    buttons = at.get("download_button")
    assert len(buttons) == 3
    assert [b.proto.label for b in buttons] == ["PNG", "SVG", "CSV"]
    assert [b.proto.id.rsplit("-", 1)[-1] for b in buttons] == ["demo_png", "demo_svg", "demo_csv"]


def test_a_frame_function_runs_only_on_the_click(apple_run):
    """Pages pass `lambda: attention_frame(...)`: a 512-token head is 262,144 rows, not built on every rerun."""
    made = []

    def make():
        made.append(1)
        return attention_frame(apple_run, 1, 2)

    (csv_file,) = downloads.download_files(None, make, "attn")
    assert made == []
    rows = list(csv.DictReader(io.StringIO(csv_file.make().decode(), newline="")))
    assert made == [1] and len(rows) == apple_run.n_tokens**2
