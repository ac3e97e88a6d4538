"""The teacher's page of a class: the code to put on the board, a live dashboard of every
student's numbers, the lesson to present, the answer key, the report and the end.

The page is reached only with the class's teacher token (checked on the server); the
token then lives in the session, not in the address bar a projector shows.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pandas as pd
import streamlit as st

from ...classroom import grading, live, report, room
from ...errors import InputError
from ...explain.mistakes import detail_text
from ...store import ClassInfo, Store, StoreUnavailable
from ... import text
from ...text import _, ngettext
from ...classroom import presets
from ...classroom.lesson import preset_query, query_of
from ...limits import APP
from . import class_lesson, exercise_parts, presenter
from ..kit import language, plain, qr
from ..kit.session_keys import TEACHER_TOKEN, TEACHER_TOKEN_PARAM

REFRESH_SECONDS = 2
MARK = {"right": "✓", "wrong": "✗", "invalid": "?", "short": "…", "blank": ""}
_CODE_STYLE = ("font-size:clamp(2.5rem, 9vw, 5rem);font-weight:700;letter-spacing:.3em;"
               "font-family:monospace;line-height:1.1;margin:0")


def render(store: Store, info: ClassInfo) -> None:
    presenter.style()  # a projected page: little room above the title, the lesson's equations large
    st.title(_("Class {code}: teacher's dashboard").format(code=info.code))
    base = (st.context.url or "").split("?")[0].rstrip("/") + "/"
    # The code is drawn from a fixed alphabet by the server, never typed by a person.
    code_box, qr_box = st.columns([3, 1], vertical_alignment="center")
    with code_box:
        st.html(f"<p role='note' aria-label='{_('Class code')} {' '.join(info.code)}' style='{_CODE_STYLE}'>"
                f"{info.code}</p>")
        st.markdown(_("Students open **{link}** and type this code with their name, or scan the code beside "
                      "it.").format(link=f"{base}?class={language.suffix()}"))
    with qr_box:
        qr.show(f"{base}?class={info.code}{language.suffix()}", _("the class's join link"), "class_join_qr")
    with st.expander(_("Your teacher link: keep it private, it opens this page and the answers")):
        st.code(f"{base}?class={info.code}&{TEACHER_TOKEN_PARAM}={st.session_state[TEACHER_TOKEN]}"
                f"{language.suffix()}",
                language=None, wrap_lines=True)
    _switches(store, info)
    page = st.segmented_control(_("Show"), ["board", "lesson", "key", "class"], key="class_page",
                                default="board", required=True, label_visibility="collapsed",
                                format_func=lambda p: {"board": _("Dashboard"), "lesson": _("Lesson"),
                                                       "key": _("Answer key"), "class": _("Class")}[p])
    if page == "board":
        _board(store, info.id)
    elif page == "lesson":
        if info.lesson:
            class_lesson.teacher(store, info)
        else:
            st.info(_("No lesson is assigned: choose one under Class."))
    elif page == "key":
        if info.per_student:
            st.info(_("Each student has a variant of these numbers; a student's own answers show when you "
                      "select the student on the dashboard."))
        exercise_parts.key_tables(room.exercise(info))
    else:
        _settings(store, info)


def _update(store: Store, class_id: int, field: str, key: str) -> None:
    try:
        store.update_class(class_id, **{field: bool(st.session_state[key])})
    except StoreUnavailable as problem:
        st.session_state.class_problem = str(problem)


def _switches(store: Store, info: ClassInfo) -> None:
    ss = st.session_state
    ss.setdefault("class_follow", info.follow)
    ss.setdefault("class_reveal_allowed", info.reveal_allowed)
    row = st.container(horizontal=True, gap="medium")
    row.toggle(_("Anonymize names"), key="class_anonymize",
               help=_("For the projector: names become Student 1, Student 2, …"))
    row.toggle(_("Follow me"), key="class_follow", on_change=_update, args=(store, info.id, "follow", "class_follow"),
               help=_("Students' lesson views follow your step and reveal; they cannot run ahead."))
    row.toggle(_("Students may use “Show this number”"), key="class_reveal_allowed", on_change=_update,
               args=(store, info.id, "reveal_allowed", "class_reveal_allowed"))
    problem = ss.pop("class_problem", None)
    if problem:
        st.warning(problem)


def _grid(board: live.Dashboard) -> pd.DataFrame:
    rows = {}
    for row in board.rows:
        marks = {}
        for cell in board.cells:
            answer = row.typed.get(grading.key(cell))
            marks[grading.name(cell)] = f"{MARK[answer.status]} {answer.typed}" if answer else ""
        rows[row.label] = {_("score"): f"{row.score}/{len(board.cells)}", **marks}
    return pd.DataFrame.from_dict(rows, orient="index")


def _summary(board: live.Dashboard) -> pd.DataFrame:
    return pd.DataFrame([{_("number"): grading.name(s.cell), _("right"): s.right, _("wrong"): s.wrong,
                          _("blank"): s.blank, _("most common mistake"): s.sentence()} for s in board.summaries])


@st.fragment(run_every=REFRESH_SECONDS)
def _board(store: Store, class_id: int) -> None:
    ss = st.session_state
    try:
        info = store.class_by_id(class_id)
        board = None if info is None else live.dashboard(store, info, bool(ss.get("class_anonymize")))
    except StoreUnavailable as problem:
        st.warning(str(problem))
        return
    if board is None:
        st.error(_("This class no longer exists."))
        return
    _snapshot(store, info)
    stamp = datetime.now(timezone.utc).strftime("%H:%M:%S")
    # Text, not st.caption: Streamlit 1.67 draws a caption at 60% opacity, below AA contrast on a projector.
    legend = _("✓ right, ✗ wrong, ? not a number, … too few decimals")
    st.markdown(ngettext("{count} student · updated {time} UTC, every {seconds} s", "{count} students · updated "
                         "{time} UTC, every {seconds} s", len(board.rows)).format(
        count=len(board.rows), time=stamp, seconds=REFRESH_SECONDS) + " · " + legend)
    if not board.rows:
        st.info(_("No student has joined yet."))
        return
    st.header(_("Every student's numbers"))
    grid = _grid(board)
    # Fixed widths: the grid sizes its columns once, when most are still empty, and would cut
    # off the numbers typed later. Numbers are right-aligned, so their decimals line up.
    columns = {"_index": st.column_config.TextColumn(_("student"), width=240, pinned=True),
               **{c: st.column_config.TextColumn(width=86 if i else 64, alignment="right")
                  for i, c in enumerate(grid.columns)}}
    chosen = st.dataframe(grid, key="class_grid", on_select="rerun", selection_mode="single-row",
                          column_config=columns, alt=_("Every student's numbers: one row per student, one "
                                                       "column per number; select a row for its details"))
    st.header(_("Each number across the class"))
    st.table(_summary(board), hide_index=True)
    picked = chosen.selection.rows if chosen is not None else []
    if picked:
        _student_detail(store, info, board.rows[picked[0]])


def _student_detail(store: Store, info: ClassInfo, row: live.Row) -> None:
    st.subheader(_("Numbers of {student}").format(student=plain.markdown(row.label)))
    exercise = room.exercise(info, row.student)
    lines = []
    for cell in exercise.cells():
        answer = row.typed.get(grading.key(cell))
        # st.table reads its cells as Markdown: what a student typed is escaped, shown as typed.
        lines.append({_("number"): grading.name(cell), _("typed"): plain.markdown(answer.typed) if answer else "",
                      _("result"): report.verdict(answer.status) if answer else "",
                      _("answer"): float(exercise.answer(*cell)),
                      _("mistake"): live.mistake_title(answer.mistake_id) if answer else "",
                      _("revealed"): "✓" if grading.key(cell) in row.revealed else ""})
    # The key as numbers (right-aligned, so the decimals line up), shown as the exercise rounds them.
    decimals = exercise.answer_decimals
    st.table(pd.DataFrame(lines).style.format({_("answer"): f"{{:.{decimals}f}}"}), hide_index=True)
    wrong = [c for c in exercise.cells() if (a := row.typed.get(grading.key(c))) and a.status == "wrong"]
    if wrong:
        cell = st.selectbox(_("A wrong number to discuss"), wrong, format_func=grading.name, key="class_snap_cell")
        if st.button(_("Put it on the projector"), key="class_snap"):
            st.session_state.class_snapshot = (row.student.id, grading.key(cell))
            st.rerun(scope="fragment")


def _snapshot(store: Store, info: ClassInfo) -> None:
    held = st.session_state.get("class_snapshot")
    if not held:
        return
    student = next((s for s in store.students(info.id) if s.id == held[0]), None)
    if student is None:
        return
    exercise = room.exercise(info, student)
    cell = next(c for c in exercise.cells() if grading.key(c) == held[1])
    try:
        shot = live.snapshot(store, info, student, cell, bool(st.session_state.get("class_anonymize")))
    except InputError as problem:
        st.warning(str(problem))
        return
    with st.container(border=True, key="class_snapshot_box"):
        st.subheader(_("{student} wrote {number} = {typed}").format(
            student=plain.markdown(shot.label), number=grading.name(cell), typed=plain.markdown(shot.feedback.typed)))
        if shot.feedback.mistake:
            st.markdown(_("This is the number you get if you {mistake}.").format(
                mistake=detail_text(shot.feedback.mistake)))
        st.latex(shot.feedback.hint)
        st.button(_("Close the snapshot"), key="class_snap_close",
                  on_click=lambda: st.session_state.pop("class_snapshot", None))


def _settings(store: Store, info: ClassInfo) -> None:
    st.header(_("Lesson"))
    choice = st.selectbox(_("Present a preset"), ["", *presets.BY_KEY], key="class_set_preset",
                          format_func=lambda k: _("keep the current lesson") if not k else
                          presets.BY_KEY[k].title)
    pasted = st.text_input(_("…or paste a gruviz link"), key="class_set_link", max_chars=APP.max_text_chars)
    if st.button(_("Assign this lesson"), key="class_assign_lesson"):
        try:
            query = query_of(pasted) if pasted.strip() else preset_query(choice) if choice else ""
            if query:
                store.update_class(info.id, lesson=query, follow_step=1, follow_stage=0)
                st.success(_("Assigned: students see it now."))
        except (InputError, StoreUnavailable) as problem:
            st.error(str(problem))
    st.header(_("Results"))
    st.download_button(_("Download the results (CSV)"), _results_csv(store, info),
                       f"gruviz-class-{info.code}.csv", "text/csv", on_click="ignore", key="class_csv")
    st.header(_("End the class"))
    sure = st.checkbox(_("Delete every student's name and numbers now"), key="class_end_sure")
    if st.button(_("End and delete the class"), key="class_end", disabled=not sure, type="primary"):
        try:
            room.end(store, info)
        except StoreUnavailable as problem:
            st.error(str(problem))
            return
        st.session_state.pop(TEACHER_TOKEN, None)
        st.query_params.from_dict(language.kept({"class": "new"}))
        st.session_state.class_ended_note = _("Class {code} was ended; all of its data is deleted.").format(
            code=info.code)
        st.rerun()


def _results_csv(store: Store, info: ClassInfo):
    """The download's contents, made when it is clicked, in the language of the page it is on."""
    shown_in = text.language()

    def made() -> str:
        text.use(shown_in)  # Streamlit makes it outside the page's run, where no language is set
        return report.to_csv(report.localized(report.rows(store, info)))

    return made
