"""The parts of grading a student meets one at a time: how a number is named and linked,
which earlier numbers a wrong one is built on, which mistake it is told, and its hint.

Expected values are worked out here from the GRU equations (which numbers enter which
equation), from the page's conventions (steps count from 1, h0 is the start state), and
from the mistake catalog run directly.
"""

from __future__ import annotations

import numpy as np
import pytest

from gruviz.classroom import exercises, grading
from gruviz.classroom.exercises import Options
from gruviz.errors import InputError
from gruviz.explain.mistakes import MISTAKES

SEED = 7  # 2 units, 3 steps, reset_after=True, asked to 4 decimals


@pytest.fixture(scope="module")
def ex() -> exercises.Exercise:
    made = exercises.generate(SEED)
    assert (made.units, made.steps, made.setup.weights.config.reset_after) == (2, 3, True)
    return made


@pytest.fixture(scope="module")
def before() -> exercises.Exercise:
    """A two-unit exercise with the reset applied before the recurrent matmul."""
    made = next(e for e in (exercises.generate(s, Options(units=2)) for s in range(40))
                if not e.setup.weights.config.reset_after)
    return made


@pytest.fixture
def stories(monkeypatch) -> list:
    asked = []
    monkeypatch.setattr(grading, "_culprit", lambda exercise, cell, parsed: asked.append(cell) or ("", ""))
    return asked


def written(ex: exercises.Exercise, cell, moved_units: float = 0.0) -> str:
    """The true number of `cell` to the asked decimals, moved by whole units in the last one."""
    return ex.rounded(ex.answer(*cell) + moved_units * 10.0**-ex.answer_decimals)


def feedback(ex: exercises.Exercise, typed: dict) -> dict:
    return {f.cell: f for f in grading.grade(ex, typed).feedback}


def test_a_number_is_named_from_step_1_and_unit_1_and_linked_from_0():
    assert grading.name((0, "z", 0)) == "z1[1]"
    assert grading.name((1, "r", 1)) == "r2[2]"
    assert grading.name((2, "h_tilde", 1)) == "h̃3[2]"
    assert grading.name((0, "h", 0)) == "h1[1]"
    assert grading.key((2, "h_tilde", 1)) == "h_tilde.2.1"
    assert grading.key((0, "h", 0)) == "h.0.0"


def test_every_cell_comes_back_from_its_link_key(ex):
    assert [grading.from_key(grading.key(c), ex) for c in ex.cells()] == ex.cells()


@pytest.mark.parametrize("text", ["q.0.0", "z.x.0", "z.0.x", "z.0", "z", "", "z.-1.0", "h~.0.0"])
def test_a_key_that_names_no_number_says_how_one_looks(ex, text):
    with pytest.raises(InputError) as raised:
        grading.from_key(text, ex)
    assert str(raised.value) == (f"{text!r} names no number of this exercise; use e.g. z.0.0 "
                                 "(z of step 1, unit 1: a link counts both from 0).")


def test_a_key_past_the_exercise_says_its_size(ex):
    with pytest.raises(InputError) as raised:
        grading.from_key("z.3.0", ex)
    assert str(raised.value) == "z4[1] is not part of this exercise (3 steps, 2 units)."
    one = next(e for e in (exercises.generate(s, Options(units=1, steps=2)) for s in range(10)))
    with pytest.raises(InputError) as raised:
        grading.from_key("h.0.1", one)
    assert str(raised.value) == "h1[2] is not part of this exercise (2 steps, 1 unit)."


def test_each_number_is_computed_from_the_numbers_of_its_equation(ex, before):
    """z and r: h of the step before (all units); h̃: r of its step (its own unit when the reset
    multiplies h·U, every unit when it multiplies h) and h before; h: z, h̃ and h before, its unit."""
    inputs = grading.inputs
    h0 = [(0, "h", 0), (0, "h", 1)]
    for e in (ex, before):
        assert inputs(e, (0, "z", 1)) == [] and inputs(e, (0, "r", 0)) == []
        assert inputs(e, (1, "z", 1)) == h0 and inputs(e, (1, "r", 0)) == h0
        assert inputs(e, (0, "h", 1)) == [(0, "z", 1), (0, "h_tilde", 1)]
        assert inputs(e, (1, "h", 0)) == [(1, "z", 0), (1, "h_tilde", 0), (0, "h", 0)]
    assert inputs(ex, (0, "h_tilde", 1)) == [(0, "r", 1)]
    assert inputs(ex, (1, "h_tilde", 1)) == [(1, "r", 1), *h0]
    assert inputs(before, (0, "h_tilde", 1)) == [(0, "r", 0), (0, "r", 1)]
    assert inputs(before, (1, "h_tilde", 0)) == [(1, "r", 0), (1, "r", 1), *h0]


