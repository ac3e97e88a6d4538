"""“Why doesn't my hand calculation match?” Compare what a person got with the true
run, find the first number that leaves it, and name the known mistake (or pair
of mistakes) that reproduces what they typed.

Numbers are judged at the precision they were typed with: 0.7069 stands for
anything within ±0.00005 of it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from .mistakes import MISTAKES, Mistake, Setup
from ..io.parsing import comma_hint, ordinal, plural
from ..io.untrusted import NumberText, json_text, check_depth, check_length, loads, number_text, shown
from ..limits import CLI, Limits
from ..text import _
from ..math.trace import Trace

QUANTITIES = ("z", "r", "h_tilde", "h")
DISTINCT = 1e-4  # two stories whose numbers differ by more than this are told apart by 4 decimals
ABS_FLOOR = 1e-6  # float32 frameworks print 8 digits that are only good to ~1e-7
REL_FLOOR = 1e-6


@dataclass(frozen=True, eq=False)
class Typed:
    """Numbers as a person typed them, each with the tolerance its digits imply."""

    values: np.ndarray  # (n,)
    tolerance: np.ndarray  # (n,)

    @classmethod
    def parse(cls, words: list, where: str) -> "Typed":
        r"""Each word's value and its half-unit in the last typed place,
        $\tfrac12 10^{-(\text{decimals} - \text{exponent})}$, floored at float32's precision."""
        values, tolerance = [], []
        for word in words:
            if isinstance(word, bool) or not isinstance(word, (str, int, float)):
                raise InputError(f"{where}: {shown(json_text(word))} is not a number.")
            word = number_text(str(word).strip(), where)
            mantissa, _, exponent = word.lower().partition("e")
            # a finite value of at most MAX_NUMBER_CHARS characters keeps this well inside ±400
            decimals = min(max(len(mantissa.partition(".")[2]) - int(exponent or 0), -300), 300)
            value = float(word)
            values.append(value)
            tolerance.append(max(0.5 * 10.0**-decimals, ABS_FLOOR + REL_FLOOR * abs(value)))
        return cls(np.array(values), np.array(tolerance))

    def error(self, actual: np.ndarray) -> float:
        return float(np.max(np.abs(actual - self.values))) if np.all(np.isfinite(actual)) else float("inf")

    def matches(self, actual: np.ndarray) -> bool:
        return bool(np.all(np.abs(actual - self.values) <= self.tolerance))


@dataclass(frozen=True, eq=False)
class Claimed:
    """One claimed vector: `quantity` at processing step t (0-based), or the final output;
    all units, or the one unit a person filled in."""

    t: int | None  # None for the final output
    quantity: str  # z, r, h_tilde, h or output
    typed: Typed
    unit: int | None = None


def parse_output_claim(text: str, units: int, limits: Limits = CLI) -> list[Claimed]:
    text = check_length(text or "", "the claimed output", limits)
    check_depth(text, "the claimed output")  # brackets split values here, but nest no deeper than in any box
    if re.search(r",\s*,", text):
        raise InputError("the claimed output has an empty value (two commas with nothing between); type a "
                         "number there or remove a comma.")
    words = [w for w in re.split(r"[,\s;\[\]]+", text) if w]
    if not words:
        raise InputError("type the output you got, one number per unit, like -0.7069.")
    if len(words) != units:
        raise InputError(f"the claimed output has {plural(len(words), 'value')} but the GRU has {units} "
                         f"unit{'s' if units != 1 else ''}." + comma_hint(text))
    return [Claimed(None, "output", Typed.parse(words, "claimed output"))]


def parse_step_claims(text: str, units: int, steps: int, limits: Limits = CLI) -> list[Claimed]:
    """[{"t": 0, "z": [...], "h": [...]}, ...] with any subset of z, r, h_tilde, h.

    "t" counts from 0 as JSON fields do; messages name the timestep counted from 1."""
    # Numbers stay text so the digits a person typed set the tolerance.
    rows = loads(text or "", "the claimed steps", limits, keep_number_text=True)
    if not isinstance(rows, list) or not rows:
        raise InputError('the claimed steps must be a JSON list like [{"t": 0, "z": [0.29], "h": [-0.03]}].')
    if len(rows) > 4 * steps:
        raise InputError(f"the claimed steps have {len(rows):,} entries for {plural(steps, 'timestep')}; give at "
                         "most one entry per timestep and quantity.")
    claims = []
    for i, row in enumerate(rows):
        entry = f"the {ordinal(i + 1)} claimed step"
        if not isinstance(row, dict) or "t" not in row:
            raise InputError(f'{entry} needs a "t": the timestep, counted from 0 (the page\'s step 1 is "t": 0).')
        unknown = sorted(set(row) - {"t", *QUANTITIES})
        if unknown:
            raise InputError(f"{entry} has {shown(unknown[0])}; use any of {', '.join(QUANTITIES)}.")
        t = row["t"]
        if not (isinstance(t, str) and t.isascii() and t.isdigit() and len(t) <= 9 and int(t) < steps):
            raise InputError(f'{entry} has "t": {_as_written(t)}, but the '
                             f'sequence has {plural(steps, "timestep")}: "t" counts from 0, so it names timesteps '
                             f"0 to {steps - 1} (the page's steps 1 to {steps}).")
        for quantity in QUANTITIES:
            if quantity in row:
                where = f'timestep {int(t) + 1} ("t": {int(t)}), {quantity}'
                claims.append(Claimed(int(t), quantity, _vector(row[quantity], units, where)))
    if not claims:
        raise InputError("the claimed steps name no quantity; give z, r, h_tilde or h for some step.")
    return claims


