"""Entry point of the explorer app: page config, the shared sidebar (language, model, text, token limit), navigation.

Runs before every page. app.state.init_state() keeps the pages' remembered widget values; app.sidebar.sidebar()
loads the model and the extraction (each cached) and leaves them for the page in st.session_state ("bundle",
"run"). Pages never run the model for the main text, so moving a layer/head/token control re-runs nothing here.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app.i18n import said, t
from app.safe import plain
from app.sidebar import sidebar
from app.state import init_state
from explorer import ExplorerError

APP_DIR = Path(__file__).resolve().parent

# (page file, key of its title in app.i18n, icon) in navigation order; a page appears once its file exists.
PAGES = [
    ("pages/attention.py", "nav.attention", ":material/grid_on:"),
    ("pages/compare.py", "nav.compare", ":material/compare:"),
    ("pages/qkv.py", "nav.qkv", ":material/linear_scale:"),
    ("pages/walkthrough.py", "nav.walkthrough", ":material/school:"),
    ("pages/subspaces.py", "nav.subspaces", ":material/scatter_plot:"),
    ("pages/export.py", "nav.export", ":material/download:"),
]

st.set_page_config(page_title=t("app.page_title"), page_icon="🔲", layout="wide")  # an emoji: no icon host
init_state()
sidebar()  # first the language switch: the titles below are in the language it chose

# A page's URL comes from its file name, so it stays the same in every language.
pages = [
    st.Page(path, title=t(title), icon=icon, default=(i == 0))
    for i, (path, title, icon) in enumerate(p for p in PAGES if (APP_DIR / p[0]).exists())
]
current = st.navigation(pages)
# A deep link (localhost:8501/compare) that was the first request a fresh server saw arrives here through
# app.state.ensure_entry_script(), which lands on the default page and leaves the page's URL path in
# "entry_url_path": go on to the page the link named.
wanted = st.session_state.pop("entry_url_path", None)
by_url = {p.url_path: p for p in pages}
if wanted in by_url and current.url_path != wanted:
    st.switch_page(by_url[wanted])
try:
    current.run()
except ExplorerError as err:  # what a view refuses (e.g. more memory than can be spared): a message, not a trace
    st.error(plain(said(err)))
