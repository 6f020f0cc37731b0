"""Fixtures shared by the io tests: one full data export of the session's apple_run."""

import pytest

from explorer.io.export import write_export


@pytest.fixture(scope="session")
def data_export(apple_run, tmp_path_factory):
    """csv, json and npz of every head of apple_run."""
    out = tmp_path_factory.mktemp("data")
    paths = write_export(apple_run, out, "csv,json,npz")
    return out, paths
