"""Charts to files: Vega-Lite specs rendered to SVG and PNG offline (shared by export and the download buttons).

Text is drawn with the CJK font views.fonts finds (named first in Vega's `font` config, its folder registered with
vl-convert), so Chinese labels are glyphs, not boxes; without one, Vega's default sans-serif.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

from explorer.errors import ExplorerError
from explorer.views.fonts import chart_font, cjk_font

PNG_SCALE = 2.0  # pixel density of the PNG heatmaps (2 = crisp on slides and in papers)
_FONTS_LOCK = threading.Lock()  # download buttons render on Streamlit's worker threads


@lru_cache(maxsize=1)
def _register_cjk_font() -> str | None:
    import vl_convert as vlc

    face = cjk_font()
    if face is None:
        return None
    vlc.register_font_directory(str(Path(face.path).parent))
    return chart_font()


def vl_convert_font() -> str | None:
    """The CSS font family charts are rendered with ('"Noto Sans CJK SC", sans-serif'), or None (Vega's default).

    The first call registers the CJK font's folder with vl-convert: it reads the system's font folders itself, and
    registering also covers a font it does not scan. Nothing here reaches the network.
    """
    with _FONTS_LOCK:
        return _register_cjk_font()


def with_chart_font(spec: dict) -> dict:
    """The spec with Vega's `font` config set to the CJK font (a copy; a font the spec sets itself is kept)."""
    family = vl_convert_font()
    config = spec.get("config", {})
    if family is None or "font" in config:
        return spec
    return {**spec, "config": {**config, "font": family}}


def spec_svg(spec: dict) -> bytes:
    """Render a Vega-Lite spec (a chart's to_dict()) to SVG bytes with vl-convert."""
    import vl_convert as vlc

    try:  # the Vega-Lite version vl-convert should read the spec as (Altair's own choice when saving)
        from altair.utils._importers import vl_version_for_vl_convert

        vl_version = vl_version_for_vl_convert()
    except (ImportError, AttributeError):  # pragma: no cover - older or newer Altair
        vl_version = None
    try:
        return vlc.vegalite_to_svg(with_chart_font(spec), vl_version=vl_version).encode()
    except ValueError as err:  # vl-convert reports spec problems as ValueError
        raise ExplorerError(f"Could not render the chart: {err}") from err


def svg_to_png(svg: bytes, scale: float = PNG_SCALE) -> bytes:
    """Rasterise an SVG from spec_svg to PNG (vl-convert's own path: vegalite_to_png is SVG, then this)."""
    import vl_convert as vlc

    vl_convert_font()  # the SVG names the CJK font: vl-convert must know its file before drawing
    return vlc.svg_to_png(svg.decode(), scale=scale)
