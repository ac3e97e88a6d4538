"""What the gates learned, in one sentence per gate: z and r on one sequence, before and after.

z is Keras's update gate (z near 1 keeps h_{t-1}); r scales what the candidate sees of
h_{t-1}. A unit's gate is read over the steps after the first (step 1 starts from h_0 = 0,
where there is nothing to keep): it swings when it spans more than `SWING` over them,
otherwise it is high, low or in the middle by its mean. Each sentence speaks of the unit
whose gate ended most decided, since units share out the work."""

from __future__ import annotations

import numpy as np

from ..math.trace import run
from ..math.weights import GRUWeights
from ..text import N_, _, decimal

SWING = 0.4  # a gate spanning more than this over the steps opens and closes with the input
# What the gate's level means for the unit; translated where said, with _().
_MEANING = {
    ("z", "high"): N_("it keeps its state"),
    ("z", "low"): N_("each step replaces its state with the candidate h~"),
    ("z", "swing"): N_("it chooses, step by step, whether to keep its state or take the candidate"),
    ("z", "middle"): N_("each step blends its old state with the candidate"),
    ("r", "high"): N_("its candidate sees the whole old state"),
    ("r", "low"): N_("its candidate ignores the old state"),
    ("r", "swing"): N_("its candidate looks at the old state only at some steps"),
    ("r", "middle"): N_("its candidate sees part of the old state"),
}
# How a gate behaves over the steps, said after its name (now) and after "before training it" (then).
_NOW = {"swing": N_("swings between {low} (step {low_step}) and {high} (step {high_step})"),
        "high": N_("stays near 1 (on average {mean})"), "low": N_("stays near 0 (on average {mean})"),
        "middle": N_("stays around {mean}")}
_THEN = {"swing": N_("swung between {low} (step {low_step}) and {high} (step {high_step})"),
         "high": N_("stayed near 1 (on average {mean})"), "low": N_("stayed near 0 (on average {mean})"),
         "middle": N_("stayed around {mean}")}
# The sentence, by (several units, the gate's level unchanged by training, more than one step).
_SENTENCES = {
    (True, True, True): N_("In unit {unit}, {gate} still {now} after step 1; before training it {then}: "
                           "{meaning}."),
    (True, False, True): N_("In unit {unit}, {gate} now {now} after step 1; before training it {then}: "
                            "{meaning}."),
    (True, True, False): N_("In unit {unit}, {gate} still {now}; before training it {then}: {meaning}."),
    (True, False, False): N_("In unit {unit}, {gate} now {now}; before training it {then}: {meaning}."),
    (False, True, True): N_("{gate} still {now} after step 1; before training it {then}: {meaning}."),
    (False, False, True): N_("{gate} now {now} after step 1; before training it {then}: {meaning}."),
    (False, True, False): N_("{gate} still {now}; before training it {then}: {meaning}."),
    (False, False, False): N_("{gate} now {now}; before training it {then}: {meaning}."),
}


def _later(values: np.ndarray) -> np.ndarray:  # (T, H) → the steps after the first, (T−1, H)
    return values[1:] if len(values) > 1 else values


def level(values: np.ndarray) -> str:
    """high, low, middle or swing for one unit's gate over time (T,)."""
    later = _later(values)
    if later.max() - later.min() > SWING:
        return "swing"
    mean = float(later.mean())
    return "high" if mean > 0.75 else "low" if mean < 0.25 else "middle"


def _how(values: np.ndarray, past: bool = False) -> str:
    later = _later(values)
    kind = level(values)
    said = _((_THEN if past else _NOW)[kind])
    if kind == "swing":  # the steps name where, so a reader can look at those inputs
        offset = len(values) - len(later) + 1  # steps count from 1 on the page
        return said.format(low=decimal(later.min(), 2), low_step=int(later.argmin()) + offset,
                           high=decimal(later.max(), 2), high_step=int(later.argmax()) + offset)
    return said.format(mean=decimal(later.mean(), 2))


def decided_unit(values: np.ndarray) -> int:
    """The unit whose gate (T, H) is furthest from an undecided 0.5 or swings the most."""
    later = _later(values)
    spread = later.max(axis=0) - later.min(axis=0)  # (H,)
    return int(np.argmax(np.maximum(spread, 2 * np.abs(later.mean(axis=0) - 0.5))))


def gate_sentence(gate: str, before: np.ndarray, after: np.ndarray) -> str:
    """One sentence on gate z or r, from its values (T, H) before and after training."""
    j = decided_unit(after)
    now = level(after[:, j])
    frame = _SENTENCES[(after.shape[1] > 1, level(before[:, j]) == now, len(after) > 1)]
    sentence = _(frame).format(unit=j + 1, gate=gate, now=_how(after[:, j]), then=_how(before[:, j], past=True),
                               meaning=_(_MEANING[(gate, now)]))
    return sentence[0].upper() + sentence[1:]


def learned(before: GRUWeights, after: GRUWeights, x: np.ndarray) -> list[str]:
    """The sentences for z and r on the sequence x (T, D)."""
    first, last = run(before, x), run(after, x)
    return [gate_sentence("z", first.z, last.z), gate_sentence("r", first.r, last.r)]
