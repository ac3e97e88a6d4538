"""Every mistake of a generated exercise writes numbers of its own, at the asked decimals.

The runs are built here from the mistake catalog, as the generator does: every single
mistake and every pair the detective ranks (a second mistake on top of the first, in
catalog order). No two runs that differ may write the same numbers, single against pair
included; the sequence never reads the same backwards (reading it backwards, the
go_backwards mistake, would give the true answers); a shorter run (the sequence summed into
one step) never writes only true numbers. Known draws are pinned: the generator must have
rejected each for one reason alone, which these checks find and no other check does.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest

from gruviz.classroom import exercises
from gruviz.classroom.exercises import Options
from gruviz.explain.mistakes import MISTAKES
from test_exercises import exercise  # generated once per process for every file that uses it

SEEDS = range(240)
CHUNKS = 6
EXACT = 1e-9


@lru_cache(maxsize=64)
def runs(ex: exercises.Exercise) -> list[tuple[str, np.ndarray]]:
    """(name, table) of the truth, each single mistake and each ranked pair."""
    T = ex.steps
    found = [("correct", exercises.table(ex.truth, T))]
    for first in MISTAKES:
        for _detail, variant in first.variants(ex.setup):
            found.append((first.id, exercises.table(variant.run(), T)))
            for second in MISTAKES[MISTAKES.index(first) + 1:]:
                for _detail2, both in second.variants(variant):
                    found.append((f"{first.id}+{second.id}", exercises.table(both.run(), T)))
    return found


def same_numbers(ex: exercises.Exercise) -> list[tuple[str, str]]:
    """Every two runs that differ but write the same numbers to the asked decimals."""
    k, groups = ex.answer_decimals, {}
    for name, table in runs(ex):
        groups.setdefault(np.nan_to_num(np.round(table, k), nan=np.inf).tobytes(), []).append((name, table))
    return [(a, b) for group in groups.values() for i, (a, ta) in enumerate(group) for b, tb in group[i + 1:]
            if not np.allclose(ta, tb, atol=EXACT, equal_nan=True)]


def palindrome(ex: exercises.Exercise) -> bool:
    return bool(np.array_equal(ex.setup.x, ex.setup.x[::-1]))


def hidden(ex: exercises.Exercise) -> list[str]:
    """Runs that differ from the truth but not where they first depart, or write only true numbers."""
    k, truth = ex.answer_decimals, runs(ex)[0][1]
    found = []
    for name, table in runs(ex)[1:]:
        changed = ~np.isclose(table, truth, atol=EXACT)  # NaN (a run of fewer steps) counts as changed
        if not changed.any():
            continue
        shows = changed & (np.round(table, k) != np.round(truth, k))
        t, q = np.argwhere(changed.any(axis=2))[0]
        hides_first = not shows[t, q][changed[t, q]].all()  # where it first departs, every changed unit shows
        hides_h = bool((changed[:, 3] & ~shows[:, 3]).any())  # and every h it changes shows
        if hides_first or hides_h or not (shows & ~np.isnan(table)).any():
            found.append(name)
    return found


def other_reasons(ex: exercises.Exercise) -> list[str]:
    """The generator's remaining reasons, worked out here: saturated gates, a rounding tie."""
    truth, k = runs(ex)[0][1], ex.answer_decimals
    found = []
    gates = truth[:, :2]
    if not np.all((gates > 0.05) & (gates < 0.95)):
        found.append("saturated")
    scaled = np.abs(truth) * 10.0**k
    if np.any(np.abs(scaled - np.floor(scaled) - 0.5) < 0.005):
        found.append("tie")
    return found


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_no_two_runs_write_the_same_numbers(chunk):
    for seed in SEEDS[chunk::CHUNKS]:
        assert same_numbers(exercise(seed)) == [], seed


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_reading_the_sequence_backwards_always_shows(chunk):
    for seed in SEEDS[chunk::CHUNKS]:
        ex = exercise(seed)
        assert not palindrome(ex), (seed, ex.setup.x.tolist())
        reversed_ = dict(runs(ex))["sequence_reversed"]
        truth = exercises.table(ex.truth, ex.steps)
        assert np.any(np.round(reversed_, ex.answer_decimals) != np.round(truth, ex.answer_decimals)), seed


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_no_mistake_hides(chunk):
    for seed in SEEDS[chunk::CHUNKS]:
        assert hidden(exercise(seed)) == [], seed


