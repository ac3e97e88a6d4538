"""Units count from 1 wherever a person reads them, as steps already do: the unit choice,
the equations' labels, the presenter's table, the weight editor's help, the gates table,
the backward equations and the worksheet. The link and the arrays shown as code keep
Python's 0-based index (`unit=0` in the link is unit 1), and the page says so where it
shows them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from conftest import random_weights
from gruviz import GRUConfig, run
from gruviz.classroom import exercises, sheet, worksheet
from gruviz.explain.equations import step_lines
from gruviz.errors import InputError
from gruviz.io import share

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def two_units(**params) -> AppTest:
    """The app on a link to a 2-unit, 2-feature GRU."""
    w = random_weights(np.random.default_rng(1), GRUConfig(units=2, input_dim=2))
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params.update({**share.encode(share.Shared(w, "1 2; 3 4; 0.5 -1")), **params})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_unit_choice_and_the_equations_count_units_from_1():
    at = two_units()
    assert at.button_group(key="unit").options == ["unit 1", "unit 2"]
    labels = [c.value for c in at.caption]
    assert "(1) update gate z, unit 1" in labels and "(2) reset gate r, unit 1" in labels
    assert not [label for label in labels if "unit 0" in label]
    at.button_group(key="unit").set_value("1").run()  # the link's unit=1 is the second unit
    labels = [c.value for c in at.caption]
    assert "(1) update gate z, unit 2" in labels and not [label for label in labels if "unit 0" in label]


def test_the_presenter_names_the_units_from_1():
    at = two_units(present="true")
    assert at.button_group(key="unit").options == ["unit 1", "unit 2", "all units"]
    at.button_group(key="unit").set_value("all").run()
    tables = "\n".join(e.value for e in at.latex)
    assert r"\text{unit 1}" in tables and r"\text{unit 2}" in tables and r"\text{unit 0}" not in tables


def test_the_weight_editor_says_once_that_its_arrays_count_from_0():
    at = two_units()
    tables = [{name: column.get("help") for name, column in json.loads(frame.proto.columns).items()
               if name[:1] in "zrh"} for frame in at.dataframe if '"z0"' in frame.proto.columns]
    assert len(tables) == 3  # kernel, recurrent_kernel, bias
    assert tables[0]["z0"] == "W_z[:, 0]: gate z, unit 1" and tables[1]["h1"] == "U_h[:, 1]: gate h, unit 2"
    assert not [h for t in tables for h in t.values() if h and h.endswith("unit 0")]
    said = [c.value for c in at.caption if "count from 0" in c.value]
    assert len(said) == 1 and "unit 1" in said[0]


def test_the_gates_table_names_units_from_1():
    at = two_units(view="Gates over time")
    columns = [list(frame.value.columns) for frame in at.dataframe if "step" in (frame.value.index.name or "")]
    assert columns and "z, unit 1" in columns[0] and "h, unit 2" in columns[0]
    assert not [c for c in columns[0] if c.endswith("[0]")]


def test_the_weight_layout_says_the_code_counts_from_0():
    at = two_units(view="Weight layout")
    text = "\n".join(m.value for m in at.markdown)
    assert "The code counts from 0, as Python does: column 0 of each block belongs to unit 1" in text


def test_equation_labels_and_backward_indices_count_from_1():
    from gruviz.explain.equations_backward import step_lines as backward_lines
    from gruviz.math.backward import backward

    w = random_weights(np.random.default_rng(2), GRUConfig(units=3, input_dim=1))
    trace = run(w, np.array([[0.5], [-1.0]]), np.zeros(3))
    assert step_lines(trace, 0, 2)[0].label == "(1) update gate z, unit 3"
    lines = backward_lines(backward(trace, "sum"), 1, 0)
    carried = lines[-1]
    assert "passes back to h₁" in carried.label and "U_z^\\top)_{1}" in carried.latex
    assert "U_z^\\top)_{0}" not in carried.latex


def test_the_worksheet_names_units_from_1(monkeypatch):
    ex = next(e for e in map(exercises.generate, range(1, 60)) if e.units > 1)
    header = sheet.box_header(ex)
    assert "z_{t,1}" in header and "z_{t,0}" not in header
    assert sheet.key_tables(ex)[0].header[1] == "a_{z,1}"
    written = []
    monkeypatch.setattr(worksheet._Sheet, "text", lambda self, text, *a, **k: written.append(text))
    worksheet.build(ex, answers=True)
    assert "Unit 1" in written and "Unit 0" not in written


@pytest.mark.parametrize("option, name", [("0", "unit 1"), ("3", "unit 4"), ("all", "all units")])
def test_a_unit_option_is_named_from_1(option, name):
    from gruviz.ui.kit.stepper import unit_name

    assert unit_name(option) == name


def exercise_page(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params.update({"exercise": "7", **params})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_an_exercise_names_its_numbers_from_step_1_and_unit_1():
    from gruviz.classroom import grading

    ex = exercises.generate(7)
    assert ex.units == 2 and ex.steps == 3
    at = exercise_page(mode="student")
    labels = [box.label for box in at.text_input]
    assert labels[:2] == ["z1[1]", "z1[2]"] and "h̃3[2]" in labels  # the last unit of the last step
    assert not [label for label in labels if "[0]" in label]
    flipped = next(r for r in ex.mistakes if r.mistakes[0].id == "update_rule_flipped").trace
    at.text_input(key="exercise_h.0.1").input(ex.rounded(float(flipped.h[0, 1]))).run()  # h of the 2nd unit
    at.text_input(key="exercise_z.1.0").input(ex.rounded(float(flipped.z[1, 0]))).run()
    assert not at.exception
    said = [m.value for m in at.markdown if "built on" in m.value]
    assert len(said) == 1 and "built on h1[2]," in said[0]
    with pytest.raises(InputError, match=r"z1\[3\] is not part"):
        grading.from_key("z.0.2", ex)  # the link's unit 2 is the third: not in a 2-unit exercise


def test_the_teachers_key_heads_its_tables_unit_1_and_unit_2():
    from gruviz.classroom import room
    from gruviz.store import Store

    at = exercise_page(mode="teacher", key=room.exercise_key(Store(), "exercise=7"))
    bold = [m.value for m in at.markdown if m.value.startswith("**Unit")]
    assert bold == ["**Unit 1**", "**Unit 2**"]
    columns = [c for t in at.table if "mistake" in t.value.columns for c in t.value.columns]
    assert "z1[1]" in columns and "z1[2]" in columns and "h3[2]" in columns
    assert not [c for c in columns if c.endswith("[0]")]


def test_the_latex_worksheet_heads_the_key_unit_1_and_unit_2():
    ex = exercises.generate(7)
    source = worksheet.tex(ex, answers=True)
    assert "Unit 1" in source and "Unit 2" in source and "Unit 0" not in source
