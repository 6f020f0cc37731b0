"""The shared sidebar: model, text and token limit; it loads the model and runs the extraction for every page.

It leaves for the page, in st.session_state: "bundle" (ModelBundle or None), "run" (Extraction or None),
"text", "max_tokens", "model_name", and "run_key" ((model name, text, token limit) of that run).
"""

from __future__ import annotations

import streamlit as st

import explorer
from app.state import cached_extract, load_bundle
from explorer import ExplorerError

EXAMPLES = {
    "apple: the fruit or the brand?": (
        "I ate an apple pie with cream. Then I bought an Apple iPhone and an Apple laptop at the store."
    ),
    "it: the animal or the street?": "The animal didn't cross the street because it was too tired.",
    "he: the jungler or the top laner?": "The jungler ganked top, but he got killed by the top laner.",
}
DEFAULT_EXAMPLE = next(iter(EXAMPLES))
SIDEBAR_KEYS = ("sidebar_model_source", "sidebar_model_path", "sidebar_example", "sidebar_text", "sidebar_max_tokens")
DEFAULT_MAX_TOKENS = 512

MODEL_SOURCES = {
    "bundled": f"Bundled: {explorer.DEFAULT_MODEL}",
    "folder": "Local folder",
    "hub": "Hugging Face hub id (needs the network once)",
}


def init_state() -> None:
    """Session state, set once per session; widgets below own their keys from then on."""
    defaults = {
        "sidebar_model_source": "bundled",
        "sidebar_model_path": "",
        "sidebar_example": DEFAULT_EXAMPLE,
        "sidebar_text": EXAMPLES[DEFAULT_EXAMPLE],
        "sidebar_max_tokens": DEFAULT_MAX_TOKENS,
        "bundle": None,
        "run": None,
        "run_key": None,
        "text": EXAMPLES[DEFAULT_EXAMPLE],
        "max_tokens": DEFAULT_MAX_TOKENS,
        "model_name": explorer.DEFAULT_MODEL,
    }
    for key, value in defaults.items():
        st.session_state.setdefault(key, value)
    # Keep the sidebar's values when the page changes: Streamlit drops a widget's state on a page switch unless
    # the key is written through session state in this run (the documented multipage pattern).
    for key in SIDEBAR_KEYS:
        st.session_state[key] = st.session_state[key]


def use_example() -> None:
    st.session_state["sidebar_text"] = EXAMPLES[st.session_state["sidebar_example"]]


def model_name_from_sidebar() -> str:
    """2) The model: bundled, a local folder, or a hub id."""
    source = st.sidebar.selectbox(
        "Model", list(MODEL_SOURCES), format_func=MODEL_SOURCES.get, key="sidebar_model_source"
    )
    if source == "bundled":
        return explorer.DEFAULT_MODEL
    placeholder = "/path/to/folder saved with save_pretrained()" if source == "folder" else "e.g. gpt2"
    name = st.sidebar.text_input(
        "Folder" if source == "folder" else "Hub id", key="sidebar_model_path", placeholder=placeholder
    )
    return name.strip() or explorer.DEFAULT_MODEL


def sidebar() -> list[str]:
    """Draw the shared sidebar, load model and extraction; return the error messages to show."""
    errors: list[str] = []
    st.sidebar.title("Multi-Head Subspace Explorer")
    model_name = model_name_from_sidebar()
    st.session_state["model_name"] = model_name
    bundle = None
    try:
        with st.spinner(f"Loading {model_name} …"):
            bundle = load_bundle(model_name)
    except ExplorerError as err:
        errors.append(str(err))
    st.session_state["bundle"] = bundle
    if bundle is not None:
        st.sidebar.caption(
            f"**{bundle.display_name}** ({bundle.family}): {bundle.n_layers} layers × {bundle.n_heads} heads × "
            f"d_head {bundle.d_head}"
            + (f", {bundle.n_kv_heads} KV heads" if bundle.n_kv_heads != bundle.n_heads else "")
            + (", causal" if bundle.is_causal else ", bidirectional")
        )

    # 3) The text: an example to start from, then free editing.
    st.sidebar.selectbox("Example", list(EXAMPLES), key="sidebar_example", on_change=use_example)
    text = st.sidebar.text_area("Text", key="sidebar_text", height=140)
    st.session_state["text"] = text

    # 4) The token limit, capped at the model's position limit.
    limit = bundle.max_tokens if bundle is not None else DEFAULT_MAX_TOKENS
    st.session_state["sidebar_max_tokens"] = max(2, min(int(st.session_state["sidebar_max_tokens"]), limit))
    max_tokens = st.sidebar.number_input(
        "Token limit",
        min_value=2,
        max_value=limit,
        step=16,
        key="sidebar_max_tokens",
        help=f"Longer texts are cut to this many tokens (this model's limit: {limit}).",
    )
    st.session_state["max_tokens"] = int(max_tokens)

    # 5) The extraction, once per (model, text, limit); kept in session state so page interactions reuse it.
    run = None
    if bundle is not None:
        key = (bundle.name, text, int(max_tokens))
        if st.session_state.get("run_key") == key and st.session_state.get("run") is not None:
            run = st.session_state["run"]
        else:
            try:
                with st.spinner("Running the model and capturing every head …"):
                    run = cached_extract(bundle, bundle.name, text, int(max_tokens))
            except ExplorerError as err:
                errors.append(str(err))
            st.session_state["run_key"] = key if run is not None else None
    st.session_state["run"] = run
    if run is not None:
        st.sidebar.caption(f"{run.n_tokens} tokens in this run.")
    return errors
