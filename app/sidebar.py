"""The shared sidebar: language, model, text and token limit; it loads the model and runs the extraction for every page.

It leaves for the page, in st.session_state: "bundle" (ModelBundle or None), "run" (Extraction or None), "text"
and "max_tokens"; problems with them (a model that did not load, an empty text, a cut text) are shown above the page.
Its words come from app.i18n in the language chosen at its top ("sidebar_language").
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

import explorer
from app.i18n import LANGUAGE_KEY, LANGUAGES, names, said, t
from app.safe import plain
from app.state import KIND_NAMES, cached, load_bundle, remember
from explorer import ExplorerError
from explorer.extract import case_note, unknown_note
from explorer.generate import generate_target, lm_head_note


@dataclass(frozen=True)
class Example:
    """One of the sidebar's example texts: the text (the same in every language) and the key of its name."""

    text: str
    name: str  # app.i18n key of the name shown in the list
    chinese: bool = False  # needs a model that reads Chinese (the bundled one reads English only)


# Option value (stable: tests and the walkthrough's starting query read it) -> example. The tutorials' own examples:
# he/他 (whom does the pronoun refer to?), "Thinking Machines" (the X1, X2 of the illustrated Transformer), and
# apple/苹果 (one word, two meanings: several representation subspaces).
EXAMPLE_LIST = {
    "apple: the fruit or the brand?": Example(
        "I ate an apple pie with cream. Then I bought an Apple iPhone and an Apple laptop at the store.",
        "example.apple",
    ),
    "it: the animal or the street?": Example(
        "The animal didn't cross the street because it was too tired.", "example.it"
    ),
    "he: the jungler or the top laner?": Example(
        "The jungler ganked top, but he got killed by the top laner.", "example.he"
    ),
    "Thinking Machines (X1, X2)": Example("Thinking Machines", "example.thinking"),
    "他: the jungler or the top laner? (Chinese)": Example(
        "打野来抓上单，结果他被反杀了。", "example.ta", chinese=True
    ),
    "苹果: the fruit or the brand? (Chinese)": Example(
        "我吃了一个苹果派。然后我在店里买了一部苹果手机和一台苹果笔记本电脑。", "example.pingguo", chinese=True
    ),
}
EXAMPLES = {option: example.text for option, example in EXAMPLE_LIST.items()}  # option -> text (the walkthrough)
DEFAULT_EXAMPLE = next(iter(EXAMPLES))
DEFAULT_MAX_TOKENS = 512
GENERATE_TOKENS = 64  # new tokens the "write the target" button asks the LM head for

MODEL_SOURCES = ("bundled", "folder", "hub")
BUNDLED_NAME = explorer.DEFAULT_MODEL.removesuffix(" (bundled)")  # the option says "Bundled" itself; fits the box


def use_example() -> None:
    st.session_state["sidebar_text"] = EXAMPLES[st.session_state["sidebar_example"]]


def trained_length_note(bundle, n_tokens: int) -> str:
    """The warning for a run longer than the texts the model was trained on."""
    return t("sidebar.trained_length", n=n_tokens, trained=bundle.trained_tokens, model=plain(bundle.display_name))


def write_target(bundle, text: str) -> None:
    """The button's callback: the model's own target for the text, in the target box (before it is drawn)."""
    try:
        with st.spinner(t("sidebar.generating")):
            st.session_state["sidebar_target"] = generate_target(bundle, text, max_new_tokens=GENERATE_TOKENS)
    except ExplorerError as err:  # kept in English, translated where it is shown (the language may change before)
        st.session_state["sidebar_generate_error"] = str(err)


def language_switch() -> None:
    """1) The interface language, first in the sidebar (its label is in both languages)."""
    remember(LANGUAGE_KEY, "en", LANGUAGES)
    st.sidebar.radio(
        t("sidebar.language"), list(LANGUAGES), format_func=LANGUAGES.get, horizontal=True, key=LANGUAGE_KEY
    )


def model_name_from_sidebar() -> str:
    """2) The model: bundled, a local folder, or a hub id."""
    remember("sidebar_model_source", "bundled", MODEL_SOURCES)
    source = st.sidebar.selectbox(
        t("sidebar.model"),
        MODEL_SOURCES,
        format_func=names("sidebar.source.", MODEL_SOURCES, model=BUNDLED_NAME).get,
        key="sidebar_model_source",
    )
    if source == "bundled":
        return explorer.DEFAULT_MODEL
    remember("sidebar_model_path", "")
    name = st.sidebar.text_input(
        t("sidebar.folder" if source == "folder" else "sidebar.hub_id"),
        key="sidebar_model_path",
        placeholder=t("sidebar.folder_placeholder" if source == "folder" else "sidebar.hub_placeholder"),
    )
    return name.strip() or explorer.DEFAULT_MODEL


