"""Exercises a student works by hand: small seeded GRUs whose every known mistake shows.

An exercise is 1–2 units, 1–2 input features and 2–3 timesteps, with weights and
inputs of 1–2 decimals; the student writes z, r, h~ and h for every step and unit to
`answer_decimals`. The numbers are drawn from `seed` and then checked: if a known
mistake (or a pair the detective ranks) could hide behind rounding, write only true
numbers or write the same numbers as another, or if the sequence reads the same backwards (so that reading it
backwards, the go_backwards mistake, gives the true answers), the next sub-seed is
tried, and `attempts` says how many were needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..errors import InputError
from ..explain.claims import QUANTITIES
from ..explain.detective import candidate_runs
from ..explain.mistakes import Mistake, Setup
from ..io import weights_file
from ..math.cell import Convention
from ..math.trace import Trace
from ..math.weights import GRUConfig, GRUWeights
from ..text import N_, _, count, ngettext

UNITS, INPUT_DIMS, STEPS, DECIMALS = (1, 2), (1, 2), (2, 3), (1, 2)
DEFAULT_SEED = 7  # the exercise a class gets when its teacher names none
GATE_RANGE = (0.05, 0.95)  # z and r inside it, so both terms of every gate matter
MAX_ATTEMPTS = 400
EXACT = 1e-9  # two runs agree on a number (the mistake has not reached it yet)
FLOAT32 = float(np.finfo(np.float32).eps)  # relative rounding of a float32 weight
EDGE = 0.005  # keep answers this far (in last-place units) from a rounding tie: float32 Keras rounds alike
# What a teacher may fix, named as the CLI and the link name it; every choice is one of two values.
_REFUSED = {"units": N_("units must be {first} or {second} for a hand exercise, got {value}."),
            "input_dim": N_("input dim must be {first} or {second} for a hand exercise, got {value}."),
            "steps": N_("steps must be {first} or {second} for a hand exercise, got {value}."),
            "decimals": N_("decimals must be {first} or {second} for a hand exercise, got {value}.")}


@dataclass(frozen=True)
class Options:
    """What a teacher may fix; None lets the seed choose."""

    units: int | None = None
    input_dim: int | None = None
    steps: int | None = None
    decimals: int | None = None
    convention: Convention | None = None

    def __post_init__(self) -> None:
        for name, allowed in (("units", UNITS), ("input_dim", INPUT_DIMS), ("steps", STEPS),
                              ("decimals", DECIMALS)):
            value = getattr(self, name)
            if value is not None and value not in allowed:
                first, second = allowed
                raise InputError(_(_REFUSED[name]).format(first=first, second=second, value=value))


@dataclass(frozen=True)
class Run:
    """One run's answer table, with the mistakes (none for the truth) that produce it."""

    mistakes: tuple[Mistake, ...]
    detail: str
    trace: Trace

    @property
    def id(self) -> str:
        return "+".join(m.id for m in self.mistakes) or "correct"


@dataclass(frozen=True, eq=False)
class Exercise:
    seed: int | None  # None for an exercise made from given weights
    attempts: int  # sub-seeds drawn until every mistake showed; 1 = the first one, 0 = not drawn
    decimals: int  # of the weights and inputs
    setup: Setup

    @property
    def answer_decimals(self) -> int:
        return self.decimals + 2

    @property
    def units(self) -> int:
        return self.setup.weights.config.units

    @property
    def steps(self) -> int:
        return len(self.setup.x)

    @cached_property
    def truth(self) -> Trace:
        return self.setup.run()

    @cached_property
    def runs(self) -> tuple[Run, ...]:
        """Every single mistake and every pair the detective ranks, on these numbers."""
        return tuple(Run(mistakes, detail, trace) for mistakes, detail, trace in candidate_runs(self.setup))

    @cached_property
    def detective_runs(self) -> list:
        """`runs` as the detective weighs them: computed once for every number graded."""
        return [(run.mistakes, run.detail, run.trace) for run in self.runs]

    @property
    def mistakes(self) -> tuple[Run, ...]:
        """The catalog's mistakes alone: the "if you got X, you probably did Y" table."""
        return tuple(run for run in self.runs if len(run.mistakes) == 1 and _changes(run.trace, self))

    def cells(self) -> list[tuple[int, str, int]]:
        """Every asked number as (t, quantity, unit), in the order a person computes them."""
        return [(t, q, j) for t in range(self.steps) for q in QUANTITIES for j in range(self.units)]

    def answer(self, t: int, quantity: str, unit: int) -> float:
        return float(getattr(self.truth, quantity)[t, unit])

    def rounded(self, value: float) -> str:
        return f"{value:.{self.answer_decimals}f}"


