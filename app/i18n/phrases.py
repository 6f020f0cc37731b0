"""The sentences every page starts with (the "pick a model" box, the run summary under a title, the weight-views
note), in the current language:

    bundle, run = need_run("attn.purpose")          # the key of the words that complete "Pick a model … to"
    st.caption(run_summary(run))
"""

from __future__ import annotations

import streamlit as st

from app.i18n import said, t
from app.safe import plain
from app.state import ensure_entry_script
from explorer.extract import Extraction
from explorer.models import ModelBundle


def need_bundle(purpose: str) -> ModelBundle:
    """app.state.require_bundle in the current language; `purpose` is the key of the words that complete "Pick a
    model in the sidebar to ..."."""
    ensure_entry_script()
    bundle = st.session_state["bundle"]
    if bundle is None:
        st.info(t("need.bundle", purpose=t(purpose)))
        st.stop()
    return bundle


def need_run(purpose: str) -> tuple[ModelBundle, Extraction]:
    """app.state.require_run in the current language: (bundle, run), or an info box and a stopped page."""
    ensure_entry_script()
    bundle, run = st.session_state["bundle"], st.session_state["run"]
    if bundle is None or run is None:
        st.info(t("need.run", purpose=t(purpose)))
        st.stop()
    return bundle, run


def run_summary(run: Extraction) -> str:
    """app.state.run_summary in the current language: "all-MiniLM-L6-v2 · 24 tokens · 6 layers × 12 heads" (markdown:
    the model's name is escaped)."""
    if run.kind == "cross":
        tokens = t("summary.cross_tokens", queries=run.n_tokens, keys=run.n_keys)
    else:
        tokens = t("summary.tokens", n=run.n_tokens)
    name = plain(run.meta.get("display_name", run.model_name))
    summary = t("summary.line", name=name, tokens=tokens, layers=run.n_layers, heads=run.n_heads)
    if run.parts:  # encoder–decoder: say which of the three kinds of attention every chart shows
        summary += t("summary.kind", kind=t(f"kind.{run.kind}"), meaning=t(f"kind_meaning.{run.kind}"))
    return summary


def weight_views_note(bundle: ModelBundle, what: str) -> str | None:
    """app.state.weight_views_note in the current language; `what` is already in it (the family's own reason comes
    from the library, through said(): its own words, markdown as the tables' are)."""
    if bundle.weight_views:
        return None
    note = bundle.stack().weights_note
    reason = said(note) if note else t("weights.unknown_layout")
    return t("weights.note", model=plain(bundle.display_name), family=plain(bundle.family), reason=reason, what=what)
