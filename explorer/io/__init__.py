"""Files in and out: export selections, chart rendering, run files (CSV/JSON/NPZ, load_run) and the export itself."""
