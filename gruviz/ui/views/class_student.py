"""A student in a class (`?class=CODE&student=TOKEN`): the lesson the teacher presents,
and the exercise, whose every checked number is stored on the server. The token in
the link brings the work back after a reload, a phone that slept or on another tab.

If the database stops answering, the numbers typed meanwhile stay in this session and
are written when it answers again; the page keeps working.
"""

from __future__ import annotations

import streamlit as st

from ...classroom import grading, live, room, sheet
from ...errors import InputError
from ...store import ClassInfo, Store, StoreUnavailable, StudentInfo
from ...text import _
from . import class_lesson, exercise_parts, presenter
from ..kit import plain

# On a phone the lesson's frame would take 32 px from equations already broken to fit the screen.
_PHONE_FRAME = """<style>@media (max-width: 640px) {
.st-key-class_lesson_frame {border: none; padding: 0;}}</style>"""

RETRY_SECONDS = 3


def render(store: Store, token: str) -> None:
    try:
        student, info = room.student(store, token)
    except InputError as problem:
        st.title(_("Join a class"))
        st.error(str(problem), icon=":material/error:")
        st.link_button(_("Join with the class code"), "?class=")
        return
    except StoreUnavailable as problem:
        st.title(_("Your class"))
        st.error(str(problem), icon=":material/error:")
        return
    st.title(_("Class {code}").format(code=info.code))
    st.markdown(_("You are **{name}**.").format(name=plain.markdown(student.name)))
    if info.lesson:
        presenter.style()  # the lesson's equations as presenter mode draws them: broken into lines on a phone
        st.html(_PHONE_FRAME)
        with st.container(border=True, key="class_lesson_frame"):
            st.header(_("The lesson"))
            class_lesson.student(store, info)
    exercise = room.exercise(info, student)
    st.header(sheet.title(exercise))
    exercise_parts.problem(exercise)
    _work(store, info, student, exercise)


def _work(store: Store, info: ClassInfo, student: StudentInfo, exercise) -> None:
    ss = st.session_state

    def typed_before() -> dict[str, str]:
        try:
            return {k: a.typed for k, a in live.latest(store.answers(info.id, student.id)).items()}
        except StoreUnavailable:
            return {}

    def shown() -> dict[str, str]:
        return dict(ss.get("class_shown", {}))

    def show(cell: grading.Cell) -> None:
        try:
            ss.class_shown = {**shown(), grading.key(cell): live.reveal(store, info, student, cell)}
        except (InputError, StoreUnavailable) as problem:
            ss.class_show_problem = str(problem)

    if "class_shown" not in ss:
        try:
            revealed = live.revealed(store, info, student)
            cells = {grading.key(c): c for c in exercise.cells()}
            ss.class_shown = {k: grading.reveal(exercise, cells[k]) for k in revealed if k in cells}
        except StoreUnavailable:
            ss.class_shown = {}
    work = exercise_parts.Work(typed_before, shown, show if info.reveal_allowed else None)
    typed = exercise_parts.typed_now(exercise, work)
    if "class_saved" not in ss:  # what the database holds: what the boxes show may be newer (a failover)
        held = typed_before()
        ss.class_saved = {c: held[grading.key(c)] for c in exercise.cells() if held.get(grading.key(c))}
    grades = exercise_parts.graded(exercise, tuple(sorted(typed.items())))
    problem = ss.pop("class_show_problem", None)
    if problem:
        st.warning(_("“Show this number” did not work: {reason}").format(reason=problem))
    _save(store, info, student, typed, grades)
    exercise_parts.student(exercise, work, grades)


def _save(store, info, student, typed, grades) -> None:
    """Write what changed since the last write; keep it in the session if the database is away."""
    ss = st.session_state
    if typed == ss.class_saved:
        return
    wanted = {**{c: "" for c in ss.class_saved if c not in typed}, **typed}  # a cleared box is stored too
    try:
        live.save(store, info, student, wanted, grades)
        ss.class_saved = dict(typed)
    except StoreUnavailable as problem:
        st.warning(str(problem), icon=":material/cloud_off:")
        _retry(store, info, student)


@st.fragment(run_every=RETRY_SECONDS)
def _retry(store, info, student) -> None:
    """While numbers wait for the database, try again every few seconds."""
    try:
        store.class_by_id(info.id)
    except StoreUnavailable:
        return
    st.rerun()
