"""Generated hand exercises over hundreds of seeds: the answers are Keras's (keras rule) and
a Wikipedia-rule loop written here (bahdanau); every mistake shows at the asked precision;
the gates are not saturated; grading names the mistake and never gives the answer away."""

from __future__ import annotations

import json
import subprocess
from functools import lru_cache

import numpy as np
import pytest

import cli_run

from gruviz.classroom import exercises, grading
from gruviz.classroom.exercises import Options
from gruviz.explain.claims import Claimed, Typed
from gruviz.explain.detective import diagnose
from gruviz.explain.mistakes import MISTAKES
from gruviz.math.cell import Convention

SEEDS = range(240)


@lru_cache(maxsize=None)
def exercise(seed: int, convention: str | None = None) -> exercises.Exercise:
    if convention is not None and exercise(seed).setup.convention.value == convention:
        return exercise(seed)  # the generator draws the rule before an option overrides it: same exercise
    return exercises.generate(seed, Options(convention=None if convention is None else Convention(convention)))


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def by_hand(ex: exercises.Exercise, wikipedia: bool):
    """The GRU equations written out here, one step at a time: z, r, h~, h as (T, H)."""
    w, x = ex.setup.weights, ex.setup.x
    H = ex.units
    K, R = w.kernel, w.recurrent_kernel
    if w.config.reset_after:
        bx, bh = np.asarray(w.bias[0]), np.asarray(w.bias[1])
    else:
        bx, bh = np.asarray(w.bias), np.zeros(3 * H)
    h = np.zeros(H) if ex.setup.h0 is None else ex.setup.h0
    out = {q: [] for q in ("z", "r", "h_tilde", "h")}
    for x_t in x:
        z = sigmoid(x_t @ K[:, :H] + bx[:H] + h @ R[:, :H] + bh[:H])
        r = sigmoid(x_t @ K[:, H:2 * H] + bx[H:2 * H] + h @ R[:, H:2 * H] + bh[H:2 * H])
        if w.config.reset_after:
            cand = np.tanh(x_t @ K[:, 2 * H:] + bx[2 * H:] + r * (h @ R[:, 2 * H:] + bh[2 * H:]))
        else:
            cand = np.tanh(x_t @ K[:, 2 * H:] + bx[2 * H:] + (r * h) @ R[:, 2 * H:])
        h = (1 - z) * h + z * cand if wikipedia else z * h + (1 - z) * cand
        for q, v in zip(out, (z, r, cand, h)):
            out[q].append(v)
    return {q: np.array(v) for q, v in out.items()}


@lru_cache(maxsize=None)
def keras_layer(units: int, input_dim: int, reset_after: bool):
    import keras

    layer = keras.layers.GRU(units, reset_after=reset_after, return_sequences=True)
    layer.build((1, 3, input_dim))
    return layer


def keras_h(ex: exercises.Exercise) -> np.ndarray:
    cfg = ex.setup.weights.config
    layer = keras_layer(cfg.units, cfg.input_dim, cfg.reset_after)
    layer.set_weights([np.asarray(a, "float32") for a in ex.setup.weights.keras_arrays()])
    h0 = np.zeros(cfg.units) if ex.setup.h0 is None else ex.setup.h0
    return np.asarray(layer(np.asarray(ex.setup.x, "float32")[None], initial_state=[np.asarray(h0, "float32")[None]]))[0]


def same_at(a, b, decimals: int) -> bool:
    return bool(np.all(np.round(np.asarray(a, float), decimals) == np.round(np.asarray(b, float), decimals)))


@pytest.mark.parametrize("chunk", range(6))
def test_keras_rule_answers_are_keras_to_the_asked_decimals(chunk):
    for seed in SEEDS[chunk::6]:
        ex = exercise(seed, "keras")
        k, truth = ex.answer_decimals, ex.truth
        h_keras = keras_h(ex)
        hand = by_hand(ex, wikipedia=False)
        assert np.allclose(hand["h"], h_keras, atol=2e-6), seed  # the loop here is Keras's
        assert same_at(truth.h, h_keras, k), (seed, truth.h, h_keras)
        for q in ("z", "r", "h_tilde"):
            assert same_at(getattr(truth, q), hand[q], k), (seed, q)