SYMBOLS = {"z": "z", "r": "r", "h_tilde": "h̃", "h": "h"}  # the quantities as the page writes them


def cell_name(t: int, quantity: str, unit: int, units: int) -> str:
    """One number of the page's step table, as a person counts it: "step 2, h̃ of unit 1"
    (t and unit are 0-based like the arrays; the page counts both from 1)."""
    if units == 1:
        return _("step {step}, {quantity}").format(step=t + 1, quantity=SYMBOLS[quantity])
    return _("step {step}, {quantity} of unit {unit}").format(step=t + 1, quantity=SYMBOLS[quantity],
                                                               unit=unit + 1)


def parse_cells(cells: dict[tuple[int, str, int], str], steps: int, units: int = 0) -> list[Claimed]:
    """A partly filled table, {(t, quantity, unit): typed text}, one claim per cell; `units`
    (the GRU's) only words the messages: with one unit they name no unit."""
    claims = []
    for (t, quantity, unit), text in sorted(cells.items(), key=lambda item: (item[0][0], QUANTITIES.index(item[0][1]), item[0][2])):
        if t >= steps:
            raise InputError(_("step {step} is past the end of the sequence ({steps} steps).").format(
                step=t + 1, steps=steps))
        where = cell_name(t, quantity, unit, units)
        claims.append(Claimed(t, quantity, Typed.parse([str(text).strip()], where), unit))
    return claims


def _vector(value, units: int, where: str) -> Typed:
    words = value if isinstance(value, list) else [value]
    if len(words) != units:
        raise InputError(f"{where} has {plural(len(words), 'value')} but the GRU has {units} "
                         f"unit{'s' if units != 1 else ''}.")
    return Typed.parse(words, where)


def actual(trace: Trace, claim: Claimed) -> np.ndarray:
    """What a run gives for one claimed vector (NaN where that run has no such step)."""
    units = slice(None) if claim.unit is None else [claim.unit]
    if claim.quantity == "output":
        return trace.output[units]
    if claim.t >= trace.steps:
        return np.full(len(claim.typed.values), np.nan)
    return getattr(trace, claim.quantity)[claim.t][units]


@dataclass(frozen=True, eq=False)
class Explanation:
    mistakes: tuple[Mistake, ...]
    detail: str
    trace: Trace
    max_abs_error: float
    explains: bool

    @property
    def id(self) -> str:
        return "+".join(m.id for m in self.mistakes)


@dataclass(frozen=True, eq=False)
class Divergence:
    claim: Claimed
    expected: np.ndarray


@dataclass(frozen=True, eq=False)
class Diagnosis:
    verdict: str  # matches | explained | ambiguous (more digits would tell the stories apart) | unexplained
    truth: Trace
    first_divergence: Divergence | None
    explanations: tuple[Explanation, ...]
    more_digits: int = 0  # with verdict "ambiguous": how many decimals would tell the stories apart


UNEXPLAINED = (
    "No known mistake, alone or in a pair, reproduces these numbers with these weights and this input. "
    "That usually means the numbers came from other weights: printed from a different model instance "
    "(a fresh, retrained or reloaded one), or from a layer whose input was scaled or reshaped first."
)


def _as_written(value) -> str:
    """A JSON value in a message as the person wrote it: a number keeps its own text."""
    if isinstance(value, NumberText):
        return value
    if isinstance(value, str):
        return shown(value)
    if isinstance(value, (list, dict)):
        return "a list" if isinstance(value, list) else "an object"
    return json_text(value)  # true, false, null


def _score(trace: Trace, claims: list[Claimed]) -> tuple[float, bool, float]:
    """(largest error, all within tolerance, largest error in units of tolerance)."""
    errors = []
    for c in claims:  # each claim's numbers are looked up once: this runs for ~200 candidates a claim
        found = actual(trace, c)
        errors.append((c.typed.error(found), c.typed.matches(found),
                       np.max(np.abs(found - c.typed.values) / c.typed.tolerance)))
    worst = max(e for e, _, _ in errors)
    return worst, all(m for _, m, _ in errors), float(max(s for _, _, s in errors))


def _singles(setup: Setup):
    for mistake in MISTAKES:
        for detail, variant in mistake.variants(setup):
            yield (mistake,), detail, variant


