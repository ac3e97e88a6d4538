"""Starting a class (`?class=new`) and joining one (`?class=` or `?class=CODE`).

Where the operator has configured Streamlit's sign-in (`[auth]` in
`.streamlit/secrets.toml`) and a list of teacher e-mails (`GRUVIZ_TEACHER_EMAILS`, or
`teacher_emails` under `[gruviz]` in the secrets), starting a class needs a signed-in
teacher on that list. Without it, the teacher link that starting a class gives is the
credential.
"""

from __future__ import annotations

import os

import streamlit as st

from ...classroom import presets, room
from ...classroom.lesson import preset_query
from ...errors import InputError
from ...store import Store, StoreUnavailable
from ...text import _
from ..kit.session_keys import TEACHER_TOKEN, STUDENT_TOKEN_PARAM
from ..kit import language

_NO_LESSON = ""


def _teacher_emails() -> set[str]:
    listed = os.environ.get("GRUVIZ_TEACHER_EMAILS", "")
    try:
        listed = listed or ",".join(st.secrets.get("gruviz", {}).get("teacher_emails", []))
    except Exception:  # no secrets file at all: nothing configured
        pass
    return {e.strip().lower() for e in listed.replace(";", ",").split(",") if e.strip()}


def _sign_in_configured() -> bool:
    try:
        return "auth" in st.secrets and bool(_teacher_emails())
    except Exception:  # no secrets file at all
        return False


def may_start() -> bool:
    """Whether this visitor may start a class; says what is missing when not."""
    if not _sign_in_configured():
        return True
    if not st.user.get("is_logged_in", False):
        st.info(_("On this server, teachers sign in to start a class."))
        st.button(_("Sign in"), on_click=st.login, key="class_sign_in")
        return False
    if str(st.user.get("email", "")).lower() not in _teacher_emails():
        st.error(_("This account is not on this server's list of teachers. Ask its operator to add it."))
        st.button(_("Sign out"), on_click=st.logout, key="class_sign_out")
        return False
    return True


def start(store: Store) -> None:
    st.title(_("Run a class"))
    st.markdown(_("Students join with a code and a name (no account). You see every student's numbers live, "
                  "and the answers stay yours."))
    if not may_start():
        return
    with st.form("class_start"):
        seed = st.number_input(_("Exercise number (its seed)"), min_value=0, max_value=2**31 - 1,
                               value=room.DEFAULT_SEED, step=1, key="class_seed")
        variants = st.radio(_("Numbers"), ("same", "per-student"), horizontal=True, key="class_variants",
                            format_func=lambda v: _("the same for everyone") if v == "same" else
                            _("a variant per student, so neighbours cannot copy"))
        lesson = st.selectbox(_("A lesson to present (optional)"), [_NO_LESSON, *presets.BY_KEY],
                              key="class_lesson_preset",
                              format_func=lambda k: _("no lesson") if k == _NO_LESSON else presets.BY_KEY[k].title)
        started = st.form_submit_button(_("Start the class"), type="primary")
    if not started:
        return
    try:
        query = preset_query(lesson) if lesson else ""
        created = room.create(store, int(seed), variants == "per-student", query)
    except InputError as problem:
        st.error(str(problem))
        return
    st.session_state[TEACHER_TOKEN] = created.teacher_token
    st.session_state.class_teacher_link_fresh = True
    st.query_params.from_dict(language.kept({"class": created.code}))
    st.rerun()


def _address() -> str | None:
    """Who is joining, for the rate limit: the proxy's forwarded address, else the socket's."""
    forwarded = (st.context.headers.get("X-Forwarded-For") or "").split(",")[0].strip()
    return forwarded or st.context.ip_address


def join(store: Store, code: str) -> None:
    st.title(_("Join a class"))
    with st.form("class_join"):
        typed_code = st.text_input(_("Class code"), value=room.normal_code(code), max_chars=2 * room.CODE_LENGTH,
                                   key="class_code",
                                   placeholder=_("6 letters and digits, from the board"))
        name = st.text_input(_("Your name, as your teacher will see it"), max_chars=room.NAME_MAX,
                             key="class_name")
        joined = st.form_submit_button(_("Join"), type="primary")
    if not joined:
        return
    try:
        info = room.find_class(store, typed_code, st.session_state.setdefault("class_session_id", room.new_token()),
                               _address())
        token, _student = room.join(store, info, name)
    except InputError as problem:
        st.error(str(problem), icon=":material/error:")
        return
    except StoreUnavailable as problem:
        st.error(str(problem), icon=":material/error:")
        return
    st.query_params.from_dict(language.kept({"class": info.code, STUDENT_TOKEN_PARAM: token}))
    st.rerun()
