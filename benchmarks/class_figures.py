"""What benchmarks/class_load.py measures, from what its simulated class did: the numbers
typed, when the teacher's dashboard first showed each, and whether the class's CSV report
holds every one. Printed per set-up with the targets as PASS/FAIL lines."""

from __future__ import annotations

import csv
import io
import os
import statistics
from collections import defaultdict
from dataclasses import dataclass, field

from gruviz.classroom import report
from gruviz.store import Store
from load_test import percentile
from ws_client import Table

TARGET_P95_S, TARGET_DASHBOARD_S = 1.0, 3.0


@dataclass
class Typed:
    student: str
    cell: str  # grading.key: "h_tilde.2.0"
    value: str
    sent: float  # time.monotonic() when the change was sent
    replaced: float = float("inf")  # when the same box got its next number


@dataclass
class Lesson:
    store: Store
    info: object
    students: list[tuple[str, str]]  # (name, token)
    teacher_token: str
    names: dict[str, str]  # cell key → its column on the dashboard
    answers: dict[str, str]  # cell key → the right number as a student types it


@dataclass
class Tally:
    runs: list[float] = field(default_factory=list)
    first_pages: list[float] = field(default_factory=list)
    dashboard_runs: list[float] = field(default_factory=list)
    typed: list[Typed] = field(default_factory=list)
    shown: dict[tuple[str, str, str], list[float]] = field(default_factory=lambda: defaultdict(list))
    routes: list[str] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def error(self, what: str, problem: object) -> None:
        self.errors[what].append(str(problem)[:200])


def note_shown(table: Table | None, lesson: Lesson, tally: Tally, last: float) -> float:
    """Note when the dashboard's grid (a new drawing of it) shows each (student, box, number)."""
    if table is None or table.received <= last:
        return last
    columns = set(lesson.names.values())
    for who, row in table.rows.items():
        for column, text in row.items():
            if column in columns and text:
                tally.shown[(who, column, str(text).partition(" ")[2])].append(table.received)  # "✓ 0.8121"
    return table.received


def dashboard_latencies(lesson: Lesson, tally: Tally) -> tuple[list[float], int, int]:
    """Seconds from each number's sending to its first showing; how many never showed; how many
    the student replaced before a refresh could show them."""
    latencies, unseen, replaced = [], 0, 0
    for typed in tally.typed:
        times = tally.shown.get((typed.student, lesson.names[typed.cell], typed.value), [])
        first = min((t for t in times if typed.sent <= t < typed.replaced), default=None)
        if first is not None:
            latencies.append(first - typed.sent)
        elif typed.replaced < float("inf"):
            replaced += 1
        else:
            unseen += 1
    return latencies, unseen, replaced


def lost_numbers(lesson: Lesson, tally: Tally) -> tuple[set, set, set]:
    """(student, cell, number): what was typed, what of it the CSV lacks, what it has that was never typed."""
    records = csv.DictReader(io.StringIO(report.to_csv(report.rows(lesson.store, lesson.info))))
    in_csv = set()
    for record in records:
        for entry in filter(None, (record.get("every number typed") or "").split("; ")):
            cell, _, rest = entry.partition("=")
            in_csv.add((record["student"], cell, rest.rpartition("@")[0]))
    typed = {(t.student, t.cell, t.value) for t in tally.typed}
    return typed, typed - in_csv, in_csv - typed


def line(label: str, values: list[float]) -> str:
    if not values:
        return f"  {label:<34}{0:>6}"
    return (f"  {label:<34}{len(values):>6}{1000 * statistics.median(values):>9.0f}"
            f"{1000 * percentile(values, 0.95):>9.0f}{1000 * max(values):>9.0f}")


def print_report(name: str, lesson: Lesson, tally: Tally, spread: str, server_cpu_s: float, own_cpu_s: float,
                 wall_s: float) -> int:
    """The set-up's figures; returns how many numbers were lost."""
    latencies, unseen, replaced = dashboard_latencies(lesson, tally)
    typed, lost, extra = lost_numbers(lesson, tally)
    print(f"\n{name}: {len(lesson.students)} students{spread}, {len(tally.typed)} numbers typed")
    print(f"  {'':<34}{'n':>6}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    print(line("first page (student or teacher)", tally.first_pages))
    print(line("student types a number", tally.runs))
    print(line("dashboard refresh run", tally.dashboard_runs))
    print(line("typed → on the teacher's dashboard", latencies))
    print(f"  not shown on the dashboard: {unseen}; replaced by the student before a refresh: {replaced}")
    runs = len(tally.runs) + len(tally.dashboard_runs) + len(tally.first_pages)
    # Streamlit's CPU alone (PostgreSQL's is not counted): a figure the machine's other work barely moves.
    print(f"  Streamlit CPU per run: {1000 * server_cpu_s / max(runs, 1):.0f} ms; the Streamlit processes "
          f"used {server_cpu_s / wall_s:.2f} of {os.cpu_count()} cores, the load generator "
          f"{own_cpu_s / wall_s:.2f}")
    errors = sum(len(v) for v in tally.errors.values())
    print(f"  errors: {errors}")
    for kind, problems in tally.errors.items():
        print(f"    {kind}: {len(problems)} (e.g. {problems[0]})")
    print(f"  in the report's CSV: {len(typed) - len(lost)} of the {len(typed)} distinct "
          "(student, box, number) typed" + (f"; lost e.g. {sorted(lost)[:3]}" if lost else "")
          + (f"; {len(extra)} in the CSV were never typed" if extra else ""))
    p95 = percentile(tally.runs, 0.95) if tally.runs else float("inf")
    board = percentile(latencies, 0.95) if latencies else float("inf")
    for ok, text in ((p95 <= TARGET_P95_S, f"student interaction p95 {p95:.2f} s ≤ {TARGET_P95_S:g} s"),
                     (board <= TARGET_DASHBOARD_S and not unseen,
                      f"dashboard p95 {board:.2f} s ≤ {TARGET_DASHBOARD_S:g} s, every number shown"),
                     (not lost, f"{len(lost)} numbers lost (target 0)")):
        print(f"  {'PASS' if ok else 'FAIL'} {text}")
    print(f"  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    return len(lost)