def table(trace: Trace, steps: int) -> np.ndarray:
    """z, r, h~, h of a run as (steps, 4, units); NaN past the run's end (one summed step)."""
    out = np.full((steps, len(QUANTITIES), trace.weights.config.units), np.nan)
    n = min(steps, trace.steps)
    for i, quantity in enumerate(QUANTITIES):
        out[:n, i] = getattr(trace, quantity)[:n]
    return out


def _changes(trace: Trace, exercise: Exercise) -> bool:
    T = exercise.steps
    return bool(np.any(~(np.abs(table(trace, T) - table(exercise.truth, T)) < EXACT)))


def problems_of_the_truth(exercise: Exercise) -> list[str]:
    """What the true numbers alone say against these numbers, before any mistake is run."""
    k, truth = exercise.answer_decimals, table(exercise.truth, exercise.steps)
    found = []
    gates = truth[:, :2]
    if not np.all((gates > GATE_RANGE[0]) & (gates < GATE_RANGE[1])):
        found.append("a gate is saturated")
    scaled = np.abs(truth) * 10.0**k
    if np.any(np.abs(scaled - np.floor(scaled) - 0.5) < EDGE):
        found.append("an answer sits on a rounding tie")
    if np.array_equal(exercise.setup.x, exercise.setup.x[::-1]):
        found.append("the sequence reads the same backwards, so reading it backwards gives the true answers")
    return found


def problems(exercise: Exercise) -> list[str]:
    """Why these numbers make a poor exercise; empty when every mistake shows."""
    k, T = exercise.answer_decimals, exercise.steps
    truth = table(exercise.truth, T)
    found = problems_of_the_truth(exercise)
    tables = [table(run.trace, T) for run in exercise.runs]
    shown = [np.round(t, k) for t in tables]
    truth_shown = np.round(truth, k)
    for run, exact, rounded in zip(exercise.runs, tables, shown):
        changed = ~(np.abs(exact - truth) < EXACT)  # NaN counts as changed
        if not changed.any():  # not a mistake on these numbers: r⊙(hU) = (r⊙h)U with one unit, say
            continue
        first = np.argwhere(changed.any(axis=2))[0]  # (t, quantity) where the mistake first shows
        seen = changed[first[0], first[1]] & (rounded == truth_shown)[first[0], first[1]]
        hidden_h = changed[:, -1] & (rounded == truth_shown)[:, -1]
        if seen.any() or hidden_h.any():
            found.append(f"{run.id} hides behind rounding")
        elif not (changed & ~np.isnan(exact) & (rounded != truth_shown)).any():
            # A shorter run (the sequence summed into one step) whose numbers all round as the truth:
            # the later steps sum to zero, and the student who made it writes only right numbers.
            found.append(f"{run.id} writes only true numbers")
    distinct = {}
    for run, exact, rounded in zip(exercise.runs, tables, shown):
        # Runs equal to the last digit are one story (hard sigmoid via either path); others must differ.
        key = np.nan_to_num(rounded, nan=np.inf).tobytes()
        other = distinct.setdefault(key, (run, exact))
        if other[0] is not run and not np.allclose(exact, other[1], atol=EXACT, equal_nan=True):
            found.append(f"{run.id} and {other[0].id} give the same answers")
    return found


def _draw(rng: np.random.Generator, low: float, high: float, shape, decimals: int) -> np.ndarray:
    """Numbers a person copies easily: `decimals` places, never 0."""
    values = np.round(rng.uniform(low, high, shape), decimals)
    step = 10.0**-decimals
    return np.where(values == 0, step, values)


