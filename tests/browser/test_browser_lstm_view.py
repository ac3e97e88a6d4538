"""The GRU vs LSTM view under a real `streamlit run`, looked at in Debian's chromium at
1280×720: both Keras columns fill in and match, and the screenshots are kept for a person."""

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from live_app import CHROMIUM, CHROMIUM_ARGS, REPO, free_port, stop_app

playwright = pytest.importorskip("playwright.sync_api")

SCRIPT = '''
import numpy as np
import streamlit as st
from gruviz.explain.mistakes import Setup
from gruviz.math.weights import GRUConfig, GRUWeights
from gruviz.ui.views import lstm_view
st.set_page_config(layout="wide")
w = GRUWeights.create(GRUConfig(2, 1), [[-0.9, 1.04, -0.4, 0.3, 0.2, 0.9]],
                      [[0.24, 0.9, 0.37, -0.5, 0.1, 0.6], [0.3, -0.2, 0.5, 0.4, -0.7, 0.2]], np.zeros((2, 6)))
lstm_view.render(Setup(w, np.array([[1.0], [2.0], [9.0], [8.0], [-3.0], [0.5]])))
'''
SHOTS = REPO / "test-output" / "screenshots"  # for a person to look at; not committed


def serve(script: Path, log: Path):
    port = free_port()
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true",
                                 "--server.port", str(port), "--browser.gatherUsageStats", "false"],
                                cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
                                # a loaded shared machine can take minutes to import TensorFlow
                                env={**os.environ, "GRUVIZ_TF_IMPORT_TIMEOUT": "600"})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.read().decode().strip() == "ok":
                    return proc, url
        except OSError:
            time.sleep(0.3)
    stop_app(proc)
    pytest.fail(f"streamlit did not start; see {log}")


def test_comparison_view_in_chromium_at_1280x720(tmp_path):
    script = tmp_path / "lstm_view_page.py"
    script.write_text(SCRIPT)
    proc, url = serve(script, tmp_path / "streamlit.log")
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.goto(url)
            badges = page.get_by_text("match · largest difference")
            playwright.expect(badges).to_have_count(2, timeout=400_000)  # TensorFlow loads once, then both fill in
            assert page.get_by_text("mismatch").count() == 0
            page.screenshot(path=str(SHOTS / "lstm_view_top.png"))
            page.get_by_text("keep the old state").first.scroll_into_view_if_needed()
            page.wait_for_timeout(800)
            page.screenshot(path=str(SHOTS / "lstm_view_gates.png"))
            page.get_by_text("Going back").first.scroll_into_view_if_needed()
            page.wait_for_timeout(800)
            page.screenshot(path=str(SHOTS / "lstm_view_memory.png"))
            assert page.locator(".stException").count() == 0
            browser.close()
    finally:
        stop_app(proc)
