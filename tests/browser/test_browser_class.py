"""A class in real browsers: a teacher starts it in the app, three students (one on a phone)
join with the code and type right and wrong numbers, the dashboard counts them and names
the mistake, Follow me moves the students' lesson, the CSV holds every number. A student
who edits the link sees no answer; hostile names stay plain text; axe-core finds no serious
accessibility problem. Screenshots go to test-output/screenshots/class-*.png.

    .venv/bin/python -m pytest -q tests/browser/test_browser_class.py
"""

from __future__ import annotations

import csv
import re

import pytest
from playwright.sync_api import expect

from axe import serious
from gruviz.classroom import exercises, lesson, presets, room
from gruviz.store import Store
from live_app import REPO, VIEWPORT

pytestmark = pytest.mark.browser

SCREENSHOTS = REPO / "test-output" / "screenshots"
WAIT_MS = 60_000
FOLLOW_MS = 10_000  # students poll each second: 0.2-3.4 s seen with -n 2 on 2 cores at load 15
PRESET = presets.BY_KEY["stack_exchange"]  # one unit, four steps
PRESET_STEPS = len(PRESET.sequence.split(","))
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True}
LAPTOP = {"viewport": {"width": 1280, "height": 720}}
HOSTILE = ("<img src=x onerror=alert(1)>", "**bold**", r"$\frac{1}{0}$")
# (view, size) → (context, page) the class scenario leaves for axe, the test right after it: until
# then the pages poll the server each second.
LEFT: dict[tuple[str, str], tuple] = {}


def settled(page) -> None:
    expect(page.locator("[data-test-script-state='notRunning']")).to_be_attached(timeout=WAIT_MS)


def answers(ex: exercises.Exercise) -> set[str]:
    k = ex.answer_decimals  # every number of the key, as the page would print it
    return {f"{getattr(ex.truth, q)[t, j]:.{k}f}" for t, q, j in ex.cells()}


def leaks(frames: list, page, secret: set[str]) -> list[str]:
    seen = page.content()
    blob = b"".join(f if isinstance(f, bytes) else f.encode() for f in frames)
    return sorted(a for a in secret if a in seen or a.encode() in blob)


def flipped(ex: exercises.Exercise, t: int, q: str, j: int) -> str:
    """What a student gets for this number with the update rule flipped (the detective names it)."""
    run = next(r for r in ex.mistakes if r.mistakes[0].id == "update_rule_flipped")
    return ex.rounded(float(getattr(run.trace, q)[t, j]))


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"class-{name}.png"))


def join(page, app_url: str, code: str, name: str) -> None:
    """Through the join form, as a student does: the code from the board, then a name."""
    page.goto(f"{app_url}/?class=", timeout=WAIT_MS)
    page.get_by_label("Class code").fill(code)
    page.get_by_label("Your name, as your teacher will see it").fill(name)
    page.get_by_role("button", name="Join").click()
    expect(page.get_by_text(f"You are {name}.", exact=True)).to_be_visible(timeout=WAIT_MS)
    settled(page)


def grid_cell(page, text: str):
    """A cell of the dashboard's grid: drawn on a canvas, mirrored in a hidden table for screen readers."""
    return page.get_by_role("gridcell", name=text, exact=True, include_hidden=True)


def switch_on(page, label: str) -> None:
    page.get_by_text(label, exact=True).click()  # the switch's own label: its input sits under it
    expect(page.get_by_role("switch", name=label)).to_be_checked(timeout=WAIT_MS)


def type_number(page, label: str, text: str, verdict: str) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(text, timeout=WAIT_MS)
    box.press("Enter")
    # A box and its feedback share a column: one column per unit, one row per quantity.
    cell = page.get_by_test_id("stColumn").filter(has=box)
    expect(cell).to_contain_text(verdict, timeout=WAIT_MS)
    settled(page)


