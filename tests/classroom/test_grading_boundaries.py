"""Grading at the precision the exercise asks for, over many generated exercises.

An exercise asks for k = `answer_decimals` decimals. A number with k decimals or more is
right when it is within half a unit of the k-th decimal of the true value, ½·10^-k, and
wrong beyond it; a number with fewer decimals is "short": neither right nor wrong, never
sent to the detective, never named as a wrong input of a later number.

The expected statuses come from the exercise's truth (checked against Keras in
test_exercises.py) and the distances worked out here; the mistakes' runs come from the
catalog directly. Most tests replace the detective's story (`_culprit`, about 0.1 s per
wrong number, tested in test_exercises.py and test_detective.py) by a recorder, since they
judge statuses only (the test of 120 runs a seed drops the hint's LaTeX too); the last
tests run it.
"""

from __future__ import annotations

import numpy as np
import pytest

from gruviz.classroom import exercises, grading
from gruviz.explain.mistakes import MISTAKES
from test_exercises import exercise  # generated once per process for every file that uses it

SEEDS = range(0, 240, 3)
CHUNKS = 4


def chunk_of(i: int) -> list[exercises.Exercise]:
    return [exercise(seed) for seed in SEEDS[i::CHUNKS]]


def unit(ex: exercises.Exercise) -> float:
    """One unit of the last asked decimal."""
    return 10.0**-ex.answer_decimals


def written(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}"


@pytest.fixture
def stories(monkeypatch) -> list:
    """Every number the detective is asked about, instead of asking it."""
    asked = []

    def record(exercise, cell, parsed):
        asked.append(cell)
        return "", ""

    monkeypatch.setattr(grading, "_culprit", record)
    return asked


def statuses(ex: exercises.Exercise, typed: dict) -> dict:
    return {f.cell: f.status for f in grading.grade(ex, typed).feedback}


def all_typed(ex: exercises.Exercise, form) -> tuple[dict, grading.Grades]:
    """Every number of the exercise written by `form(truth, i)`, i its place in the order."""
    typed = {c: form(ex.answer(*c), i) for i, c in enumerate(ex.cells())}
    return typed, grading.grade(ex, typed)


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_half_a_unit_of_the_last_asked_decimal_is_the_boundary(chunk, stories):
    """Right: the rounded answer, the truth moved 0.49 or 0.45 units either way, typed with
    more decimals than asked (their own rounding moves them 0.005 units at most), and the truth
    moved exactly half a unit, typed to 8 more decimals (off half a unit by 5e-9 units at most,
    float error far below it). Wrong: the truth moved 0.51 units, typed the same way."""
    for ex in chunk_of(chunk):
        k = ex.answer_decimals
        stories.clear()
        inside = (
            lambda v, i: written(v, k),
            lambda v, i: written(v + (-1) ** i * 0.49 * unit(ex), k + 2),
            lambda v, i: written(v - (-1) ** i * 0.45 * unit(ex), k + 3),
            lambda v, i: written(v + (-1) ** i * 0.5 * unit(ex), k + 8),
        )
        for form in inside:
            typed, grades = all_typed(ex, form)
            assert [f.cell for f in grades.feedback if f.status != "right"] == [], (ex.seed, typed)
            assert grades.right == grades.total == len(typed)
        assert stories == []
        for side in (1, -1):
            typed, grades = all_typed(ex, lambda v, i: written(v + side * (-1) ** i * 0.51 * unit(ex), k + 2))
            assert [f.cell for f in grades.feedback if f.status != "wrong"] == [], (ex.seed, typed)
            assert grades.right == 0


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_one_or_two_units_off_in_the_last_asked_decimal_is_wrong(chunk, stories):
    """The rounded answer moved by one or two units in its last decimal, either way: every number
    wrong, none counted right, each one sent to the detective."""
    for ex in chunk_of(chunk):
        k, cells = ex.answer_decimals, ex.cells()
        stories.clear()
        for units in (2, -2, 1, -1):
            moved = lambda v, i: written(float(written(v, k)) + (-1) ** i * units * unit(ex), k)  # noqa: E731
            typed, grades = all_typed(ex, moved)
            assert [f.cell for f in grades.feedback if f.status != "wrong"] == [], (ex.seed, units, typed)
            assert grades.right == 0
        assert set(stories) == set(cells)


def catalog_runs(ex: exercises.Exercise):
    """Each single mistake and each pair (the second on top of the first, in catalog order),
    from the catalog directly, with the id the detective gives it."""
    for first in MISTAKES:
        for _detail, variant in first.variants(ex.setup):
            yield first.id, variant.run()
            for second in MISTAKES[MISTAKES.index(first) + 1:]:
                for _detail2, both in second.variants(variant):
                    yield f"{first.id}+{second.id}", both.run()


def changes(ex: exercises.Exercise, trace) -> bool:
    T = ex.steps
    mine, truth = exercises.table(trace, T), exercises.table(ex.truth, T)
    return not np.allclose(mine, truth, atol=1e-9, equal_nan=False)


