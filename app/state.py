"""What the entry script and every page share: the cached extraction, and the guarantee that every page runs
through the entry script, even when a page's URL is the first one a new server sees.

Streamlit runs a fresh process in its old "pages/ folder" mode until some session has called st.navigation,
and in that mode a deep link (http://localhost:8501/walkthrough) runs the page file alone: no sidebar, no
model, no text. A page calls ensure_entry_script() first; in that case it switches to the entry script,
which sets up st.navigation for the whole process and then goes on to the page the link named.
"""

from __future__ import annotations

from urllib.parse import urlparse

import streamlit as st

ENTRY_SCRIPT = "streamlit_app.py"


@st.cache_resource(show_spinner=False, max_entries=2)
def load_bundle(model_name: str):
    """The model, loaded once per process (shared by every session; used read-only)."""
    import explorer

    return explorer.load_model(model_name)


@st.cache_data(show_spinner=False, max_entries=6)
def cached_extract(_bundle, model_name: str, text: str, max_tokens: int):
    """explorer.extract once per (model, text, token limit): the sidebar's text and the pages' second texts."""
    import explorer

    return explorer.extract(_bundle, text, max_tokens=max_tokens)


def ensure_entry_script() -> None:
    if "run_key" not in st.session_state:  # the entry script initialises this on every run
        # Leave the page's URL path for the entry script, which goes on to that page once navigation is set up.
        st.session_state["entry_url_path"] = urlparse(st.context.url or "").path.strip("/").split("/")[-1]
        st.switch_page(ENTRY_SCRIPT)


def require_run(purpose: str):
    """(bundle, run) from the entry script, or an info box and a stopped page when there is none yet.

    purpose completes "Pick a model and type a text in the sidebar to ...".
    """
    ensure_entry_script()
    bundle, run = st.session_state.get("bundle"), st.session_state.get("run")
    if bundle is None or run is None:
        st.info(f"Pick a model and type a text in the sidebar to {purpose}.")
        st.stop()
    return bundle, run