def test_a_class_from_start_to_report(browser, app_url):
    teacher_context = browser.new_context(**LAPTOP)
    contexts = [teacher_context]
    try:
        teacher = teacher_context.new_page()
        teacher.goto(f"{app_url}/?class=new", timeout=WAIT_MS)
        settled(teacher)
        teacher.get_by_label("A lesson to present (optional)").click()
        teacher.get_by_role("option", name=PRESET.title).click()
        teacher.get_by_role("button", name="Start the class").click()
        board_code = teacher.get_by_role("note")
        expect(board_code).to_have_text(re.compile(r"^[A-Z2-9]{6}$"), timeout=WAIT_MS)
        code = board_code.inner_text()
        info = Store().class_by_code(code)
        assert info is not None and info.lesson == lesson.preset_query(PRESET.key)
        assert "teacher=" not in teacher.url  # the token lives in the session, not in a projected address bar
        ex = room.exercise(info)

        def right(t, q, j):
            return ex.rounded(ex.answer(t, q, j))

        typed = {  # name → (browser options, {box: (text, what the page says)})
            "Ana Lindqvist": (LAPTOP, {"z1[1]": (right(0, "z", 0), "✓ right"),
                                      "h1[1]": (right(0, "h", 0), "✓ right")}),
            "Benedikt Okafor": (LAPTOP, {"z1[1]": (right(0, "z", 0), "✓ right"),
                                        "h1[1]": (flipped(ex, 0, "h", 0), "not right")}),
            "Chloé Zhang": (PHONE, {"h1[1]": (flipped(ex, 0, "h", 0), "not right"),
                                    "r1[2]": ("0.9999", "not right")}),
        }
        students = {}
        for name, (options, numbers) in typed.items():
            context = browser.new_context(**options)
            contexts.append(context)
            page = students[name] = context.new_page()
            if options is PHONE:
                page.goto(f"{app_url}/?class=", timeout=WAIT_MS)
                expect(page.get_by_role("button", name="Join")).to_be_visible(timeout=WAIT_MS)
                settled(page)
                assert page.evaluate("document.documentElement.scrollWidth") <= 391
                shot(page, "join-390x844")
            join(page, app_url, code, name)
            for label, (text, verdict) in numbers.items():
                type_number(page, label, text, verdict)

        # The dashboard refreshes itself: three students, and the class's mistake named.
        expect(teacher.get_by_text(re.compile(r"^3 students · updated"))).to_be_visible(timeout=WAIT_MS)
        h1_row = teacher.get_by_role("row").filter(has=teacher.get_by_role("cell", name="h1[1]", exact=True))
        expect(h1_row).to_contain_text("2 students: update rule flipped", timeout=WAIT_MS)
        for name in typed:
            expect(grid_cell(teacher, name)).to_be_attached(timeout=WAIT_MS)
        settled(teacher)
        teacher.set_viewport_size({"width": 1440, "height": 900})
        teacher.get_by_text("Every student's numbers").scroll_into_view_if_needed()
        shot(teacher, "teacher-1440x900")
        teacher.set_viewport_size(LAPTOP["viewport"])

        switch_on(teacher, "Anonymize names")
        teacher.wait_for_function("names => !names.some(n => document.body.innerHTML.includes(n))",
                                  arg=list(typed), timeout=WAIT_MS)
        expect(grid_cell(teacher, "Student 3")).to_be_attached(timeout=WAIT_MS)
        settled(teacher)
        assert [n for n in typed if n in teacher.content()] == []
        teacher.get_by_text("Every student's numbers").scroll_into_view_if_needed()
        shot(teacher, "teacher-1280x720-anonymized")

        # Follow me: the teacher steps in the Lesson view, every student's lesson follows.
        switch_on(teacher, "Follow me")
        teacher.get_by_role("radio", name="Lesson").click()  # drawn once the switch's rerun is done
        expect(teacher.get_by_text(f"Step 1 of {PRESET_STEPS}", exact=True)).to_be_visible(timeout=WAIT_MS)
        for page in students.values():
            expect(page.get_by_text("Your teacher leads this lesson")).to_be_visible(timeout=FOLLOW_MS)
        for step in (2, 3):
            teacher.get_by_role("button", name=re.compile("^Next step")).click()
            expect(teacher.get_by_text(f"Step {step} of {PRESET_STEPS}", exact=True)
                   ).to_be_visible(timeout=WAIT_MS)
        for name, page in students.items():
            expect(page.get_by_text(f"Step 3 of {PRESET_STEPS}", exact=True)).to_be_visible(timeout=FOLLOW_MS)
            for button in ("First step", "Previous step", "Next step", "Last step"):
                expect(page.get_by_role("button", name=re.compile(f"^{button}"))).to_be_disabled()
        phone = students["Chloé Zhang"]
        settled(phone)
        phone.get_by_text("You are").scroll_into_view_if_needed()
        shot(phone, "student-390x844")
        phone.get_by_label("h1[1]", exact=True).scroll_into_view_if_needed()
        shot(phone, "student-390x844-numbers")

        # The results: every number typed, each in its student's row.
        teacher.get_by_role("radio", name="Class").click()
        with teacher.expect_download(timeout=WAIT_MS) as download:
            teacher.get_by_role("button", name="Download the results (CSV)").click()
        with open(download.value.path(), newline="") as file:
            rows = {row["student"]: row for row in csv.DictReader(file)}
        assert set(rows) == set(typed)
        for name, (_options, numbers) in typed.items():
            assert {label: rows[name][label] for label in numbers} == {k: v[0] for k, v in numbers.items()}
            assert all(f"={text}@" in rows[name]["every number typed"] for text, _verdict in numbers.values())
        # The axe test judges these pages as the class left them: a teacher's dashboard, a student on a
        # laptop with a wrong number's hint, a student on a phone, all following the teacher's lesson.
        LEFT.update({("teacher", "laptop"): (teacher_context, teacher),
                     ("student", "laptop"): (contexts[2], students["Benedikt Okafor"]),
                     ("student", "phone"): (contexts[3], phone)})
    finally:
        for context in contexts:
            if all(context is not left for left, _page in LEFT.values()):
                context.close()


