"""The language switch at the top of the sidebar (English / 简体中文), driven with AppTest: it changes the sidebar,
the navigation and the pages' text, keeps every other widget's value, and every page runs in both languages."""

from __future__ import annotations

import pytest
import streamlit as st

from app.i18n import TABLES
from app.sidebar import EXAMPLE_LIST, EXAMPLES
from tests.support import REPO
from tests.support.apptest import app_test, errors

ZH = TABLES["zh"]
EN = TABLES["en"]
PAGES = sorted(p.relative_to(REPO).as_posix() for p in (REPO / "pages").glob("*.py"))


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in str(text))


def sidebar_text(at) -> str:
    return " ".join(str(e.value) for kind in ("title", "caption", "info", "warning") for e in at.sidebar.get(kind))


def test_the_switch_changes_the_sidebar_and_the_page_and_back():
    at = app_test()
    switch = at.radio(key="sidebar_language")
    assert switch.value == "en" and switch.options == ["English", "简体中文"]
    assert at.selectbox(key="sidebar_model_source").label == "Model"
    english_caption = at.main.caption[0].value  # the run summary under the page's title

    switch.set_value("zh").run()
    assert not at.exception and not errors(at)
    assert at.sidebar.title[0].value == ZH["sidebar.title"]
    assert at.selectbox(key="sidebar_model_source").label == "模型"
    assert at.selectbox(key="sidebar_model_source").options[0].startswith("内置：")
    assert at.text_area(key="sidebar_text").label == "文本"
    assert at.number_input(key="sidebar_max_tokens").label == "词元上限"
    assert "词元" in at.number_input(key="sidebar_max_tokens").help
    assert any("本次运行共" in c.value for c in at.sidebar.caption)
    assert at.title[0].value == "注意力图"
    assert at.subheader[0].value == "单个注意力头"
    assert at.slider(key="attn_layer").label == "层"
    assert at.radio(key="attn_value").options == ["权重（softmax 之后）", "原始分数 q·k/√d"]
    assert any("每一行是一个查询词元" in c.value for c in at.caption)
    assert "个词元" in at.main.caption[0].value and at.main.caption[0].value != english_caption

    at.radio(key="sidebar_language").set_value("en").run()
    assert not at.exception
    assert at.selectbox(key="sidebar_model_source").label == "Model"
    assert at.title[0].value == "Attention maps"
    assert at.main.caption[0].value == english_caption
    assert not has_chinese(sidebar_text(at)) and not any(has_chinese(c.value) for c in at.caption)


def test_navigation_titles_follow_the_language(monkeypatch):
    titles: list[str] = []
    real_page = st.Page

    def page(*args, **kwargs):
        titles.append(kwargs["title"])
        return real_page(*args, **kwargs)

    monkeypatch.setattr(st, "Page", page)
    at = app_test()
    assert titles == [
        EN[f"nav.{name}"] for name in ("attention", "compare", "qkv", "walkthrough", "subspaces", "export")
    ]
    titles.clear()
    at.radio(key="sidebar_language").set_value("zh").run()
    assert titles == ["注意力图", "注意力头对比", "Q/K/V 向量", "注意力是怎样算出来的", "表示子空间", "导出"]


def test_the_language_and_every_control_are_kept_across_pages():
    at = app_test()
    at.slider(key="attn_layer").set_value(3).run()
    at.radio(key="sidebar_language").set_value("zh").run()
    assert at.slider(key="attn_layer").value == 3  # a new label, the same widget
    at.switch_page("pages/qkv.py").run()
    assert at.radio(key="sidebar_language").value == "zh" and at.title[0].value == "Q/K/V 向量"
    at.switch_page("pages/attention.py").run()
    assert at.slider(key="attn_layer").value == 3 and at.title[0].value == "注意力图"


