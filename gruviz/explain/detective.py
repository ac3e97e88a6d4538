"""“Why doesn't my hand calculation match?” Compare what a person got with the true
run, find the first number that leaves it, and name the known mistake (or pair
of mistakes) that reproduces what they typed.

Numbers are judged at the precision they were typed with: 0.7069 stands for
anything within ±0.00005 of it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .claims import QUANTITIES, Claimed, actual
from .mistakes import MISTAKES, PAIR_JOIN, Mistake, Setup, detail_text
from ..limits import CLI, Limits
from ..text import N_, _
from ..math.trace import Trace

DISTINCT = 1e-4  # two stories whose numbers differ by more than this are told apart by 4 decimals


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


UNEXPLAINED = N_(  # translated where it is shown, with _()
    "No known mistake, alone or in a pair, reproduces these numbers with these weights and this input. "
    "That usually means the numbers came from other weights: printed from a different model instance "
    "(a fresh, retrained or reloaded one), or from a layer whose input was scaled or reshaped first."
)


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
                yield (first, second), f"{detail}{PAIR_JOIN}{detail2}", variant2  # English: data


Candidate = tuple[tuple[Mistake, ...], str, Trace]  # (mistakes, what exactly was done, its run)


def candidate_runs(setup: Setup, limits: Limits = CLI) -> list[Candidate]:
    """Every single mistake and every ranked pair, run on `setup`: what `diagnose` weighs."""
    limits.check_diagnose(len(setup.x), setup.weights.config.units)
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
    """The verdict, ids, numbers and each "detail" stay English (they are data a program matches);
    "explanation" and "message" are sentences, in the reader's language."""
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
        "message": _message(diagnosis),
    }


def _message(diagnosis: Diagnosis) -> str:
    if diagnosis.verdict == "matches":
        return _("Your numbers match Keras.")
    if diagnosis.verdict == "explained":
        return _("Reproduced by: {detail}.").format(detail=detail_text(diagnosis.explanations[0].detail)) \
            if diagnosis.explanations else ""
    if diagnosis.verdict == "ambiguous":
        return ambiguous_message(diagnosis)
    return _(UNEXPLAINED)


__all__ = ["Diagnosis", "Explanation", "diagnose", "diagnosis_json"]