def test_every_class_page_passes_axe(browser, app_url):
    store = Store()
    created = room.create(store, room.DEFAULT_SEED, False, lesson.preset_query(PRESET.key))
    token, _student = room.join(store, created.info, "Eve")
    store.update_class(created.info.id, follow=True)  # the student's lesson with its buttons off
    ex = room.exercise(created.info)
    views = {"start": ("class=new", "Start the class"), "join": ("class=", "Your name, as your teacher"),
             "student": (f"class={created.code}&student={token}", "You are Eve."),
             "teacher": (f"class={created.code}&teacher={created.teacher_token}", "1 student · updated")}
    problems = []
    for size, options in (("laptop", {"viewport": VIEWPORT}), ("phone", PHONE)):
        context = browser.new_context(**options)
        page = context.new_page()
        try:
            for view, (query, ready) in views.items():
                left, judged = LEFT.pop((view, size), (None, page))
                try:
                    if left is not None:  # the class scenario's own page, as its class left it
                        judged.set_viewport_size(options["viewport"])
                    else:
                        page.goto(f"{app_url}/?{query}", timeout=WAIT_MS)
                        expect(page.get_by_text(ready)).to_be_visible(timeout=WAIT_MS)
                        if view == "student" and size == "laptop":  # a right number and a wrong one
                            type_number(page, "z1[1]", ex.rounded(ex.answer(0, "z", 0)), "✓ right")
                            type_number(page, "h1[1]", flipped(ex, 0, "h", 0), "not right")
                    if view == "student" and size == "laptop":  # feedback, in view: axe checks what is seen
                        judged.get_by_text("Hint: the equation").first.scroll_into_view_if_needed()
                    settled(judged)
                    problems += [f"{view} {options['viewport']['width']}: {line}" for line in serious(judged)]
                finally:
                    if left is not None:
                        left.close()
        finally:
            context.close()
    assert problems == [], "\n".join(problems)


