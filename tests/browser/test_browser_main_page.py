"""End to end: the real app under `streamlit run`, driven in Debian's chromium.

    .venv/bin/python -m pytest -q tests/browser/test_browser_main_page.py        (or: -m browser)

Every wait is on Streamlit's own signals (the expected text appearing, then
data-test-script-state=notRunning), never a fixed sleep. Screenshots of every test,
pass or fail, go to test-output/screenshots/.
"""

from __future__ import annotations

import os
import re

import numpy as np
import pytest

from conftest import SEED_KERNEL, SEED_RECURRENT
from live_app import REPO, VIEWPORT, chromium
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SCREENSHOTS = REPO / "test-output" / "screenshots"
RERUN_MS = 30_000  # a rerun with gruviz alone takes well under a second
KERAS_MS = 90_000  # the first view waits for TensorFlow to import in the background

SEED_OUTPUT = "-0.462795"  # spec §5: Keras 3 gives -0.46279544
SEED_BAHDANAU = "-0.024000"  # spec §5: the Bahdanau (Wikipedia) rule gives -0.02399954


# --- the app and the browser ----------------------------------------------------------------

@pytest.fixture
def page(browser, app_url, request):
    """A fresh session per test, loaded and settled; a full-page screenshot at the end."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(app_url)
    yield page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)
    finally:
        context.close()


# --- helpers --------------------------------------------------------------------------------

def settle(page, *texts: str, timeout: int = RERUN_MS) -> None:
    """Wait for each expected text to appear, then for the script run to finish.

    Right after an interaction the app may still say notRunning for a few ms before it
    switches to running, so the expected text comes first."""
    main = page.get_by_test_id("stApp")
    for text in texts:
        expect(main).to_contain_text(text, timeout=timeout)
    expect(main).to_have_attribute("data-test-script-state", "notRunning", timeout=timeout)


def metric(page, label: str):
    return page.get_by_test_id("stMetric").filter(has_text=label)


def metric_value(page, label: str):
    return metric(page, label).get_by_test_id("stMetricValue")


def vector_of(units: int) -> re.Pattern:
    """A headline vector of this many numbers, whatever its decimals."""
    return re.compile(r"^\[" + ", ".join([r"-?\d+\.\d+"] * units) + r"\]$")


def keras_column(page):
    return page.get_by_test_id("stColumn").filter(has=metric(page, "keras.layers.GRU"))


def expect_keras_match(page, timeout: int = KERAS_MS) -> None:
    """The Keras column shows a match badge and the same numbers as gruviz's Keras rule."""
    column = keras_column(page)
    expect(column).to_contain_text("match · largest difference", timeout=timeout)
    expect(column).not_to_contain_text("mismatch")
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning",
                                                           timeout=timeout)
    ours = metric_value(page, "Keras rule").inner_text().strip()
    expect(metric_value(page, "keras.layers.GRU")).to_have_text(ours)


def first_load(page) -> None:
    settle(page, SEED_OUTPUT, timeout=KERAS_MS)
    expect_keras_match(page)


def type_sequence(page, text: str) -> None:
    box = page.get_by_role("textbox", name="Input sequence")
    box.fill(text)
    box.press("Enter")


def sidebar(page):
    return page.get_by_test_id("stSidebar")


def choose_source(page, source: str) -> None:
    sidebar(page).get_by_test_id("stRadio").get_by_text(source, exact=True).click()


def no_traceback(page) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)
    assert "Traceback" not in page.get_by_test_id("stApp").inner_text()


@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import keras

    return keras


# --- the tests ------------------------------------------------------------------------------

def test_default_preset_shows_the_seed_example(page):
    first_load(page)
    expect(metric_value(page, "Keras rule")).to_have_text(f"[{SEED_OUTPUT}]")
    expect(metric_value(page, "Wikipedia rule")).to_have_text(f"[{SEED_BAHDANAU}]")
    expect(metric_value(page, "keras.layers.GRU")).to_have_text(f"[{SEED_OUTPUT}]")
    expect(page.get_by_test_id("stMain")).to_contain_text("4 timesteps × 1 feature")
    expect(page.get_by_test_id("stMain")).to_contain_text("-0.7069")  # the asker's hand result
    no_traceback(page)


