"""The Whole model view of the app, in Debian's chromium at 1280×720 and on a phone: a model
saved by real Keras is uploaded, its output matches model.predict, and the Keras comparison
shows a match badge. Screenshots are kept for a person."""

import os
import re

import numpy as np
import pytest

from live_app import REPO, settled

playwright = pytest.importorskip("playwright.sync_api")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
keras = pytest.importorskip("keras")

pytestmark = pytest.mark.browser

SHOTS = REPO / "test-output" / "screenshots"  # for a person to look at; not committed
WAIT_MS = 120_000
SIZES = {"1280x720": {"width": 1280, "height": 720}, "phone": {"width": 390, "height": 844}}


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


def test_whole_model_view_in_chromium(browser, app_url, tmp_path):
    ids, expected = _model(tmp_path / "classifier.keras")
    SHOTS.mkdir(parents=True, exist_ok=True)
    for label, viewport in SIZES.items():
        context = browser.new_context(viewport=viewport)
        try:
            page = context.new_page()
            page.goto(f"{app_url}/?view=Whole+model")
            view = page.locator(".st-key-view_body")  # the page's own Keras column above says "match" too
            page.locator(".st-key-whole_model_file input[type=file]").set_input_files(str(tmp_path / "classifier.keras"))
            box = page.locator(".st-key-whole_model_sequence input")  # the sidebar has an Input sequence too
            playwright.expect(box).to_be_visible(timeout=WAIT_MS)
            box.fill(", ".join(map(str, ids)))
            box.press("Enter")
            shown = view.locator("[data-testid=stMarkdownContainer]", has_text="Output:").last
            playwright.expect(shown).to_be_visible(timeout=WAIT_MS)
            numbers = [float(v) for v in re.findall(r"-?\d+\.\d+(?:e-?\d+)?", shown.inner_text())]
            np.testing.assert_allclose(numbers, expected, atol=2e-6)
            page.screenshot(path=str(SHOTS / f"whole_model_{label}.png"), full_page=True)
            view.get_by_text("Magnifier: 'bidirectional/forward'").click(timeout=WAIT_MS)
            settled(page, WAIT_MS)
            if label == "1280x720":
                view.get_by_role("button", name="Compare with Keras model.predict").click(timeout=WAIT_MS)
                verdict = view.locator("[data-testid=stMarkdownContainer]", has_text="largest difference")
                playwright.expect(verdict).to_be_visible(timeout=400_000)  # TensorFlow loads first
                assert "match" in verdict.inner_text() and "mismatch" not in verdict.inner_text()
                verdict.scroll_into_view_if_needed()  # the page scrolls inside Streamlit's own container
                page.screenshot(path=str(SHOTS / "whole_model_keras_1280x720.png"), full_page=True)
            playwright.expect(page.locator(".stException")).to_have_count(0)
        finally:
            context.close()
