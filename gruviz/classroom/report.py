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


def to_csv(records: list[dict]) -> str:
    if not records:
        return "student\n"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(records[0]), lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow({k: safe(v) for k, v in record.items()})
    return buffer.getvalue()
