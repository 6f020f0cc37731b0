"""Every page on a long run: 8,192 tokens on a tiny random long-context model draw without an exception, and no
view asks the on-demand maps for more than one layer at a time."""

from __future__ import annotations

import json
import shutil

import pytest

import explorer.maps
from tests.support.apptest import app_test, errors, use_model_folder

PAGES = ("pages/attention.py", "pages/compare.py", "pages/qkv.py", "pages/walkthrough.py", "pages/export.py")
N = 8192
WORDS = "the cat sat on the mat because it was tired apple pie and apple juice".split()


@pytest.fixture(scope="module")
def long_model(tiny_dirs, tmp_path_factory):
    """The tiny Qwen2 with room for 8,192 positions (a copy: tiny_dirs folders are read-only)."""
    folder = tmp_path_factory.mktemp("long") / "tiny-long"
    shutil.copytree(tiny_dirs["qwen2"], folder)
    config = json.loads((folder / "config.json").read_text())
    config["max_position_embeddings"] = N
    (folder / "config.json").write_text(json.dumps(config))
    return folder


@pytest.mark.slow  # about 20 s: five pages on 8,192 tokens
def test_every_page_draws_a_long_run_one_layer_at_most(long_model, monkeypatch):
    largest = [0]  # the most map cells one request to the on-demand maps computed
    block = explorer.maps.ScoreMaps._block

    def counting(self, layers, heads, queries):
        largest[0] = max(largest[0], len(layers) * len(heads) * len(queries) * self.shape[3])
        return block(self, layers, heads, queries)

    monkeypatch.setattr(explorer.maps.ScoreMaps, "_block", counting)
    at = use_model_folder(app_test(timeout=300), long_model)
    at.text_area(key="sidebar_text").input(" ".join(WORDS * (N // len(WORDS) + 50))).run()
    at.number_input(key="sidebar_max_tokens").set_value(N).run()
    run = at.session_state["run"]
    assert run is not None and run.n_tokens == N
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception and not errors(at), (page, errors(at))
        assert at.get("vega_lite_chart") or at.get("imgs") or page == "pages/export.py", page
        if page == "pages/compare.py":  # text B would be a second 8,192-token forward pass: only when asked
            assert at.toggle(key="compare_run_b").value is False
        if page == "pages/export.py":  # one head's CSV would be 67 million rows: not chosen unless asked for
            formats = at.multiselect(key="export_formats").value
            assert "csv" not in formats and "png" in formats, formats
        if page == "pages/attention.py":  # the pooled overview, and an exact window of it
            assert any("unpooled" in c.value for c in at.caption)
            at.number_input(key="attn_window_query").set_value(4000).run()
            assert not at.exception and not errors(at)
    one_layer = run.n_heads * N * N
    assert 0 < largest[0] <= one_layer, (largest[0], one_layer)
