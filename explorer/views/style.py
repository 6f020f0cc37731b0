"""The look every chart shares: colour schemes, the masked-cell colour, and Altair's sizing and row settings."""

from __future__ import annotations

import altair as alt
import numpy as np

# Charts here can hold more than Altair's default 5,000 rows (Streamlit sends them as Arrow anyway).
alt.data_transformers.disable_max_rows()

MASKED_COLOUR = "#d4d4d4"  # cells a mask hides (score -inf)
MASKED_RGB = np.array([212, 212, 212], dtype=np.uint8)  # the same grey for the raster renderer
WEIGHT_SCHEME = "blues"  # attention weights, 0 .. max
SCORE_SCHEME = "blueorange"  # diverging: blue below 0 (mixed the wrong way), orange above (separated)
# ColorBrewer "Blues" (9 stops), the same ramp as Vega's "blues", for the raster renderer.
BLUES_RGB = np.array(
    [
        [247, 251, 255],
        [222, 235, 247],
        [198, 219, 239],
        [158, 202, 225],
        [107, 174, 214],
        [66, 146, 198],
        [33, 113, 181],
        [8, 81, 156],
        [8, 48, 107],
    ],
    dtype=np.float32,
)
# For a single (not concatenated) chart: `chart.properties(autosize=PAD)` makes width/height the plot's own size,
# axes and legend on top. (Streamlit's default, "fit", squeezes the plot into the given size, labels included.)
# Concatenated charts must not carry autosize in their parts, so the builders leave it to the caller.
PAD = alt.AutoSizeParams(type="pad")
# The same for layered and faceted charts: the plotting area is width x height, decorations come on top.
PAD_PLOT = alt.AutoSizeParams(type="pad", contains="padding")
