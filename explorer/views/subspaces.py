"""Charts of the representation subspaces page: separation per head, hidden-state baseline, points."""

from __future__ import annotations

from typing import TYPE_CHECKING

import altair as alt
import numpy as np
import pandas as pd

from explorer.views.style import PAD_PLOT, SCORE_SCHEME

if TYPE_CHECKING:
    from explorer.subspaces import SenseSeparation


# Builders take a SenseSeparation (or the frames it gives), never a model. Each has a frame beside it
# (res.to_frame(), res.hidden_frame(), res.points(l, h), res.attends_to(l, h)) holding exactly what it shows.

CELL_SELECTION = "cell"  # name of the click selection on the heatmap (layer, head)
NOT_SIGNIFICANT_MARK = "n.s."


def _score_domain(scores: np.ndarray) -> list[float]:
    top = float(np.nanmax(np.abs(scores))) if np.size(scores) else 1.0
    top = top if top > 0 else 1.0
    return [-top, top]


def separation_heatmap(
    res: SenseSeparation, selected: tuple[int, int] | None = None, *, selectable: bool = True
) -> alt.LayerChart:
    """Layers down, heads across; colour = separation score (silhouette, diverging at 0).

    Cells whose adjusted p-value (Benjamini-Hochberg over all heads) is not below the significance level
    read "n.s."; the tooltip gives score, p-value and adjusted p-value. `selected` gets a black
    outline. With `selectable`, a click on a cell sets the point selection named CELL_SELECTION
    (fields layer and head) that Streamlit's on_select reads.
    """
    frame = res.to_frame()
    frame["significant_text"] = np.where(frame["significant"], "yes", "no")
    frame["mark"] = np.where(frame["significant"], "", NOT_SIGNIFICANT_MARK)
    layers = list(range(res.n_layers))
    heads = list(range(res.n_heads))
    x = alt.X("head:O", sort=heads, title="head", axis=alt.Axis(labelAngle=0))
    y = alt.Y("layer:O", sort=layers, title="layer")
    tooltip = [
        alt.Tooltip("layer:O"),
        alt.Tooltip("head:O"),
        alt.Tooltip("score:Q", title="separation (silhouette)", format=".3f"),
        alt.Tooltip("p_value:Q", title="p-value (permutations)", format=".4f"),
        alt.Tooltip("q_value:Q", title="adjusted p (BH, all heads)", format=".4f"),
        alt.Tooltip("significant_text:N", title="significant"),
    ]
    colour = alt.Color(
        "score:Q",
        scale=alt.Scale(scheme=SCORE_SCHEME, domain=_score_domain(res.scores), domainMid=0),
        title="separation",
    )
    base = alt.Chart(frame)
    rect = base.mark_rect().encode(x=x, y=y, color=colour, tooltip=tooltip)
    if selectable:
        rect = rect.add_params(alt.selection_point(name=CELL_SELECTION, fields=["layer", "head"], on="click"))
    dots = base.mark_text(fontSize=10, color="#333333", baseline="middle").encode(
        x=x, y=y, text="mark:N", tooltip=tooltip
    )
    layers_out = [rect, dots]
    if selected is not None:
        pick = pd.DataFrame({"layer": [selected[0]], "head": [selected[1]]})
        layers_out.append(alt.Chart(pick).mark_rect(fill=None, stroke="black", strokeWidth=2.5).encode(x=x, y=y))
    width = int(min(1000, max(240, 38 * res.n_heads)))
    height = int(min(800, max(120, 30 * res.n_layers)))
    title = f"“{res.target}”: separation of {len(res.senses)} senses per head ({res.space})"
    return alt.layer(*layers_out).properties(width=width, height=height, title=title, autosize=PAD_PLOT)


