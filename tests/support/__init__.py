"""Helpers shared by the tests (no tests here): tiny models, AppTest helpers, reference computations."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]  # the repository root (streamlit_app.py, pages/, explorer/)
