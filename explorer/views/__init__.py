"""Charts: one module per page, plus the shared block pooling, raster renderer and style. Views take runs or
arrays, never a model."""
