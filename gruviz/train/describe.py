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

SWING = 0.4  # a gate spanning more than this over the steps opens and closes with the input
_MEANING = {
    ("z", "high"): "it keeps its state",
    ("z", "low"): "each step replaces its state with the candidate h~",
    ("z", "swing"): "it chooses, step by step, whether to keep its state or take the candidate",
    ("z", "middle"): "each step blends its old state with the candidate",
    ("r", "high"): "its candidate sees the whole old state",
    ("r", "low"): "its candidate ignores the old state",
    ("r", "swing"): "its candidate looks at the old state only at some steps",
    ("r", "middle"): "its candidate sees part of the old state",
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
    if kind == "swing":  # the steps name where, so a reader can look at those inputs
        offset = len(values) - len(later) + 1  # steps count from 1 on the page
        low, high = int(later.argmin()) + offset, int(later.argmax()) + offset
        return (f"{'swung' if past else 'swings'} between {later.min():.2f} (step {low}) "
                f"and {later.max():.2f} (step {high})")
    verb = "stayed" if past else "stays"
    where = {"high": "near 1 (on average {:.2f})", "low": "near 0 (on average {:.2f})",
             "middle": "around {:.2f}"}
    return f"{verb} {where[kind].format(later.mean())}"


def decided_unit(values: np.ndarray) -> int:
    """The unit whose gate (T, H) is furthest from an undecided 0.5 or swings the most."""
    later = _later(values)
    spread = later.max(axis=0) - later.min(axis=0)  # (H,)
    return int(np.argmax(np.maximum(spread, 2 * np.abs(later.mean(axis=0) - 0.5))))


def gate_sentence(gate: str, before: np.ndarray, after: np.ndarray) -> str:
    """One sentence on gate z or r, from its values (T, H) before and after training."""
    j = decided_unit(after)
    now = level(after[:, j])
    changed = "still" if level(before[:, j]) == now else "now"
    unit = f"in unit {j + 1}, " if after.shape[1] > 1 else ""
    after_step = " after step 1" if len(after) > 1 else ""
    sentence = (f"{unit}{gate} {changed} {_how(after[:, j])}{after_step}; before training it "
                f"{_how(before[:, j], past=True)}: {_MEANING[(gate, now)]}.")
    return sentence[0].upper() + sentence[1:]


def learned(before: GRUWeights, after: GRUWeights, x: np.ndarray) -> list[str]:
    """The sentences for z and r on the sequence x (T, D)."""
    first, last = run(before, x), run(after, x)
    return [gate_sentence("z", first.z, last.z), gate_sentence("r", first.r, last.r)]
