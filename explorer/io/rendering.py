"""Charts to files: Vega-Lite specs rendered to SVG and PNG offline (shared by export and the download buttons)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import altair as alt

from explorer.errors import ExplorerError
from explorer.views.attention import head_heatmap

if TYPE_CHECKING:
    from explorer.extract import Extraction


PNG_SCALE = 2.0  # pixel density of the PNG heatmaps (2 = crisp on slides and in papers)


def head_chart(run: Extraction, layer: int, head: int) -> alt.Chart:
    """The app's heatmap of one head, titled with the model, layer and head."""
    name = run.meta.get("display_name") or run.model_name
    return head_heatmap(run, layer, head, title=f"{name} · layer {layer}, head {head}")


def chart_svg(chart: alt.TopLevelMixin) -> bytes:
    """Render an Altair chart to SVG (UTF-8 bytes) offline with vl-convert (no browser)."""
    with alt.data_transformers.disable_max_rows():
        return spec_svg(chart.to_dict())


def spec_svg(spec: dict) -> bytes:
    """Render a Vega-Lite spec (a chart's to_dict()) to SVG bytes with vl-convert."""
    import vl_convert as vlc

    try:  # the Vega-Lite version vl-convert should read the spec as (Altair's own choice when saving)
        from altair.utils._importers import vl_version_for_vl_convert

        vl_version = vl_version_for_vl_convert()
    except (ImportError, AttributeError):  # pragma: no cover - older or newer Altair
        vl_version = None
    try:
        return vlc.vegalite_to_svg(spec, vl_version=vl_version).encode()
    except ValueError as err:  # vl-convert reports spec problems as ValueError
        raise ExplorerError(f"Could not render the chart: {err}") from err


def svg_to_png(svg: bytes, scale: float = PNG_SCALE) -> bytes:
    """Rasterise an SVG from chart_svg to PNG (vl-convert's own path: vegalite_to_png is SVG, then this)."""
    import vl_convert as vlc

    return vlc.svg_to_png(svg.decode(), scale=scale)


def head_image(run: Extraction, layer: int, head: int, fmt: str) -> bytes:
    """One head's heatmap as PNG or SVG bytes."""
    svg = chart_svg(head_chart(run, layer, head))
    return svg if fmt == "svg" else svg_to_png(svg)
