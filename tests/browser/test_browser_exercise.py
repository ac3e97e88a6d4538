"""The student's practice flow in a real browser on a phone-sized screen (390 × 844):
type numbers, get feedback, reveal one answer. No answer reaches the browser (page source
or web-socket frames) before it is asked for. Screenshots go to test-output/screenshots/.

    .venv/bin/python -m pytest -q tests/browser/test_browser_exercise.py
"""

from __future__ import annotations

import functools

import pytest

from gruviz.classroom import exercises, room, sheet
from gruviz.store import Store
from live_app import REPO, resized
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SCREENSHOTS = REPO / "test-output" / "screenshots"
SEED = 7
WAIT_MS = 60_000


def answers(ex: exercises.Exercise) -> set[str]:
    k = ex.answer_decimals
    return {f"{getattr(ex.truth, q)[t, j]:.{k}f}" for t, q, j in ex.cells()}


def settled(page) -> None:
    expect(page.locator("[data-test-script-state='notRunning']")).to_be_attached(timeout=WAIT_MS)


def leaks(frames: list, page, secret: set[str]) -> list[str]:
    seen = page.content()
    blob = b"".join(f if isinstance(f, bytes) else f.encode() for f in frames)
    return sorted(a for a in secret if a in seen or a.encode() in blob)


def test_student_flow_on_a_phone(browser, app_url):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    ex = exercises.generate(SEED)
    flipped = next(r for r in ex.mistakes if r.mistakes[0].id == "update_rule_flipped")
    truth_h = ex.rounded(ex.answer(0, "h", 0))
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True, reuse=False)  # it listens to the socket
    page = context.new_page()
    frames: list = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(payload)))
    try:
        page.goto(f"{app_url}/?exercise={SEED}&mode=student", timeout=WAIT_MS)
        expect(page.get_by_text(f"0 of {len(ex.cells())} right")).to_be_visible(timeout=WAIT_MS)
        settled(page)
        # Nothing wider than the phone: no sideways scrolling.
        assert page.evaluate("document.documentElement.scrollWidth") <= 391
        page.screenshot(path=str(SCREENSHOTS / "exercise-student-390x844-start.png"))

        z_box = page.get_by_label("z1[1]")
        z_box.fill(ex.rounded(ex.answer(0, "z", 0)))
        z_box.press("Enter")
        expect(page.get_by_text(f"1 of {len(ex.cells())} right")).to_be_visible(timeout=WAIT_MS)
        h_box = page.get_by_label("h1[1]")
        h_box.fill(ex.rounded(float(flipped.trace.h[0, 0])))
        h_box.press("Enter")
        expect(page.get_by_text(f"not right to {ex.answer_decimals} decimals").first).to_be_visible(timeout=WAIT_MS)
        expect(page.get_by_text(flipped.detail, exact=False).first).to_be_attached(timeout=WAIT_MS)
        settled(page)
        page.get_by_text(f"not right to {ex.answer_decimals} decimals").first.scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / "exercise-student-390x844-feedback.png"))
        typed = {ex.rounded(ex.answer(0, "z", 0))}  # the student's own right number is theirs to see
        assert leaks(frames, page, answers(ex) - typed) == []

        page.get_by_role("button", name="Show this number").first.click()
        expect(page.get_by_text(f"h1[1] = {truth_h}")).to_be_visible(timeout=WAIT_MS)
        settled(page)
        assert leaks(frames, page, answers(ex) - typed - {truth_h}) == []
        page.get_by_text(f"h1[1] = {truth_h}").scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / "exercise-student-390x844-revealed.png"))

        # A reload from the address bar brings back what was typed; the link carries no revealed
        # answer, so the number is asked for again (in a class, the server remembers the reveal).
        assert "shown" not in page.url and truth_h not in page.url
        page.reload()
        expect(page.get_by_text(f"1 of {len(ex.cells())} right")).to_be_visible(timeout=WAIT_MS)
        expect(page.get_by_label("h1[1]")).to_have_value(ex.rounded(float(flipped.trace.h[0, 0])), timeout=WAIT_MS)
        expect(page.get_by_role("button", name="Show this number").first).to_be_visible(timeout=WAIT_MS)
        expect(page.get_by_text(f"h1[1] = {truth_h}")).to_have_count(0)
    finally:
        context.close()


