"""A class through Streamlit's AppTest: the server decides who is a teacher, a student's
numbers go to the database as they are checked and come back on another page, Follow me
moves a student's lesson, and a name is shown as the text it is."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from gruviz.classroom import grading, room
from gruviz.store import Store

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def run(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update(params)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def again(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def text(at: AppTest) -> str:
    parts = [e.value for kind in ("markdown", "latex", "caption", "info", "success", "warning", "error", "title",
                                  "subheader", "header", "code") for e in getattr(at, kind)]
    parts += [t.label for t in at.text_input] + [str(t.value) for t in at.text_input]
    parts += [d.value.to_csv() for d in at.dataframe] + [t.value.to_csv() for t in at.table]
    return "\n".join(parts)


def answers(exercise) -> set[str]:
    return {exercise.rounded(exercise.answer(*cell)) for cell in exercise.cells()}


@pytest.fixture
def made():
    store = Store()
    created = room.create(store, 7, False, "")
    return store, created


def join(store, created, name="Ana"):
    token, student = room.join(store, room.teacher_class(store, created.teacher_token), name)
    return token, student


def test_the_teacher_link_opens_the_dashboard_and_leaves_the_address_bar(made):
    store, created = made
    at = run(**{"class": created.code, "teacher": created.teacher_token})
    assert at.title[0].value.startswith(f"Class {created.code}")
    assert "teacher" not in at.query_params  # a projector shows the address bar
    assert again(at).title[0].value.startswith(f"Class {created.code}")  # the session keeps the role


@pytest.mark.parametrize("token", ["x", "A" * 32, "../../etc", "<script>"])
def test_a_wrong_teacher_token_opens_nothing_in_one_sentence(made, token):
    store, created = made
    join(store, created)
    at = run(**{"class": created.code, "teacher": token})
    assert not at.dataframe and not at.table
    assert len(at.error) == 1 and "teacher link" in at.error[0].value
    assert [a for a in answers(room.exercise(created.info)) if a in text(at)] == []


def test_a_teacher_of_one_class_cannot_open_another(made):
    store, created = made
    other = room.create(store, 8, False, "")
    at = run(**{"class": other.code, "teacher": created.teacher_token})
    assert "another class" in at.error[0].value and not at.dataframe


def test_a_student_who_edits_the_link_to_teacher_sees_no_answer(made):
    store, created = made
    token, _student = join(store, created)
    exercise = room.exercise(created.info)
    for extra in ({"mode": "teacher"}, {"mode": "teacher", "key": "0" * 32}, {"teacher": token}):
        at = run(**{"class": created.code, "student": token, **extra})
        assert [a for a in answers(exercise) if a in text(at)] == [], extra


def test_joining_names_the_problem_and_escapes_the_name(made):
    store, created = made
    at = run(**{"class": ""})
    at.text_input(key="class_code").input("wrong1")
    at.text_input(key="class_name").input("Ana")
    at.button[0].click()
    assert "No class has the code" in again(at).error[0].value
    at.text_input(key="class_code").input(created.code.lower())
    at.text_input(key="class_name").input("**Bo** $x$ <b>")
    at.button[0].click()
    again(at)
    assert at.query_params["class"] == created.code and at.query_params["student"]
    assert r"\*\*Bo\*\* \$x\$ \<b\>" in text(at)  # st.markdown shows it as typed
    [student] = store.students(created.info.id)
    assert student.name == "**Bo** $x$ <b>"
    twin = run(**{"class": created.code})
    twin.text_input(key="class_code").input(created.code)
    twin.text_input(key="class_name").input("**bo** $X$ <B>")
    twin.button[0].click()
    assert "already has the name" in again(twin).error[0].value


def test_numbers_are_stored_when_checked_and_come_back_on_another_page(made):
    store, created = made
    token, student = join(store, created)
    exercise = room.exercise(created.info)
    flipped = next(r for r in exercise.mistakes if r.mistakes[0].id == "update_rule_flipped")
    right, wrong = exercise.rounded(exercise.answer(0, "z", 0)), exercise.rounded(float(flipped.trace.h[0, 0]))
    at = run(**{"class": created.code, "student": token})
    at.text_input(key="exercise_z.0.0").input(right)
    at.text_input(key="exercise_h.0.0").input(wrong)
    again(at)
    stored = {a.cell: (a.typed, a.status, a.mistake_id) for a in store.answers(created.info.id)}
    assert stored == {"z.0.0": (right, "right", ""), "h.0.0": (wrong, "wrong", "update_rule_flipped")}
    assert "typed" not in str(at.query_params) and right not in str(dict(at.query_params))
    at.button(key="exercise_show_h.0.0").click()
    again(at)
    truth = exercise.rounded(exercise.answer(0, "h", 0))
    assert f"h1[1] = {truth}" in text(at)
    later = run(**{"class": created.code, "student": token})  # a reload, another tab, a phone that slept
    assert later.text_input(key="exercise_z.0.0").value == right
    assert later.text_input(key="exercise_h.0.0").value == wrong
    assert f"h1[1] = {truth}" in text(later)  # the reveal is the server's fact


def test_the_teacher_can_turn_show_this_number_off(made):
    store, created = made
    token, _student = join(store, created)
    store.update_class(created.info.id, reveal_allowed=False)
    exercise = room.exercise(created.info)
    at = run(**{"class": created.code, "student": token})
    at.text_input(key="exercise_h.0.0").input(f"{exercise.answer(0, 'h', 0) + 0.3:.{exercise.answer_decimals}f}")
    again(at)
    assert not [b for b in at.button if b.key and b.key.startswith("exercise_show_")]


def test_the_dashboard_counts_names_the_mistake_and_anonymizes(made):
    store, created = made
    exercise = room.exercise(created.info)
    flipped = next(r for r in exercise.mistakes if r.mistakes[0].id == "update_rule_flipped")
    for name in ("Ana", "Bo"):
        token, _ = join(store, created, name)
        at = run(**{"class": created.code, "student": token})
        at.text_input(key="exercise_h.0.0").input(exercise.rounded(float(flipped.trace.h[0, 0])))
        again(at)
    teacher = run(**{"class": created.code, "teacher": created.teacher_token})
    page = text(teacher)
    assert "2 students: update rule flipped" in page and "Ana" in page and "Bo" in page
    teacher.toggle(key="class_anonymize").set_value(True)
    page = text(again(teacher))
    assert "Student 1" in page and "Student 2" in page and "Ana" not in page and "Bo" not in page


def test_follow_me_moves_a_students_lesson_and_locks_its_step_bar(made):
    store, _ = made
    from gruviz.classroom import lesson

    created = room.create(store, 7, False, lesson.preset_query("stack_exchange"))
    token, _student = join(store, created)
    teacher = run(**{"class": created.code, "teacher": created.teacher_token})
    teacher.toggle(key="class_follow").set_value(True)
    again(teacher)
    teacher.segmented_control(key="class_page").set_value("lesson")
    again(teacher)
    teacher.button(key="step_next").click()
    again(teacher)
    info = store.class_by_id(created.info.id)
    assert (info.follow, info.follow_step) == (True, 2)
    student = run(**{"class": created.code, "student": token})
    assert "Step 2 of 4" in text(student)
    assert student.button(key="step_next").disabled and student.button(key="step_prev").disabled


def test_ending_a_class_deletes_it_and_its_links_say_so(made):
    store, created = made
    token, _ = join(store, created)
    teacher = run(**{"class": created.code, "teacher": created.teacher_token})
    teacher.segmented_control(key="class_page").set_value("class")
    again(teacher)
    teacher.checkbox(key="class_end_sure").check()
    again(teacher)
    teacher.button(key="class_end").click()
    again(teacher)
    assert store.class_by_id(created.info.id) is None and store.student_by_token(room.digest(token)) is None
    assert "all of its data is deleted" in text(teacher)
    student = run(**{"class": created.code, "student": token})
    assert "opens no class" in student.error[0].value


def test_with_sign_in_configured_only_a_listed_teacher_may_start_a_class(monkeypatch):
    monkeypatch.setenv("GRUVIZ_TEACHER_EMAILS", "ada@school.example")
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "s" * 32,
                          "client_id": "gruviz", "client_secret": "x",
                          "server_metadata_url": "https://id.school.example/.well-known/openid-configuration"}
    at.query_params["class"] = "new"
    again(at)
    assert "sign in" in text(at).lower() and not at.number_input  # no form before a sign-in
    assert [b.label for b in at.button] == ["Sign in"]


def test_without_sign_in_the_start_form_is_open():
    at = run(**{"class": "new"})
    assert at.number_input(key="class_seed").value == room.DEFAULT_SEED


@pytest.mark.parametrize("params", [
    {"class": "x" * 5000}, {"class": "<script>alert(1)</script>"}, {"class": "ABCDEF", "student": "a" * 5000},
    {"class": "ABCDEF", "teacher": "t" * 10000}, {"class": "new", "teacher": "x"}, {"class": "", "student": ""},
    {"class": "ABCDEF", "student": "../../etc/passwd"}, {"class": "\x00\u202e"},
])
def test_hostile_class_links_get_a_page_not_a_traceback(params):
    at = run(**params)
    assert at.title  # a page with its heading, and at most one sentence of error
    assert len(at.error) <= 1
    assert "Traceback" not in text(at)


def test_a_number_with_too_few_decimals_is_marked_short_and_the_join_link_has_a_qr_code(made):
    store, created = made
    token, _ = join(store, created)
    at = run(**{"class": created.code, "student": token})
    at.text_input(key="exercise_z.0.0").input("0.5")
    again(at)
    assert [(a.typed, a.status) for a in store.answers(created.info.id)] == [("0.5", "short")]
    teacher = run(**{"class": created.code, "teacher": created.teacher_token})
    grid = teacher.dataframe[0].value
    assert "… 0.5" in grid.to_csv() and "too few decimals" in text(teacher)
    assert any("alt='QR code" in h.proto.body and "join link" in h.proto.body for h in teacher.get("html"))
    assert any(c.value.endswith(f"?class={created.code}") for c in teacher.code)


def test_every_class_text_box_stops_at_what_its_reader_takes(made):
    """The browser refuses more than the server reads: the code (spaces and dashes allowed), a name,
    a pasted link at the app's cap, a number of the exercise; and text at a cap gets a sentence."""
    from gruviz.limits import APP as LIMITS

    store, created = made
    joining = run(**{"class": ""})
    assert {b.key: b.proto.max_chars for b in joining.text_input} == {
        "class_code": 2 * room.CODE_LENGTH, "class_name": room.NAME_MAX}
    joining.text_input(key="class_code").input(created.code)
    joining.text_input(key="class_name").input("A" * room.NAME_MAX)  # a name at the cap joins
    joining.button[0].click()
    assert not again(joining).error and joining.query_params["student"]
    token, _ = join(store, created)
    student = run(**{"class": created.code, "student": token})
    assert {b.proto.max_chars for b in student.text_input} == {grading.TYPED_MAX}
    teacher = run(**{"class": created.code, "teacher": created.teacher_token})
    teacher.segmented_control(key="class_page").set_value("class")
    again(teacher)
    assert {b.key: b.proto.max_chars for b in teacher.text_input} == {"class_set_link": LIMITS.max_text_chars}
    teacher.text_input(key="class_set_link").input("?seq=" + "1," * (LIMITS.max_text_chars // 2 - 3))
    teacher.button(key="class_assign_lesson").click()
    again(teacher)
    assert len(teacher.error) == 1 and "Traceback" not in text(teacher)