def _pairs(setup: Setup):
    """Two different mistakes, the second applied on top of the first, in catalog order."""
    for (first,), detail, variant in _singles(setup):
        for second in MISTAKES[MISTAKES.index(first) + 1:]:
            for detail2, variant2 in second.variants(variant):
                yield (first, second), f"{detail}; and {detail2}", variant2


Candidate = tuple[tuple[Mistake, ...], str, Trace]  # (mistakes, what exactly was done, its run)


def candidate_runs(setup: Setup) -> list[Candidate]:
    """Every single mistake and every ranked pair, run on `setup`: what `diagnose` weighs."""
    return [(mistakes, detail, variant.run()) for candidates in (_singles, _pairs)
            for mistakes, detail, variant in candidates(setup)]


def diagnose(setup: Setup, claims: list[Claimed], keep: int = 8,
             runs: list[Candidate] | None = None) -> Diagnosis:
    """`runs`: `candidate_runs(setup)` computed once by a caller that diagnoses many claims on the
    same setup (a class's exercise), instead of ~200 runs again for each."""
    truth = setup.run()
    divergence = next((Divergence(c, actual(truth, c)) for c in sorted(claims, key=_order)
                       if not c.typed.matches(actual(truth, c))), None)
    if divergence is None:
        return Diagnosis("matches", truth, None, ())
    scored = {1: [], 2: []}  # by the number of mistakes: singles, pairs
    for mistakes, detail, trace in candidate_runs(setup) if runs is None else runs:
        error, explains, relative = _score(trace, claims)
        scored[len(mistakes)].append((not explains, len(mistakes), relative,
                                      Explanation(mistakes, detail, trace, error, explains)))
    # The simpler story wins: pairs are ranked only when no single mistake explains. They still
    # count against a claim typed too coarsely to tell a single mistake from a pair.
    ranked = scored[1] if any(not s[0] for s in scored[1]) else scored[1] + scored[2]
    ranked.sort(key=lambda s: s[:3])
    best = tuple(s[3] for s in ranked[:keep])
    verdict = "explained" if best and best[0].explains else "unexplained"
    everyone = [s[3] for s in sorted(scored[1] + scored[2], key=lambda s: s[:3]) if s[3].explains]
    digits = more_digits_needed(tuple(everyone), claims) if verdict == "explained" else 0
    return Diagnosis("ambiguous" if digits else verdict, truth, divergence, best, digits)


def _claimed_values(trace: Trace, claims: list[Claimed]) -> np.ndarray:
    return np.concatenate([np.atleast_1d(actual(trace, c)) for c in claims])


def more_digits_needed(explanations: tuple[Explanation, ...], claims: list[Claimed]) -> int:
    """0 when the typed digits single out one story; else how many decimals would tell apart the
    different mistakes that all reproduce the numbers (their values differ past what was typed)."""
    explaining = [e for e in explanations if e.explains]
    first = _claimed_values(explaining[0].trace, claims) if explaining else None
    spread = max((float(np.max(np.abs(_claimed_values(e.trace, claims) - first)))
                  for e in explaining[1:] if e.detail != explaining[0].detail), default=0.0)
    if not spread > DISTINCT:
        return 0
    return min(max(int(np.ceil(-np.log10(spread))) + 1, 1), 8)


def ambiguous_message(diagnosis: Diagnosis) -> str:
    """Different mistakes (alone or in pairs) give the typed numbers: ask for digits, name none."""
    return _("Different mistakes, alone or in pairs, give your numbers at the precision you typed them, so the "
             "digits cannot tell which one you made. Type your numbers with at least {digits} decimals.").format(
        digits=diagnosis.more_digits)


def _order(claim: Claimed) -> tuple:
    if claim.t is None:
        return (float("inf"), 0, 0)
    return (claim.t, QUANTITIES.index(claim.quantity), claim.unit or 0)


def diagnosis_json(diagnosis: Diagnosis) -> dict:
    d = diagnosis.first_divergence
    truth = diagnosis.truth
    return {
        "verdict": diagnosis.verdict,
        "first_divergence": None if d is None else {
            "t": truth.steps - 1 if d.claim.t is None else d.claim.t,
            "quantity": d.claim.quantity,
            "expected": d.expected.tolist(),
            "claimed": d.claim.typed.values.tolist(),
        } | ({} if d.claim.unit is None else {"unit": d.claim.unit}),
        "explanations": [
            {"mistake": e.id, "detail": e.detail, "max_abs_error": e.max_abs_error, "explains": e.explains,
             "explanation": " ".join(m.explanation for m in e.mistakes)}
            for e in diagnosis.explanations
        ],
        "message": {"matches": "Your numbers match Keras.",
                    "explained": f"Reproduced by: {diagnosis.explanations[0].detail}." if diagnosis.explanations else "",
                    "ambiguous": ambiguous_message(diagnosis),
                    "unexplained": UNEXPLAINED}[diagnosis.verdict],
    }


__all__ = ["Claimed", "Diagnosis", "Explanation", "Typed", "diagnose", "diagnosis_json",
           "parse_cells", "parse_output_claim", "parse_step_claims"]
