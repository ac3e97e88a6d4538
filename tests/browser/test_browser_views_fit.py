"""Nothing cut off in the explainer's other views, under a real `streamlit run` in Debian's
chromium at 390×844, 1280×720 and 1440×900: the Backward view's equations (one relation per line
on a phone), the main page's headline with 4 units (every number, no "…"), and the Whole model
view's layer cards (every array and every name whole). Measured with bounding boxes and
scrollWidth ≤ clientWidth; each page is loaded once and resized for the other screens.
Screenshots go to test-output/screenshots/views-fit-*.png.

    .venv/bin/python -m pytest -q tests/browser/test_browser_views_fit.py
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlencode

import numpy as np
import pytest
from playwright.sync_api import expect

from conftest import random_weights
from gruviz import GRUConfig
from gruviz.io import share
from gruviz.limits import APP
from live_app import REPO, chromium, resized
from test_browser_phone_equations import OVERFLOWING

pytestmark = pytest.mark.browser

SCREENSHOTS = REPO / "test-output" / "screenshots"
SCREENS = {"390x844": {"width": 390, "height": 844}, "1280x720": {"width": 1280, "height": 720},
           "1440x900": {"width": 1440, "height": 900}}
WAIT_MS = 120_000

# Elements under `root` (a selector) that a person can see and that hide part of their text: wider
# than their box (scrollWidth > clientWidth, as an ellipsis or a scrolling block does) or reaching
# past the window's right edge.
CUT_OFF = """(root) => {
  const bad = [];
  for (const scope of document.querySelectorAll(root)) {
    for (const el of [scope, ...scope.querySelectorAll('*')]) {
      if (!el.offsetParent || el.closest('svg')) continue;  // not shown at this width
      const box = el.getBoundingClientRect();
      if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'visible'
          || box.right > window.innerWidth + 0.5 || box.left < -0.5)
        bad.push(`${el.tagName}.${String(el.className).slice(0, 30)} ${Math.round(box.left)}–${Math.round(box.right)} px,`
                 + ` ${el.scrollWidth} > ${el.clientWidth}: ${el.innerText.replace(/\\s+/g, ' ').slice(0, 50)}`);
    }
  }
  return bad;
}"""
LONG_NAME = "a_layer_whose_name_is_longer_than_a_phone_line_is_wide"


def four_units(**view) -> str:
    """A link to 4 units and 3 input features, reset before the matmul: the backward pass's
    longest rows (a 4-term sum inside the reset gate's gradient)."""
    w = random_weights(np.random.default_rng(3), GRUConfig(units=4, input_dim=3, reset_after=False))
    params = share.encode(share.Shared(w, "0.7572 -2.0342 -0.9145; 0.7096 1.1564 -2.158; 1 2 3", "-1.05 1.41 -0.02 0.3"))
    return "/?" + urlencode({**params, **view})


@pytest.fixture(scope="module")
def kept_pages():
    """path → (context, page): each page is loaded once, by the first screen's test, and the
    other screens' tests resize it, as a window resized or a phone turned."""
    pages: dict[str, tuple] = {}
    yield pages
    for context, _page in pages.values():
        context.close()


@pytest.fixture
def open_page(browser, app_url, kept_pages):
    def opened(path: str, screen: str):
        """The page at `path` in a `screen`-sized window, and whether it was loaded before."""
        if path in kept_pages:
            page = kept_pages[path][1]
            resized(page, SCREENS[screen])
            return page, True
        context = browser.new_context(viewport=SCREENS[screen])
        page = context.new_page()
        kept_pages[path] = (context, page)
        page.goto(app_url + path, timeout=WAIT_MS)
        return page, False

    return opened


def settled(page) -> None:
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning", timeout=WAIT_MS)
    page.wait_for_timeout(600)  # KaTeX and the fonts paint after the script ends


def shoot(page, name: str, screen: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"views-fit-{name}-{screen}.png"))


@pytest.mark.parametrize("screen", SCREENS)
def test_the_backward_equations_fit_the_screen(open_page, screen):
    page, _again = open_page(four_units(view="Backward"), screen)
    page.get_by_text("what step 3 passes back", exact=False).wait_for(timeout=WAIT_MS)
    settled(page)
    shown = page.locator(".katex-display:visible")
    expect(shown).to_have_count(9, timeout=WAIT_MS)  # the loss and the eight rules of step 3
    page.get_by_text("(3b←) reset gate", exact=False).scroll_into_view_if_needed()
    shoot(page, "backward", screen)
    assert page.evaluate(OVERFLOWING, None) == []


@pytest.mark.parametrize("screen", SCREENS)
def test_the_headline_shows_all_four_units(open_page, screen):
    page, _again = open_page(four_units(), screen)
    values = page.get_by_test_id("stMetricValue")
    expect(values.first).to_be_visible(timeout=WAIT_MS)
    settled(page)
    shoot(page, "headline", screen)
    for text in values.all_inner_texts()[:2]:  # the Keras rule and the Wikipedia rule
        assert "…" not in text and len(re.findall(r"-?\d\.\d{4}", text)) == 4, text
    assert page.evaluate(CUT_OFF, "[data-testid=stMetric]") == []


@pytest.fixture(scope="module")
def stacked_model(tmp_path_factory):
    """A Keras model with long layer names, GRUs of 6 and 5 units and a mask: wide arrays."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    keras = pytest.importorskip("keras")
    L = keras.layers
    keras.utils.set_random_seed(7)
    model = keras.Sequential([L.Input((None, 2)), L.Masking(0.0, name="masking_of_padded_timesteps"),
                              L.GRU(6, return_sequences=True, name=LONG_NAME),
                              L.GRU(5, return_sequences=True, name="second_gru_layer_returning_sequences"),
                              L.GRU(4, name="third_gru"), L.Dense(3, name="dense_head", activation="softmax")])
    path = tmp_path_factory.mktemp("model") / "stacked.keras"
    model.save(path)
    return path


@pytest.mark.parametrize("screen", SCREENS)
def test_the_whole_models_cards_show_every_array_and_name(open_page, stacked_model, screen):
    page, again = open_page("/?view=Whole+model", screen)
    if not again:  # the model and its sequence, once: the other screens see the same page resized
        uploader = page.get_by_test_id("stFileUploader").filter(has_text="A Keras model")
        uploader.locator("input[type=file]").set_input_files(str(stacked_model), timeout=WAIT_MS)
        box = page.get_by_label(re.compile(r"^Input sequence \("))
        expect(box).to_be_visible(timeout=WAIT_MS)
        box.fill("1 2; " * (APP.max_text_chars // 5 + 1))  # Streamlit refuses an edit past max_chars
        assert len(box.input_value()) <= APP.max_text_chars
        box.fill("1 2; 3 4; 0 0; -1 0.5")
        box.press("Enter")
    cards = page.locator(".st-key-whole_model_layers")
    expect(cards).to_contain_text("dense_head", timeout=WAIT_MS)
    settled(page)
    cards.scroll_into_view_if_needed()
    shoot(page, "whole-model", screen)
    text = cards.inner_text()
    for name in (LONG_NAME, "masking_of_padded_timesteps", "second_gru_layer_returning_sequences", "third_gru"):
        assert name in text.replace("\n", "")
    assert page.evaluate(CUT_OFF, ".st-key-whole_model_layers") == []
    assert "GRU → (4, 6)" in text  # the layer's kind, not the reader's class name
