"""Which class page a link opens: `?class=new` starts a class, `?class=CODE&teacher=T`
opens its teacher's page, `?class=CODE&student=T` a student's work, and `?class=` or
`?class=CODE` the join form. The server decides the role from the tokens alone.
"""

from __future__ import annotations

import os
import time

import streamlit as st

from ...classroom import room
from ...errors import InputError
from ...store import Store, StoreUnavailable
from ...text import _
from . import class_start, class_student, class_teacher
from ..kit.session_keys import STUDENT_TOKEN_PARAM, TEACHER_TOKEN, TEACHER_TOKEN_PARAM
from ..kit import language

PURGE_EVERY_SECONDS = 3600
_last_purge = [0.0]  # per process: old classes are deleted at most once an hour


def wanted() -> bool:
    return "class" in st.query_params


def keep_days() -> float:
    """How long a class's data is kept before it is deleted by itself (GRUVIZ_CLASS_DAYS, default 30)."""
    try:
        return max(float(os.environ.get("GRUVIZ_CLASS_DAYS", "30")), 0.01)
    except ValueError:
        return 30.0


def _purge(store: Store) -> None:
    if time.monotonic() - _last_purge[0] > PURGE_EVERY_SECONDS:
        _last_purge[0] = time.monotonic()
        room.purge(store, keep_days())


def _teacher_class(store: Store, code: str):
    """The class whose teacher this session is, reading (and removing) a teacher token from the link."""
    ss = st.session_state
    given = st.query_params.get(TEACHER_TOKEN_PARAM)
    if given is not None:
        del st.query_params[TEACHER_TOKEN_PARAM]  # a projected address bar must not show it
        ss[TEACHER_TOKEN] = given
    token = ss.get(TEACHER_TOKEN)
    if token is None:
        return None
    info = room.teacher_class(store, token)
    if not room.opens(info, code):
        raise InputError(_("Your teacher link is for another class: open the teacher link of this one."))
    return info


def render() -> None:
    with st.sidebar:
        language.picker()
    st.session_state.pacing_locked = False  # only a following student's page locks the step bar
    params = st.query_params.to_dict()
    code = params.get("class", "")
    note = st.session_state.pop("class_ended_note", None)
    if note:
        st.success(note)
    try:
        store = Store()
        _purge(store)
    except (StoreUnavailable, InputError) as problem:
        st.title(_("Classes"))
        st.error(str(problem), icon=":material/error:")
        return
    if code == "new":
        class_start.start(store)
        return
    try:
        info = _teacher_class(store, code)
    except InputError as problem:
        st.session_state.pop(TEACHER_TOKEN, None)
        st.title(_("Classes"))
        st.error(str(problem), icon=":material/error:")
        return
    except StoreUnavailable as problem:
        st.title(_("Classes"))
        st.error(str(problem), icon=":material/error:")
        return
    if info is not None:
        class_teacher.render(store, info)
    elif STUDENT_TOKEN_PARAM in params:
        class_student.render(store, params[STUDENT_TOKEN_PARAM])
    else:
        class_start.join(store, code)
