"""The Whole model view under a real `streamlit run`, in Debian's chromium at 1280×720 and on a
phone: a model saved by real Keras is uploaded, its output matches model.predict, and the
Keras comparison shows a match badge. Screenshots are kept for a person."""

import os
import re

import numpy as np
import pytest

from live_app import CHROMIUM, CHROMIUM_ARGS, REPO, stop_app
from test_browser_lstm_view import serve

playwright = pytest.importorskip("playwright.sync_api")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
keras = pytest.importorskip("keras")

SCRIPT = '''
import streamlit as st
from gruviz.ui.views import model_view
st.set_page_config(layout="wide")
model_view.render()
'''
SHOTS = REPO / "test-output" / "screenshots"  # for a person to look at; not committed


def _model(path):
    L = keras.layers
    keras.utils.set_random_seed(5)
    model = keras.Sequential([L.Input((None,), dtype="int32"), L.Embedding(9, 3, mask_zero=True),
                              L.Bidirectional(L.GRU(3, return_sequences=True), merge_mode="concat",
                                              name="bidirectional"),  # auto-names depend on what ran before
                              L.GlobalAveragePooling1D(), L.Dense(3, activation="softmax")])
    model.save(path)
    ids = np.array([4, 2, 7, 0, 0])
    return ids, np.asarray(model.predict(ids[None], verbose=0), np.float64)[0]


def test_whole_model_view_in_chromium(tmp_path):
    ids, expected = _model(tmp_path / "classifier.keras")
    script = tmp_path / "model_view_page.py"
    script.write_text(SCRIPT)
    proc, url = serve(script, tmp_path / "streamlit.log")
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            for label, viewport in (("1280x720", {"width": 1280, "height": 720}),
                                    ("phone", {"width": 390, "height": 844})):
                page = browser.new_page(viewport=viewport)
                page.goto(url)
                page.locator("input[type=file]").first.set_input_files(str(tmp_path / "classifier.keras"))
                box = page.get_by_label(re.compile("Input sequence"))
                playwright.expect(box).to_be_visible(timeout=120_000)
                box.fill(", ".join(map(str, ids)))
                box.press("Enter")
                shown = page.locator("[data-testid=stMarkdownContainer]", has_text="Output:").last
                playwright.expect(shown).to_be_visible(timeout=120_000)
                numbers = [float(v) for v in re.findall(r"-?\d+\.\d+(?:e-?\d+)?", shown.inner_text())]
                np.testing.assert_allclose(numbers, expected, atol=2e-6)
                page.screenshot(path=str(SHOTS / f"whole_model_{label}.png"), full_page=True)
                page.get_by_text("Magnifier: 'bidirectional/forward'").click(timeout=120_000)
                page.wait_for_timeout(1500)
                if label == "1280x720":
                    page.get_by_role("button", name="Compare with Keras model.predict").click(timeout=120_000)
                    verdict = page.locator("[data-testid=stMarkdownContainer]", has_text="largest difference")
                    playwright.expect(verdict).to_be_visible(timeout=400_000)  # TensorFlow loads first
                    assert "match" in verdict.inner_text() and "mismatch" not in verdict.inner_text()
                    page.screenshot(path=str(SHOTS / "whole_model_keras_1280x720.png"), full_page=True)
                assert page.locator(".stException").count() == 0
                page.close()
            browser.close()
    finally:
        stop_app(proc)
