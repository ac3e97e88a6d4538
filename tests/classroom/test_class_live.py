"""gruviz.classroom.live and report on real databases (SQLite and PostgreSQL, `class_store`):
typed numbers graded and kept, reveals decided on the server, the dashboard's counts and the
CSV report. A wrong number is one a known mistake produces: taken from the exercise's own
"update rule flipped" run (the generator's truth is checked against Keras elsewhere), rounded
to the exercise's answer decimals by hand.
"""

import csv
import io
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from class_db import assert_for_a_person, rows
from gruviz import text
from gruviz.classroom import exercises, live, report, room
from gruviz.errors import InputError
from gruviz.store import StoreUnavailable

REPO = Path(__file__).resolve().parents[2]

SEED = 7
EXERCISE = exercises.generate(SEED)
K = EXERCISE.answer_decimals


def key(cell) -> str:
    t, quantity, unit = cell
    return f"{quantity}.{t}.{unit}"  # a cell in a link and a row: "h_tilde.2.1"


def right(cell, exercise=EXERCISE) -> str:
    return f"{exercise.answer(*cell):.{K}f}"


def flipped(exercise=EXERCISE):
    """The first number the flipped update rule changes at the asked precision, and its value."""
    run = next(r for r in exercise.mistakes if r.id == "update_rule_flipped")
    for t, quantity, unit in exercise.cells():
        value = f"{float(getattr(run.trace, quantity)[t, unit]):.{K}f}"
        if value != right((t, quantity, unit), exercise):
            return (t, quantity, unit), value
    raise AssertionError("the flipped rule changes no number")


CELL, WRONG = flipped()
BEFORE = EXERCISE.cells()[: EXERCISE.cells().index(CELL)]
RIGHT_SO_FAR = {cell: right(cell) for cell in BEFORE}


def a_class(store, names, **options):
    info = room.create(store, SEED, **options).info
    return info, [room.join(store, info, name)[1] for name in names]


def test_the_wrong_number_is_one_step_in(class_store):
    assert CELL[1] == "h" and len(BEFORE) >= 3  # z, r and h~ come first; the rule only changes h
    assert WRONG != right(CELL)


def test_save_keeps_every_changed_number_with_its_grade_and_mistake(class_store):
    info, (ana,) = a_class(class_store, ["Ana"])
    live.save(class_store, info, ana, {**RIGHT_SO_FAR, CELL: WRONG, (9, "h", 0): "1.0"})
    first = {a.cell: (a.typed, a.status, a.mistake_id) for a in class_store.answers(info.id)}
    assert first == {**{key(c): (v, "right", "") for c, v in RIGHT_SO_FAR.items()},
                     key(CELL): (WRONG, "wrong", "update_rule_flipped")}  # (9, h, 0) is no cell: dropped
    later = EXERCISE.cells()[-1]
    live.save(class_store, info, ana, {**RIGHT_SO_FAR, CELL: right(CELL), later: "abc"})
    live.save(class_store, info, ana, {**RIGHT_SO_FAR, CELL: right(CELL), later: ""})
    history = class_store.answers(info.id)
    assert len(history) == len(RIGHT_SO_FAR) + 4  # unchanged numbers are not stored again
    assert [(a.typed, a.status) for a in history if a.cell == key(CELL)] == [(WRONG, "wrong"), (right(CELL), "right")]
    assert [(a.typed, a.status) for a in history if a.cell == key(later)] == [("abc", "invalid"), ("", "blank")]
    assert all(a.at.tzinfo is not None for a in history)
    assert [a.at for a in history] == sorted(a.at for a in history)


def test_a_typed_number_with_a_nul_character_is_kept_as_invalid(class_store, backend, request):
    info, (ana,) = a_class(class_store, ["Ana"])
    try:
        grades = live.save(class_store, info, ana, {BEFORE[0]: "0.5\x00"})
    except StoreUnavailable as error:
        pytest.fail(f"a typed NUL made the database 'unavailable': {error}")
    assert [f.status for f in grades.feedback] == ["invalid"]
    assert [a.status for a in class_store.answers(info.id)] == ["invalid"]


