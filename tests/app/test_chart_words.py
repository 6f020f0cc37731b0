"""The words inside charts follow the interface language (app/i18n/charts.py): templates translate whole titles,
carry what varies over unchanged, never touch the data, and every chart of every page reads Chinese in Chinese."""

from __future__ import annotations

import copy
import json
import re

import altair as alt
import pandas as pd
import pyarrow as pa
import pytest

from app.charts import vega_lite_spec
from app.i18n import placeholders, zh
from app.i18n.charts import phrase, translated_spec
from tests.support.apptest import app_test, charts, errors

# ASCII words a Chinese chart title may keep: head and layer names, maths, and the names of methods.
KEPT = {"MDS", "JS", "Jensen", "Shannon", "BH", "PC", "softmax", "cos", "tanh", "d_model", "d_k", "d_head", "concat"}
KEPT_PATTERN = re.compile(r"^(?:[LH]\d+|W_[QKVO]|[A-Za-z])$")
QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"")  # the user's tokens and words, quoted in titles: not ours to translate


def english_words(text: str) -> list[str]:
    """Words of two or more Latin letters left in `text`, outside quotes and the kept words."""
    words = re.findall(r"[A-Za-z][A-Za-z_]+", QUOTED.sub("", text))
    return [w for w in words if w not in KEPT and not KEPT_PATTERN.match(w)]


def titles(node) -> list[str]:
    """Every title-like string of a Vega-Lite spec (chart, axis, legend, tooltip, facet header), data excluded."""
    found = []
    if isinstance(node, dict):
        for name, value in node.items():
            if name in ("datasets", "data"):
                continue
            if name in ("title", "subtitle", "text") and isinstance(value, str):
                found.append(value)
            elif name in ("title", "subtitle") and isinstance(value, list):
                found.extend(v for v in value if isinstance(v, str))
            else:
                found.extend(titles(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(titles(item))
    return found


def test_each_template_keeps_its_placeholders():
    for source, target in zh.CHARTS.items():
        assert placeholders(source) == placeholders(target), source
        assert not english_words(re.sub(r"\{\w+\}", "Q", target)), (source, target)  # a placeholder: any word


def test_a_phrase_is_translated_whole_and_what_varies_is_carried_over():
    assert phrase("key (attended to)", "zh") == zh.CHARTS["key (attended to)"]
    assert phrase("L3 H7: queries 0–47 × keys 16–79, exact", "zh") == "L3 H7：查询 0–47 × 键 16–79，精确值"
    # A placeholder's value is not translated, though "key" alone is a phrase: it is the user's token here.
    assert phrase("Where “key” (token 4) attends, layer 2", "zh") == "“key”（第 4 个词元）关注哪里（第 2 层）"
    assert phrase("something no table knows", "zh") == "something no table knows"
    assert phrase("key (attended to)", "en") == "key (attended to)"


def test_a_translated_spec_changes_titles_only_and_leaves_the_original_alone():
    frame = pd.DataFrame({"query": ["a", "b"], "key": ["a", "a"], "weight": [0.25, 1.0]})
    title = alt.Title("Whole hidden state", subtitle="bar: all dimensions; ◆: best head of the layer")
    chart = (
        alt.Chart(frame, title=title)
        .mark_rect()
        .encode(
            x=alt.X("key:N", title="key (attended to)"),
            y=alt.Y("query:N", title="query (attending)"),
            color=alt.Color("weight:Q", title="weight"),
            tooltip=[alt.Tooltip("weight:Q", title="weight")],
        )
    )
    english = vega_lite_spec(chart)
    before = copy.deepcopy(english)
    chinese = translated_spec(english, "zh")
    assert english == before  # the English spec (cached, shared) is not changed
    assert chinese["datasets"] is english["datasets"]  # the data is shared, not copied
    assert chinese["title"] == {"text": "整个隐藏状态", "subtitle": "条形：全部维度；◆：该层最好的头"}
    assert chinese["encoding"]["x"]["title"] == "键（被关注的词元）"
    assert chinese["encoding"]["color"]["title"] == chinese["encoding"]["tooltip"][0]["title"] == "权重"
    assert chinese["encoding"]["x"]["field"] == "key"  # field names are not titles
    assert vega_lite_spec(chart, "zh") is vega_lite_spec(chart, "zh")  # once per chart and language


LONG_TEXT = " ".join(["The cat sat on the mat because it was tired, and then it slept."] * 9)  # > 96 tokens: pooled


@pytest.mark.parametrize(
    "page, controls",
    [
        ("pages/attention.py", []),
        ("pages/attention.py", [("radio", "attn_value", "scores"), ("radio", "attn_token_scope", "layer")]),
        ("pages/compare.py", []),
        ("pages/qkv.py", []),
        ("pages/walkthrough.py", []),
        ("pages/subspaces.py", []),
    ],
)
def test_every_chart_reads_chinese_in_chinese(page, controls):
    at = app_test()
    at.radio(key="sidebar_language").set_value("zh").run()
    at.text_area(key="sidebar_text").input(LONG_TEXT).run()
    at.switch_page(page).run()
    for kind, key, value in controls:
        getattr(at, kind)(key=key).set_value(value).run()
    assert not at.exception and not errors(at)
    drawn = charts(at)
    assert drawn, page
    left = {
        text: english_words(text)
        for chart in drawn
        for text in titles(json.loads(chart.proto.spec))
        if english_words(text)
    }
    assert not left, f"English left in the charts of {page}: {left}"


def test_the_hidden_states_are_named_in_chinese_on_the_baseline():
    at = app_test()
    at.radio(key="sidebar_language").set_value("zh").run()
    at.switch_page("pages/subspaces.py").run()
    assert not at.exception and not errors(at)
    baseline = next(chart for chart in charts(at) if "best_head_score" in chart.proto.spec)
    frames = [pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in baseline.proto.datasets]
    names = list(max(frames, key=len)["name"])  # bars (every state) and diamonds (the layers) are two datasets
    assert names[:3] == ["词嵌入", "第 0 层之后", "第 1 层之后"]