def _shape(seed: int, options: Options) -> tuple[int, int, int, int, Convention, bool, bool]:
    """What the seed fixes once, whatever sub-seed the numbers need."""
    rng = np.random.default_rng([seed, 0])
    # Every choice is drawn whatever is fixed, so fixing one leaves the others as they were.
    drawn = [int(rng.choice(choices)) for choices in (UNITS, INPUT_DIMS, STEPS, DECIMALS)]
    units, input_dim, steps, decimals = (given or value for given, value in zip(
        (options.units, options.input_dim, options.steps, options.decimals), drawn))
    convention = Convention(rng.choice([c.value for c in Convention]))
    convention = options.convention or convention
    reset_after, h0_given = bool(rng.integers(2)), bool(rng.integers(2))
    return units, input_dim, steps, decimals, convention, reset_after, h0_given


def _candidate(seed: int, attempt: int, options: Options) -> Exercise:
    units, input_dim, steps, decimals, convention, reset_after, h0_given = _shape(seed, options)
    rng = np.random.default_rng([seed, attempt])
    config = GRUConfig(units=units, input_dim=input_dim, reset_after=reset_after)
    bias_shape = (2, 3 * units) if reset_after else (3 * units,)
    weights = GRUWeights.create(
        config,
        _draw(rng, -1.2, 1.2, (input_dim, 3 * units), decimals),  # (D, 3H)
        _draw(rng, -1.2, 1.2, (units, 3 * units), decimals),  # (H, 3H)
        _draw(rng, -0.8, 0.8, bias_shape, decimals),
    )
    x = _draw(rng, -1.5, 1.5, (steps, input_dim), decimals)  # (T, D)
    h0 = _draw(rng, -0.9, 0.9, (units,), decimals) if h0_given else None
    return Exercise(seed, attempt, decimals, Setup(weights, x, h0, convention))


def generate(seed: int, options: Options = Options()) -> Exercise:
    """The first sub-seed of `seed` whose numbers let every mistake show."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**63:
        raise InputError(_("the seed must be a whole number from 0 to 2^63−1, got {seed}.").format(
            seed=repr(seed)))
    for attempt in range(1, MAX_ATTEMPTS + 1):
        exercise = _candidate(int(seed), attempt, options)
        # A quarter of the numbers drawn fail on their true numbers alone: no mistake is run for them.
        if not problems_of_the_truth(exercise) and not problems(exercise):
            return exercise
    raise InputError(ngettext("seed {seed} found no exercise where every mistake shows in {tries} try; try "
                              "another seed or more decimals.",
                              "seed {seed} found no exercise where every mistake shows in {tries} tries; try "
                              "another seed or more decimals.", MAX_ATTEMPTS).format(
        seed=seed, tries=count(MAX_ATTEMPTS)))


def decimals_of(values: np.ndarray, most: int = DECIMALS[-1]) -> int:
    """The fewest decimals (up to `most`) that write every value, to float32's precision: a weight a
    framework saved as float32 0.1 (0.10000000149…) was written 0.1."""
    return next((k for k in range(most + 1)
                 if np.allclose(values, np.round(values, k), rtol=FLOAT32, atol=1e-9)), most)


def from_setup(setup: Setup) -> Exercise:
    """An exercise on given weights and inputs, answered to two places more than they are written."""
    w = setup.weights
    numbers = [w.kernel.ravel(), w.recurrent_kernel.ravel(), setup.x.ravel()]
    numbers += [a.ravel() for a in (w.bias, setup.h0) if a is not None]
    return Exercise(None, 0, decimals_of(np.concatenate(numbers)), setup)


def _rounded(array: np.ndarray, k: int) -> list:
    return np.round(array, k).tolist()


def to_json(exercise: Exercise, answers: bool = False) -> dict:
    """What `python -m gruviz exercise` prints."""
    s, k = exercise.setup, exercise.answer_decimals
    data = {
        "seed": exercise.seed,
        "attempts": exercise.attempts,
        "weights": weights_file.to_dict(s.weights),
        "sequence": s.x.tolist(),
        "h0": (np.zeros(exercise.units) if s.h0 is None else s.h0).tolist(),
        "convention": s.convention.value,
        "decimals": exercise.decimals,
        "answer_decimals": k,
    }
    if answers:
        truth = exercise.truth
        data["answers"] = [{"t": t, **{q: _rounded(getattr(truth, q)[t], k) for q in QUANTITIES}}
                           for t in range(exercise.steps)]
        data["mistakes"] = [{"mistake": run.id, "detail": run.detail, "h": _rounded(run.trace.h, k)}
                            for run in exercise.mistakes]
    return data