def test_the_dashboard_counts_each_number_and_names_the_commonest_mistake(class_store):
    info, (ana, bo, cy, dee) = a_class(class_store, ["Ana", "Bo", "Cy", "Dee"])
    for student in (ana, bo):
        live.save(class_store, info, student, {**RIGHT_SO_FAR, CELL: WRONG})
    live.save(class_store, info, cy, {**RIGHT_SO_FAR, CELL: right(CELL)})
    board = live.dashboard(class_store, info)
    summary = {s.cell: s for s in board.summaries}
    mine = summary[CELL]
    assert (mine.right, mine.wrong, mine.blank) == (1, 2, 1)
    assert (mine.mistake_id, mine.mistake_count) == ("update_rule_flipped", 2)
    assert mine.sentence() == "2 students: update rule flipped"  # the catalog's title, "Update rule flipped"
    assert (summary[BEFORE[0]].right, summary[BEFORE[0]].wrong, summary[BEFORE[0]].blank) == (3, 0, 1)
    assert summary[BEFORE[0]].sentence() == ""
    last = summary[EXERCISE.cells()[-1]]
    assert (last.right, last.wrong, last.blank) == (0, 0, 4)
    assert [(r.label, r.score) for r in board.rows] == [("Ana", len(BEFORE)), ("Bo", len(BEFORE)),
                                                       ("Cy", len(BEFORE) + 1), ("Dee", 0)]
    assert list(board.cells) == EXERCISE.cells()


def test_an_anonymized_dashboard_and_report_show_no_name(class_store):
    info, people = a_class(class_store, ["Zoë", "Ana", "<b>Bo</b>"])
    live.save(class_store, info, people[1], {BEFORE[0]: right(BEFORE[0])})
    board = live.dashboard(class_store, info, anonymize=True)
    assert [r.label for r in board.rows] == ["Student 1", "Student 2", "Student 3"]
    text = report.to_csv(report.rows(class_store, info, anonymize=True))
    assert not any(name in text for name in ("Zoë", "Ana", "Bo"))
    assert [r["student"] for r in csv.DictReader(io.StringIO(text))] == ["Student 1", "Student 2", "Student 3"]
    shot = live.snapshot(class_store, info, people[1], BEFORE[0], anonymize=True)
    assert shot.label == "Student 2" and shot.feedback.status == "right"


def test_a_snapshot_tells_the_mistake_behind_a_wrong_number(class_store):
    info, (ana,) = a_class(class_store, ["Ana"])
    live.save(class_store, info, ana, {**RIGHT_SO_FAR, CELL: WRONG})
    shot = live.snapshot(class_store, info, ana, CELL, anonymize=False)
    assert (shot.label, shot.feedback.typed, shot.feedback.mistake_id) == ("Ana", WRONG, "update_rule_flipped")
    with pytest.raises(InputError) as refused:
        live.snapshot(class_store, info, ana, EXERCISE.cells()[-1], anonymize=False)
    assert_for_a_person(refused.value)


def test_a_reveal_is_refused_when_the_teacher_turned_it_off(class_store):
    info, (ana,) = a_class(class_store, ["Ana"])
    class_store.update_class(info.id, reveal_allowed=False)
    with pytest.raises(InputError) as refused:
        live.reveal(class_store, info, ana, CELL)  # `info` is stale: the server reads the setting again
    assert_for_a_person(refused.value)
    assert rows(class_store, "reveals") == [] and live.revealed(class_store, info, ana) == frozenset()


def test_a_reveal_answers_and_is_recorded_once(class_store):
    info, (ana, bo) = a_class(class_store, ["Ana", "Bo"])
    assert live.reveal(class_store, info, ana, CELL) == right(CELL)
    assert live.reveal(class_store, info, ana, CELL) == right(CELL)
    assert live.revealed(class_store, info, ana) == {key(CELL)}
    assert live.revealed(class_store, info, bo) == frozenset()
    assert [(r["student_id"], r["cell"]) for r in rows(class_store, "reveals")] == [(ana.id, key(CELL))]
    with pytest.raises(InputError):
        live.reveal(class_store, info, ana, (9, "h", 0))
    assert live.dashboard(class_store, info).rows[0].revealed == {key(CELL)}


def test_the_report_names_revealed_numbers_as_the_page_does(class_store):
    info, (ana,) = a_class(class_store, ["Ana"])
    second_unit = (0, "z", 1)  # z of step 1, the second unit: stored as z.0.1, read as z1[2]
    live.reveal(class_store, info, ana, CELL)
    live.reveal(class_store, info, ana, second_unit)
    [record] = report.rows(class_store, info)
    assert record["revealed"] == f"z1[2] h{CELL[0] + 1}[{CELL[2] + 1}]"  # in the order they are computed


