"""Downloads in a real browser: the PNG / SVG / CSV buttons under a chart, and the Export page's zip.

st.download_button gets a callable (rendered on the click, on a server thread); AppTest cannot click through
to the file, so this drives `streamlit run` with headless Chromium. Skipped locally without Chromium.
"""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from tests.support import REPO

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"Chromium not found at {CHROMIUM}")
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    port = free_port()
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port)]
        + ["--server.headless", "true", "--server.address", "localhost", "--browser.gatherUsageStats", "false"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://localhost:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("streamlit did not start") from None
                time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def test_heatmap_download_buttons_give_files_that_parse(app_url, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(accept_downloads=True)
        page.goto(app_url, wait_until="networkidle")
        page.locator(".st-key-attn_dl_head_png").get_by_role("button", name="PNG").wait_for(timeout=90_000)
        got = {}
        for ext in ("png", "svg", "csv"):
            with page.expect_download(timeout=60_000) as info:
                page.locator(f".st-key-attn_dl_head_{ext}").get_by_role("button", name=ext.upper()).click()
            download = info.value
            assert download.suggested_filename == f"attention_L0_H0.{ext}"
            path = tmp_path / download.suggested_filename
            download.save_as(path)
            got[ext] = path.read_bytes()
        browser.close()

    with Image.open(io.BytesIO(got["png"])) as im:
        assert im.format == "PNG" and min(im.size) > 300
    assert ET.fromstring(got["svg"]).tag.endswith("svg")
    rows = list(csv.DictReader(io.StringIO(got["csv"].decode(), newline="")))
    n = int(len(rows) ** 0.5)
    assert n > 10 and len(rows) == n * n
    assert abs(sum(float(r["weight"]) for r in rows[:n]) - 1.0) < 1e-4  # query 0's row sums to 1


def test_export_page_builds_and_downloads_a_zip(app_url, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 1100}, accept_downloads=True)
        page.goto(app_url, wait_until="networkidle")
        page.get_by_role("heading", name="Attention maps").wait_for(timeout=90_000)
        page.get_by_role("link", name="Export", exact=True).click()
        page.locator('[data-testid="stDataFrame"]').wait_for(timeout=60_000)
        # Narrow the selection: clear each multiselect, then type the choices.
        for key, choices in (("export_formats", ["attention.csv", "run.json"]), ("export_layers", ["2"])):
            box = page.locator(f".st-key-{key}")
            box.get_by_role("button", name="Clear all").click()
            for choice in choices:
                box.locator("input").fill(choice)
                page.keyboard.press("Enter")
                page.wait_for_timeout(800)
            page.keyboard.press("Escape")
        page.get_by_text("1 head selected").wait_for(timeout=30_000)  # by default the head the user looks at
        page.locator(".st-key-export_build").get_by_role("button").click()
        download_button = page.locator(".st-key-export_download").get_by_role("button")
        download_button.wait_for(timeout=120_000)
        with page.expect_download(timeout=60_000) as info:
            download_button.click()
        assert info.value.suggested_filename == "all-minilm-l6-v2_export.zip"
        path = tmp_path / "export.zip"
        info.value.save_as(path)
        assert page.locator('[data-testid="stException"]').count() == 0
        browser.close()

    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == ["attention.csv", "run.json"]
        doc = json.loads(zf.read("run.json"))
        rows = list(csv.DictReader(io.StringIO(zf.read("attention.csv").decode(), newline="")))
    n = doc["n_tokens"]
    assert doc["selection"]["layers"] == [2] and doc["selection"]["heads"] == [0] and len(rows) == n * n
    assert {r["layer"] for r in rows} == {"2"} and {r["head"] for r in rows} == {"0"}