def test_a_student_who_edits_the_link_sees_no_answer(browser, app_url):
    store = Store()
    created = room.create(store, room.DEFAULT_SEED, False, lesson.preset_query(PRESET.key))
    code, teacher_token = created.code, created.teacher_token
    token, _student = room.join(store, created.info, "Dana")
    ex = room.exercise(created.info)
    key = room.exercise_key(store, f"exercise={room.DEFAULT_SEED}")  # a real key, of the stand-alone exercise
    context = browser.new_context(**LAPTOP, reuse=False)  # it listens to the socket
    page = context.new_page()
    frames: list = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(payload)))
    try:
        own = f"{app_url}/?class={code}&student={token}"
        page.goto(f"{own}&mode=teacher&key={key}&exercise={room.DEFAULT_SEED}", timeout=WAIT_MS)
        expect(page.get_by_text("You are Dana.", exact=True)).to_be_visible(timeout=WAIT_MS)
        type_number(page, "h1[1]", flipped(ex, 0, "h", 0), "not right")
        assert leaks(frames, page, answers(ex)) == []
        expect(page.get_by_text("Answer key")).to_have_count(0)
        for edit, refusal in ((f"teacher={'x' * 32}", "This teacher link opens no class"),
                              ("teacher=<garbage>", "need the teacher link of this class"),
                              (f"teacher={token}", "This teacher link opens no class"),  # the student's own
                              (f"teacher={teacher_token[:-1]}", "This teacher link opens no class")):
            page.goto(f"{own}&mode=teacher&key={key}&{edit}", timeout=WAIT_MS)
            expect(page.get_by_text(refusal)).to_be_visible(timeout=WAIT_MS)
            settled(page)
            assert leaks(frames, page, answers(ex)) == [], edit
            expect(page.get_by_text("Every student's numbers")).to_have_count(0)
    finally:
        context.close()


def test_hostile_names_show_as_plain_text(browser, app_url):
    store = Store()
    created = room.create(store, room.DEFAULT_SEED, False, "")
    ex = room.exercise(created.info)
    dialogs: list[str] = []
    context = browser.new_context(**LAPTOP, reuse=False)  # it listens for dialogs
    context.on("page", lambda page: page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss())))
    try:
        student = context.new_page()
        for name in HOSTILE:
            join(student, app_url, created.code, name)  # the page says "You are <name>." as typed
            assert student.locator("img[src='x']").count() == 0
            type_number(student, "h1[1]", flipped(ex, 0, "h", 0), "not right")
        type_number(student, "z1[1]", "[marks](https://example.org)", "is not a number")  # Markdown, typed
        teacher = context.new_page()
        teacher.goto(f"{app_url}/?class={created.code}&teacher={created.teacher_token}", timeout=WAIT_MS)
        expect(teacher.get_by_text(re.compile(r"^3 students · updated"))).to_be_visible(timeout=WAIT_MS)
        for name in HOSTILE:
            expect(grid_cell(teacher, name)).to_be_attached(timeout=WAIT_MS)
        settled(teacher)
        # Select the last row (the LaTeX name): its numbers, then its wrong one on the projector.
        teacher.get_by_test_id("stDataFrame").scroll_into_view_if_needed()
        grid = teacher.get_by_test_id("stDataFrame").bounding_box()
        teacher.mouse.click(grid["x"] + 16, grid["y"] + 35 * 3 + 17)
        expect(teacher.get_by_text(f"Numbers of {HOSTILE[2]}", exact=True)).to_be_visible(timeout=WAIT_MS)
        expect(teacher.get_by_role("cell", name="[marks](https://example.org)", exact=True)).to_be_visible()
        teacher.get_by_role("button", name="Put it on the projector").click()
        expect(teacher.get_by_text(f"{HOSTILE[2]} wrote h1[1] = {flipped(ex, 0, 'h', 0)}", exact=True)
               ).to_be_visible(timeout=WAIT_MS)
        settled(teacher)
        expect(teacher.locator("img[src='x']")).to_have_count(0)
        expect(teacher.get_by_role("link", name="marks")).to_have_count(0)
        expect(teacher.locator(".katex").filter(has_text=r"\frac{1}{0}")).to_have_count(0)
        teacher.locator(".st-key-class_snapshot_box").scroll_into_view_if_needed()
        shot(teacher, "hostile-names-1280x720")
        assert dialogs == []
    finally:
        context.close()
