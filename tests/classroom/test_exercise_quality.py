"""The exercise generator's quality checks (`problems`) on exercises made by hand, each built
so that exactly one check has something to say, and the smaller parts of an exercise a
teacher reads: which mistakes it lists, its decimals, its JSON.

Expected values come from the GRU equations worked out here: σ(5) ≈ 0.993 is saturated;
with one unit r⊙(h′U) = (r⊙h′)U, so the reset placement changes nothing; with z ≈ 1,
h = z·h′ + (1−z)·h̃ moves by (1−z)·Δh̃ only; with h′ = 0, h = (1−z)·h̃ moves by Δz·h̃ only.
"""

from __future__ import annotations

import numpy as np

from gruviz.classroom import exercises
from gruviz.explain.mistakes import Setup
from gruviz.io import weights_file
from gruviz.math.weights import GRUConfig, GRUWeights


def one_unit(kernel, recurrent, bias, x, h0=None) -> exercises.Exercise:
    config = GRUConfig(units=1, input_dim=1, reset_after=False)
    weights = GRUWeights.create(config, [kernel], [recurrent], bias)
    return exercises.from_setup(Setup(weights, np.array(x, dtype=float), None if h0 is None else np.array(h0)))


def hidden(ex: exercises.Exercise) -> list[str]:
    return [p.removesuffix(" hides behind rounding") for p in exercises.problems(ex) if "hides" in p]


def test_a_gate_near_0_or_1_is_saturated_and_one_inside_is_not():
    inside = one_unit([0.5, -0.4, 0.7], [0.1, 0.3, -0.4], [0.1, 0.2, 0.3], [[1.0], [-0.5]])
    assert "a gate is saturated" not in exercises.problems(inside)
    for z_bias in (5.0, -5.0):  # σ(±5) = 0.993, 0.007
        saturated = one_unit([0.5, -0.4, 0.7], [0.1, 0.3, -0.4], [z_bias, 0.2, 0.3], [[1.0], [-0.5]])
        assert "a gate is saturated" in exercises.problems(saturated)


def test_a_gate_of_exactly_0_95_is_saturated():
    """The range is open: z = 0.95 to the last bit counts as saturated."""
    logit = np.log(19.0)  # σ(ln 19) = 19/20
    for _ in range(100):
        ex = one_unit([logit, 0.0, 0.5], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [[1.0], [1.0]])
        if ex.truth.z[0, 0] == 0.95:
            break
        logit = np.nextafter(logit, np.inf if ex.truth.z[0, 0] < 0.95 else -np.inf)
    assert ex.truth.z[0, 0] == 0.95
    assert "a gate is saturated" in exercises.problems(ex)


def test_with_one_unit_the_reset_placement_is_no_mistake_and_is_not_listed():
    ex = one_unit([0.5, -0.4, 0.7], [0.1, 0.3, -0.4], [0.1, 0.2, 0.3], [[1.0], [-0.5]], h0=[0.3])
    ids = [run.id for run in ex.mistakes]
    assert "reset_placement_swapped" not in ids
    assert {"update_rule_flipped", "initial_state_ignored"} <= set(ids)
    assert "reset_placement_swapped" in [run.id for run in ex.runs]  # run, and found to change nothing


def test_a_gate_mistake_that_moves_z_but_not_the_written_h_hides():
    """h′ = 0 and h̃ = tanh(0.0001): z differs between σ and the hard sigmoid (0.7311 against
    0.6667), but h = (1−z)·h̃ is 0.0000 to 4 decimals either way. One unit, so the runs after
    the reset placement (which changes nothing) must still be checked."""
    ex = one_unit([0.01, 0.01, 0.01], [0.5, 0.5, 0.5], [1.0, 0.0, 0.0], [[0.01], [0.01]])
    assert ex.answer_decimals == 4
    assert ex.rounded(ex.truth.z[0, 0]) == "0.7311" and ex.rounded(ex.truth.h[0, 0]) == "0.0000"
    assert "sigmoid_vs_hard_sigmoid" in hidden(ex)


def test_a_candidate_mistake_that_z_near_1_keeps_out_of_h_hides():
    """Two units, one step, h′ = (0.5, −0.5), z = σ(10): the reset placement moves h̃ in the 3rd
    decimal, h = z·h′ + (1−z)·h̃ only by (1−z)·Δh̃ < 0.0005; r is computed before it."""
    config = GRUConfig(units=2, input_dim=1, reset_after=False)
    kernel = [[0.1, 0.1, 0.2, -0.3, 0.4, 0.1]]
    recurrent = [[0.1, 0.2, 0.3, 0.4, 0.9, -0.7], [0.2, 0.1, -0.4, 0.3, 0.8, 0.6]]
    bias = [10.0, 10.0, 0.0, 0.0, 0.0, 0.0]
    weights = GRUWeights.create(config, kernel, recurrent, bias)
    ex = exercises.from_setup(Setup(weights, np.array([[1.0]]), np.array([0.5, -0.5])))
    [swapped] = [run for run in ex.runs if run.id == "reset_placement_swapped"]
    k = ex.answer_decimals
    assert not np.array_equal(np.round(swapped.trace.h_tilde[0], k), np.round(ex.truth.h_tilde[0], k))
    assert np.array_equal(swapped.trace.r, ex.truth.r)
    assert np.array_equal(np.round(swapped.trace.h, k), np.round(ex.truth.h, k))
    assert "reset_placement_swapped" in hidden(ex)


def test_decimals_of_reads_float32_weights_as_written():
    """A weight saved as float32 is 0.1 to 7 digits, not 0.10000000149; a float64 number
    off its decimals by more than float32 rounding keeps every decimal asked for."""
    assert exercises.decimals_of(np.array([float(np.float32(0.1)), float(np.float32(-0.35))])) == 2
    assert exercises.decimals_of(np.array([float(np.float32(0.1)), float(np.float32(1.7))])) == 1
    assert exercises.decimals_of(np.array([100.0001])) == 2
    assert exercises.decimals_of(np.array([0.1000001]), most=3) == 3
    assert exercises.decimals_of(np.array([0.5, 5e-9])) == 2  # not 0 to the 9th place


def test_an_exercise_on_given_weights_keeps_them():
    setup = Setup(GRUWeights.create(GRUConfig(units=1, input_dim=1, reset_after=False), [[0.5, -0.4, 0.7]],
                                    [[0.1, 0.3, -0.4]], [0.1, 0.2, 0.3]), np.array([[1.0], [-0.5]]))
    ex = exercises.from_setup(setup)
    assert ex.setup is setup and (ex.units, ex.steps) == (1, 2)


def test_the_json_of_an_exercise_without_a_start_state_starts_at_zero_and_carries_its_weights():
    ex = one_unit([0.5, -0.4, 0.7], [0.1, 0.3, -0.4], [0.1, 0.2, 0.3], [[1.0], [-0.5]])
    data = exercises.to_json(ex)
    assert data["h0"] == [0.0]
    back = weights_file.from_dict(data["weights"])
    for name in ("kernel", "recurrent_kernel", "bias"):
        assert np.array_equal(getattr(back, name), getattr(ex.setup.weights, name))
