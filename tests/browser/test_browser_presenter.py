"""Presenter mode, the lesson link and the page's fit, as a person sees them: the real
app under `streamlit run`, driven in Debian's chromium at a projector's 1280×720 and a
phone's 390×844. Screenshots of every test go to test-output/screenshots/."""

from __future__ import annotations


import pytest

from live_app import REPO, chromium, handed_on, resized
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SCREENSHOTS = REPO / "test-output" / "screenshots"
PROJECTOR = {"width": 1280, "height": 720}
PHONE = {"width": 390, "height": 844}
WAIT_MS = 60_000


def open_page(browser, url: str, viewport: dict, ready: str = ".katex:visible"):
    """A fresh browser (no shared state) on `url`, once `ready` shows and the run ends."""
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.goto(url)
    page.locator(ready).first.wait_for(timeout=WAIT_MS)
    settled(page)
    return context, page


def settled(page) -> None:
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning",
                                                           timeout=WAIT_MS)
    page.wait_for_timeout(300)  # KaTeX and Plotly paint after the script ends


AT_REST = """() => !!document.querySelector('[data-test-script-state="notRunning"]')
  && !document.querySelector('[data-stale="true"], [data-testid="stSkeleton"]')"""


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def heading(page) -> str:
    return page.get_by_text("Step ", exact=False).filter(has_text=" of ").first.inner_text()


# Anything a person reads that is wider than its box and does not scroll is cut off.
CLIPPED = """() => {
  const bad = [];
  const sel = '.katex-display, [data-testid="stMetricValue"], [data-testid="stMetricLabel"], ' +
              '[data-testid="stMarkdownContainer"] p, [data-testid="stCaptionContainer"], button';
  for (const el of document.querySelectorAll(sel)) {
    if (!el.offsetParent) continue;
    const style = getComputedStyle(el);
    const scrolls = ['auto', 'scroll'].includes(style.overflowX);
    let inScroller = false;
    for (let p = el.parentElement; p; p = p.parentElement) {
      if (['auto', 'scroll'].includes(getComputedStyle(p).overflowX) && p.scrollWidth > p.clientWidth) { inScroller = true; break; }
    }
    if (el.scrollWidth > el.clientWidth + 1 && !scrolls && !inScroller) bad.push(el.className + ': ' + el.innerText.slice(0, 60));
  }
  if (document.documentElement.scrollWidth > window.innerWidth + 1) bad.push('page wider than the window');
  return bad;
}"""


def test_presenter_fits_a_projector_and_steps_by_keyboard(browser, app_url):
    context, page = open_page(browser, app_url + "/?present=true", PROJECTOR)
    try:
        expect(page.get_by_text("Step 1 of 4")).to_be_visible(timeout=WAIT_MS)
        block = page.locator(".st-key-presenter_equations .katex-display")
        expect(block).to_have_count(1)
        # All four equations on one projector screen, no scrolling, once the page has come to rest: on a
        # loaded machine the first measure can land while a rerun still redraws what sits above them.
        fits = ("() => { const b = document.querySelector('.st-key-presenter_equations .katex-display')"
                f".getBoundingClientRect(); return b.top >= 0 && b.bottom <= {PROJECTOR['height']}; }}")
        try:
            page.wait_for_function(AT_REST, timeout=15_000)
            page.wait_for_function(fits, timeout=15_000)
        except Exception as error:
            shoot(page, "presenter_does_not_fit")
            raise AssertionError(f"the equations do not fit 1280×720: {block.bounding_box()}") from error
        assert page.locator("section[data-testid=stSidebar]").is_hidden()
        shoot(page, "presenter_1280x720_step1")
        for key, expected in (("ArrowRight", "Step 2 of 4"), ("End", "Step 4 of 4"), ("ArrowLeft", "Step 3 of 4"),
                              ("Home", "Step 1 of 4")):
            page.keyboard.press(key)
            expect(page.get_by_text(expected)).to_be_visible(timeout=WAIT_MS)
            settled(page)
        assert page.evaluate(CLIPPED) == []
    finally:
        context.close()


def test_reveal_mode_uncovers_one_number_group_at_a_time(browser, app_url):
    context, page = open_page(browser, app_url + "/?present=true&step=2&reveal=true", PROJECTOR)
    try:
        boxes = page.locator(".st-key-presenter_equations .katex .fbox")
        counts = [boxes.count()]
        for _ in range(5):
            expect(page.locator(".st-key-reveal_next button")).to_be_enabled(timeout=WAIT_MS)
            page.keyboard.press(" ")
            try:
                page.wait_for_function(f"document.querySelectorAll('.st-key-presenter_equations .katex .fbox')"
                                       f".length < {counts[-1]}", timeout=WAIT_MS)
            except Exception as error:
                shoot(page, "presenter_reveal_stuck")
                raise AssertionError(f"Space uncovered nothing after {counts}; focus on "
                                     f"{page.evaluate('document.activeElement.outerHTML.slice(0, 120)')}") from error
            settled(page)
            counts.append(boxes.count())
        shoot(page, "presenter_reveal_done")
        assert counts[0] > 0 and counts[-1] == 0
        assert all(a > b for a, b in zip(counts, counts[1:])), counts
        expect(page.get_by_text("All numbers of this step are shown")).to_be_visible(timeout=WAIT_MS)
    finally:
        context.close()


def test_a_link_restores_step_tab_and_mode_in_a_fresh_browser(browser, app_url):
    context, page = open_page(browser, app_url, PROJECTOR)
    try:
        page.get_by_role("radio", name="Gates over time").click()
        settled(page)
        for _ in range(2):
            page.locator(".st-key-step_next button").first.click()
            settled(page)
        page.wait_for_function("location.search.includes('step=3')", timeout=WAIT_MS)
        link = page.url
    finally:
        context.close()
    fresh, again = open_page(browser, link, PROJECTOR, ready=".st-key-view_body")
    try:
        expect(again.get_by_role("radio", name="Gates over time")).to_have_attribute("aria-checked", "true",
                                                                                     timeout=WAIT_MS)
        expect(again.get_by_text("3 of 4").first).to_be_visible(timeout=WAIT_MS)
        shoot(again, "link_round_trip_1280x720")
    finally:
        fresh.close()
    presenting, page = open_page(browser, link + "&present=true", PROJECTOR)
    try:
        expect(page.get_by_text("Step 3 of 4")).to_be_visible(timeout=WAIT_MS)
    finally:
        presenting.close()


@pytest.fixture(scope="module")
def kept_pages():
    """query → (context, page): each page is loaded once, at the first size, and resized for the
    other, as a window resized or a phone turned."""
    pages: dict[str, tuple] = {}
    yield pages
    for context, _page in pages.values():
        context.close()


@pytest.mark.parametrize("viewport", [PROJECTOR, PHONE], ids=["1280x720", "390x844"])
@pytest.mark.parametrize("query", ["", "?present=true", "?present=true&unit=all"], ids=["page", "presenter", "all_units"])
def test_nothing_is_cut_off(browser, app_url, viewport, query, kept_pages):
    second = query in kept_pages  # the second size: the page is not kept after this test
    if second:
        context, page = kept_pages.pop(query)
        resized(page, viewport)
        settled(page)
    else:
        context, page = open_page(browser, app_url + "/" + query, viewport)
    with handed_on(context, page, kept_pages, query, not second):
        shoot(page, f"fit_{viewport['width']}x{viewport['height']}_{query.strip('?').replace('&', '_') or 'page'}")
        assert page.evaluate(CLIPPED) == []
