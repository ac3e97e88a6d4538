"""A decimal comma: in a box that holds one number, "0,132" is read as 0.132 with a note; in a
list, where commas separate values, a count that does not add up suggests the decimal point."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from gruviz.errors import InputError
from gruviz.explain.claims import parse_output_claim
from gruviz.io.parsing import decimal_comma, parse_vector

APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.mark.parametrize("typed, read", [("0,132", "0.132"), ("-0,7069", "-0.7069"), (" 12,5 ", "12.5"),
                                         ("+3,25", "+3.25")])
def test_one_number_with_a_decimal_comma_is_read_with_a_point_and_a_note(typed, read):
    value, note = decimal_comma(typed)
    assert value == read and float(value) == float(read.replace(",", "."))
    assert typed.strip() in note and read in note


@pytest.mark.parametrize("typed", ["0.132", "0,1,2", "1, 2", "0,", ",5", "abc", "", "1e-3"])
def test_anything_else_is_left_as_typed(typed):
    assert decimal_comma(typed) == (typed, None)


def test_a_list_whose_count_is_off_suggests_the_decimal_point():
    with pytest.raises(InputError, match=r"write decimals with a point \(0\.132, not 0,132\)"):
        parse_vector("0,5, 0,25", "h0", 2)
    with pytest.raises(InputError, match="write decimals with a point"):
        parse_output_claim("-0,7069", 1)
    with pytest.raises(InputError) as plain:
        parse_vector("0.5, 0.25, 1", "h0", 2)
    assert "decimal" not in str(plain.value)  # no hint where no comma sits between digits


def test_the_check_view_reads_a_decimal_comma_and_says_so():
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["view"] = "Check my calculation"
    at.run()
    at.text_input(key="claim_output").input("-0,7069").run()
    assert not at.exception
    assert any("-0,7069 was read as -0.7069" in i.value for i in at.info)
    assert any("first leave" in e.value for e in at.error)  # a diagnosis, not a refusal
    assert not any("claimed output" in e.value for e in at.error)
    assert any("Σx" in e.label for e in at.expander)  # the summed sequence reproduces it


# An exercise's box holds one number: the same reading, with the same note beside the verdict.

def test_an_exercise_number_with_a_decimal_comma_is_graded_as_read():
    from gruviz.classroom import exercises, grading

    ex = exercises.generate(7)
    cell = (0, "z", 0)
    right = ex.rounded(ex.answer(*cell))
    comma = right.replace(".", ",")
    [fed] = grading.grade(ex, {cell: comma}).feedback
    assert (fed.status, fed.typed) == ("right", comma)
    assert fed.note == f"{comma} was read as {right}: gruviz writes decimals with a point."
    [short] = grading.grade(ex, {cell: "0,5"}).feedback  # read as 0.5: too few decimals, said so
    assert short.status == "short" and "0,5 was read as 0.5" in short.note
    [plain] = grading.grade(ex, {cell: right}).feedback
    assert plain.status == "right" and plain.note == ""


def exercise_box_says(at, key: str, typed: str) -> list[str]:
    at.text_input(key=f"exercise_{key}").input(typed).run()
    assert not at.exception, [e.value for e in at.exception]
    return [i.value for i in at.info] + [m.value for m in at.markdown]


def test_the_exercise_page_reads_a_decimal_comma_and_says_so():
    from gruviz.classroom import exercises

    ex = exercises.generate(7)
    right = ex.rounded(ex.answer(0, "h", 0))
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({"exercise": "7", "mode": "student"})
    at.run()
    said = exercise_box_says(at, "h.0.0", right.replace(".", ","))
    assert f"{right.replace('.', ',')} was read as {right}: gruviz writes decimals with a point." in said
    assert any("✓ right" in s for s in said)
    assert not at.warning  # no "is not a number"


def test_a_class_student_page_reads_a_decimal_comma_and_stores_it_right():
    from gruviz.classroom import room
    from gruviz.store import Store

    store = Store()
    created = room.create(store, 7, False, "")
    token, student = room.join(store, created.info, "Ana")
    ex = room.exercise(created.info, student)
    right = ex.rounded(ex.answer(0, "z", 0))
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({"class": created.code, "student": token})
    at.run()
    said = exercise_box_says(at, "z.0.0", right.replace(".", ","))
    assert any(f"was read as {right}" in s for s in said) and any("✓ right" in s for s in said)
    [stored] = store.answers(created.info.id, student.id)
    assert (stored.typed, stored.status) == (right.replace(".", ","), "right")
