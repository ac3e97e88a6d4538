"""axe-core (WCAG 2.0/2.1 A and AA) over every view of the main page (the three with charts in
test_browser_charts.py), presenter mode with reveal, the exercise pages (student, teacher) and
the phone: no serious or critical violation but the ones a bare Streamlit app shows too (listed
with their reasons in tests/axe.py).

    .venv/bin/python -m pytest -q tests/browser/test_browser_axe_views.py
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from axe import serious

pytestmark = pytest.mark.browser

WAIT_MS = 90_000
# Gates over time, Backward and GRU vs LSTM are judged in test_browser_charts.py, on the pages its
# chart tests opened.
VIEWS = ("One step under the magnifier", "Check my calculation", "Weight layout", "Frameworks", "Whole model",
         "Train")


def checked(browser, url: str, size=(1280, 720)) -> list[str]:
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    try:
        page = context.new_page()
        page.goto(url, timeout=WAIT_MS)
        expect(page.locator("[data-test-script-state='notRunning']")).to_be_attached(timeout=WAIT_MS)
        expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=WAIT_MS)
        return serious(page)
    finally:
        context.close()


@pytest.mark.parametrize("view", VIEWS)
def test_every_view_of_the_main_page(browser, app_url, view):
    assert checked(browser, f"{app_url}/?view={view.replace(' ', '+')}") == []


@pytest.mark.parametrize("query, size", [("?present=true&reveal=true", (1280, 720)), ("?present=true", (390, 844)),
                                         ("", (390, 844)), ("?exercise=7&mode=student", (390, 844)),
                                         ("?exercise=7&mode=student", (1280, 720))])
def test_presenter_exercise_and_phone(browser, app_url, query, size):
    assert checked(browser, f"{app_url}/{query}", size) == []


def test_the_exercise_teacher_page(browser, app_url):
    from gruviz.classroom import room
    from gruviz.store import Store

    key = room.exercise_key(Store(), "exercise=7")
    assert checked(browser, f"{app_url}/?exercise=7&mode=teacher&key={key}") == []
