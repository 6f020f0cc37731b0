"""The Export page in AppTest: choose layers, heads and formats, see the estimate, build a zip whose contents parse."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
import zipfile

import numpy as np
from PIL import Image

from tests.support.apptest import errors, on_page

PAGE = "pages/export.py"


def test_page_estimates_then_builds_a_zip_whose_files_parse():
    at = on_page(PAGE)
    assert not at.exception and not errors(at)
    run = at.session_state["run"]
    n = run.n_tokens
    # Defaults: the head the attention page shows, every format but SVG; nothing built yet, so no download.
    assert at.multiselect(key="export_layers").value == [0]
    assert at.multiselect(key="export_heads").value == [0]
    assert at.multiselect(key="export_formats").value == ["png", "csv", "json", "npz"]
    assert not at.get("download_button")
    assert any("1 head selected" in c.value for c in at.caption)

    at.multiselect(key="export_formats").set_value(["png", "svg", "csv", "json", "npz"])
    at.multiselect(key="export_layers").set_value([4])
    at.multiselect(key="export_heads").set_value([0, 7])
    at.run()
    (table,) = at.dataframe
    assert table.value["files"].tolist() == [3, 2, 1, 1, 1]  # png (2 heads + grid), svg, csv, json, npz
    assert any("2 heads selected" in c.value for c in at.caption)

    at.button(key="export_build").click()
    at.run()
    assert not at.exception and not errors(at)
    assert len(at.get("download_button")) == 1
    data = at.session_state["export_zip"]["data"]
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = set(zf.namelist())
        stems = ["all-minilm-l6-v2_L04_H00", "all-minilm-l6-v2_L04_H07"]
        assert names == {
            "attention.csv",
            "run.json",
            "run.npz",
            "all-minilm-l6-v2_all_heads.png",
            *(f"{s}.{e}" for s in stems for e in ("png", "svg")),
        }
        rows = list(csv.DictReader(io.StringIO(zf.read("attention.csv").decode(), newline="")))
        assert len(rows) == 2 * n * n
        got = np.array([float(r["weight"]) for r in rows], np.float32).reshape(2, n, n)
        assert np.array_equal(got, run.attn[4, [0, 7]])
        doc = json.loads(zf.read("run.json"))
        assert doc["text"] == run.text and doc["selection"] == {
            "layers": [4],
            "heads": [0, 7],
            "formats": ["png", "svg", "csv", "json", "npz"],
        }
        with np.load(io.BytesIO(zf.read("run.npz")), allow_pickle=False) as z:
            assert np.array_equal(z["attn"], run.attn) and z["tokens"].tolist() == run.tokens
        for stem in stems:
            with Image.open(io.BytesIO(zf.read(f"{stem}.png"))) as im:
                assert im.format == "PNG" and min(im.size) > 300
            assert ET.fromstring(zf.read(f"{stem}.svg")).tag.endswith("svg")


def test_changing_the_selection_asks_for_a_new_zip():
    at = on_page(PAGE)
    at.multiselect(key="export_formats").set_value(["json"])
    at.multiselect(key="export_layers").set_value([0])
    at.run()
    at.button(key="export_build").click()
    at.run()
    assert len(at.get("download_button")) == 1
    with zipfile.ZipFile(io.BytesIO(at.session_state["export_zip"]["data"])) as zf:
        assert zf.namelist() == ["run.json"]
    at.multiselect(key="export_heads").set_value([3])
    at.run()
    assert not at.exception
    assert not at.get("download_button")
    assert any("build it again" in c.value for c in at.caption)


def test_empty_selection_is_a_warning_not_a_traceback():
    at = on_page(PAGE)
    at.multiselect(key="export_formats").set_value([])
    at.run()
    assert not at.exception
    assert any("No format given" in w.value for w in at.warning)


def test_the_default_selection_is_the_head_the_attention_page_shows():
    at = on_page("pages/attention.py")
    at.slider(key="attn_layer").set_value(3)
    at.slider(key="attn_head").set_value(5)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception and not errors(at)
    assert at.multiselect(key="export_layers").value == [3] and at.multiselect(key="export_heads").value == [5]
