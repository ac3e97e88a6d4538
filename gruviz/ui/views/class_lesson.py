"""A lesson a class follows: the example of a gruviz link, in presenter mode. With
"Follow me" on, the teacher's step and reveal state, stored in the class database,
drive every student's view (polled every second) and the students' step controls
are locked; off, each student roams freely.
"""

from __future__ import annotations

import streamlit as st

from ...classroom.lesson import trace
from ...store import ClassInfo, Store, StoreUnavailable
from ...text import _
from . import presenter

POLL_SECONDS = 1.0  # students see the teacher's step within about a second (the promise is 2 s)
PACING = ("step", "reveal_stage", "reveal")


def _enter(query: str) -> None:
    """A new lesson in this session starts at step 1, with its own figures."""
    ss = st.session_state
    if ss.get("class_lesson_query") != query:
        ss.class_lesson_query = query
        ss.memo_figures = {}
        ss.step, ss.reveal_stage = 1, 0


def _copy_nothing() -> None:
    """The step bar's extra slot: a class page has no link of its own to copy."""


@st.fragment
def teacher(store: Store, info: ClassInfo) -> None:
    """The teacher presents; with Follow me on, every change of step or reveal is published."""
    _enter(info.lesson)
    presenter.render(trace(info.lesson), _copy_nothing)
    ss = st.session_state
    now = (int(ss.get("step", 1)), int(ss.get("reveal_stage", 0)), bool(ss.get("reveal", False)))
    if ss.get("class_published") != now:
        try:
            store.update_class(info.id, follow_step=now[0], follow_stage=now[1], follow_reveal=now[2])
            ss.class_published = now
        except StoreUnavailable as problem:
            st.warning(str(problem))


def _apply(info: ClassInfo) -> None:
    ss = st.session_state
    ss.step = min(max(info.follow_step, 1), trace(info.lesson).steps)
    ss.reveal_stage, ss.reveal = info.follow_stage, info.follow_reveal


def student(store: Store, info: ClassInfo) -> None:
    _enter(info.lesson)
    ss = st.session_state
    ss.pacing_locked = info.follow
    if info.follow:
        _apply(info)
        # A box, not st.caption (60% opacity, below AA contrast): it says why the step buttons are off.
        st.info(_("Your teacher leads this lesson: your screen follows theirs."), icon=":material/sync_lock:")
    ss.class_pacing_seen = (info.follow, info.follow_step, info.follow_stage, info.follow_reveal, info.lesson)
    _poll(store, info.id)
    _student_view(info.lesson)


@st.fragment
def _student_view(query: str) -> None:
    presenter.render(trace(query), _copy_nothing)


@st.fragment(run_every=POLL_SECONDS)
def _poll(store: Store, class_id: int) -> None:
    """Reruns the page when the teacher moved (or Follow me, or the lesson, changed)."""
    try:
        info = store.class_by_id(class_id)
    except StoreUnavailable:
        return  # the page keeps the last step; the exercise part says the database is away
    if info is None:
        return
    seen = (info.follow, info.follow_step, info.follow_stage, info.follow_reveal, info.lesson)
    if seen != st.session_state.get("class_pacing_seen"):
        st.rerun()