def baseline_chart(res: SenseSeparation, names: list[str] | None = None) -> alt.LayerChart:
    """The whole hidden state's separation per layer (bars), beside the best single head of that layer (dots).

    Rows: "embeddings", then "after layer l" (the output of block l, aligned with the heatmap's layer l); `names`
    shows them by other names (n_layers + 1 of them, e.g. in the reader's language).
    """
    frame = res.hidden_frame()
    if names is not None:
        if len(names) != len(frame) or len(set(names)) != len(names):
            raise ValueError(f"names: {len(frame)} different names needed, one per hidden state, got {names!r}.")
        frame = frame.assign(name=list(names))
    order = list(frame["name"])
    y = alt.Y("name:N", sort=order, title=None)
    tooltip = [
        alt.Tooltip("name:N", title="hidden state"),
        alt.Tooltip("score:Q", title="separation", format=".3f"),
        alt.Tooltip("p_value:Q", title="p-value", format=".4f"),
        alt.Tooltip("best_head_score:Q", title="best head of this layer", format=".3f"),
    ]
    lo = min(0.0, float(np.nanmin(frame[["score", "best_head_score"]].to_numpy())))
    hi = max(0.05, float(np.nanmax(frame[["score", "best_head_score"]].to_numpy())))
    x_scale = alt.Scale(domain=[lo, hi])
    bars = (
        alt.Chart(frame)
        .mark_bar(color="#9e9e9e")
        .encode(x=alt.X("score:Q", scale=x_scale, title="separation"), y=y, tooltip=tooltip)
    )
    best = (
        alt.Chart(frame.dropna(subset=["best_head_score"]))
        .mark_point(shape="diamond", filled=True, size=90, color="#e45756")
        .encode(x=alt.X("best_head_score:Q", scale=x_scale), y=y, tooltip=tooltip)
    )
    height = int(min(700, max(160, 30 * (res.n_layers + 1))))
    title = alt.Title("Whole hidden state", subtitle="bar: all dimensions; ◆: best head of the layer")
    return alt.layer(bars, best).properties(width=200, height=height, title=title, autosize=PAD_PLOT)


def sense_scatter(points: pd.DataFrame, title: str) -> alt.Chart:
    """One dot per sentence at its 2-D PCA position, coloured and shaped by sense; hover shows the sentence."""
    explained = points.attrs.get("explained", [np.nan, np.nan])
    senses = list(dict.fromkeys(points["sense"]))
    return (
        alt.Chart(points, title=title)
        .mark_point(filled=True, size=110, opacity=0.85)
        .encode(
            x=alt.X("pc1:Q", title=f"PC 1 ({explained[0]:.0%} of variance)", axis=alt.Axis(labels=False)),
            y=alt.Y("pc2:Q", title=f"PC 2 ({explained[1]:.0%} of variance)", axis=alt.Axis(labels=False)),
            color=alt.Color("sense:N", sort=senses, scale=alt.Scale(scheme="category10"), title="sense"),
            shape=alt.Shape("sense:N", sort=senses, title="sense"),
            tooltip=[
                alt.Tooltip("sense:N"),
                alt.Tooltip("word:N", title="target as written"),
                alt.Tooltip("sentence:N"),
            ],
        )
        .properties(width=420, height=340, autosize=PAD_PLOT)
    )


def attends_to_chart(frame: pd.DataFrame, title: str, value: str = "distinctive") -> alt.FacetChart:
    """Per sense, the words the target attends to (one panel per sense; frame from res.attends_to).

    value: "weight" draws the mean attention from the target to each word in that sense's sentences;
    "distinctive" draws that minus the mean over the other senses' sentences (what sets the sense apart).
    """
    senses = list(dict.fromkeys(frame["sense"]))
    x_title = "mean attention from the target" if value == "weight" else "attention beyond the other senses"
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X(f"{value}:Q", title=x_title),
            y=alt.Y("word:N", sort="-x", title=None, axis=alt.Axis(labelOverlap=False, labelLimit=120)),
            color=alt.Color("sense:N", sort=senses, scale=alt.Scale(scheme="category10"), legend=None),
            tooltip=[
                alt.Tooltip("sense:N"),
                alt.Tooltip("word:N"),
                alt.Tooltip("weight:Q", title="mean attention (this sense)", format=".3f"),
                alt.Tooltip("other_senses:Q", title="mean attention (other senses)", format=".3f"),
                alt.Tooltip("distinctive:Q", title="difference", format=".3f"),
                alt.Tooltip("sentences:Q", title="sentences with the word"),
            ],
        )
        .properties(width=220, height=alt.Step(20))
        .facet(column=alt.Column("sense:N", sort=senses, title=None))
        .resolve_scale(y="independent")
        .properties(title=title, autosize=PAD_PLOT)
    )
