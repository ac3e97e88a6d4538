"""The exercise generator's smaller promises: what a teacher may fix and what is refused,
fixing one choice leaves the others, which seeds are accepted, the answer table's shape,
the mistakes table, an exercise on given weights, and the JSON the CLI prints.

Expected values come from the rules written in the docstrings (2 more decimals than the
weights, NaN past a run's end, …) and from the exercise's truth and catalog runs.
"""

from __future__ import annotations

import numpy as np
import pytest

from gruviz.classroom import exercises
from gruviz.classroom.exercises import Options
from gruviz.errors import InputError
from gruviz.explain.mistakes import MISTAKES, Setup
from gruviz.math.cell import Convention
from gruviz.math.weights import GRUConfig, GRUWeights


@pytest.mark.parametrize("field, value, allowed", [
    ("units", 3, "1 or 2"), ("units", 0, "1 or 2"), ("input_dim", 3, "1 or 2"), ("steps", 1, "2 or 3"),
    ("steps", 4, "2 or 3"), ("decimals", 3, "1 or 2"), ("decimals", 0, "1 or 2"),
])
def test_an_option_outside_a_hand_exercise_is_refused_by_name(field, value, allowed):
    with pytest.raises(InputError) as raised:
        Options(**{field: value})
    assert str(raised.value) == (f"{field.replace('_', ' ')} must be {allowed} for a hand exercise, "
                                 f"got {value}.")


@pytest.mark.parametrize("field, values", [("units", (1, 2)), ("input_dim", (1, 2)), ("steps", (2, 3)),
                                           ("decimals", (1, 2))])
def test_every_allowed_option_is_accepted(field, values):
    for value in values:
        assert getattr(Options(**{field: value}), field) == value


def shape(ex: exercises.Exercise) -> dict:
    w = ex.setup.weights.config
    return {"units": w.units, "input_dim": w.input_dim, "steps": ex.steps, "decimals": ex.decimals,
            "convention": ex.setup.convention, "reset_after": w.reset_after, "h0": ex.setup.h0 is not None}


@pytest.mark.parametrize("seed", [3, 8, 14])
def test_fixing_one_choice_leaves_the_others_as_the_seed_drew_them(seed):
    free = shape(exercises.generate(seed))
    flips = {"units": 3 - free["units"], "input_dim": 3 - free["input_dim"], "steps": 5 - free["steps"],
             "decimals": 3 - free["decimals"],
             "convention": next(c for c in Convention if c is not free["convention"])}
    for field, value in flips.items():
        fixed = shape(exercises.generate(seed, Options(**{field: value})))
        assert fixed == {**free, field: value}, field


def test_fixing_what_the_seed_drew_anyway_changes_nothing():
    ex = exercises.generate(5)
    same = exercises.generate(5, Options(units=ex.units, steps=ex.steps, decimals=ex.decimals,
                                         input_dim=ex.setup.weights.config.input_dim,
                                         convention=ex.setup.convention))
    assert exercises.to_json(same, answers=True) == exercises.to_json(ex, answers=True)


@pytest.mark.parametrize("seed", [True, 1.5, "3", -1, 2**63, None])
def test_a_seed_that_is_no_whole_number_from_0_to_2_63_is_refused(seed):
    with pytest.raises(InputError) as raised:
        exercises.generate(seed)
    assert str(raised.value) == f"the seed must be a whole number from 0 to 2^63−1, got {seed!r}."


def test_the_largest_seed_and_a_numpy_seed_are_accepted():
    assert exercises.generate(2**63 - 1).seed == 2**63 - 1
    assert exercises.to_json(exercises.generate(np.int64(4))) == exercises.to_json(exercises.generate(4))


def test_a_seed_whose_draws_all_fail_says_so(monkeypatch):
    monkeypatch.setattr(exercises, "problems", lambda exercise: ["a gate is saturated"])
    tried = []
    real = exercises._candidate
    monkeypatch.setattr(exercises, "_candidate", lambda *args: tried.append(args[1]) or real(*args))
    with pytest.raises(InputError) as raised:
        exercises.generate(9)
    assert str(raised.value) == ("seed 9 found no exercise where every mistake shows in 400 tries; "
                                 "try another seed or more decimals.")
    assert tried == list(range(1, 401))


def test_the_first_good_draw_is_taken_and_counted(monkeypatch):
    verdicts = iter([["x"], ["y"], [], ["z"]])
    monkeypatch.setattr(exercises, "problems", lambda exercise: next(verdicts))
    ex = exercises.generate(9)
    assert ex.attempts == 3 and ex.seed == 9


def test_the_answer_table_is_steps_by_quantity_by_unit_with_nan_past_a_shorter_run():
    ex = exercises.generate(7, Options(units=2, steps=3))
    table = exercises.table(ex.truth, 3)
    assert table.shape == (3, 4, 2)
    for i, quantity in enumerate(("z", "r", "h_tilde", "h")):
        assert np.array_equal(table[:, i], getattr(ex.truth, quantity))
    [summing] = [m for m in MISTAKES if m.id == "sequence_summed_into_one_step"]
    [(_, summed)] = list(summing.variants(ex.setup))
    short = exercises.table(summed.run(), 3)
    assert not np.isnan(short[0]).any() and np.isnan(short[1:]).all()


