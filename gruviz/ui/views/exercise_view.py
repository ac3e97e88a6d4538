"""Practice by hand without a class: a student view (`?exercise=7&mode=student`) that
checks each typed number as it is entered, and the teacher's key (`mode=teacher&key=K`).

The key is shown only with `key`, an HMAC of the exercise's own parameters under a
secret the server keeps in the class database: editing `mode` in a student's link
opens nothing. A student's typed numbers live in the link, so a reload loses none;
a number the student asked to see is a fact of this server session, never of the link.
"""

from __future__ import annotations

import hmac
import urllib.parse

import streamlit as st

from ...classroom import exercises, grading, room, sheet
from ...errors import InputError
from ...math.cell import Convention
from ...store import Store, StoreUnavailable
from ...text import _, count, ngettext
from . import exercise_parts
from ..kit import language, qr

_SHAPE = {"units": "units", "dim": "input_dim", "steps": "steps", "dec": "decimals"}
_FIXED = ("exercise", *_SHAPE, "conv", language.LINK_KEY)  # the exercise and its language, not what was typed
TEACHER_KEY = "key"


def wanted() -> bool:
    return "exercise" in st.query_params


def _options(params: dict[str, str]) -> tuple[int, exercises.Options]:
    def whole(name: str) -> int | None:
        text = params.get(name)
        if text is None:
            return None
        if not text.strip().isdigit():
            raise InputError(_("the link's {name}={text} is not a whole number.").format(name=name, text=repr(text)))
        return int(text)

    conv = params.get("conv")
    if conv is not None and conv not in {c.value for c in Convention}:
        raise InputError(_("the link's conv={conv} is unknown; use keras or bahdanau.").format(conv=repr(conv)))
    seed = whole("exercise")
    return seed, exercises.Options(**{field: whole(name) for name, field in _SHAPE.items()},
                                   convention=None if conv is None else Convention(conv))


@st.cache_resource(max_entries=64, show_spinner=False)
def _exercise(seed: int, options: exercises.Options) -> exercises.Exercise:
    return exercises.generate(seed, options)


def exercise_query(params: dict[str, str]) -> str:
    """The parameters that name an exercise, in one fixed order: what the teacher key signs."""
    return urllib.parse.urlencode([(k, params[k]) for k in _FIXED if k in params])


def link(params: dict[str, str], role: str, store: Store | None = None) -> str:
    """A student link, or (with the store that holds the secret) the teacher's link with its key."""
    query = exercise_query(params)
    if role == "teacher" and store is not None:
        return f"?{query}&mode=teacher&{TEACHER_KEY}={room.exercise_key(store, query)}"
    return f"?{query}&mode={role}"


def _is_teacher(params: dict[str, str]) -> bool:
    """The server's decision: a valid key for exactly this exercise, whatever `mode` says."""
    given = params.get(TEACHER_KEY, "")
    if params.get("mode") != "teacher":
        return False
    if not given:
        st.warning(_("The answer key needs the teacher link of this exercise; this page shows the student view."))
        return False
    try:
        expected = room.exercise_key(Store(), exercise_query(params))
    except StoreUnavailable:
        st.warning(_("The answer key cannot be checked while the class database is not answering; this page "
                     "shows the student view."))
        return False
    if not hmac.compare_digest(expected, str(given)):
        st.warning(_("This teacher key does not belong to this exercise; this page shows the student view."))
        return False
    return True


def render() -> None:
    with st.sidebar:
        language.picker()
    params = st.query_params.to_dict()
    try:
        seed, options = _options(params)
        exercise = _exercise(seed, options)
    except InputError as error:
        st.error(_("This exercise link does not work: {reason}").format(reason=error))
        return
    teacher = _is_teacher(params)
    st.link_button(_("Back to the GRU explainer"), language.home(), icon=":material/arrow_back:")
    title = sheet.title(exercise)
    st.title(_("Teacher's key — {title}").format(title=title) if teacher else title)
    student_url = f"{(st.context.url or '').split('?')[0].rstrip('/')}/{link(params, 'student')}"
    exercise_parts.problem(exercise)
    name = f"gru-exercise-{seed}"
    if teacher:
        st.subheader(_("The students' link"))
        qr.show(student_url, _("the students' link"), "exercise_student_qr")
        st.caption(ngettext("{attempts} draw of this seed was needed so that every known mistake shows at "
                            "the asked precision.",
                            "{attempts} draws of this seed were needed so that every known mistake shows at "
                            "the asked precision.", exercise.attempts).format(attempts=count(exercise.attempts)))
        exercise_parts.key_tables(exercise)
        columns = st.columns(4)
        exercise_parts.download(columns[0], _("Worksheet (PDF)"), exercise, False, "a4", name)
        exercise_parts.download(columns[1], _("With answer key (PDF, A4)"), exercise, True, "a4", name)
        exercise_parts.download(columns[2], _("With answer key (PDF, Letter)"), exercise, True, "letter", name)
        exercise_parts.download(columns[3], _("LaTeX source with key"), exercise, True, "tex", name)
        return
    with st.expander(_("Share this exercise")):
        qr.show(student_url, _("this exercise's link"), "exercise_share_qr")
    _solo_student(exercise, params)
    columns = st.columns(2)
    exercise_parts.download(columns[0], _("Worksheet (PDF, A4)"), exercise, False, "a4", name)
    exercise_parts.download(columns[1], _("Worksheet (PDF, Letter)"), exercise, False, "letter", name)


def _show(cell: grading.Cell) -> None:
    st.session_state.exercise_shown = st.session_state.get("exercise_shown", frozenset()) | {grading.key(cell)}


def _solo_student(exercise: exercises.Exercise, params: dict[str, str]) -> None:
    def shown() -> dict[str, str]:
        cells = {grading.key(c): c for c in exercise.cells()}
        return {k: grading.reveal(exercise, cells[k]) for k in st.session_state.get("exercise_shown", ()) if k in cells}

    work = exercise_parts.Work(typed=lambda: params, shown=shown, show=_show)
    typed = exercise_parts.typed_now(exercise, work)
    _sync_link(typed)
    exercise_parts.student(exercise, work, exercise_parts.graded(exercise, tuple(sorted(typed.items()))))
    st.divider()


def _sync_link(typed: dict[grading.Cell, str]) -> None:
    """The link holds the exercise and the typed numbers; never a key, never a revealed answer."""
    wanted_params = {k: v for k, v in st.query_params.to_dict().items() if k in _FIXED}
    wanted_params["mode"] = "student"
    wanted_params.update({grading.key(cell): text for cell, text in typed.items()})
    if wanted_params != st.query_params.to_dict():
        st.query_params.from_dict(wanted_params)
