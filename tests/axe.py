"""Accessibility checks with axe-core (npm, pinned in package.json; `make test` runs `npm ci`):
inject node_modules/axe-core/axe.min.js into a Playwright page and run the WCAG 2.0/2.1 A and
AA rules on the whole document.

    from axe import serious
    assert serious(page) == []
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BAD = ("serious", "critical")

# Violations in Streamlit's own widgets that a bare Streamlit 1.67 app (st.title, a form,
# st.segmented_control, a long st.latex) shows as well, with its default theme and with
# gruviz's: (axe rule, CSS selector the element or an ancestor matches) → why.
STREAMLIT_OWN: dict[tuple[str, str], str] = {
    ("color-contrast", '[data-testid="stSliderThumbValue"][disabled]'):
        "the value of a disabled st.slider (Follow me locks a student's step slider) is #a3a8b8 in a "
        "bare app too; WCAG 1.4.3 exempts an inactive control, but axe does not see the label as part of it",
    ("color-contrast", '[data-testid="stSlider"]:has([data-testid="stSliderThumbValue"][disabled]) '
                       '[data-testid="stSliderTickBar"]'):
        "the first and last values under the same disabled st.slider: 40% of the text colour in a bare app too "
        "(#a4a5a7 with gruviz's theme); text of an inactive control, which WCAG 1.4.3 exempts",
}


def run(page) -> list[dict]:
    """Every violation axe finds on the page now: dicts with id, impact, help and nodes."""
    import pytest

    if not AXE.exists():
        pytest.fail(f"{AXE.relative_to(REPO)} is missing: run `make test` (it runs npm ci).")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    _let_the_page_finish(page)
    with _all_in_view(page):
        return page.evaluate("tags => axe.run(document, {runOnly: tags}).then(r => r.violations)", TAGS)


# Streamlit scrolls the main column and the sidebar inside the window, and axe judges the contrast
# of text in view only: at 1280×720 it saw the first screen of a view and nothing below it. The
# window is made as tall as the taller of the two for the check (its width, which the layout
# follows, is kept), then given back its size.
_SCROLLED_HEIGHT = """() => Math.max(window.innerHeight, ...[...document.querySelectorAll(
  '[data-testid="stMain"], [data-testid="stSidebarContent"]')].map((box) => box.scrollHeight))"""


@contextmanager
def _all_in_view(page):
    size = page.viewport_size
    height = page.evaluate(_SCROLLED_HEIGHT)
    if not size or height <= size["height"]:
        yield
        return
    page.set_viewport_size({"width": size["width"], "height": height})
    try:
        page.wait_for_timeout(200)  # the resize reaches Streamlit's observers first
        _let_the_page_finish(page)
        yield
    finally:
        page.set_viewport_size(size)


# The page's own script makes a box that scrolls sideways reachable by keyboard, one animation
# frame after the box changes (a font arriving late widens KaTeX); and while a run is under way,
# Streamlit fades the elements it is about to replace and holds places for those still to come.
# On a busy machine these can outlast a test's last wait: give them a few seconds, then let axe
# judge what is there.
_PAGE_AT_REST = """() => !!document.querySelector('[data-test-script-state="notRunning"]')
  && !document.querySelector('[data-stale="true"], [data-testid="stSkeleton"]')
  && [...document.querySelectorAll('.katex-display, [data-testid="stCode"] pre')]
  .every((box) => box.scrollWidth <= box.clientWidth + 2.5 || box.getAttribute('tabindex') === '0')"""


def _let_the_page_finish(page) -> None:
    try:
        page.wait_for_function(_PAGE_AT_REST, timeout=5_000)
    except Exception:  # a real miss: axe reports it below
        pass


def _streamlit_own(page, rule: str, target: list) -> bool:
    if len(target) != 1:  # inside an iframe or a shadow root: not Streamlit's page itself
        return False
    return any(rule == known_rule and page.evaluate("([t, s]) => !!document.querySelector(t)?.closest(s)",
                                                    [target[0], selector])
               for known_rule, selector in STREAMLIT_OWN)


def serious(page) -> list[str]:
    """The serious and critical violations on the page, one line per element, Streamlit's own
    listed above left out."""
    found = []
    for violation in run(page):
        if violation["impact"] not in BAD:
            continue
        for node in violation["nodes"]:
            if not _streamlit_own(page, violation["id"], node["target"]):
                target = " ".join(str(t) for t in node["target"])
                why = " ".join(check["message"] for check in node["any"][:1])
                found.append(f"{violation['impact']} {violation['id']}: {violation['help']} at {target}: "
                             f"{node['html'][:160]} ({why})")
    return found