def test_student_and_teacher_pages_on_a_laptop(browser, app_url):
    ex = exercises.generate(SEED)
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    try:
        page.goto(f"{app_url}/?exercise={SEED}&mode=student", timeout=WAIT_MS)
        expect(page.get_by_text(f"0 of {len(ex.cells())} right")).to_be_visible(timeout=WAIT_MS)
        settled(page)
        page.screenshot(path=str(SCREENSHOTS / "exercise-student-1280x720.png"))
        page.goto(f"{app_url}/?exercise={SEED}&mode=teacher", timeout=WAIT_MS)  # no key: no answers
        expect(page.get_by_text("needs the teacher link")).to_be_visible(timeout=WAIT_MS)
        settled(page)
        assert leaks([], page, answers(ex)) == []
        key = room.exercise_key(Store(), f"exercise={SEED}")
        page.goto(f"{app_url}/?exercise={SEED}&mode=teacher&key={key}", timeout=WAIT_MS)
        expect(page.get_by_text("If you got X, you probably did Y")).to_be_visible(timeout=WAIT_MS)
        settled(page)
        key_cell = page.get_by_text(ex.rounded(ex.answer(0, "h", 0)), exact=True).first
        expect(key_cell).to_be_visible(timeout=WAIT_MS)  # the key's table has drawn
        page.get_by_text("Answer key", exact=True).scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / "exercise-teacher-1280x720.png"))
    finally:
        context.close()


KEY_SIZES = [(1440, 900), (1280, 720), (390, 844)]
MEASURE = """tds => tds.map(td => {
  const box = td.getBoundingClientRect(), text = td.firstElementChild;
  return {left: box.left, right: box.right, text: td.innerText.trim(),
          clipped: Math.max(td.scrollWidth - td.clientWidth, text.scrollWidth - text.clientWidth,
                            text.scrollHeight - text.clientHeight)};
})"""


def mistake_names_whole(page, ex: exercises.Exercise, width: int) -> None:
    """Each step's table shows every story whole, inside the screen; on a wide screen the whole table."""
    tables = page.locator("[class*='st-key-exercise_mistakes_'] [data-testid='stTable']")
    expect(tables).to_have_count(ex.steps, timeout=WAIT_MS)
    rows = sheet.coinciding(ex, functools.partial(sheet.every_number, ex))
    wanted = sorted(" ".join(sheet.told(row, "(correct)").split()) for row in rows)
    for i in range(ex.steps):
        cells = tables.nth(i).locator("tbody td:first-child").evaluate_all(MEASURE)
        assert sorted(" ".join(c["text"].split()) for c in cells) == wanted  # every story, as written
        for cell in cells:
            assert cell["clipped"] <= 1 and cell["left"] >= 0 and cell["right"] <= width, (width, cell)
        if width >= 1280:  # the numbers too: no column past the table's right edge
            overflow = tables.nth(i).evaluate("t => (s => s.scrollWidth - s.clientWidth)(t.firstElementChild)")
            assert overflow <= 1, (width, i, overflow)


def test_the_teachers_key_shows_every_mistake_whole_on_a_projector_a_laptop_and_a_phone(browser, app_url):
    """Each key opened once, at the first size, and looked at in each size in turn."""
    ex = exercises.generate(SEED)
    key = room.exercise_key(Store(), f"exercise={SEED}")
    created = room.create(Store(), SEED)
    width, height = KEY_SIZES[0]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    try:
        for name, query in (("exercise", f"exercise={SEED}&mode=teacher&key={key}"),
                            ("class", f"class={created.code}&teacher={created.teacher_token}")):
            page.set_viewport_size({"width": width, "height": height})
            page.goto(f"{app_url}/?{query}", timeout=WAIT_MS)
            if name == "class":
                page.get_by_role("radio", name="Answer key").click()
            expect(page.get_by_text("If you got X, you probably did Y")).to_be_visible(timeout=WAIT_MS)
            settled(page)
            for size in KEY_SIZES:
                resized(page, {"width": size[0], "height": size[1]})
                settled(page)
                mistake_names_whole(page, ex, size[0])
                page.locator(".st-key-exercise_mistakes_0").scroll_into_view_if_needed()
                page.screenshot(path=str(SCREENSHOTS / f"{name}-teacher-key-{size[0]}x{size[1]}.png"))
    finally:
        context.close()
