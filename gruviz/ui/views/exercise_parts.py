"""The pieces of a hand exercise's page, shared by a stand-alone practice link and a
class: the problem, the student's boxes with their feedback, and the teacher's key.

Where a student's numbers come from and go (the link, or the class database) is a
`Work`; the page itself never decides what a student may see.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Callable

import pandas as pd
import streamlit as st

from ...classroom import exercises, grading, sheet, worksheet, worksheet_tex
from ...explain.fit import fit
from ...explain.mistakes import detail_text
from ...text import _, language, use
from ..kit import plain, state


@dataclass(frozen=True)
class Work:
    """A student's numbers: `typed` for a first view (cell key → text), `shown` the numbers the
    server has revealed (cell key → value), `show` asks for one (None: turned off)."""

    typed: Callable[[], dict[str, str]]
    shown: Callable[[], dict[str, str]]
    show: Callable[[grading.Cell], None] | None


def graded(exercise: exercises.Exercise, typed: tuple[tuple[grading.Cell, str], ...]) -> grading.Grades:
    """Grades per exercise object (cached upstream, so identity is stable), typed numbers and the
    reader's language (a grade's messages are sentences, and the cache serves every session)."""
    return _graded(exercise, typed, language())


@functools.lru_cache(maxsize=512)
def _graded(exercise: exercises.Exercise, typed: tuple[tuple[grading.Cell, str], ...],
            _language: str) -> grading.Grades:
    return grading.grade(exercise, dict(typed))


def _file(exercise: exercises.Exercise, answers: bool, kind: str, reader: str) -> bytes:
    """A worksheet, built when its button is pressed (a PDF takes about a second), in `reader`'s language:
    Streamlit calls this on a server thread after the click, outside the session's run and its language."""
    before = language()
    use(reader)
    try:
        return _worksheet(exercise, answers, kind, reader)
    finally:
        use(before)


@functools.lru_cache(maxsize=16)
def _worksheet(exercise: exercises.Exercise, answers: bool, kind: str, _language: str) -> bytes:
    return worksheet.tex(exercise, answers).encode() if kind == "tex" else worksheet.pdf(exercise, answers, kind)


def download(where, label: str, exercise: exercises.Exercise, answers: bool, kind: str, name: str) -> None:
    name = f"{name}{'-key' if answers else ''}{'-letter' if kind == 'letter' else ''}"
    where.download_button(label, functools.partial(_file, exercise, answers, kind, language()),
                          f"{name}.{'tex' if kind == 'tex' else 'pdf'}",
                          "application/x-tex" if kind == "tex" else "application/pdf",
                          on_click="ignore", key=f"exercise_download_{answers}_{kind}")


def problem(exercise: exercises.Exercise) -> None:
    for fact in sheet.facts(exercise):
        st.markdown(fact)
    with st.expander(_("The weights, the input and the equations"), expanded=True):
        # One matrix per column: a phone stacks the columns instead of cutting the row off.
        for row in sheet.matrices(exercise) + [sheet.sequence(exercise)]:
            for column, m in zip(st.columns(len(row)), row):
                column.latex(worksheet_tex.matrix(m))
        if sheet.bias_note(exercise):
            st.caption(sheet.bias_note(exercise))
        for equation in sheet.equations(exercise):  # the name above, not beside: a phone has no room for both
            st.caption(equation.label)
            st.latex(fit(equation.latex))


def typed_now(exercise: exercises.Exercise, work: Work) -> dict[grading.Cell, str]:
    """What the student typed: the boxes this session, else `work.typed` (a reload, another tab)."""
    first, sent = None, state.sent_texts()
    typed = {}
    for cell in exercise.cells():
        key = grading.key(cell)
        widget = f"exercise_{key}"
        if widget not in st.session_state:
            first = work.typed() if first is None else first
            # A box the page sent (a reconnect after a failover) keeps what the person typed; a link
            # may carry more than the box takes, and the box shows what is graded.
            value = sent[widget] if widget in sent else first.get(key, "")
            st.session_state[widget] = str(value)[: grading.TYPED_MAX]
        text = str(st.session_state[widget]).strip()[: grading.TYPED_MAX]
        if text:
            typed[cell] = text
    return typed


def student(exercise: exercises.Exercise, work: Work, grades: grading.Grades) -> None:
    k = exercise.answer_decimals
    st.markdown(_("Type z, r, h̃ and h for each step and unit, in any order, with {decimals} decimals (more are "
                  "fine): a number is right when it is within {half} of the true value, half a unit in the last "
                  "decimal asked. A number with fewer decimals is not checked.").format(
        decimals=k, half=rf"$\tfrac{{1}}{{2}}\cdot 10^{{-{k}}}$"))
    st.progress(grades.right / grades.total, text=f"**{grades.progress()}**")
    feedback = {f.cell: f for f in grades.feedback}
    shown = work.shown()
    for t in range(exercise.steps):
        st.subheader(_("Step {step}").format(step=t + 1))
        for quantity in ("z", "r", "h_tilde", "h"):
            for j, column in enumerate(st.columns(exercise.units)):
                with column:
                    _cell(exercise, (t, quantity, j), feedback.get((t, quantity, j)), work, shown)