def test_bahdanau_answers_follow_the_wikipedia_rule():
    for seed in SEEDS:
        ex = exercise(seed, "bahdanau")
        hand = by_hand(ex, wikipedia=True)
        for q, values in hand.items():
            assert same_at(getattr(ex.truth, q), values, ex.answer_decimals), (seed, q)


def test_exercises_stay_small_and_cover_every_shape():
    seen = set()
    for seed in SEEDS:
        ex = exercise(seed)
        cfg, x = ex.setup.weights.config, ex.setup.x
        assert cfg.units in (1, 2) and cfg.input_dim in (1, 2) and len(x) in (2, 3) and ex.decimals in (1, 2)
        numbers = np.concatenate([ex.setup.weights.kernel.ravel(), ex.setup.weights.recurrent_kernel.ravel(),
                                  np.ravel(ex.setup.weights.bias), x.ravel()])
        assert np.allclose(numbers, np.round(numbers, ex.decimals), atol=1e-12)
        seen.add((cfg.units, cfg.input_dim, len(x), ex.decimals, ex.setup.convention, cfg.reset_after,
                  ex.setup.h0 is None))
    for position, values in enumerate(((1, 2), (1, 2), (2, 3), (1, 2), tuple(Convention), (False, True),
                                       (False, True))):
        assert {s[position] for s in seen} == set(values)


def test_options_are_honoured_and_bad_ones_refused():
    ex = exercises.generate(11, Options(units=2, input_dim=1, steps=3, decimals=2, convention=Convention.KERAS))
    assert (ex.units, ex.setup.weights.config.input_dim, ex.steps, ex.decimals) == (2, 1, 3, 2)
    assert ex.setup.convention is Convention.KERAS
    with pytest.raises(exercises.InputError):
        Options(units=3)
    with pytest.raises(exercises.InputError):
        exercises.generate(-1)


def test_gates_are_not_saturated():
    for seed in SEEDS:
        truth = exercise(seed).truth
        gates = np.concatenate([truth.z.ravel(), truth.r.ravel()])
        assert np.all((gates > 0.05) & (gates < 0.95)), seed


def _tables(ex: exercises.Exercise):
    """Each single mistake's and pair's table, from the catalog directly."""
    runs = []
    for first in MISTAKES:
        for detail, variant in first.variants(ex.setup):
            runs.append(((first.id,), exercises.table(variant.run(), ex.steps)))
            for second in MISTAKES[MISTAKES.index(first) + 1:]:
                for _, both in second.variants(variant):
                    runs.append(((first.id, second.id), exercises.table(both.run(), ex.steps)))
    return runs


def _shows(ex: exercises.Exercise) -> list[str]:
    """Where a mistake could pass for the truth or for another mistake at the asked decimals."""
    k, truth = ex.answer_decimals, exercises.table(ex.truth, ex.steps)
    runs = [(ids, t) for ids, t in _tables(ex) if not np.allclose(t, truth, atol=1e-9, equal_nan=False)]
    found = []
    for ids, t in runs:
        final = np.round(t[-1, 3], k), np.round(truth[-1, 3], k)  # the answer: h at the last step
        if np.array_equal(*final):
            found.append(f"{ids} ends on the true h")
        differs = ~np.isclose(t, truth, atol=1e-9)
        first = np.argwhere(differs.any(axis=2))[0]
        if np.any(differs[tuple(first)] & (np.round(t, k) == np.round(truth, k))[tuple(first)]):
            found.append(f"{ids} hides where it first departs")
    singles = [(ids, t) for ids, t in runs if len(ids) == 1]
    for i, (a, ta) in enumerate(singles):
        for b, tb in singles[i + 1:]:
            if not np.allclose(ta, tb, atol=1e-9, equal_nan=True) and np.array_equal(
                    np.round(ta, k), np.round(tb, k), equal_nan=True):
                found.append(f"{a} and {b} write the same numbers")
    return found


@pytest.mark.parametrize("chunk", range(6))
def test_every_mistake_shows_at_the_asked_precision(chunk):
    for seed in SEEDS[chunk::6]:
        assert _shows(exercise(seed)) == [], seed


def test_the_check_above_rejects_what_the_generator_rejected():
    """The first draw of a seed that needed more is a bad exercise, and the check above says so
    (or the gates or a rounding tie were why)."""
    caught = 0
    for seed in SEEDS[:60]:
        if exercise(seed).attempts > 1:
            first = exercises._candidate(seed, 1, Options())
            truth = first.truth
            saturated = not np.all((np.r_[truth.z.ravel(), truth.r.ravel()] > 0.05)
                                   & (np.r_[truth.z.ravel(), truth.r.ravel()] < 0.95))
            caught += bool(_shows(first)) or saturated
    assert caught >= 5


