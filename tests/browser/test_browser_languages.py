"""The page in Spanish and Simplified Chinese, in chromium at a projector's 1280×720 and a
phone's 390×844: a `lang=` link opens it in that language with `<html lang>` to match, the
Language menu switches it and writes the link, nothing is cut off (Spanish runs about a quarter
longer than English), axe-core finds nothing serious, and an exercise's feedback names the
mistake in that language. The expected words are the catalogues' translations.
Screenshots: test-output/screenshots/lang-*.png."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po
from playwright.sync_api import expect

from axe import serious
from gruviz import text
from gruviz.classroom import exercises
from gruviz.explain.mistakes import detail_text
from live_app import REPO, handed_on, resized

pytestmark = pytest.mark.browser

SCREENSHOTS = REPO / "test-output" / "screenshots"
SIZES = {"1280x720": {"width": 1280, "height": 720}, "390x844": {"width": 390, "height": 844}}
WAIT_MS = 90_000
TITLE = "Stack Exchange: the math of a Keras GRU"
SEED = 7

# Every element whose text runs past its own box or past the window (a cut-off word), on screen;
# a screen reader's label clipped to nothing on purpose (the step bar's) is not on screen, and an
# element with no text has no word to cut (Streamlit's hover toolbar of a table, an icon, keeps
# the place it was given at the first size until it is next shown).
CUT_OFF = """() => {
  const width = window.innerWidth, found = [];
  const readerOnly = (e) => { for (let a = e; a; a = a.parentElement) {
    if (getComputedStyle(a).clipPath.startsWith('inset(50%')) return true; } return false; };
  for (const e of document.querySelectorAll('h1, h2, h3, p, label, button, [data-testid=stCaptionContainer], li')) {
    const r = e.getBoundingClientRect();
    if (!r.width || getComputedStyle(e).visibility === 'hidden' || !e.innerText.trim()) continue;
    if (e.closest('[data-testid=stSidebar][aria-expanded=false]') || readerOnly(e)) continue;
    const clipped = e.scrollWidth > e.clientWidth + 1 && ['hidden', 'clip'].includes(getComputedStyle(e).overflowX);
    if (clipped || r.right > width + 1) found.push(`${e.tagName} "${e.innerText.slice(0, 50)}"`);
  }
  return {found, page: document.documentElement.scrollWidth, width};
}"""


def translated(language: str, english: str, context: str | None = None) -> str:
    with open(REPO / "gruviz" / "locale" / text.FOLDERS[language] / "LC_MESSAGES" / "gruviz.po", "rb") as f:
        return read_po(f).get(english, context=context).string


def settled(page) -> None:
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning",
                                                           timeout=WAIT_MS)
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=WAIT_MS)  # places held for what is to come
    page.wait_for_timeout(300)


def opened(browser, url: str, size: str):
    context = browser.new_context(viewport=SIZES[size])
    page = context.new_page()
    page.goto(url, timeout=WAIT_MS)
    expect(page.locator("h1").first).to_be_visible(timeout=WAIT_MS)
    settled(page)
    return context, page


SPANISH_PRESENTER: dict[str, tuple] = {}  # size → (context, page) the link test left for the step-bar test
LINKED: dict[tuple, tuple] = {}  # (language, mode) → (context, page) the first size's link test left for the next size


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("language", ["es", "zh-Hans"])
@pytest.mark.parametrize("mode", ["", "&present=true"])
def test_a_lang_link_opens_the_page_in_that_language_whole(browser, app_url, language, size, mode):
    """Each link is opened once, at the first size, and resized for the next."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    if (language, mode) in LINKED:  # the Spanish presenter page then serves the step-bar test as it is
        context, page = LINKED.pop((language, mode))
        resized(page, SIZES[size])
        settled(page)
        later, key, keep = SPANISH_PRESENTER, size, language == "es" and bool(mode)
    else:
        context, page = opened(browser, f"{app_url}/?lang={language}{mode}", size)
        later, key, keep = LINKED, (language, mode), True
    with handed_on(context, page, later, key, keep):
        expect(page.locator("h1").first).to_have_text(translated(language, TITLE), timeout=WAIT_MS)
        page.wait_for_function(f"document.documentElement.lang === {language!r}", timeout=WAIT_MS)
        page.screenshot(path=str(SCREENSHOTS / f"lang-{language}{'-presenter' if mode else ''}-{size}.png"))
        measured = page.evaluate(CUT_OFF)
        assert measured["found"] == [] and measured["page"] <= measured["width"] + 1, measured
        assert serious(page) == []