def _cell(exercise, cell: grading.Cell, feedback: grading.Feedback | None, work: Work, shown: dict) -> None:
    key = grading.key(cell)
    st.text_input(grading.name(cell), key=f"exercise_{key}", max_chars=grading.TYPED_MAX,
                  placeholder=_("{decimals} decimals").format(decimals=exercise.answer_decimals))
    # Always drawn, empty until there is feedback: a screen reader announces what appears in a
    # status region that was already there (ui/a11y.py ties it to the box and marks a wrong box).
    with st.container(key=f"feedback_{key}"):
        _feedback(exercise, cell, feedback, work, shown)


def _feedback(exercise, cell: grading.Cell, feedback: grading.Feedback | None, work: Work, shown: dict) -> None:
    key = grading.key(cell)
    if feedback is None:
        return
    if feedback.note:  # a decimal comma, read as a point: said before the verdict it led to
        st.info(feedback.note)
    if feedback.status == "right":
        st.markdown(":green[" + _("✓ right") + "]")
        return
    if feedback.status == "invalid":
        st.warning(feedback.message)
        return
    if feedback.status == "short":
        st.info(feedback.message)
        return
    lines = [_("✗ not right to {decimals} decimals.").format(decimals=exercise.answer_decimals)]
    if feedback.wrong_inputs:
        names = ", ".join(grading.name(c) for c in feedback.wrong_inputs)
        lines.append(_("It is built on {names}, already wrong above: fix that first.").format(names=names)
                     if len(feedback.wrong_inputs) == 1 else
                     _("It is built on {names}, already wrong above: fix those first.").format(names=names))
    if feedback.mistake:
        lines.append(_("You get this number if you {mistake}.").format(mistake=detail_text(feedback.mistake)))
    st.markdown(":red[" + lines[0] + "]  \n" + "  \n".join(lines[1:]))
    st.caption(_("Hint: the equation with your own numbers (? where you have not written one yet)"))
    st.latex(feedback.hint)
    if key in shown:
        st.info(f"{grading.name(cell)} = {shown[key]}")
    elif work.show is not None:
        st.button(_("Show this number"), key=f"exercise_show_{key}", on_click=work.show, args=(cell,))


# The story column keeps room for a few words a line where the numbers leave it little (a phone).
_MISTAKE_COLUMN = """<style>[class*="st-key-exercise_mistakes_"] th:first-child,
[class*="st-key-exercise_mistakes_"] td:first-child {min-width: 16rem;}</style>"""


def _plain(label: str) -> str:
    """A key column's LaTeX name as text: a_{z,1} → a_z, \\tilde h_{t,1} → h̃ (one table per unit)."""
    label = re.sub(r"_\{t(,\d+)?\}", "", label)
    return re.sub(r"_\{(\w),\d+\}", r"_\1", label).replace("\\tilde h", "h̃")


def key_tables(exercise: exercises.Exercise) -> None:
    """The answer key and every mistake's answer to every number: the teacher's alone."""
    st.subheader(_("Answer key"))
    for j, key in enumerate(sheet.key_tables(exercise)):
        if exercise.units > 1:
            st.markdown("**" + _("Unit {unit}").format(unit=j + 1) + "**")
        st.table(pd.DataFrame(list(key.rows), columns=[_plain(h) for h in key.header]), hide_index=True)
    st.subheader(_("If you got X, you probably did Y"))
    st.markdown(_("One table per step. Mistakes that give the same numbers for this layer share a row."))
    cells = exercise.cells()
    rows = sheet.coinciding(exercise, functools.partial(sheet.every_number, exercise))
    # An HTML table, not a grid: its cells wrap, so a mistake's whole name and story show at any width.
    st.html(_MISTAKE_COLUMN)
    for t in range(exercise.steps):
        st.markdown("**" + _("Step {step}").format(step=t + 1) + "**")
        mine = [i for i, cell in enumerate(cells) if cell[0] == t]
        # st.table reads cells as Markdown: a story's _, * or $ is shown as written.
        table = [{_("mistake"): plain.markdown(sheet.told(row, _("(correct)"))),
                  **{grading.name(cells[i]): row.numbers[i] for i in mine}} for row in rows]
        with st.container(key=f"exercise_mistakes_{t}"):
            st.table(pd.DataFrame(table), hide_index=True)