def sidebar() -> None:
    """Draw the shared sidebar, load the model and run the extraction; show what went wrong above the page."""
    errors: list[str] = []
    language_switch()
    st.sidebar.title(t("sidebar.title"))
    model_name = model_name_from_sidebar()
    bundle = None
    try:
        with st.spinner(t("sidebar.loading", model=plain(model_name))):
            bundle = load_bundle(model_name)
    except ExplorerError as err:
        errors.append(str(err))
    st.session_state["bundle"] = bundle
    if bundle is not None:
        st.sidebar.caption(
            t(
                "sidebar.model_caption",
                name=plain(bundle.display_name),
                family=plain(bundle.family),
                layers=bundle.n_layers,
                heads=bundle.n_heads,
                d_head=bundle.d_head,
            )
            + (t("sidebar.kv_heads", n=bundle.n_kv_heads) if bundle.n_kv_heads != bundle.n_heads else "")
            + t(f"sidebar.shape.{bundle.kind}")
        )

    # 3) The text: an example to start from, then free editing.
    remember("sidebar_example", DEFAULT_EXAMPLE, EXAMPLES)
    example = st.sidebar.selectbox(
        t("sidebar.example"),
        list(EXAMPLES),
        format_func={option: t(example.name) for option, example in EXAMPLE_LIST.items()}.get,
        key="sidebar_example",
        on_change=use_example,
        help=t("sidebar.example_help"),
    )
    if EXAMPLE_LIST[example].chinese:  # the bundled model reads English only: say what these examples need
        bundled = bundle is not None and bundle.name == explorer.DEFAULT_MODEL
        st.sidebar.caption(
            t("sidebar.chinese_note")
            + (t("sidebar.chinese_bundled", model=plain(bundle.display_name)) if bundled else "")
        )
    remember("sidebar_text", EXAMPLES[DEFAULT_EXAMPLE])
    text = st.sidebar.text_area(t("sidebar.text"), key="sidebar_text", height=140)
    st.session_state["text"] = text
    target = None
    if bundle is not None and bundle.kind == "encoder-decoder":
        remember("sidebar_target", "")
        target = st.sidebar.text_area(
            t("sidebar.target"), key="sidebar_target", height=80, help=t("sidebar.target_help")
        )
        if (no_head := lm_head_note(bundle)) is None:
            st.sidebar.button(
                t("sidebar.generate"),
                key="sidebar_generate",
                on_click=write_target,
                args=(bundle, text),
                help=t("sidebar.generate_help", n=GENERATE_TOKENS),
            )
        else:
            st.sidebar.caption(plain(said(no_head)))
        if failed := st.session_state.pop("sidebar_generate_error", None):
            errors.append(failed)

    # 4) The token limit, within the model's position limit.
    limit = bundle.max_tokens if bundle is not None else DEFAULT_MAX_TOKENS
    trained = bundle.trained_tokens if bundle is not None else DEFAULT_MAX_TOKENS
    remember("sidebar_max_tokens", min(trained, limit), range(2, limit + 1))  # default: the trained length
    max_tokens = st.sidebar.number_input(
        t("sidebar.token_limit"),
        min_value=2,
        max_value=limit,
        step=16,
        key="sidebar_max_tokens",
        help=t("sidebar.token_limit_help", trained=trained, limit=limit),
    )
    st.session_state["max_tokens"] = int(max_tokens)

    # 5) The extraction, once per (model, text, limit): page interactions get the same object back.
    run = None
    if bundle is not None and target is not None and not target.strip():
        st.info(t("sidebar.need_target", model=plain(bundle.display_name)))
    elif bundle is not None:
        try:
            with st.spinner(t("sidebar.running")):
                run = cached(explorer.extract, bundle, text, max_tokens=int(max_tokens), target=target)
        except ExplorerError as err:
            errors.append(str(err))
    if run is not None and run.parts:  # encoder–decoder: every page shows the kind chosen here
        remember("sidebar_kind", "encoder", KIND_NAMES)
        kind = st.sidebar.radio(
            t("sidebar.attention"),
            list(KIND_NAMES),
            format_func={k: t(f"kind.{k}").capitalize() for k in KIND_NAMES}.get,
            key="sidebar_kind",
            help=t("sidebar.attention_help"),
        )
        run = run.part(kind)
    st.session_state["run"] = run
    if run is not None:
        st.sidebar.caption(
            t("sidebar.run_tokens", n=run.n_tokens)
            if not run.parts
            else t(
                "sidebar.run_tokens_pair", encoder=run.part("encoder").n_tokens, decoder=run.part("decoder").n_tokens
            )
        )
        if (case := cached(case_note, bundle)) is not None:  # an uncased model reads "Apple" as "apple"
            st.sidebar.caption(plain(said(case)))

    for message in errors:  # the library's messages, in English: said() puts them in the interface's language
        st.error(plain(said(message)))
    if run is not None and (unknown := cached(unknown_note, run)) is not None:  # e.g. Chinese read by an English model
        st.warning(plain(said(unknown)))
    if run is not None and bundle is not None and run.n_tokens > bundle.trained_tokens:
        st.warning(trained_length_note(bundle, run.n_tokens))
    if run is not None and run.truncated:
        st.warning(t("sidebar.truncated", total=run.n_tokens_total, n=run.n_tokens))
