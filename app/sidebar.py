"""The shared sidebar: model, text and token limit; it loads the model and runs the extraction for every page.

It leaves for the page, in st.session_state: "bundle" (ModelBundle or None), "run" (Extraction or None), "text"
and "max_tokens"; problems with them (a model that did not load, an empty text, a cut text) are shown above the page.
"""

from __future__ import annotations

import streamlit as st

import explorer
from app.safe import plain
from app.state import KIND_NAMES, cached, load_bundle, remember
from explorer import ExplorerError
from explorer.generate import generate_target, lm_head_note

EXAMPLES = {
    "apple: the fruit or the brand?": (
        "I ate an apple pie with cream. Then I bought an Apple iPhone and an Apple laptop at the store."
    ),
    "it: the animal or the street?": "The animal didn't cross the street because it was too tired.",
    "he: the jungler or the top laner?": "The jungler ganked top, but he got killed by the top laner.",
}
DEFAULT_EXAMPLE = next(iter(EXAMPLES))
DEFAULT_MAX_TOKENS = 512
GENERATE_TOKENS = 64  # new tokens the "write the target" button asks the LM head for

MODEL_SOURCES = {
    "bundled": f"Bundled: {explorer.DEFAULT_MODEL}",
    "folder": "Local folder",
    "hub": "Hugging Face hub id (needs the network once)",
}


def use_example() -> None:
    st.session_state["sidebar_text"] = EXAMPLES[st.session_state["sidebar_example"]]


def trained_length_note(bundle, n_tokens: int) -> str:
    """The warning for a run longer than the texts the model was trained on."""
    return (
        f"{n_tokens} tokens is more than the {bundle.trained_tokens} that {plain(bundle.display_name)} was trained "
        "on. The maps are still exactly what the model computes, but beyond its training length heads can behave "
        "differently (a previous-token head may jump hundreds of positions ahead), so head roles and patterns here "
        "may not be the ones it shows on the texts it learned from."
    )


def write_target(bundle, text: str) -> None:
    """The button's callback: the model's own target for the text, in the target box (before it is drawn)."""
    try:
        with st.spinner("Writing the target with the model's LM head …"):
            st.session_state["sidebar_target"] = generate_target(bundle, text, max_new_tokens=GENERATE_TOKENS)
    except ExplorerError as err:
        st.session_state["sidebar_generate_error"] = str(err)


def model_name_from_sidebar() -> str:
    """2) The model: bundled, a local folder, or a hub id."""
    remember("sidebar_model_source", "bundled", MODEL_SOURCES)
    source = st.sidebar.selectbox(
        "Model", list(MODEL_SOURCES), format_func=MODEL_SOURCES.get, key="sidebar_model_source"
    )
    if source == "bundled":
        return explorer.DEFAULT_MODEL
    remember("sidebar_model_path", "")
    placeholder = "/path/to/folder saved with save_pretrained()" if source == "folder" else "e.g. gpt2"
    name = st.sidebar.text_input(
        "Folder" if source == "folder" else "Hub id", key="sidebar_model_path", placeholder=placeholder
    )
    return name.strip() or explorer.DEFAULT_MODEL