def test_another_preset(page):
    first_load(page)
    box = sidebar(page).get_by_test_id("stSelectbox").filter(has_text="Example")
    box.click()
    page.get_by_role("option", name="units=2 with linear activation").click()
    sidebar(page).get_by_role("button", name="Load example").click()
    settle(page, "3 timesteps × 1 feature")
    expect(metric_value(page, "Keras rule")).not_to_have_text(f"[{SEED_OUTPUT}]")
    expect(metric_value(page, "Keras rule")).to_have_text(vector_of(2))
    expect_keras_match(page)
    no_traceback(page)


def test_typed_sequence(page, keras):
    first_load(page)
    layer = keras.layers.GRU(1)
    layer.build((None, 3, 1))
    layer.set_weights([np.array(SEED_KERNEL, "float32"), np.array(SEED_RECURRENT, "float32"),
                       np.zeros((2, 3), "float32")])
    expected = float(np.asarray(layer(np.array([[[1.0], [2.0], [9.0]]], "float32")))[0, 0])

    type_sequence(page, "1, 2, 9")
    settle(page, "3 timesteps × 1 feature")
    expect(metric_value(page, "Keras rule")).to_have_text(f"[{expected:.6f}]")
    expect(metric_value(page, "Keras rule")).not_to_have_text(f"[{SEED_OUTPUT}]")
    expect_keras_match(page)
    no_traceback(page)


def test_step_slider_moves_the_magnifier(page):
    first_load(page)
    tab = page.locator(".st-key-view_body")
    page.get_by_role("radio", name="One step under the magnifier").click()
    tex = tab.locator(".katex annotation")
    expect(tab).to_contain_text("x₁ =")
    expect(tex.first).to_contain_text("z_{1}")

    page.get_by_test_id("stSlider").get_by_role("slider", name="Step").focus()  # an input[type=range]
    page.keyboard.press("ArrowRight")
    settle(page, "x₂ =")
    expect(tab.get_by_test_id("stMarkdown").filter(has_text="x₂ =")).to_contain_text("h₁ =")
    expect(tex.first).to_contain_text("z_{2}")
    expect(tex.first).not_to_contain_text("z_{1}")
    expect(tab.locator(".katex").first).to_be_visible()  # KaTeX rendered, not raw TeX
    no_traceback(page)


def test_upload_a_keras_file(page, keras, tmp_path):
    first_load(page)
    model = keras.Sequential([keras.Input((4, 2)), keras.layers.GRU(3)])
    path = tmp_path / "m.keras"
    model.save(path)

    choose_source(page, "Upload a Keras file")
    uploader = sidebar(page).get_by_test_id("stFileUploader")
    expect(uploader).to_be_visible()
    uploader.locator("input[type=file]").set_input_files(str(path))
    settle(page, "× 2 features", "Using layer")
    expect(sidebar(page)).to_contain_text("m.keras")
    expect(metric_value(page, "Keras rule")).to_have_text(vector_of(3))
    expect_keras_match(page)
    no_traceback(page)


def test_bad_input_keeps_the_last_good_outputs(page, tmp_path):
    first_load(page)
    type_sequence(page, "1, two, 9")
    settle(page, "'two' is not a number")
    expect(page.get_by_test_id("stMain").get_by_test_id("stAlert")
           .filter(has_text="'two' is not a number")).to_be_visible()
    expect(metric_value(page, "Keras rule")).to_have_text(f"[{SEED_OUTPUT}]")
    expect(metric_value(page, "keras.layers.GRU")).to_have_text(f"[{SEED_OUTPUT}]")
    no_traceback(page)

    bad = tmp_path / "bad.keras"
    bad.write_bytes(np.random.default_rng(0).bytes(4096))
    choose_source(page, "Upload a Keras file")
    sidebar(page).get_by_test_id("stFileUploader").locator("input[type=file]").set_input_files(str(bad))
    settle(page, "not a .keras file")
    alert = sidebar(page).get_by_test_id("stAlert").filter(has_text="not a .keras file")
    expect(alert).to_be_visible()
    expect(metric_value(page, "Keras rule")).to_have_text(f"[{SEED_OUTPUT}]")  # weights unchanged
    no_traceback(page)