def test_the_language_menu_switches_the_page_and_the_link(browser, app_url):
    context, page = opened(browser, f"{app_url}/", "1280x720")
    try:
        expect(page.locator("h1").first).to_have_text(TITLE)
        page.get_by_label("Language").click()
        page.get_by_role("option", name="Español").click()
        expect(page.locator("h1").first).to_have_text(translated("es", TITLE), timeout=WAIT_MS)
        page.wait_for_function("location.search.includes('lang=es')", timeout=WAIT_MS)
        page.wait_for_function("document.documentElement.lang === 'es'", timeout=WAIT_MS)
        page.reload()
        expect(page.locator("h1").first).to_have_text(translated("es", TITLE), timeout=WAIT_MS)
    finally:
        context.close()


@pytest.mark.parametrize("language", ["es", "zh-Hans"])
def test_an_exercise_on_a_phone_names_the_mistake_in_that_language(browser, app_url, language):
    ex = exercises.generate(SEED)
    flipped = next(r for r in ex.mistakes if r.mistakes[0].id == "update_rule_flipped")
    context, page = opened(browser, f"{app_url}/?exercise={SEED}&mode=student&lang={language}", "390x844")
    try:
        box = page.get_by_label("h1[1]")
        box.fill(ex.rounded(float(flipped.trace.h[0, 0])))
        box.press("Enter")
        wrong = translated(language, "✗ not right to {decimals} decimals.").format(decimals=ex.answer_decimals)
        expect(page.get_by_text(wrong, exact=False).first).to_be_visible(timeout=WAIT_MS)
        settled(page)
        try:  # the mistake's story in the catalogue's words for this language
            text.use(language)
            story = translated(language, "You get this number if you {mistake}.").format(
                mistake=detail_text(flipped.detail))
        finally:
            text.use("en")
        assert story != f"You get this number if you {flipped.detail}."
        expect(page.get_by_text(story, exact=False).first).to_be_attached(timeout=WAIT_MS)
        page.get_by_text(wrong, exact=False).first.scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / f"lang-{language}-exercise-390x844.png"))
        measured = page.evaluate(CUT_OFF)
        assert measured["found"] == [] and measured["page"] <= measured["width"] + 1, measured
    finally:
        context.close()


@pytest.mark.parametrize("size", list(SIZES))
def test_the_spanish_step_bar_names_home_and_end_as_a_spanish_keyboard_does(browser, app_url, size):
    """Streamlit prints a shortcut's key in English; the bar shows the catalogue's name for the
    key ("Inicio", "Fin"), the button is still named by its label alone, and the keys still work."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context, page = SPANISH_PRESENTER.pop(size, None) or opened(browser, f"{app_url}/?lang=es&present=true", size)
    try:
        bar = page.locator(".st-key-step_bar")
        for key in ("Home", "End"):  # a phone's copy of each button is there too, hidden
            badge = bar.get_by_text(translated("es", key, "keyboard key"), exact=True).filter(visible=True)
            expect(badge).to_have_count(1, timeout=WAIT_MS)
        bar.screenshot(path=str(SCREENSHOTS / f"lang-es-presenter-step-bar-{size}.png"))
        shown = bar.inner_text()
        assert not re.search(r"\b(Home|End)\b", shown), shown
        for label in ("First step", "Last step"):  # the badge is not read out as part of the name
            expect(page.get_by_role("button", name=translated("es", label), exact=True)).to_have_count(1)
        steps = translated("es", "Step {step} of {steps}")
        for key, step in (("End", 4), ("Home", 1)):
            page.keyboard.press(key)
            expect(page.get_by_text(steps.format(step=step, steps=4))).to_be_visible(timeout=WAIT_MS)
            settled(page)
        page.get_by_text(translated("es", "Reveal mode"), exact=True).click()  # its button's key: Space
        uncover = page.locator(".st-key-reveal_next")
        expect(uncover.get_by_text(translated("es", "Space", "keyboard key"), exact=True)).to_be_visible(timeout=WAIT_MS)
        assert "Space" not in uncover.inner_text()
    finally:
        context.close()
