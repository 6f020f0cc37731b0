"""What the library says reads Chinese in Chinese (app.i18n.said, zh.MESSAGES): every template keeps its
placeholders and leaves no English; every message the library can raise in the app has a template (read from its
source, so a new message without one fails here); the notes a page shows translate; and the app shows them in the
interface's language with the user's own text unchanged inside, and exactly the library's English in English."""

from __future__ import annotations

import ast
import re
import shutil
from types import SimpleNamespace

import pytest

import app.i18n
import explorer
from app.i18n import SAID, placeholders, said, zh
from app.safe import plain
from explorer import ExplorerError
from explorer.analysis.heads import head_difference
from explorer.analysis.senses import Duplicate, duplicates_note
from explorer.discovery import SUPPORTED
from explorer.extract import case_note, unknown_note
from explorer.generate import lm_head_note
from explorer.tokens import MULTILINGUAL, SCRIPT_MODELS
from tests.support import REPO
from tests.support.apptest import app_test, errors, use_model_folder

# Latin words a Chinese message may keep: names of products, formats, libraries and model families, and terms that
# are code (dtype, eager). Acronyms (GB, CSV, LM) and words with digits, dots, underscores or brackets (config.json,
# save_pretrained(), UTF-8, XLM-RoBERTa) are code or names too, and so is anything quoted.
KEPT = {
    "Hugging", "Face", "Hub", "Python", "pickle", "safetensors", "transformers", "dtype", "eager", "id", "Llama",
    "Mistral", "Mixtral", "Gemma", "Marian", "OLMo", "Apple", "apple",
}  # fmt: skip
QUOTED = re.compile(r"“[^”]*”|'[^']*'|`[^`]*`|\"[^\"]*\"")
NAME_OR_CODE = re.compile(r"[\d._/()=\[\]+\-:<>#…,]|[a-z][A-Z]|^[A-Z]{2,}$")


def english_words(text: str) -> list[str]:
    """Words of two or more Latin letters left in `text`, outside quotes, code, names and the kept words."""
    runs = re.findall(r"[!-~]+", QUOTED.sub("", text))  # runs of printable ASCII: a word, a file name, some code
    words = [run.strip(",;:!?.") for run in runs]
    return [w for w in words if re.search(r"[A-Za-z]{2}", w) and w not in KEPT and not NAME_OR_CODE.search(w)]


@pytest.fixture
def chinese(monkeypatch):
    monkeypatch.setattr(app.i18n, "language", lambda: "zh")


@pytest.fixture
def english(monkeypatch):
    monkeypatch.setattr(app.i18n, "language", lambda: "en")


def test_each_template_keeps_its_placeholders_and_leaves_no_english():
    assert len(zh.MESSAGES) > 150
    for source, target in zh.MESSAGES.items():
        assert placeholders(source) == placeholders(target), source
        assert not english_words(re.sub(r"\{\w+\}", "Q", target)), (source, english_words(target))
        assert any("\u4e00" <= c <= "\u9fff" for c in target), source


def test_the_checker_finds_english():
    assert english_words("请检查路径，or leave it empty") == ["or", "leave", "it", "empty"]
    assert not english_words("'/tmp/x' 里没有 config.json：用 save_pretrained() 保存，UTF-8，CSV，“Apple”")


# --- every message the library raises has a template --------------------------------------------------------------

# Messages only the command line or explorer.load_run can give stay English, as the command line does.
ENGLISH_ONLY = {"explorer/__main__.py", "explorer/io/runfiles.py"}
# explorer/io/export.py writes an export to a folder for the command line (and Python); the app builds a zip in
# memory and never meets these (they name --out and --force).
ENGLISH_ONLY_FUNCTIONS = {("explorer/io/export.py", f) for f in ("prepare_folder", "_check_targets", "_place")} | {
    ("explorer/io/export.py", "write_export")
}
MODULES = sorted(
    p.relative_to(REPO).as_posix()
    for p in (REPO / "explorer").rglob("*.py")
    if p.relative_to(REPO).as_posix() not in ENGLISH_ONLY
)


def error_classes(trees: dict[str, ast.Module]) -> set[str]:
    """ExplorerError and every class derived from it in these modules."""
    names, grew = {"ExplorerError"}, True
    while grew:
        grew = False
        for tree in trees.values():
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in names:
                    if any(isinstance(b, ast.Name) and b.id in names for b in node.bases):
                        names.add(node.name)
                        grew = True
    return names


