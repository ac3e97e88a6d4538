"""A class's results as a download: one row per student, every typed number in it.

Spreadsheets read a cell that starts with =, +, -, @, a tab or a carriage return as a
formula (CSV injection), so any such text that is not a plain number gets a leading '.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime

from ..store import ClassInfo, Store
from ..text import N_, _
from . import grading, live

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def safe(value: object) -> str:
    """Text a spreadsheet shows as text, never runs."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def _when(moment: datetime | None) -> str:
    return "" if moment is None else moment.isoformat(timespec="seconds")


def rows(store: Store, info: ClassInfo, anonymize: bool = False) -> list[dict]:
    """Every student: each number typed, right or wrong, its mistake, the score and the times."""
    board = live.dashboard(store, info, anonymize)
    history = store.answers(info.id)
    out = []
    for row in board.rows:
        record = {"student": row.label, "joined": _when(row.student.joined_at), "first_answer": _when(row.first_at),
                  "last_answer": _when(row.last_at), "score": row.score, "of": len(board.cells)}
        for cell in board.cells:
            key, name = grading.key(cell), grading.name(cell)
            answer = row.typed.get(key)
            record[name] = answer.typed if answer else ""
            record[f"{name} result"] = answer.status if answer else "blank"
            record[f"{name} mistake"] = live.mistake_title(answer.mistake_id) if answer else ""
            record[f"{name} at"] = _when(answer.at) if answer else ""
        record["revealed"] = " ".join(grading.name(c) for c in board.cells if grading.key(c) in row.revealed)
        record["every number typed"] = "; ".join(
            f"{a.cell}={a.typed}@{_when(a.at)}" for a in history if a.student_id == row.student.id)
        out.append(record)
    return out


# The page's download is read by a teacher in a spreadsheet, so its headings and verdicts are in
# the page's language; the CLI prints the keys above, which scripts read.
_HEADINGS = {"student": N_("student"), "joined": N_("joined"), "first_answer": N_("first answer"),
             "last_answer": N_("last answer"), "score": N_("score"), "of": N_("out of"),
             "revealed": N_("revealed"), "every number typed": N_("every number typed")}
_PER_NUMBER = {"result": N_("{name} result"), "mistake": N_("{name} mistake"), "at": N_("{name} at")}
_VERDICTS = {"right": N_("right"), "wrong": N_("wrong"), "short": N_("too few decimals"),
             "invalid": N_("not a number"), "blank": N_("blank")}


def _heading(key: str) -> str:
    if key in _HEADINGS:
        return _(_HEADINGS[key])
    name, _space, part = key.rpartition(" ")
    return _(_PER_NUMBER[part]).format(name=name) if part in _PER_NUMBER else key  # a number's own name


def verdict(status: str) -> str:
    """A typed number's status (right, wrong, short, invalid, blank) as the person's language says it."""
    return _(_VERDICTS[status]) if status in _VERDICTS else status


def localized(records: list[dict]) -> list[dict]:
    """The records with headings and verdicts in the person's language, for the page's download."""
    return [{_heading(key): verdict(value) if key.endswith(" result") else value for key, value in record.items()}
            for record in records]


def to_csv(records: list[dict]) -> str:
    if not records:
        return "student\n"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(records[0]), lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow({k: safe(v) for k, v in record.items()})
    return buffer.getvalue()
