"""What the entry script and every page share: remembered widget values, cached library calls, the model, and the
guarantee that every page runs through the entry script, even when a page's URL is the first one a new server sees.

    bundle, run = app.i18n.phrases.need_run("attn.purpose")  # first line of a page (in the current language)
    remember("walk_layer", 0, range(run.n_layers))               # before the widget; the widget gets only key=
    layer = st.slider("Layer", 0, run.n_layers - 1, key="walk_layer")
    steps = cached(walkthrough, bundle, run, layer, causal=causal, scoring=scoring)   # once per distinct call

Streamlit runs a fresh process in its old "pages/ folder" mode until some session has called st.navigation, and in
that mode a deep link (http://localhost:8501/walkthrough) runs the page file alone: no sidebar, no model, no text.
app.i18n.phrases.need_bundle/need_run call ensure_entry_script() first; in that case it switches to the entry
script, which sets up st.navigation for the whole process and then goes on to the page the link named.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Collection
from typing import Any, TypeVar
from urllib.parse import urlparse

import streamlit as st

import explorer
from explorer.analysis.senses import TargetSamples
from explorer.extract import Extraction
from explorer.models import ModelBundle

ENTRY_SCRIPT = "streamlit_app.py"
KIND_NAMES = {
    "encoder": "encoder self-attention",
    "decoder": "decoder self-attention (masked)",
    "cross": "cross-attention (decoder → encoder)",
}
KIND_MEANINGS = {
    "encoder": "the text's tokens attend to each other, both ways",
    "decoder": "each target token attends to itself and the target tokens before it",
    "cross": "queries from the decoder's target tokens, keys and values from the encoder's text",
}
REMEMBERED = "remembered_keys"  # session-state entry: every widget key remember() was given in this session
CACHE_ENTRIES = 32  # results cached() keeps, least recently used dropped first (extractions are the big ones)

T = TypeVar("T")


# -- Remembered widgets ------------------------------------------------------------------------------------------


def remember(key: str, default: Any, options: Collection | None = None) -> Any:
    """Give the widget `key` its value before it is drawn; the widget then gets key= only (no index=/value=).

    The value is `default` the first time, and again when the kept value is not among `options` (for a
    multiselect, a list with any item not among them), except that a number beyond a `range` moves to its nearest
    end (layer 5 of a 2-layer model becomes layer 1). Otherwise it is the value kept from earlier runs, pages and
    models: the entry script keeps every remembered key alive (init_state). Returns it.
    To set a widget from code, assign st.session_state[key] in a callback or before the widget is drawn.
    """
    state = st.session_state
    state.setdefault(REMEMBERED, set()).add(key)
    if key not in state:
        state[key] = default
    elif options is not None and not _among(state[key], options):
        kept = state[key]
        if isinstance(options, range) and len(options) and isinstance(kept, int):
            state[key] = min(max(kept, options[0]), options[-1])
        else:
            state[key] = default
    return state[key]


def _among(value: Any, options: Collection) -> bool:
    if isinstance(value, list):  # a multiselect's choice
        return all(v in options for v in value)
    return value in options


def init_state() -> None:
    """The entry script's first step, on every run, before any widget is drawn.

    "bundle" and "run" exist from the first run on (None until the sidebar has a model and a text). Streamlit deletes
    a widget's value at the end of a run that did not draw it (another page was shown); writing every remembered
    value back through session state keeps it (the documented multipage pattern).
    """
    st.session_state.setdefault("bundle", None)
    st.session_state.setdefault("run", None)
    for key in st.session_state.get(REMEMBERED, ()):
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


# -- Cached calls -------------------------------------------------------------------------------------------------


@st.cache_resource(show_spinner=False, max_entries=2)
def load_bundle(model_name: str) -> ModelBundle:
    """The model, loaded once per process (shared by every session; used read-only). Kept apart from cached() so
    that many small results never push the model out."""
    import explorer

    return explorer.load_model(model_name)


def cached(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """fn(*args, **kwargs), computed once per distinct call and shared by every rerun, page and session.

    A call is fn's module and name plus its arguments (defaults filled in) by value, except the big unhashable
    ones: a ModelBundle counts by its name, an Extraction by run_key(), a TargetSamples by the model, word and
    sentences it was made from. The result comes back as the same object every time (st.cache_resource: no pickled
    copy per read), so treat it as read-only. Errors (ExplorerError) are raised again, not cached.
    """
    name = f"{fn.__module__}.{fn.__qualname__}"
    if "<" in name:  # a lambda or a local function: its name does not tell it from another one
        raise TypeError(f"cached() needs a module-level function, not {name}.")
    bound = inspect.signature(fn).bind(*args, **kwargs)
    bound.apply_defaults()  # cached(f, x, 2) and cached(f, x, n=2) are one call
    key = (name, tuple((arg, _key(value)) for arg, value in bound.arguments.items()))
    return _call_once(key, fn, args, kwargs)


@st.cache_resource(show_spinner=False, max_entries=CACHE_ENTRIES)
def _call_once(key: tuple, _fn: Callable, _args: tuple, _kwargs: dict):
    """The one cache behind cached(): Streamlit hashes `key` only (arguments with a leading _ are not hashed)."""
    return _fn(*_args, **_kwargs)


def _key(value: Any) -> Any:
    """What stands for one argument in a cache key; Streamlit's hasher takes anything else by value."""
    if isinstance(value, ModelBundle):
        return ("ModelBundle", value.name)
    if isinstance(value, Extraction):
        return ("Extraction", *run_key(value))
    if isinstance(value, TargetSamples):
        labels = tuple(value.labels.tolist())
        return ("TargetSamples", value.model_name, value.target, tuple(value.senses), tuple(value.sentences), labels)
    return value


def run_key(run: Extraction) -> tuple:
    """What tells one record from another: (model name, text, tokens, decoder text, decoder tokens, kind)."""
    if not run.parts:
        return (run.model_name, run.text, run.n_tokens, None, None, run.kind)
    enc, dec = run.part("encoder"), run.part("decoder")
    return (run.model_name, enc.text, enc.n_tokens, dec.text, dec.n_tokens, run.kind)


# -- What every page starts with ----------------------------------------------------------------------------------


def ensure_entry_script() -> None:
    if "run" not in st.session_state:  # the entry script sets it on every run (init_state)
        # Leave the page's URL path for the entry script, which goes on to that page once navigation is set up.
        st.session_state["entry_url_path"] = urlparse(st.context.url or "").path.strip("/").split("/")[-1]
        st.switch_page(ENTRY_SCRIPT)


def second_run(bundle: ModelBundle, run: Extraction, text: str, max_tokens: int) -> Extraction:
    """Another text through the same model, cached like the sidebar's run; an encoder–decoder model's decoder
    is fed the same target as the sidebar's run."""
    target = run.part("decoder").text if "decoder" in run.kinds else None
    return cached(explorer.extract, bundle, text, max_tokens=max_tokens, target=target).part(run.kind)