def test_per_student_numbers_are_graded_against_the_students_own_variant(class_store):
    info, (ana, bo) = a_class(class_store, ["Ana", "Bo"], per_student=True)
    mine, theirs = room.exercise(info, ana), room.exercise(info, bo)
    cell = next(c for c in mine.cells() if right(c, mine) != right(c, theirs))
    live.save(class_store, info, ana, {cell: right(cell, mine)})
    live.save(class_store, info, bo, {cell: right(cell, mine)})  # a neighbour's number
    assert [a.status for a in class_store.answers(info.id)] == ["right", "wrong"]
    assert live.reveal(class_store, info, bo, cell) == right(cell, theirs)


NAMES = ['=HYPERLINK("http://ev.il","click")', "+1", "@x", "-cmd", "Ana"]
PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def test_the_report_has_a_row_per_student_every_number_and_no_formula(class_store):
    info, people = a_class(class_store, NAMES)
    z = EXERCISE.cells()[0]
    live.save(class_store, info, people[0], {z: "0.1"})
    live.save(class_store, info, people[0], {z: "0.2"})  # replaces 0.1, which stays in the history
    live.save(class_store, info, people[1], {z: "-0.25"})
    live.save(class_store, info, people[2], {z: "=1+1"})
    live.save(class_store, info, people[3], {**RIGHT_SO_FAR, CELL: WRONG})
    records = list(csv.DictReader(io.StringIO(report.to_csv(report.rows(class_store, info)))))
    assert [r["student"] for r in records] == ["'" + NAMES[0], "'+1", "'@x", "'-cmd", "Ana"]
    first = "z1[1]"  # steps and units count from 1 on the page: z of step 1, unit 1
    assert [r[first] for r in records] == ["0.2", "-0.25", "'=1+1", right(z), ""]
    history = records[0]["every number typed"]
    assert history.index("z.0.0=0.1@") < history.index("z.0.0=0.2@")
    every = records[3]["every number typed"]
    assert all(f"{key(c)}={v}@" in every for c, v in {**RIGHT_SO_FAR, CELL: WRONG}.items())
    assert records[3]["score"] == str(len(BEFORE)) and records[3]["of"] == str(len(EXERCISE.cells()))
    name = f"h{CELL[0] + 1}[{CELL[2] + 1}]"
    assert (records[3][name], records[3][f"{name} result"], records[3][f"{name} mistake"]) == (
        WRONG, "wrong", "Update rule flipped")
    for record in records:
        for value in record.values():
            assert not value.startswith(("=", "+", "@", "\t", "\r")), value
            assert not value.startswith("-") or PLAIN_NUMBER.fullmatch(value), value


def test_a_class_without_students_reports_a_header_only(class_store):
    info, _ = a_class(class_store, [])
    assert report.rows(class_store, info) == []
    assert report.to_csv([]) == "student\n"


@pytest.mark.parametrize("language", ["es", "zh-Hans"])
def test_the_pages_download_is_in_the_teachers_language(class_store, language):
    """The page's CSV: headings and verdicts as the catalogue translates them; the CLI's keys stay."""
    info, people = a_class(class_store, ["Ana"])
    live.save(class_store, info, people[0], {**RIGHT_SO_FAR, CELL: WRONG})
    name = f"h{CELL[0] + 1}[{CELL[2] + 1}]"
    try:
        text.use(language)
        [record] = csv.DictReader(io.StringIO(report.to_csv(report.localized(report.rows(class_store, info)))))
    finally:
        text.use("en")
    catalogue = read_po(open(REPO / "gruviz" / "locale" / text.FOLDERS[language] / "LC_MESSAGES" / "gruviz.po", "rb"))
    words = {english: catalogue[english].string for english in (
        "student", "every number typed", "{name} result", "{name} mistake", "wrong", "Update rule flipped")}
    assert record[words["student"]] == "Ana" and record[name] == WRONG
    assert record[words["{name} result"].format(name=name)] == words["wrong"]
    assert record[words["{name} mistake"].format(name=name)] == words["Update rule flipped"]
    assert f"={WRONG}@" in record[words["every number typed"]]
    assert "student" not in record and "every number typed" not in record  # no English heading left