def test_wrong_inputs_are_listed_in_computation_order(ex, stories):
    typed = {c: written(ex, c, 3) for c in [(1, "h_tilde", 0), (0, "h", 0), (1, "z", 0), (1, "h", 0)]}
    got = feedback(ex, typed)
    assert got[(1, "h", 0)].wrong_inputs == ((0, "h", 0), (1, "z", 0), (1, "h_tilde", 0))
    assert got[(0, "h", 0)].wrong_inputs == ()


def test_wrong_inputs_are_found_through_numbers_not_written_and_stop_at_right_ones(ex, stories):
    """z2 needs h1, which is not written; h1 needs z1, written wrong: z2 is built on z1. Once
    h1 is written right, z1 no longer matters to z2. A short or invalid h1 is not written."""
    z1, h1, z2 = (0, "z", 0), (0, "h", 0), (1, "z", 0)
    assert feedback(ex, {z1: written(ex, z1, 3), z2: written(ex, z2, 3)})[z2].wrong_inputs == (z1,)
    typed = {z1: written(ex, z1, 3), h1: written(ex, h1), z2: written(ex, z2, 3)}
    assert feedback(ex, typed)[z2].wrong_inputs == ()
    for not_written in (written(ex, h1, 30)[:-2], "abc"):
        typed = {z1: written(ex, z1, 3), h1: not_written, z2: written(ex, z2, 3)}
        got = feedback(ex, typed)
        assert got[h1].status in ("short", "invalid") and got[z2].wrong_inputs == (z1,)


def test_wrong_inputs_are_found_past_an_input_reached_twice(ex, stories):
    """h2[1] needs z2[1] and h~2[1] (untyped: through each of them h1[1] and h1[2]) and h1[1]:
    the walk meets h1[1] twice before it reaches h1[2]. Both typed wrong h1 numbers are named."""
    h1_1, h1_2, h2_1 = (0, "h", 0), (0, "h", 1), (1, "h", 0)
    typed = {h1_1: written(ex, h1_1, 3), h1_2: written(ex, h1_2, 3), h2_1: written(ex, h2_1, 3)}
    assert feedback(ex, typed)[h2_1].wrong_inputs == (h1_1, h1_2)


def runs_of(ex: exercises.Exercise) -> dict:
    """Each single mistake's first variant, from the catalog: id → (detail, trace)."""
    found = {}
    for mistake in MISTAKES:
        for detail, variant in mistake.variants(ex.setup):
            found.setdefault(mistake.id, (detail, variant.run()))
    return found


def test_a_wrong_number_is_told_the_mistake_that_gives_it_with_its_detail(ex):
    detail, flipped = runs_of(ex)["update_rule_flipped"]
    h1 = (0, "h", 0)
    [told] = grading.grade(ex, {h1: ex.rounded(float(flipped.h[0, 0]))}).feedback
    assert (told.status, told.mistake_id, told.mistake) == ("wrong", "update_rule_flipped", detail)


def test_a_later_number_is_told_its_own_mistake_when_no_story_fits_the_numbers_before_it(ex):
    """h1 from the flipped update rule, then z2 from the recurrent bias left out (on the true h1):
    no one story gives both, so z2 is judged alone."""
    runs = runs_of(ex)
    flipped, ignored = runs["update_rule_flipped"][1], runs["recurrent_bias_ignored"]
    h1, z2 = (0, "h", 0), (1, "z", 0)
    typed = {h1: ex.rounded(float(flipped.h[0, 0])), z2: ex.rounded(float(ignored[1].z[1, 0]))}
    got = feedback(ex, typed)
    assert got[h1].mistake_id == "update_rule_flipped"
    assert (got[z2].mistake_id, got[z2].mistake) == ("recurrent_bias_ignored", ignored[0])
    assert got[z2].wrong_inputs == (h1,)
    same_story = {h1: typed[h1], z2: ex.rounded(float(flipped.z[1, 0]))}
    assert feedback(ex, same_story)[z2].mistake_id == "update_rule_flipped"


def test_a_number_no_mistake_gives_is_told_none(ex):
    z1 = (0, "z", 0)
    [told] = grading.grade(ex, {z1: written(ex, z1, 0.6 * 10.0**ex.answer_decimals)}).feedback  # 0.6 off
    assert (told.status, told.mistake, told.mistake_id) == ("wrong", "", "")


