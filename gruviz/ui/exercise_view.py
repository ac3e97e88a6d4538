"""Practice by hand: a student view (`?exercise=7&mode=student`) that checks each typed
number as it is entered, and a teacher view (`mode=teacher`) with the answer key.

The answers stay on the server: the student's page carries only feedback until the
student presses "Show this number". Everything typed lives in the link, so a rerun
or a reload loses nothing.
"""

from __future__ import annotations

import functools
import re
import urllib.parse

import pandas as pd
import streamlit as st

from ..classroom import exercises, grading, sheet, worksheet, worksheet_tex
from ..errors import InputError
from ..math.cell import Convention

_SHAPE = {"units": "units", "dim": "input_dim", "steps": "steps", "dec": "decimals"}
_FIXED = ("exercise", *_SHAPE, "conv")  # what names the exercise, not what was typed
SHOWN = "shown"  # the cells whose answer the student asked for


def wanted() -> bool:
    return "exercise" in st.query_params


def _options(params: dict[str, str]) -> tuple[int, exercises.Options]:
    def whole(name: str) -> int | None:
        text = params.get(name)
        if text is None:
            return None
        if not text.strip().isdigit():
            raise InputError(f"the link's {name}={text!r} is not a whole number.")
        return int(text)

    conv = params.get("conv")
    if conv is not None and conv not in {c.value for c in Convention}:
        raise InputError(f"the link's conv={conv!r} is unknown; use keras or bahdanau.")
    seed = whole("exercise")
    return seed, exercises.Options(**{field: whole(name) for name, field in _SHAPE.items()},
                                   convention=None if conv is None else Convention(conv))


@st.cache_resource(max_entries=64, show_spinner=False)
def _exercise(seed: int, options: exercises.Options) -> exercises.Exercise:
    return exercises.generate(seed, options)


@st.cache_data(max_entries=256, show_spinner=False)
def _grades(seed: int, options: exercises.Options, typed: tuple[tuple[grading.Cell, str], ...]) -> grading.Grades:
    return grading.grade(_exercise(seed, options), dict(typed))


@functools.lru_cache(maxsize=16)
def _file(seed: int, options: exercises.Options, answers: bool, kind: str) -> bytes:
    """A worksheet, built when its button is pressed (a PDF takes about a second)."""
    exercise = _exercise(seed, options)
    return worksheet.tex(exercise, answers).encode() if kind == "tex" else worksheet.pdf(exercise, answers, kind)


def _download(where, label: str, seed: int, options: exercises.Options, answers: bool, kind: str) -> None:
    name = f"gru-exercise-{seed}{'-key' if answers else ''}{'-letter' if kind == 'letter' else ''}"
    where.download_button(label, functools.partial(_file, seed, options, answers, kind),
                          f"{name}.{'tex' if kind == 'tex' else 'pdf'}",
                          "application/x-tex" if kind == "tex" else "application/pdf",
                          on_click="ignore", key=f"exercise_download_{answers}_{kind}")


def link(params: dict[str, str], mode: str) -> str:
    kept = {k: v for k, v in params.items() if k in _FIXED}
    return "?" + urllib.parse.urlencode({**kept, "mode": mode})


def render() -> None:
    params = st.query_params.to_dict()
    try:
        seed, options = _options(params)
        exercise = _exercise(seed, options)
    except InputError as error:
        st.error(f"This exercise link does not work: {error}")
        return
    teacher = params.get("mode") == "teacher"
    st.title(("Teacher's key — " if teacher else "") + sheet.title(exercise))
    _problem(exercise)
    if teacher:
        _teacher(exercise, seed, options, params)
    else:
        _student(exercise, seed, options, params)


def _problem(exercise: exercises.Exercise) -> None:
    for fact in sheet.facts(exercise):
        st.markdown(fact)
    with st.expander("The weights, the input and the equations", expanded=True):
        # One matrix per column: a phone stacks the columns instead of cutting the row off.
        for row in sheet.matrices(exercise) + [sheet.sequence(exercise)]:
            for column, m in zip(st.columns(len(row)), row):
                column.latex(worksheet_tex.matrix(m))
        if sheet.bias_note(exercise):
            st.caption(sheet.bias_note(exercise))
        for equation in sheet.equations(exercise):
            st.latex(equation.latex + r"\qquad\text{" + equation.label + "}")


def _typed(exercise: exercises.Exercise, params: dict[str, str]) -> dict[grading.Cell, str]:
    """What the student typed: the widgets this session, else the link (a reload)."""
    typed = {}
    for cell in exercise.cells():
        key = grading.key(cell)
        widget = f"exercise_{key}"
        if widget not in st.session_state:
            st.session_state[widget] = params.get(key, "")
        text = str(st.session_state[widget]).strip()[:40]
        if text:
            typed[cell] = text
    return typed


