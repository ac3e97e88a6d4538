"""What happens during a class: a student's numbers checked and stored, answers shown
only when asked for on the server, and the teacher's dashboard counted from the rows.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from ..errors import InputError
from ..explain.mistakes import BY_ID
from ..text import _, count, ngettext
from ..store import Answer, ClassInfo, Store, StudentInfo, now
from . import grading, room
from .grading import Cell



def mistake_title(mistake_id: str) -> str:
    """A mistake id as the page names it: `update_rule_flipped` → "Update rule flipped"."""
    return " + ".join(BY_ID[part].title if part in BY_ID else part for part in mistake_id.split("+") if part)


def latest(answers: list[Answer]) -> dict[str, Answer]:
    """Each cell's last typed number (answers come oldest first)."""
    return {a.cell: a for a in answers}


def typed_cells(info: ClassInfo, student: StudentInfo, answers: list[Answer]) -> dict[Cell, str]:
    exercise = room.exercise(info, student)
    cells = {grading.key(cell): cell for cell in exercise.cells()}
    return {cells[key]: a.typed for key, a in latest(answers).items() if key in cells and a.typed}


def save(store: Store, info: ClassInfo, student: StudentInfo, typed: dict[Cell, str],
         grades: grading.Grades | None = None, at: datetime | None = None) -> grading.Grades:
    """Grade the student's numbers (unless `grades` already did) and store every one that
    changed since the last save; an empty text records a cleared box."""
    exercise = room.exercise(info, student)
    typed = {cell: str(text).strip()[: grading.TYPED_MAX] for cell, text in typed.items()
             if cell in exercise.cells()}
    grades = grades or grading.grade(exercise, {c: t for c, t in typed.items() if t})
    before = latest(store.answers(info.id, student.id))
    by_cell = {f.cell: f for f in grades.feedback}
    changed = []
    for cell, text in typed.items():
        key = grading.key(cell)
        if _storable(text) == (before[key].typed if key in before else ""):
            continue
        feedback = by_cell.get(cell)
        status = feedback.status if feedback else "blank"
        changed.append(Answer(student.id, key, _storable(text), status, feedback.mistake_id if feedback else "",
                              at or now()))
    if changed:
        store.add_answers(changed)
    return grades


def _storable(text: str) -> str:
    """A control character (no part of any number; PostgreSQL's text cannot even hold a NUL) is
    kept as a visible � so the teacher sees what was typed; the grade came from the text itself."""
    return "".join(ch if ch.isprintable() else "\ufffd" for ch in text)


def revealed(store: Store, info: ClassInfo, student: StudentInfo) -> frozenset[str]:
    return frozenset(r.cell for r in store.reveals(info.id, student.id))


def reveal(store: Store, info: ClassInfo, student: StudentInfo, cell: Cell) -> str:
    """The "Show this number" request: recorded, then answered, unless the teacher turned it off."""
    current = store.class_by_id(info.id)
    if current is None or not current.reveal_allowed:
        raise InputError(_("Your teacher has turned off “Show this number” for this class."))
    exercise = room.exercise(current, student)
    if cell not in exercise.cells():
        raise InputError(_("{number} is not part of this exercise.").format(number=grading.name(cell)))
    store.add_reveal(student.id, grading.key(cell))
    return grading.reveal(exercise, cell)


@dataclass(frozen=True)
class Row:
    """One student on the dashboard."""

    student: StudentInfo
    label: str  # the name, or "Student 3" when anonymized
    typed: dict[str, Answer]  # cell key → the latest number
    revealed: frozenset[str]
    score: int

    @property
    def first_at(self) -> datetime | None:
        return min((a.at for a in self.typed.values()), default=None)

    @property
    def last_at(self) -> datetime | None:
        return max((a.at for a in self.typed.values()), default=None)


@dataclass(frozen=True)
class Summary:
    """One asked number across the class."""

    cell: Cell
    right: int
    wrong: int
    blank: int
    mistake_id: str  # the most common named mistake among the wrong ones, "" for none
    mistake_count: int

    def sentence(self) -> str:
        if not self.mistake_id:
            return ""
        return ngettext("{count} student: {mistake}", "{count} students: {mistake}", self.mistake_count).format(
            count=count(self.mistake_count), mistake=mistake_title(self.mistake_id).lower())


@dataclass(frozen=True)
class Dashboard:
    info: ClassInfo
    cells: tuple[Cell, ...]
    rows: tuple[Row, ...]
    summaries: tuple[Summary, ...]


def label(student: StudentInfo, anonymize: bool) -> str:
    return _("Student {number}").format(number=student.number) if anonymize else student.name


def dashboard(store: Store, info: ClassInfo, anonymize: bool = False) -> Dashboard:
    """Every student's latest numbers and, per number, who is right and the room's commonest mistake."""
    cells = tuple(room.exercise(info).cells())
    answers, reveals = store.answers(info.id), store.reveals(info.id)
    rows = []
    for student in store.students(info.id):
        mine = latest([a for a in answers if a.student_id == student.id])
        mine = {k: a for k, a in mine.items() if a.typed}
        shown = frozenset(r.cell for r in reveals if r.student_id == student.id)
        rows.append(Row(student, label(student, anonymize), mine, shown,
                        sum(a.status == "right" for a in mine.values())))
    summaries = []
    for cell in cells:
        key = grading.key(cell)
        statuses = [row.typed[key] for row in rows if key in row.typed]
        wrong = [a for a in statuses if a.status != "right"]
        common = Counter(a.mistake_id for a in wrong if a.mistake_id).most_common(1)
        summaries.append(Summary(cell, len(statuses) - len(wrong), len(wrong), len(rows) - len(statuses),
                                 *(common[0] if common else ("", 0))))
    return Dashboard(info, cells, tuple(rows), tuple(summaries))


@dataclass(frozen=True)
class Snapshot:
    """One student's wrong number, put on the projector with the detective's story."""

    label: str
    cell: Cell
    feedback: grading.Feedback


def snapshot(store: Store, info: ClassInfo, student: StudentInfo, cell: Cell, anonymize: bool) -> Snapshot:
    answers = store.answers(info.id, student.id)
    typed = typed_cells(info, student, answers)
    if cell not in typed:
        raise InputError(_("{student} has not written {number} yet.").format(student=label(student, anonymize),
                                                                            number=grading.name(cell)))
    grades = grading.grade(room.exercise(info, student), typed)
    feedback = next(f for f in grades.feedback if f.cell == cell)
    return Snapshot(label(student, anonymize), cell, feedback)
