"""The teacher's "if you got X, you probably did Y" lists each set of numbers once: mistakes that
give the same numbers for this layer, or the right ones, share a row that says they coincide,
on the page (one table per step) and on the worksheet's grading table."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
from streamlit.testing.v1 import AppTest

from gruviz.classroom import exercises, grading, room, sheet, worksheet
from gruviz.explain.mistakes import MISTAKES, Setup
from gruviz.math.cell import Convention
from gruviz.math.weights import GRUConfig, GRUWeights
from gruviz.store import Store

APP = str(Path(__file__).resolve().parents[2] / "app.py")
SEED = 7
TITLE = {m.id: m.title for m in MISTAKES}


def numbers(ex: exercises.Exercise, trace) -> tuple[str, ...]:
    """Every asked number of a run, written to the asked decimals; — past a run's last step."""
    k = ex.answer_decimals
    return tuple(f"{getattr(trace, q)[t, j]:.{k}f}" if t < len(getattr(trace, q)) else "—"
                 for t, q, j in ex.cells())


def run_of(ex: exercises.Exercise, mistake_id: str):
    return next(r for r in ex.mistakes if r.mistakes[0].id == mistake_id)


def test_the_reset_placement_and_the_onnx_flag_are_one_row_with_both_names():
    ex = exercises.generate(SEED)
    # Both toggle reset_after (the ONNX flag is the same rewrite, named as an exporter makes it).
    swapped, dropped = run_of(ex, "reset_placement_swapped"), run_of(ex, "linear_before_reset_dropped")
    assert numbers(ex, swapped.trace) == numbers(ex, dropped.trace)
    rows = sheet.coinciding(ex, lambda trace: numbers(ex, trace))
    distinct = {numbers(ex, ex.truth)} | {numbers(ex, r.trace) for r in ex.mistakes}
    assert len(rows) == len(distinct) == len({row.numbers for row in rows})
    assert sorted(id(r) for row in rows for r in row.runs if r) == sorted(id(r) for r in ex.mistakes)
    [shared] = [row for row in rows if swapped in row.runs]
    assert dropped in shared.runs and shared.numbers == numbers(ex, swapped.trace)
    words = sheet.told(shared, "(correct)")
    assert TITLE["reset_placement_swapped"] in words and TITLE["linear_before_reset_dropped"] in words
    assert swapped.detail in words and dropped.detail in words and "same numbers" in words


def nearly_equal_bias_rows() -> exercises.Exercise:
    """Bias rows 10⁻⁶ apart: swapping them moves no number by half a unit of the 4th decimal."""
    config = GRUConfig(units=1, input_dim=1)
    bias = np.array([[0.1, -0.2, 0.3], [0.1, -0.2, 0.300001]])
    weights = GRUWeights.create(config, [[0.5, -0.3, 0.8]], [[0.4, 0.2, -0.6]], bias)
    return exercises.from_setup(Setup(weights, np.array([[0.7], [-1.1]]), None, Convention.KERAS))


def test_a_mistake_that_gives_the_right_numbers_is_told_on_the_answers_row():
    ex = nearly_equal_bias_rows()
    swapped = run_of(ex, "bias_rows_swapped")
    assert ex.answer_decimals == 4 and numbers(ex, swapped.trace) == numbers(ex, ex.truth)
    rows = sheet.coinciding(ex, lambda trace: numbers(ex, trace))
    assert rows[0].runs[0] is None and swapped in rows[0].runs  # the answers' row, first
    assert len({row.numbers for row in rows}) == len(rows)
    words = sheet.told(rows[0], "(correct)")
    assert words.startswith("(correct)") and TITLE["bias_rows_swapped"] in words and "same numbers" in words
    table = sheet.grading_table(ex)
    assert len({got for got, _did in table.rows}) == len(table.rows)
    assert TITLE["bias_rows_swapped"] in table.rows[0][1] and "nothing wrong" in table.rows[0][1]


def test_the_worksheet_grading_table_has_no_twin_rows():
    ex = exercises.generate(SEED)
    table = sheet.grading_table(ex)
    k = ex.answer_decimals
    h_of = {"\n".join(f"h{t + 1} = " + (", ".join(f"{v:.{k}f}" for v in run.h[t]) if t < len(run.h) else
                                        "— (one step only)") for t in range(ex.steps))
            for run in [ex.truth, *(r.trace for r in ex.mistakes)]}
    assert sorted(got for got, _did in table.rows) == sorted(h_of)
    source = worksheet.tex(ex, answers=True)
    assert source.count("Reset before vs after") == 1 and "same numbers" in source


def teacher_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({"exercise": str(SEED), "mode": "teacher",
                            "key": room.exercise_key(Store(), urlencode({"exercise": str(SEED)}))})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_teacher_page_shows_one_row_per_set_of_numbers():
    ex = exercises.generate(SEED)
    tables = [t.value for t in teacher_page().table if "mistake" in t.value.columns]
    assert len(tables) == ex.steps  # one table per step
    distinct = {numbers(ex, ex.truth)} | {numbers(ex, r.trace) for r in ex.mistakes}
    cells = ex.cells()
    for t, table in enumerate(tables):
        assert list(table.columns) == ["mistake"] + [grading.name(c) for c in cells if c[0] == t]
        assert len(table) == len(distinct)
        expected = sorted(tuple(n for c, n in zip(cells, row) if c[0] == t) for row in distinct)
        assert sorted(tuple(r) for r in table.drop(columns="mistake").itertuples(index=False)) == expected
    stories = [re.sub(r"\\(.)", r"\1", s) for s in tables[0]["mistake"]]  # Markdown escapes undone
    [shared] = [s for s in stories if TITLE["reset_placement_swapped"] in s]
    assert TITLE["linear_before_reset_dropped"] in shared and "same numbers" in shared