def test_the_mistakes_table_is_every_single_mistake_that_changes_an_answer():
    ex = exercises.generate(7)
    truth = exercises.table(ex.truth, ex.steps)
    expected = []
    for mistake in MISTAKES:
        for detail, variant in mistake.variants(ex.setup):
            mine = exercises.table(variant.run(), ex.steps)
            if not np.allclose(mine, truth, rtol=0, atol=1e-9):  # NaN (a shorter run) is a change
                expected.append((mistake.id, detail))
    assert [(run.id, run.detail) for run in ex.mistakes] == expected
    assert {"update_rule_flipped", "sequence_reversed"} <= {run.id for run in ex.mistakes}


def test_a_run_is_named_by_its_mistakes():
    ex = exercises.generate(7)
    assert exercises.Run((), "", ex.truth).id == "correct"
    pair = next(run for run in ex.runs if len(run.mistakes) == 2)
    assert pair.id == f"{pair.mistakes[0].id}+{pair.mistakes[1].id}"


def test_cells_are_in_the_order_a_person_computes_them():
    ex = exercises.generate(7, Options(units=2, steps=2))
    assert ex.cells()[:5] == [(0, "z", 0), (0, "z", 1), (0, "r", 0), (0, "r", 1), (0, "h_tilde", 0)]
    assert ex.cells()[-1] == (1, "h", 1) and len(ex.cells()) == 2 * 4 * 2


def given_setup(kernel_decimals: int, h0=None, use_bias: bool = True) -> Setup:
    config = GRUConfig(units=1, input_dim=1, reset_after=False, use_bias=use_bias)
    kernel = [[0.5, -0.25, 0.75]] if kernel_decimals == 2 else [[0.5, -0.2, 0.7]]
    weights = GRUWeights.create(config, kernel, [[0.1, 0.3, -0.4]], [0.1, 0.2, 0.3] if use_bias else None)
    return Setup(weights, np.array([[1.0], [0.5]]), h0)


def test_an_exercise_on_given_weights_asks_two_decimals_more_than_they_have():
    one = exercises.from_setup(given_setup(1))
    assert (one.seed, one.attempts, one.decimals, one.answer_decimals) == (None, 0, 1, 3)
    assert exercises.from_setup(given_setup(2)).answer_decimals == 4
    assert exercises.from_setup(given_setup(1, h0=np.array([0.25]))).decimals == 2  # h0 counts too
    assert exercises.from_setup(given_setup(1, use_bias=False)).decimals == 1


@pytest.mark.parametrize("values, most, expected", [
    ([1.0, -2.0], 2, 0), ([0.5, 1.0], 2, 1), ([0.25, 0.5], 2, 2), ([0.125], 2, 2), ([0.125], 3, 3),
    ([0.1 + 0.2], 2, 1),
])
def test_decimals_of_is_the_fewest_that_write_every_value(values, most, expected):
    assert exercises.decimals_of(np.array(values), most) == expected


def test_the_json_has_the_problem_and_with_answers_the_key():
    ex = exercises.generate(7)
    k = ex.answer_decimals
    data = exercises.to_json(ex)
    assert data["seed"] == 7 and data["attempts"] == ex.attempts and data["decimals"] == ex.decimals
    assert data["answer_decimals"] == k == ex.decimals + 2 and data["convention"] == ex.setup.convention.value
    assert data["sequence"] == ex.setup.x.tolist() and "answers" not in data and "mistakes" not in data
    h0 = np.zeros(ex.units) if ex.setup.h0 is None else ex.setup.h0
    assert data["h0"] == h0.tolist()
    keyed = exercises.to_json(ex, answers=True)
    assert [step["t"] for step in keyed["answers"]] == list(range(ex.steps))
    for t, step in enumerate(keyed["answers"]):
        for q in ("z", "r", "h_tilde", "h"):
            assert step[q] == pytest.approx([float(f"{v:.{k}f}") for v in getattr(ex.truth, q)[t]], abs=1e-12)
    assert [m["mistake"] for m in keyed["mistakes"]] == [run.id for run in ex.mistakes]
    first = ex.mistakes[0].trace.h
    by_hand = [[float(f"{v:.{k}f}") for v in row] for row in first]
    assert np.allclose(keyed["mistakes"][0]["h"], by_hand, atol=1e-12)
    assert keyed["mistakes"][0]["detail"] == ex.mistakes[0].detail


def test_a_zero_draw_becomes_one_unit_of_the_last_decimal():
    rng = np.random.default_rng(0)
    values = exercises._draw(rng, -0.04, 0.04, (200,), 1)
    assert set(np.round(values, 6)) == {0.1}
    assert not np.any(exercises._draw(np.random.default_rng(1), -1.2, 1.2, (500,), 2) == 0)