def sample(node: ast.expr, counter: list[int]) -> list[str]:
    """The messages a message argument can be, each {expression} an "X<n>" (a value the user or the library fills
    in); a literal beside an expression (`note or "..."`) counts as a message of its own."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(value.value)
            else:
                counter[0] += 1
                parts.append(f"X{counter[0]}")
        return ["".join(parts)]
    if isinstance(node, ast.BoolOp):
        return [m for value in node.values for m in sample(value, counter)]
    return []  # a message made elsewhere (a variable): its own literal is checked where it is written


def library_messages() -> list[tuple[str, int, str]]:
    """(module, line, sample message) for every ExplorerError(...) in the library the app can meet."""
    trees = {path: ast.parse((REPO / path).read_text(encoding="utf-8")) for path in MODULES}
    classes = error_classes(trees)
    found = []
    for path, tree in trees.items():
        skipped = {
            id(inner)
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and (path, node.name) in ENGLISH_ONLY_FUNCTIONS
            for inner in ast.walk(node)
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or id(node) in skipped or not node.args:
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            if name in classes:
                found.extend((path, node.lineno, message) for message in sample(node.args[0], [0]))
    return found


MESSAGES = library_messages()


def test_the_library_messages_are_found():
    assert len(MESSAGES) > 90
    modules = {path for path, _, _ in MESSAGES}
    assert {"explorer/folders.py", "explorer/models.py", "explorer/extract.py", "explorer/errors.py"} <= modules
    assert ("explorer/models.py", "Model folder 'X1' does not exist. Check the path, or leave the model empty to use "
            "the bundled X2.") in {(p, m) for p, _, m in MESSAGES}  # fmt: skip


@pytest.mark.parametrize(("where", "message"), [(f"{p}:{n}", m) for p, n, m in MESSAGES])
def test_every_library_message_reads_chinese(chinese, where, message):
    """A message with no template (a new one, or one whose English changed) fails here: add it to zh.MESSAGES."""
    translated = said(message)
    assert translated != message, f"{where}: no template in zh.MESSAGES for {message!r}"
    assert not english_words(translated), (where, translated)


# --- what the app shows, translated whole with what the user typed carried over ------------------------------------


def test_a_message_with_the_users_text_keeps_it_unchanged(chinese):
    folder = "/data/Model folder 'x' does not exist. Check the path, or leave it"  # as typed, however odd
    message = (
        f"Model folder '{folder}' does not exist. Check the path, or leave the model empty to use the bundled "
        f"{explorer.DEFAULT_MODEL}."
    )
    assert said(message) == f"模型文件夹 '{folder}' 不存在。请检查路径，或者让模型留空，使用内置的 all-MiniLM-L6-v2。"
    assert said(ExplorerError("The token limit must be at least 2.")) == "词元上限至少为 2。"
    assert said("Layer 7 does not exist: this model has layers 0 to 5.") == "层 7 不存在：这个模型的层编号是 0 到 5。"
    assert said("not a message of the library") == "not a message of the library"


def test_english_is_the_library_s_own(english):
    for _, _, message in MESSAGES[:20]:
        assert said(message) == message
    assert said(ExplorerError("The token limit must be at least 2.")) == "The token limit must be at least 2."


def test_the_library_s_pieces_have_templates():
    """The constants the library puts inside its messages and notes (a said_ placeholder's values)."""
    for piece in [SUPPORTED, MULTILINGUAL, *SCRIPT_MODELS.values(), *SCRIPT_MODELS, explorer.DEFAULT_MODEL]:
        assert SAID["zh"].translate(piece)[1], piece


def test_the_case_note_reads_chinese(chinese, bundle):
    note = case_note(bundle)
    assert note.startswith("all-MiniLM-L6-v2 is uncased")
    assert said(note) == (
        "all-MiniLM-L6-v2 不区分大小写：“Apple”和“apple”对它来说是同一个词元（“café”和“cafe”也一样），所以图表中它的"
        "词元都以小写显示。"
    )


def test_the_unknown_note_reads_chinese_one_sentence_at_a_time(chinese, bundle):
    run = explorer.extract(bundle, "我吃了一个苹果派。然后我在店里买了一部苹果手机。")
    note = unknown_note(run)
    assert "trained on English only" in note and "Load a multilingual or Chinese model folder" in note
    assert said(note).startswith("all-MiniLM-L6-v2 把这 ")
    assert "它只用英文训练过" in said(note) and "要查看中文文本上的注意力，请加载一个多语言或中文模型的文件夹" in said(
        note
    )
    assert not english_words(said(note))
    # an encoder–decoder run speaks for its text and its target, one after the other
    first = note[: note.index("apart.") + len("apart.")]
    target = first.replace(" of these ", " of the target's ").replace(
        "it was trained on English only", "its vocabulary has no tokens for Arabic"
    )
    translated = said(f"{note} {target}")
    assert not english_words(translated)
    assert "目标文本" in translated and "阿拉伯文" in translated and translated.count("[UNK]") == 4


def test_the_other_notes_read_chinese(chinese, bundle, apple_run):
    folder = SimpleNamespace(architectures=["T5Model"])
    base = SimpleNamespace(kind="encoder-decoder", display_name="t5-small", model=SimpleNamespace(config=folder))
    notes = [lm_head_note(bundle), lm_head_note(base)]
    folder.architectures = []
    notes.append(lm_head_note(base))
    shown = [Duplicate("The bank was steep.", ("river", "money"))]
    notes += [duplicates_note(shown), duplicates_note(shown * 5)]
    swapped = explorer.extract(bundle, apple_run.text.replace("pie", "tart"))
    notes += [head_difference(apple_run, apple_run, 0, 0).note, head_difference(apple_run, swapped, 0, 0).note]
    notes += [head_difference(apple_run, explorer.extract(bundle, "Thinking Machines"), 0, 0).note]
    notes += ["the embeddings", "after layer 3"]  # SenseSeparation.best_hidden()
    for note in notes:
        assert not english_words(said(note)), (note, said(note))
    assert "“The bank was steep.”" in said(duplicates_note(shown))
    assert "T5Model" in said(notes[1]) and "t5-small" in said(notes[1])


def test_every_broken_folder_is_refused_in_chinese(chinese, tiny_dirs, tmp_path):
    """The real messages of broken folders (tests/explorer/test_hostile_models.py): Chinese, the folder as given;
    only what another library said (in parentheses) may stay English."""
    from tests.explorer.test_hostile_models import BROKEN

    for case, breaks, _ in BROKEN:
        folder = tmp_path / case
        shutil.copytree(tiny_dirs["bert"], folder)
        breaks(folder)
        with pytest.raises(ExplorerError) as err:
            explorer.load_model(str(folder))
        translated = said(err.value)
        assert f"'{folder}'" in translated, (case, translated)
        outside = re.sub(r"（[^（）]*(\([^()]*\)[^（）]*)*）", "", translated.replace(f"'{folder}'", ""))
        assert not english_words(outside), (case, translated)


# --- the app, in both languages --------------------------------------------------------------------------------------


def chinese_app():
    at = app_test()
    at.radio(key="sidebar_language").set_value("zh").run()
    return at


def shown(at) -> list[str]:
    """The error boxes' text as read on screen (the app escapes markdown in messages with backslashes)."""
    return [re.sub(r"\\(.)", r"\1", e) for e in errors(at)]


def library_message(call) -> str:
    with pytest.raises(ExplorerError) as err:
        call()
    return str(err.value)


def test_an_empty_text_is_refused_in_the_interface_s_language(bundle):
    english = library_message(lambda: explorer.extract(bundle, "   "))
    at = chinese_app()
    at.text_area(key="sidebar_text").input("   ").run()
    assert not at.exception
    assert shown(at) == ["文本是空的：请输入一个句子（或选择一个示例）来查看它的注意力。"]
    at.radio(key="sidebar_language").set_value("en").run()
    assert errors(at) == [plain(english)]


def test_a_missing_folder_is_refused_in_chinese_with_the_path_as_typed(tmp_path):
    folder = tmp_path / "no_such [model] *folder*"
    english = library_message(lambda: explorer.load_model(str(folder)))
    at = chinese_app()
    use_model_folder(at, folder)
    assert not at.exception
    (message,) = shown(at)
    assert message.startswith(f"模型文件夹 '{folder}' 不存在。") and not english_words(message.replace(str(folder), ""))
    at.radio(key="sidebar_language").set_value("en").run()
    assert errors(at) == [plain(english)]


def test_a_pickle_only_folder_is_refused_in_chinese(tiny_dirs, tmp_path):
    folder = tmp_path / "pickle-only"
    shutil.copytree(tiny_dirs["bert"], folder)
    (folder / "model.safetensors").rename(folder / "pytorch_model.bin")
    english = library_message(lambda: explorer.load_model(str(folder)))
    at = chinese_app()
    use_model_folder(at, folder)
    assert not at.exception
    (message,) = shown(at)
    assert message.startswith(f"'{folder}' 里只有 pickle 格式的权重（pytorch_model.bin）。pickle 文件在加载时可以运行")
    assert not english_words(message.replace(str(folder), ""))
    at.radio(key="sidebar_language").set_value("en").run()
    assert errors(at) == [plain(english)]


def test_the_uncased_note_is_in_the_interface_s_language(bundle):
    english = plain(case_note(bundle))
    at = chinese_app()
    assert any(c.value == plain(said_in("zh", case_note(bundle))) for c in at.sidebar.caption)
    assert not any(c.value == english for c in at.sidebar.caption)
    at.switch_page("pages/subspaces.py").run()
    assert not at.exception
    assert any("不区分大小写" in c.value and "“Apple”" in c.value for c in at.main.caption)
    at.radio(key="sidebar_language").set_value("en").run()
    assert any(c.value == english for c in at.sidebar.caption)
    assert any(c.value == english for c in at.main.caption)


def said_in(code: str, text: str) -> str:
    return SAID[code](text)
