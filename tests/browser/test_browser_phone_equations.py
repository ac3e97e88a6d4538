"""Equations fit a phone (390 × 844): on the main page ("One step under the magnifier"), in
presenter mode and in a student's hint, every KaTeX display lies inside the screen and
scrolls no part of itself sideways: a long equation is written one relation per line. At
1280 × 720 the rows stay whole. Screenshots go to test-output/screenshots/phone-*.png.

    .venv/bin/python -m pytest -q tests/browser/test_browser_phone_equations.py
"""

from __future__ import annotations

from urllib.parse import urlencode

import numpy as np
import pytest
from playwright.sync_api import expect

from conftest import random_weights
from gruviz import GRUConfig
from gruviz.classroom import exercises, grading, lesson, room
from gruviz.io import share
from gruviz.store import Store
from live_app import REPO, handed_on, resized

pytestmark = pytest.mark.browser

SCREENSHOTS = REPO / "test-output" / "screenshots"
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 720}
WAIT_MS = 60_000
SEED = 7  # the exercise of tests/test_browser_exercise.py

# Every KaTeX display a person can see (after `after`, an element, if given) that sticks out of
# the window or scrolls sideways. KaTeX ends each aligned block with a 2-px empty span for Safari
# (.vlist-s, beside a -2px margin), so a display that fits still reports a 2-px scrollWidth:
# that much is no cut-off text.
OVERFLOWING = """(after) => {
  const bad = [];
  for (const el of document.querySelectorAll('.katex-display')) {
    if (!el.offsetParent) continue;  // not shown at this width
    if (after && !(after.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING)) continue;
    const box = el.getBoundingClientRect(), tex = el.querySelector('.katex-html').getBoundingClientRect();
    if (tex.left < -0.5 || tex.right > window.innerWidth + 0.5 || box.right > window.innerWidth + 0.5
        || el.scrollWidth > el.clientWidth + 2.5)
      bad.push(`${Math.round(tex.left)}–${Math.round(tex.right)} px, scrolls ${el.scrollWidth - el.clientWidth} px: `
               + el.innerText.replace(/\\s+/g, ' ').slice(0, 60));
  }
  return bad;
}"""
SHOWN = "() => [...document.querySelectorAll('.katex-display')].filter(e => e.offsetParent).length"
SHOWN_AFTER = """(after) => [...document.querySelectorAll('.katex-display')]
  .filter(e => e.offsetParent && (after.compareDocumentPosition(e) & Node.DOCUMENT_POSITION_FOLLOWING)).length"""


def wide_example(**view) -> str:
    """A link to 3 units and 3 input features, reset before the matmul: long sums and a vector."""
    w = random_weights(np.random.default_rng(3), GRUConfig(units=3, input_dim=3, reset_after=False))
    params = share.encode(share.Shared(w, "0.7572 -2.0342 -0.9145; 0.7096 1.1564 -2.158; 1 2 3", "-1.05 1.41 -0.02"))
    return "/?" + urlencode({**params, **view})


@pytest.fixture
def open_page(browser, app_url):
    contexts = []

    def opened(path: str, viewport: dict):
        context = browser.new_context(viewport=viewport)
        contexts.append(context)
        page = context.new_page()
        page.goto(app_url + path, timeout=WAIT_MS)
        page.locator(".katex-display:visible").first.wait_for(timeout=WAIT_MS)
        settled(page)
        return page

    yield opened
    for context in contexts:
        context.close()


def settled(page) -> None:
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning", timeout=WAIT_MS)
    page.wait_for_timeout(400)  # KaTeX paints after the script ends


def shoot(page, name: str, viewport: dict) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"phone-{name}-{viewport['width']}x{viewport['height']}.png"))


@pytest.mark.parametrize("path", ["/", wide_example(step="2", unit="2")], ids=["preset", "3_units_3_features"])
def test_the_magnifier_fits_a_phone(open_page, path):
    page = open_page(path, PHONE)
    assert page.evaluate(SHOWN) >= 5  # (1)–(4), both update rules
    page.locator(".katex-display:visible").first.scroll_into_view_if_needed()
    shoot(page, "magnifier" if path == "/" else "magnifier-3-units", PHONE)
    assert page.evaluate(OVERFLOWING) == []


@pytest.mark.parametrize("path", ["/?present=true", wide_example(present="true", step="2", unit="1"),
                                  wide_example(present="true")],
                         ids=["preset", "3_units_3_features", "all_units"])