def sidebar() -> None:
    """Draw the shared sidebar, load the model and run the extraction; show what went wrong above the page."""
    errors: list[str] = []
    st.sidebar.title("Multi-Head Subspace Explorer")
    model_name = model_name_from_sidebar()
    bundle = None
    try:
        with st.spinner(f"Loading {plain(model_name)} …"):
            bundle = load_bundle(model_name)
    except ExplorerError as err:
        errors.append(str(err))
    st.session_state["bundle"] = bundle
    if bundle is not None:
        st.sidebar.caption(
            f"**{plain(bundle.display_name)}** ({plain(bundle.family)}): {bundle.n_layers} layers × "
            f"{bundle.n_heads} heads × d_head {bundle.d_head}"
            + (f", {bundle.n_kv_heads} KV heads" if bundle.n_kv_heads != bundle.n_heads else "")
            + {"encoder": ", bidirectional", "decoder": ", causal", "encoder-decoder": ", encoder–decoder"}[bundle.kind]
        )

    # 3) The text: an example to start from, then free editing.
    remember("sidebar_example", DEFAULT_EXAMPLE, EXAMPLES)
    st.sidebar.selectbox("Example", list(EXAMPLES), key="sidebar_example", on_change=use_example)
    remember("sidebar_text", EXAMPLES[DEFAULT_EXAMPLE])
    text = st.sidebar.text_area("Text", key="sidebar_text", height=140)
    st.session_state["text"] = text
    target = None
    if bundle is not None and bundle.kind == "encoder-decoder":
        remember("sidebar_target", "")
        target = st.sidebar.text_area(
            "Target (the decoder's text)",
            key="sidebar_target",
            height=80,
            help="The encoder reads the text above; the decoder is fed this text, teacher-forced as in training "
            "(its start token, then these tokens shifted right). For a translation model, type the translation.",
        )
        if (no_head := lm_head_note(bundle)) is None:
            st.sidebar.button(
                "Write the target with the model",
                key="sidebar_generate",
                on_click=write_target,
                args=(bundle, text),
                help="The model's own LM head continues the text on the decoder's side (greedy, at most "
                f"{GENERATE_TOKENS} tokens); the result fills the target above, where you can edit it.",
            )
        else:
            st.sidebar.caption(plain(no_head))
        if failed := st.session_state.pop("sidebar_generate_error", None):
            errors.append(failed)

    # 4) The token limit, within the model's position limit.
    limit = bundle.max_tokens if bundle is not None else DEFAULT_MAX_TOKENS
    trained = bundle.trained_tokens if bundle is not None else DEFAULT_MAX_TOKENS
    remember("sidebar_max_tokens", min(trained, limit), range(2, limit + 1))  # default: the trained length
    max_tokens = st.sidebar.number_input(
        "Token limit",
        min_value=2,
        max_value=limit,
        step=16,
        key="sidebar_max_tokens",
        help=f"Longer texts are cut to this many tokens. This model was trained on texts of up to {trained} tokens "
        f"(its position limit: {limit}).",
    )
    st.session_state["max_tokens"] = int(max_tokens)

    # 5) The extraction, once per (model, text, limit): page interactions get the same object back.
    run = None
    if bundle is not None and target is not None and not target.strip():
        st.info(f"{plain(bundle.display_name)} is an encoder–decoder model: type the decoder's text as the target.")
    elif bundle is not None:
        try:
            with st.spinner("Running the model and capturing every head …"):
                run = cached(explorer.extract, bundle, text, max_tokens=int(max_tokens), target=target)
        except ExplorerError as err:
            errors.append(str(err))
    if run is not None and run.parts:  # encoder–decoder: every page shows the kind chosen here
        remember("sidebar_kind", "encoder", KIND_NAMES)
        kind = st.sidebar.radio(
            "Attention",
            list(KIND_NAMES),
            format_func=lambda k: KIND_NAMES[k].capitalize(),
            key="sidebar_kind",
            help="Encoder self-attention: the text's tokens. Decoder self-attention: the target's tokens, each "
            "seeing only earlier ones. Cross-attention: Q from the decoder, K = V from the encoder.",
        )
        run = run.part(kind)
    st.session_state["run"] = run
    if run is not None:
        st.sidebar.caption(
            f"{run.n_tokens} tokens in this run."
            if not run.parts
            else f"{run.part('encoder').n_tokens} encoder tokens, {run.part('decoder').n_tokens} decoder tokens."
        )

    for message in errors:
        st.error(plain(message))
    if run is not None and bundle is not None and run.n_tokens > bundle.trained_tokens:
        st.warning(trained_length_note(bundle, run.n_tokens))
    if run is not None and run.truncated:
        st.warning(
            f"The text has {run.n_tokens_total} tokens; only the first {run.n_tokens} are shown. "
            "Raise the token limit in the sidebar to see more."
        )