def test_a_first_draw_rejected_only_because_a_pair_writes_a_single_mistakes_numbers():
    """Seed 81's first draw: recurrent_bias_ignored alone and with candidate_activation_missing on
    top write the same numbers (the candidate's pre-activation is small enough that tanh(a) and a
    round alike); nothing else is wrong with it, so the generator must go on to a second draw."""
    first = exercises._candidate(81, 1, Options())
    pairs = same_numbers(first)
    assert ("recurrent_bias_ignored", "recurrent_bias_ignored+candidate_activation_missing") in pairs \
        or ("recurrent_bias_ignored+candidate_activation_missing", "recurrent_bias_ignored") in pairs
    assert all(("+" in a) != ("+" in b) for a, b in pairs)  # each a single against a pair
    assert (other_reasons(first), hidden(first), palindrome(first)) == ([], [], False)
    assert exercises.generate(81).attempts > 1
    assert same_numbers(exercise(81)) == []


def test_a_draw_rejected_only_because_its_sequence_is_a_palindrome():
    """Seed 67's second draw reads [0.1, −1.1, 0.1]: backwards it is the same sequence, so the
    go_backwards mistake writes the true answers exactly; the generator must go on."""
    second = exercises._candidate(67, 2, Options())
    assert palindrome(second) and second.setup.x.ravel().tolist() == [0.1, -1.1, 0.1]
    truth = exercises.table(second.truth, second.steps)
    assert np.array_equal(dict(runs(second))["sequence_reversed"], truth)
    assert (other_reasons(second), hidden(second), same_numbers(second)) == ([], [], [])
    assert exercises.problems(second) == [
        "the sequence reads the same backwards, so reading it backwards gives the true answers"]
    assert exercises.generate(67).attempts > 2


def test_a_first_draw_rejected_only_because_an_answer_sits_on_a_rounding_tie():
    """Seed 4's first draw: a true number lies within 0.005 units of half a unit of the last asked
    decimal, where float32 Keras may round it the other way; nothing else is wrong with it."""
    first = exercises._candidate(4, 1, Options())
    assert (other_reasons(first), hidden(first), palindrome(first), same_numbers(first)) == (["tie"], [], False, [])
    assert exercises.problems(first) == ["an answer sits on a rounding tie"]
    assert exercises.generate(4).attempts > 1


def test_a_draw_rejected_only_because_summing_the_sequence_writes_true_numbers():
    """Seed 189's third draw reads [−1.3, −0.2, 0.2]: its last two steps sum to 0, so the sequence
    summed into one step is step 1 exactly, and a student who did that writes only right numbers."""
    third = exercises._candidate(189, 3, Options())
    assert third.setup.x.ravel().tolist() == [-1.3, -0.2, 0.2]
    summed = dict(runs(third))["sequence_summed_into_one_step"]
    truth = exercises.table(third.truth, third.steps)
    assert np.isnan(summed[1:]).all() and np.allclose(summed[0], truth[0], atol=EXACT)
    assert "sequence_summed_into_one_step" in hidden(third)
    assert (other_reasons(third), palindrome(third), same_numbers(third)) == ([], False, [])
    summed_runs = [name for name in hidden(third) if name.startswith("sequence_summed_into_one_step")]
    assert exercises.problems(third) == [f"{name} writes only true numbers" for name in summed_runs]
    assert exercises.generate(189).attempts > 3