def run_typed(ex: exercises.Exercise, trace) -> dict:
    """A run's numbers as a student writes them, to the asked decimals (a summed run has one step)."""
    return {c: written(float(getattr(trace, c[1])[c[0], c[2]]), ex.answer_decimals) for c in ex.cells()
            if c[0] < trace.steps}


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_every_mistakes_run_typed_at_the_asked_decimals_is_wrong_somewhere(chunk, stories, monkeypatch):
    """Each single mistake and ranked pair that changes the answers, its numbers written to the
    asked decimals: wrong in at least one number, and wrong wherever it writes another number
    than the truth's."""
    monkeypatch.setattr(grading, "hint", lambda *args: "")  # 120 runs a seed; the hint is tested elsewhere
    for ex in chunk_of(chunk):
        runs = [(name, trace) for name, trace in catalog_runs(ex) if changes(ex, trace)]
        assert len(runs) >= 10, ex.seed
        for name, trace in runs:
            typed = run_typed(ex, trace)
            found = statuses(ex, typed)
            assert "wrong" in found.values(), (ex.seed, name)
            # Right exactly where the run writes the truth's rounded number: the truth is never within
            # 0.005 units of a rounding tie, so any other number is at least 0.505 units from it.
            same = {c: float(text) == float(ex.rounded(ex.answer(*c))) for c, text in typed.items()}
            assert found == {c: "right" if same[c] else "wrong" for c in typed}, (ex.seed, name)


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_fewer_decimals_than_asked_are_short_and_the_asked_decimals_are_judged(chunk, stories):
    """The answer with k−1 or fewer decimals is short; written out with zeros to k decimals, the
    same number is right exactly when it is within half a unit of the truth."""
    for ex in chunk_of(chunk):
        k, cells = ex.answer_decimals, ex.cells()
        for fewer in range(k):
            typed = {c: written(ex.answer(*c), fewer) for c in cells}
            stories.clear()
            grades = grading.grade(ex, typed)
            assert {f.status for f in grades.feedback} == {"short"} and grades.right == 0, (ex.seed, fewer)
            assert stories == []  # none sent to the detective
            for f in grades.feedback:
                assert f"write {k} decimals" in f.message and f.mistake == f.mistake_id == f.hint == ""
                assert f.wrong_inputs == ()
            padded = {c: written(float(text), k) for c, text in typed.items()}
            for cell, status in statuses(ex, padded).items():
                near = abs(float(padded[cell]) - ex.answer(*cell)) <= 0.5 * unit(ex)
                assert status == ("right" if near else "wrong"), (ex.seed, cell, padded[cell])


def test_short_numbers_reach_no_detective_and_no_later_number(stories):
    """h1 two units off but one decimal short, then z2 wrong: z2 is built on no wrong number, and
    only z2 is sent to the detective. With h1 written to k decimals, z2 names it."""
    for ex in chunk_of(0)[:10]:
        k, h1, z2 = ex.answer_decimals, (0, "h", 0), (1, "z", 0)
        off = float(written(ex.answer(*h1), k)) + 2 * unit(ex)
        wrong_z2 = written(ex.answer(*z2) + 3 * unit(ex), k)
        stories.clear()
        feedback = {f.cell: f for f in grading.grade(ex, {h1: written(off, k - 1), z2: wrong_z2}).feedback}
        assert feedback[h1].status == "short" and feedback[z2].status == "wrong"
        assert feedback[z2].wrong_inputs == () and stories == [z2], ex.seed
        feedback = {f.cell: f for f in grading.grade(ex, {h1: written(off, k), z2: wrong_z2}).feedback}
        assert feedback[h1].status == "wrong" and feedback[z2].wrong_inputs == (h1,)


@pytest.mark.parametrize("text, decimals", [
    ("0.1234", 4), ("-0.123", 3), ("0.12340", 5), ("1", 0), ("-2.", 0), (".5", 1), ("1.2345e-1", 5),
    ("12345e-4", 4), ("1.5e1", 0), ("1e-4", 4), ("1.25E+1", 1),
])
def test_the_decimals_of_a_typed_number(text, decimals):
    assert grading.decimals(text) == decimals


def test_exponent_forms_count_their_decimals_when_graded(stories):
    """The answer ×10 with k decimals, then e-1: k + 1 decimals, judged (right, and wrong two units
    off); with k − 2 decimals before e-1: k − 1, short."""
    ex = exercise(SEEDS[0])
    k, cell = ex.answer_decimals, (0, "z", 0)
    value = ex.answer(*cell)
    assert statuses(ex, {cell: f"{value * 10:.{k}f}e-1"})[cell] == "right"
    assert statuses(ex, {cell: f"{(value + 2 * unit(ex)) * 10:.{k}f}e-1"})[cell] == "wrong"
    assert statuses(ex, {cell: f"{value * 10:.{k - 2}f}e-1"})[cell] == "short"


def test_a_mistake_typed_with_more_decimals_than_asked_is_still_named():
    """The detective hears each number at the asked precision too: update_rule_flipped's h1,
    moved 0.3 units and typed with three decimals more than asked, is still that mistake."""
    ex = exercises.generate(7)
    flipped = next(trace for name, trace in catalog_runs(ex) if name == "update_rule_flipped")
    k, cell = ex.answer_decimals, (0, "h", 0)
    value = float(flipped.h[0, 0])
    assert abs(value - ex.answer(*cell)) > 2 * unit(ex)  # a mistake that shows at k decimals
    for moved in (0.3, -0.3):
        [feedback] = grading.grade(ex, {cell: written(value + moved * unit(ex), k + 3)}).feedback
        assert feedback.status == "wrong" and feedback.mistake_id == "update_rule_flipped", moved


def test_short_is_said_in_the_progress_and_in_words():
    ex = exercise(SEEDS[0])
    cell = (0, "z", 0)
    r, h = (0, "r", 0), (0, "h", 0)
    off = written(ex.answer(*h) + 2 * unit(ex), ex.answer_decimals)
    grades = grading.grade(ex, {cell: written(ex.answer(*cell), 1), r: ex.rounded(ex.answer(*r)), h: off})
    assert grades.progress() == f"1 of {len(ex.cells())} right"  # r; not z (short) nor h (two units off)
    short = grades.feedback[0]
    assert short.message == f"Not checked yet: write {ex.answer_decimals} decimals, as the exercise asks."
