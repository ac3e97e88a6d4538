"""A decimal comma: in a box that holds one number, "0,132" is read as 0.132 with a note; in a
list, where commas separate values, a count that does not add up suggests the decimal point."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from gruviz.errors import InputError
from gruviz.explain.detective import parse_output_claim
from gruviz.io.parsing import decimal_comma, parse_vector

APP = str(Path(__file__).resolve().parents[1] / "app.py")


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