def test_the_presenter_fits_a_phone(open_page, path):
    page = open_page(path, PHONE)
    if path.endswith("present=true") and path != "/?present=true":  # the step's vectors, unit by unit
        page.get_by_text("all units", exact=True).click()
        expect(page.locator(".st-key-presenter_equations_narrow")).to_contain_text("unit 3", timeout=WAIT_MS)
        settled(page)
        page.locator(".st-key-presenter_equations_narrow").scroll_into_view_if_needed()
        shoot(page, "presenter-all-units", PHONE)
    expect(page.locator(".st-key-presenter_equations_narrow .katex-display")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator(".st-key-presenter_equations .katex-display")).to_be_hidden(timeout=WAIT_MS)
    if path == "/?present=true":
        page.locator(".st-key-presenter_equations_narrow").scroll_into_view_if_needed()
        shoot(page, "presenter", PHONE)
    assert page.evaluate(OVERFLOWING) == []


def type_a_wrong_h(page) -> None:
    """The Wikipedia rule's h of step 1, unit 1: wrong, and explained, so a hint follows."""
    ex = exercises.generate(SEED)
    flipped = next(r for r in ex.mistakes if r.mistakes[0].id == "update_rule_flipped")
    box = page.get_by_label(grading.name((0, "h", 0)))
    box.fill(ex.rounded(float(flipped.trace.h[0, 0])))
    box.press("Enter")
    expect(page.get_by_text("Hint", exact=False).first).to_be_visible(timeout=WAIT_MS)
    settled(page)


HINTED: dict[str, tuple] = {}  # the (context, page) the phone's test left, its hint shown, for the laptop's test


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["390x844", "1280x720"])
def test_a_hint_fits_the_screen(browser, app_url, viewport):
    """The laptop's test looks at the phone's page in a laptop's window, as a turned tablet would
    show it (run alone, it opens its own and types the wrong number)."""
    fresh = "hint" not in HINTED
    if not fresh:
        context, page = HINTED.pop("hint")
        resized(page, viewport)
        settled(page)
    else:
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
    with handed_on(context, page, HINTED, "hint", viewport is PHONE):
        if fresh:
            page.goto(f"{app_url}/?exercise={SEED}&mode=student", timeout=WAIT_MS)
            expect(page.get_by_label(grading.name((0, "h", 0)))).to_be_visible(timeout=WAIT_MS)
            settled(page)
            type_a_wrong_h(page)
        hint = page.get_by_text("Hint", exact=False).first
        hint.scroll_into_view_if_needed()
        page.mouse.wheel(0, 120)
        page.wait_for_timeout(300)
        shoot(page, "exercise-hint", viewport)
        caption = hint.element_handle()
        assert page.evaluate(SHOWN_AFTER, caption) >= 1  # the hint's equation
        assert page.evaluate(OVERFLOWING, caption) == []


def test_a_wide_screen_keeps_the_presenters_whole_rows(open_page):
    page = open_page("/", LAPTOP)
    page.locator(".katex-display:visible").first.scroll_into_view_if_needed()
    shoot(page, "magnifier", LAPTOP)
    assert page.evaluate(OVERFLOWING) == []
    page = open_page("/?present=true", LAPTOP)
    block = page.locator(".st-key-presenter_equations .katex-display")
    expect(block).to_be_visible()
    expect(page.locator(".st-key-presenter_equations_narrow")).to_be_hidden()
    box = block.bounding_box()
    assert box["y"] + box["height"] <= LAPTOP["height"], box  # all four equations, no scrolling
    shoot(page, "presenter", LAPTOP)
    assert page.evaluate(OVERFLOWING) == []


def test_a_students_lesson_fits_a_phone(open_page):
    """The lesson inside a class page: its frame must not take the width the broken lines need."""
    store = Store()
    created = room.create(store, room.DEFAULT_SEED, False, lesson.preset_query("stack_exchange"))
    token, _student = room.join(store, created.info, "Eve")
    page = open_page(f"/?class={created.code}&student={token}", PHONE)
    expect(page.get_by_text("You are Eve.")).to_be_visible(timeout=WAIT_MS)
    page.locator(".st-key-presenter_equations_narrow").scroll_into_view_if_needed()
    shoot(page, "class-lesson", PHONE)
    assert page.evaluate(SHOWN) >= 4
    assert page.evaluate(OVERFLOWING) == []
