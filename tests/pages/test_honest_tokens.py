"""What the model could not read reads [UNK] on the page, and the app says why (AppTest, bundled model)."""

from __future__ import annotations

from tests.support.apptest import app_test, chart_frame, charts

JUNGLE = "打野来抓上单，结果他被反杀了。"


def test_a_chinese_text_on_the_english_model_reads_unk_and_says_why():
    at = app_test()
    at.text_area(key="sidebar_text").input(JUNGLE).run()
    run = at.session_state["run"]
    unk = list(run.unknown).index(True)  # the first token the model could not read
    assert sum(run.unknown) == 11  # of the 15 characters
    shown = [w.value.replace("\\", "") for w in at.warning]  # markdown-escaped on the page
    (warning,) = [w for w in shown if "[UNK]" in w]
    assert "reads 11 of these 15 characters as [UNK]" in warning and "Chinese" in warning
    at.switch_page("pages/attention.py").run()
    frame = chart_frame(charts(at)[0])  # the head heatmap
    assert f"{unk} [UNK]" in set(frame["query"])  # the axis: what the model read
    assert any(run.tokens[unk] in tip for tip in frame["query_tip"])  # the tooltip: the characters written


def test_an_uncased_model_says_so_beside_the_apple_example():
    at = app_test()
    assert any("uncased" in c.value for c in at.sidebar.caption)
    at.switch_page("pages/subspaces.py").run()
    assert any("uncased" in c.value for c in at.caption)
