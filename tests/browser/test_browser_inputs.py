"""The input boxes, the Example box and the link warnings in a real browser: a paste longer than a
box's cap is named beside the box (Streamlit drops it without a word), a paste at the cap reaches the
parser, a link with its own weights leaves the Example box empty, a long link is written with a warning.

    .venv/bin/python -m pytest -q tests/browser/test_browser_inputs.py

Screenshots go to test-output/screenshots/."""

from __future__ import annotations

import os
from urllib.parse import urlencode

import numpy as np
import pytest

from gruviz.classroom.presets import BY_KEY
from gruviz.io import share
from gruviz.limits import APP
from gruviz.math.weights import GRUWeights
from live_app import REPO, running_app
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SHOTS = REPO / "test-output" / "screenshots"
WAIT_MS = 60_000
CAP = APP.max_text_chars


@pytest.fixture(scope="module")
def app_url():
    # No TensorFlow: these tests look at the inputs, and its import would keep the page rerunning.
    before = os.environ.get("GRUVIZ_FAKE_TF_IMPORT")
    os.environ["GRUVIZ_FAKE_TF_IMPORT"] = "fail"
    try:
        with running_app("streamlit-browser-inputs.log") as url:
            yield url
    finally:
        if before is None:
            os.environ.pop("GRUVIZ_FAKE_TF_IMPORT")
        else:
            os.environ["GRUVIZ_FAKE_TF_IMPORT"] = before


@pytest.fixture
def open_page(browser, app_url, request):
    contexts = []

    def open_(query: str = "", width: int = 1280, height: int = 900):
        context = browser.new_context(viewport={"width": width, "height": height},
                                      permissions=["clipboard-read", "clipboard-write"])
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{app_url}/{query}")
        settle(page, "Keras rule")
        return page

    yield open_
    SHOTS.mkdir(parents=True, exist_ok=True)
    for i, context in enumerate(contexts):
        try:
            context.pages[0].screenshot(path=str(SHOTS / f"{request.node.name}-{i}.png"))
        finally:
            context.close()


def settle(page, *texts: str) -> None:
    app = page.get_by_test_id("stApp")
    for text in texts:
        expect(app).to_contain_text(text, timeout=WAIT_MS)
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=WAIT_MS)


def paste(page, box, text: str) -> None:
    """Select all in `box` and paste `text` with the keyboard, as a person does."""
    page.evaluate("text => navigator.clipboard.writeText(text)", text)
    box.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Control+V")


def test_a_paste_longer_than_the_box_is_named_beside_it(open_page):
    page = open_page()
    box = page.locator(".st-key-seq_text input")
    paste(page, box, "1, " * 400_000)  # 1.2 MB
    note = page.locator(".st-key-seq_text [role=alert]")
    expect(note).to_contain_text("1,200,000 characters long")
    expect(note).to_contain_text(f"at most {CAP:,}")
    expect(box).to_have_value("1, 2, 9, 8")  # nothing pasted: the text and the results still agree
    box.press("End")
    page.keyboard.type(", 7")
    expect(note).to_have_count(0)  # the next edit clears it
    # The pasted printout in the sidebar: the same.
    page.get_by_test_id("stSidebar").get_by_text("Enter by hand").click()
    settle(page)
    area = page.locator(".st-key-printout textarea")
    paste(page, area, "[" * (CAP + 1))
    expect(page.locator(".st-key-printout [role=alert]")).to_contain_text(f"{CAP + 1:,} characters long")
    expect(area).to_have_value("")


def test_a_paste_at_the_cap_reaches_the_parser(open_page):
    page = open_page()
    box = page.locator(".st-key-seq_text input")
    paste(page, box, ("1, " * CAP)[:CAP])  # 13,334 numbers, one feature each
    expect(page.locator(".st-key-seq_text [role=alert]")).to_have_count(0)
    box.press("Enter")
    settle(page, "the sequence has 13,334 timesteps")
    assert len(box.input_value()) == CAP


def test_a_link_with_its_own_weights_leaves_the_example_box_empty(open_page):
    preset = BY_KEY["two_units_linear"]
    kernel = preset.weights.kernel.copy()
    kernel[0, 0] += 0.5
    w = preset.weights
    edited = GRUWeights.create(w.config, kernel, w.recurrent_kernel, w.bias)
    page = open_page("?" + urlencode(share.encode(share.Shared(edited, preset.sequence))))
    sidebar = page.get_by_test_id("stSidebar")
    choice = sidebar.get_by_test_id("stSelectbox").filter(has_text="Example").get_by_role("combobox")
    expect(choice).to_have_attribute("placeholder", "Your own numbers")
    expect(choice).to_have_value("")
    expect(sidebar.get_by_role("button", name="Load example")).to_be_disabled()


def test_a_long_link_is_written_with_a_warning_above_the_outputs(open_page):
    sequence = ", ".join(f"{v:.17f}" for v in np.random.default_rng(2).uniform(-1, 1, 400))
    page = open_page("?" + urlencode(share.encode(share.Shared(BY_KEY["stack_exchange"].weights, sequence))))
    warning = page.get_by_test_id("stAlertContentWarning").filter(has_text="characters long")
    expect(warning).to_be_visible()
    # The Keras column's own rerun (TensorFlow's import fails here) redraws the page once more: the
    # layout is judged when it has come to rest, or after a minute.
    above = """() => {
      const warning = [...document.querySelectorAll('[data-testid=stAlertContentWarning]')]
        .find((e) => e.textContent.includes('characters long'));
      const output = document.querySelector('[data-testid=stMetric]');
      return !!warning && !!output && !document.querySelector('[data-stale="true"]')
        && warning.getBoundingClientRect().y < output.getBoundingClientRect().y;
    }"""
    try:
        page.wait_for_function(above, timeout=WAIT_MS)
    except Exception:
        pass  # the assertion below says where each was
    outputs = page.get_by_test_id("stMetric").first
    assert warning.bounding_box()["y"] < outputs.bounding_box()["y"]