def _sync_link(exercise: exercises.Exercise, typed: dict[grading.Cell, str], shown: set[str]) -> None:
    wanted_params = {k: v for k, v in st.query_params.to_dict().items() if k in _FIXED or k == "mode"}
    wanted_params.update({grading.key(cell): text for cell, text in typed.items()})
    if shown:
        wanted_params[SHOWN] = ",".join(sorted(shown))
    if wanted_params != st.query_params.to_dict():
        st.query_params.from_dict(wanted_params)


def _show(key: str) -> None:
    st.session_state.exercise_shown = st.session_state.exercise_shown | {key}


def _student(exercise, seed, options, params) -> None:
    if "exercise_shown" not in st.session_state:
        st.session_state.exercise_shown = {k for k in params.get(SHOWN, "").split(",") if k}
    typed = _typed(exercise, params)
    grades = _grades(seed, options, tuple(sorted(typed.items())))
    _sync_link(exercise, typed, st.session_state.exercise_shown)
    st.markdown(f"Type z, r, h̃ and h for each step and unit, in any order, with "
                f"{exercise.answer_decimals} decimals or as many as you have: each number is checked at the "
                "precision you type it with.")
    st.progress(grades.right / grades.total, text=f"**{grades.progress()}**")
    feedback = {f.cell: f for f in grades.feedback}
    for t in range(exercise.steps):
        st.subheader(f"Step {t + 1}")
        for quantity in ("z", "r", "h_tilde", "h"):
            columns = st.columns(exercise.units)
            for j, column in enumerate(columns):
                with column:
                    _cell(exercise, (t, quantity, j), feedback.get((t, quantity, j)))
    st.divider()
    columns = st.columns(2)
    _download(columns[0], "Worksheet (PDF, A4)", seed, options, False, "a4")
    _download(columns[1], "Worksheet (PDF, Letter)", seed, options, False, "letter")


def _cell(exercise, cell: grading.Cell, feedback: grading.Feedback | None) -> None:
    key = grading.key(cell)
    st.text_input(grading.name(cell), key=f"exercise_{key}", placeholder=f"{exercise.answer_decimals} decimals")
    if feedback is None:
        return
    if feedback.status == "right":
        st.markdown(":green[✓ right]")
        return
    if feedback.status == "invalid":
        st.warning(feedback.message)
        return
    lines = ["✗ not right at the precision you typed."]
    if feedback.wrong_inputs:
        names = ", ".join(grading.name(c) for c in feedback.wrong_inputs)
        lines.append(f"It is built on {names}, already wrong above: fix {'that' if len(feedback.wrong_inputs) == 1 else 'those'} first.")
    if feedback.mistake:
        lines.append(f"You get this number if you {feedback.mistake}.")
    st.markdown(":red[" + lines[0] + "]  \n" + "  \n".join(lines[1:]))
    st.caption("Hint: the equation with your own numbers (? where you have not written one yet)")
    st.latex(feedback.hint)
    if key in st.session_state.exercise_shown:
        st.info(f"{grading.name(cell)} = {grading.reveal(exercise, cell)}")
    else:
        st.button("Show this number", key=f"exercise_show_{key}", on_click=_show, args=(key,))


def _plain(label: str) -> str:
    """A key column's LaTeX name as text: a_{z,0} → a_z, \\tilde h_{t,0} → h̃ (one table per unit)."""
    label = re.sub(r"_\{t(,\d+)?\}", "", label)
    return re.sub(r"_\{(\w),\d+\}", r"_\1", label).replace("\\tilde h", "h̃")


def _teacher(exercise, seed, options, params) -> None:
    st.markdown(f"Student link: [`{link(params, 'student')}`]({link(params, 'student')})  ·  "
                f"{exercise.attempts} draw{'s' if exercise.attempts > 1 else ''} of this seed were needed so that "
                "every known mistake shows at the asked precision.")
    st.subheader("Answer key")
    for j, key in enumerate(sheet.key_tables(exercise)):
        if exercise.units > 1:
            st.markdown(f"**Unit {j}**")
        st.table(pd.DataFrame(list(key.rows), columns=[_plain(h) for h in key.header]), hide_index=True)
    st.subheader("If you got X, you probably did Y")
    k, cells = exercise.answer_decimals, exercise.cells()
    rows = []
    for run in [None, *exercise.mistakes]:  # None: the true run
        trace = exercise.truth if run is None else run.trace
        row = {"mistake": "(correct)" if run is None else f"{run.mistakes[0].title}: {run.detail}"}
        for t, quantity, j in cells:
            values = getattr(trace, quantity)
            row[grading.name((t, quantity, j))] = f"{values[t, j]:.{k}f}" if t < len(values) else "—"
        rows.append(row)
    st.dataframe(pd.DataFrame(rows), hide_index=True)
    columns = st.columns(4)
    _download(columns[0], "Worksheet (PDF)", seed, options, False, "a4")
    _download(columns[1], "With answer key (PDF, A4)", seed, options, True, "a4")
    _download(columns[2], "With answer key (PDF, Letter)", seed, options, True, "letter")
    _download(columns[3], "LaTeX source with key", seed, options, True, "tex")
