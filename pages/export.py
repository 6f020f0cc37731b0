"""Export page: choose layers, heads and formats, see the estimated size, build one zip and download it."""

from __future__ import annotations

import shlex

import pandas as pd
import streamlit as st

from app.i18n import names, said, t
from app.i18n.phrases import need_run, run_summary
from app.safe import plain
from app.state import remember, run_key
from explorer import DEFAULT_MODEL, ExplorerError
from explorer.io.export import build_zip, estimate_sizes, human_bytes, plan
from explorer.io.runfiles import JSON_ATTENTION_LIMIT
from explorer.io.selection import FORMATS, format_indices, model_slug, select
from explorer.maps import memory_budget

BIG_ZIP_BYTES = 500_000_000  # above this, suggest the command line (the browser download is held in memory)

_, run = need_run("export.purpose")

st.title(t("export.title"))
st.caption(t("export.summary", summary=run_summary(run)))

# 1) What to export.
# By default, what the user is looking at: the attention page's layer and head; SVG only when asked for.
looking_at = (int(st.session_state.get("attn_layer", 0)), int(st.session_state.get("attn_head", 0)))
remember("export_layers", [min(looking_at[0], run.n_layers - 1)], range(run.n_layers))
remember("export_heads", [min(looking_at[1], run.n_heads - 1)], range(run.n_heads))
# SVG only when asked for, and, on a long run, no format whose files alone would pass BIG_ZIP_BYTES for this head
# (one head's CSV at 8,192 tokens is 67 million rows): the user can still add it, seeing its size first.
one_head = estimate_sizes(run, select(run, list(FORMATS), [looking_at[0]], [looking_at[1]]))
remember("export_formats", [f for f in FORMATS if f != "svg" and one_head[f] <= BIG_ZIP_BYTES], FORMATS)
c1, c2 = st.columns(2)
layers = c1.multiselect(t("common.layers"), list(range(run.n_layers)), key="export_layers")
heads = c2.multiselect(t("common.heads"), list(range(run.n_heads)), key="export_heads")
formats = st.multiselect(
    t("export.formats"), list(FORMATS), format_func=names("format.", FORMATS).get, key="export_formats"
)
try:
    sel = select(run, formats, layers, heads)
except ExplorerError as err:
    st.warning(plain(said(err)))
    st.stop()

# 2) How big it will be, before anything is built.
sizes = estimate_sizes(run, sel)
files = plan(run, sel)
counts = {fmt: sum(f.name.endswith("." + fmt) for f in files) for fmt in sel.formats}
table = pd.DataFrame(
    {
        t("export.col.format"): [t(f"format.{f}") for f in sel.formats],
        t("export.col.files"): [counts[f] for f in sel.formats],
        t("export.col.size"): [human_bytes(sizes[f]) for f in sel.formats],
    }
)
st.dataframe(table, hide_index=True, key="export_sizes")
total = sum(sizes.values())
heads_text = t("export.heads_one" if len(sel.pairs) == 1 else "export.heads_many", n=len(sel.pairs))
st.caption(
    t(
        "export.size_caption",
        heads=heads_text,
        total=human_bytes(total),
        files=len(files),
        limit=JSON_ATTENTION_LIMIT,
    )
)
budget = memory_budget()
if total > budget:
    st.error(t("export.too_big", total=human_bytes(total), budget=human_bytes(budget)))
    st.stop()
if total > BIG_ZIP_BYTES:
    st.warning(t("export.big", total=human_bytes(total)))

# 3) Build the zip (only on request), with a progress bar.
selection_key = (run_key(run), sel)
if st.button(t("export.build"), type="primary", key="export_build", icon=":material/folder_zip:"):
    bar = st.progress(0.0, text=t("export.starting"))

    def report(done: int, steps: int, name: str) -> None:
        bar.progress(done / max(steps, 1), text=f"{done}/{steps} · {name}")

    try:
        data = build_zip(run, sel.formats, sel.layers, sel.heads, progress=report)
    except ExplorerError as err:
        st.error(plain(said(err)))
    else:
        bar.progress(1.0, text=t("export.done", size=human_bytes(len(data))))
        st.session_state["export_zip"] = {"key": selection_key, "data": data}

built = st.session_state.get("export_zip")
if built is not None and built["key"] == selection_key:
    st.download_button(
        t("export.download", size=human_bytes(len(built["data"]))),
        data=built["data"],
        file_name=f"{model_slug(run)}_export.zip",
        mime="application/zip",
        key="export_download",
        on_click="ignore",
        icon=":material/download:",
    )
elif built is not None:
    del st.session_state["export_zip"]  # free the old zip's memory
    st.caption(t("export.changed"))

# 4) The same export from the command line.
st.subheader(t("export.cli"))
command = (
    f"python -m explorer export --text-file text.txt --out export "
    f"--layers {format_indices(sel.layers)} --heads {format_indices(sel.heads)} "
    f"--format {','.join(sel.formats)} --max-tokens {st.session_state.get('max_tokens', run.n_tokens)}"
)
if run.model_name != DEFAULT_MODEL:
    command += f" --model {shlex.quote(run.model_name)}"
st.code(command, language="bash", wrap_lines=True)
st.caption(t("export.cli_caption"))