def _typed(ex, trace) -> dict:
    return {cell: ex.rounded(float(getattr(trace, cell[1])[cell[0], cell[2]])) for cell in ex.cells()
            if cell[0] < trace.steps}


@pytest.mark.parametrize("seed", range(0, 40, 4))
def test_the_detective_names_each_mistake_from_its_written_answers(seed):
    ex = exercise(seed)
    for run in ex.mistakes:
        claims = [Claimed(t, q, Typed.parse([text], "test"), j) for (t, q, j), text in _typed(ex, run.trace).items()]
        best = diagnose(ex.setup, claims).explanations[0]
        assert best.explains
        reproduced = exercises.table(best.trace, ex.steps)
        assert np.allclose(reproduced, exercises.table(run.trace, ex.steps), atol=1e-9, equal_nan=True), \
            (seed, run.id, best.id)


def test_grading_right_wrong_precision_and_hint():
    ex = exercises.generate(7)
    flipped = next(r for r in ex.mistakes if r.mistakes[0].id == "update_rule_flipped")
    z = ex.answer(0, "z", 0)
    typed = {(0, "z", 0): f"{z:.2f}", (0, "h", 0): ex.rounded(float(flipped.trace.h[0, 0])),
             (1, "z", 0): ex.rounded(float(flipped.trace.z[1, 0])), (0, "r", 0): "abc"}
    grades = grading.grade(ex, typed)
    fb = {f.cell: f for f in grades.feedback}
    assert fb[(0, "z", 0)].status == "short"  # two decimals typed, fewer than asked: not checked
    assert f"write {ex.answer_decimals} decimals" in fb[(0, "z", 0)].message
    assert fb[(0, "r", 0)].status == "invalid"
    wrong = fb[(0, "h", 0)]
    assert wrong.status == "wrong" and wrong.mistake_id == "update_rule_flipped"
    assert ex.rounded(ex.answer(0, "h", 0)) not in wrong.hint and r"\,?\," in wrong.hint
    assert typed[(0, "z", 0)] in wrong.hint  # the student's own z, filled in
    later = fb[(1, "z", 0)]
    assert later.wrong_inputs == ((0, "h", 0),)
    assert grades.right == 0 and grades.total == len(ex.cells()) and grades.progress() == f"0 of {grades.total} right"
    assert grading.reveal(ex, (0, "h", 0)) == ex.rounded(ex.answer(0, "h", 0))


def _cli(*args: str) -> subprocess.CompletedProcess:
    return cli_run.gruviz(*args)


def test_cli_exercise_json():
    done = _cli("exercise", "--seed", "5", "--units", "2", "--steps", "3", "--convention", "bahdanau", "--answers")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    ex = exercises.generate(5, Options(units=2, steps=3, convention=Convention.BAHDANAU))
    assert data["weights"]["format"] == "gruviz-weights/1" and data["decimals"] == ex.decimals
    assert np.array_equal(data["sequence"], ex.setup.x) and len(data["h0"]) == 2
    hand = by_hand(ex, wikipedia=True)
    for t, step in enumerate(data["answers"]):
        for q in ("z", "r", "h_tilde", "h"):
            assert same_at(step[q], hand[q][t], data["answer_decimals"])
    assert {m["mistake"] for m in data["mistakes"]} >= {"update_rule_flipped", "sequence_reversed"}
    assert all(len(m["h"]) in (1, 3) for m in data["mistakes"])
    without = json.loads(_cli("exercise", "--seed", "5", "--units", "2", "--steps", "3",
                              "--convention", "bahdanau").stdout)
    assert "answers" not in without and without["weights"] == data["weights"]


@pytest.mark.parametrize("args", [("exercise",), ("exercise", "--seed", "x"), ("exercise", "--seed", "1", "--units", "3"),
                                  ("exercise", "--seed", "-4")])
def test_cli_exercise_bad_input_exits_2_with_one_line(args):
    done = _cli(*args)
    assert done.returncode == 2 and done.stdout == "" and len(done.stderr.strip().splitlines()) == 1