@pytest.mark.parametrize("cell, opening", [
    ((0, "z", 0), r"\begin{aligned}z_{1} &="), ((0, "r", 1), r"\begin{aligned}r_{1} &="),
    ((1, "h_tilde", 0), r"\begin{aligned}\tilde h_{2} &="), ((2, "h", 1), r"\begin{aligned}h_{3} &="),
])
def test_the_hint_is_the_numbers_own_equation_and_ends_on_a_question_mark(ex, cell, opening):
    """Every number the student wrote, the asked one too, filled in: the hint still ends on "?"."""
    typed = {c: written(ex, c, 0 if c != cell else 5) for c in ex.cells()}
    hint = feedback(ex, typed)[cell].hint
    assert hint.startswith(opening), hint[:60]
    assert hint.endswith(r"= \,?\,\end{aligned}"), hint[-60:]
    assert typed[cell] not in hint and ex.rounded(ex.answer(*cell)) not in hint


def test_the_hint_shows_the_students_own_earlier_numbers(ex):
    h1 = (0, "h", 0)
    mine = written(ex, h1, 7)
    hint = feedback(ex, {h1: mine, (1, "z", 0): written(ex, (1, "z", 0), 9)})[(1, "z", 0)].hint
    assert mine in hint
    blank = feedback(ex, {(1, "z", 0): written(ex, (1, "z", 0), 9)})[(1, "z", 0)].hint
    assert grading.UNKNOWN in blank and mine not in blank


def test_student_trace_keeps_the_inputs_and_only_the_written_numbers(ex):
    trace = grading.student_trace(ex, {(1, "r", 1): 0.25})
    assert np.array_equal(trace.x, ex.truth.x) and trace.weights is ex.truth.weights
    assert trace.r[1, 1] == 0.25 and np.isnan(trace.r).sum() == trace.r.size - 1
    for name in ("z", "h_tilde", "h", "z_pre", "r_pre", "h_tilde_pre"):
        assert np.isnan(getattr(trace, name)).all(), name


def test_grades_count_only_right_numbers(ex, stories):
    cells = ex.cells()
    typed = {cells[0]: written(ex, cells[0]), cells[1]: written(ex, cells[1]),
             cells[2]: written(ex, cells[2], 4), cells[3]: "x", cells[4]: written(ex, cells[4])[:-1]}
    grades = grading.grade(ex, typed)
    assert [f.status for f in grades.feedback] == ["right", "right", "wrong", "invalid", "short"]
    assert (grades.right, grades.total, grades.progress()) == (2, 24, "2 of 24 right")
    assert grades.feedback[3].message == f"{grading.name(cells[3])}: 'x' is not a number."
    assert all(f.typed == typed[f.cell] for f in grades.feedback)


def test_typed_text_is_graded_without_its_spaces(ex, stories):
    cell = (0, "z", 0)
    [told] = grading.grade(ex, {cell: f"  {written(ex, cell)}\t"}).feedback
    assert (told.status, told.typed) == ("right", written(ex, cell))


def test_reveal_gives_the_answer_to_the_asked_decimals(ex):
    for cell in ex.cells():
        assert grading.reveal(ex, cell) == f"{ex.answer(*cell):.4f}"


def test_a_decimal_comma_is_graded_as_a_point_and_the_feedback_says_so(ex, stories):
    """One box holds one number: "0,8121" can only mean 0.8121. Right and wrong numbers both carry
    the note; a number typed with a point carries none, and neither carries a message."""
    z1, r1 = (0, "z", 0), (0, "r", 0)
    right, wrong = written(ex, z1), written(ex, r1, 3)
    got = feedback(ex, {z1: right.replace(".", ","), r1: wrong.replace(".", ",")})
    assert (got[z1].status, got[r1].status) == ("right", "wrong")
    assert got[z1].note == f"{right.replace('.', ',')} was read as {right}: gruviz writes decimals with a point."
    assert got[r1].note == f"{wrong.replace('.', ',')} was read as {wrong}: gruviz writes decimals with a point."
    assert got[z1].message == got[r1].message == ""
    plain = feedback(ex, {z1: right, r1: wrong})
    assert plain[z1].note == plain[r1].note == "" and plain[z1].message == plain[r1].message == ""


def test_feedback_comes_in_the_order_a_person_computes_the_numbers(ex, stories):
    """Typed in any order, h1 before z2 before h~2: the steps first, then z, r, h~, h, then units."""
    cells = [(1, "h_tilde", 0), (0, "h", 1), (1, "z", 0), (0, "h", 0), (0, "z", 1)]
    got = grading.grade(ex, {c: written(ex, c) for c in cells}).feedback
    assert [f.cell for f in got] == [(0, "z", 1), (0, "h", 0), (0, "h", 1), (1, "z", 0), (1, "h_tilde", 0)]