@pytest.mark.slow  # every page twice: about 15 s
@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_page_runs_in_both_languages(language):
    """A key missing from a table is a KeyError, so this fails on any string a page asks for and the tables lack."""
    at = app_test()
    at.radio(key="sidebar_language").set_value(language).run()
    for page in PAGES:
        at.switch_page(page).run(timeout=120)
        assert not at.exception, f"{page}: {[e.value for e in at.exception]}"
        assert not errors(at), f"{page}: {errors(at)}"
        title = at.title[0].value
        assert has_chinese(title) == (language == "zh"), (page, title)
        captions = " ".join(c.value for c in at.caption)
        assert has_chinese(captions) == (language == "zh"), page


def test_the_tutorials_examples_are_in_the_list_in_both_languages():
    """打野/他, Thinking Machines and apple/苹果 are among the examples, named in the interface's language; a
    Chinese one fills the text and says that it needs a model that reads Chinese."""
    texts = set(EXAMPLES.values())
    assert {"打野来抓上单，结果他被反杀了。", "Thinking Machines"} <= texts
    assert "我吃了一个苹果派。然后我在店里买了一部苹果手机和一台苹果笔记本电脑。" in texts
    assert "I ate an apple pie with cream. Then I bought an Apple iPhone and an Apple laptop at the store." in texts
    chinese = [option for option, example in EXAMPLE_LIST.items() if example.chinese]
    assert len(chinese) == 2 and all(has_chinese(EXAMPLES[o]) for o in chinese)

    at = app_test()
    assert at.selectbox(key="sidebar_example").options == [EN[e.name] for e in EXAMPLE_LIST.values()]
    assert not any("Chinese" in c.value for c in at.sidebar.caption)
    at.radio(key="sidebar_language").set_value("zh").run()
    assert at.selectbox(key="sidebar_example").options == [ZH[e.name] for e in EXAMPLE_LIST.values()]
    at.selectbox(key="sidebar_example").set_value(chinese[0]).run()
    assert not at.exception and not errors(at)
    assert at.session_state["text"] == "打野来抓上单，结果他被反杀了。"
    run = at.session_state["run"]
    assert "他" in run.tokens
    (note,) = [c.value for c in at.sidebar.caption if "bert-base-chinese" in c.value]
    assert "中文" in note and "只读英文" in note  # the bundled model is the one loaded
    # What the note says of the bundled model is true: 他 (and 苹, 果) are its unknown token.
    unknown = at.session_state["bundle"].tokenizer.unk_token_id
    assert run.token_ids[run.tokens.index("他")] == unknown
    assert at.session_state["bundle"].tokenizer.convert_tokens_to_ids(["苹", "果"]) == [unknown, unknown]
    at.radio(key="sidebar_language").set_value("en").run()
    (note,) = [c.value for c in at.sidebar.caption if "bert-base-chinese" in c.value]
    assert "needs a model that reads Chinese" in note and "English only" in note
    at.selectbox(key="sidebar_example").set_value("Thinking Machines (X1, X2)").run()
    assert at.session_state["run"].tokens == ["[CLS]", "Thinking", "Machines", "[SEP]"]
    assert not any("bert-base-chinese" in c.value for c in at.sidebar.caption)


def test_the_library_s_warnings_follow_the_language():
    """The warning that the model cannot read the text (explorer.extract.unknown_note), under a Chinese example: in
    Chinese in Chinese, and exactly the library's English in English."""
    from app.safe import plain
    from explorer.extract import unknown_note

    at = app_test()
    at.radio(key="sidebar_language").set_value("zh").run()
    at.selectbox(key="sidebar_example").set_value("苹果: the fruit or the brand? (Chinese)").run()
    assert not at.exception and not errors(at)
    (warning,) = [w.value for w in at.warning if "UNK" in w.value]  # shown escaped for markdown: \[UNK\]
    assert "读作 \\[UNK\\]" in warning and "它只用英文训练过" in warning and "reads" not in warning
    english = plain(unknown_note(at.session_state["run"]))
    at.radio(key="sidebar_language").set_value("en").run()
    assert [w.value for w in at.warning if "UNK" in w.value] == [english]
