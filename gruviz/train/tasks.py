"""The toy tasks: each makes its sequences from a seed and says what the gates must learn.

Every task gives x (N, T, D), targets y (N, T, K) and which steps the loss scores
(T,), so one readout and one loss serve all of them: a task that answers at the end
scores only the last step, a running task scores every step."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..errors import InputError
from ..text import N_, _, ngettext
from ..text import count as whole  # `count` names a parameter here


@dataclass(frozen=True)
class Data:
    x: np.ndarray  # (N, T, D)
    y: np.ndarray  # (N, T, K)
    scored: np.ndarray  # (T,) bool: the steps whose output the loss compares with y


@dataclass(frozen=True)
class Task:
    name: str
    story: str  # one line a class reads; English, marked with N_ and translated where shown
    input_dim: int
    default_length: int
    min_length: int
    make: Callable[[np.random.Generator, int, int], tuple[np.ndarray, np.ndarray, np.ndarray]]
    accuracy: Callable[[np.ndarray, np.ndarray, int], np.ndarray]  # (prediction, y, T) at scored steps → hits
    accuracy_name: str  # what a hit means, for people (English, like `story`)
    target_accuracy: float  # the share of hits a trained layer reaches

    def data(self, count: int, length: int, seed: int) -> Data:
        """`count` sequences of `length` steps, the same for the same seed."""
        if length < self.min_length:
            raise InputError(ngettext("the {task} task needs sequences of at least {n} step, got {length}.",
                                      "the {task} task needs sequences of at least {n} steps, got {length}.",
                                      self.min_length).format(task=self.name, n=whole(self.min_length),
                                                              length=length))
        x, y, scored = self.make(np.random.default_rng(seed), count, length)
        return Data(x.astype(np.float64), y.astype(np.float64), scored)

    def score(self, prediction: np.ndarray, data: Data) -> float:
        """The share of scored outputs the readout gets right. prediction: (N, T, K)."""
        hits = self.accuracy(prediction[:, data.scored], data.y[:, data.scored], len(data.scored))
        return float(np.mean(hits))


def _bits(rng, count, length) -> np.ndarray:  # (N, T) of 0 and 1
    return rng.integers(0, 2, size=(count, length)).astype(np.float64)


def _sign_hits(prediction, y, _length):
    return np.sign(prediction) == np.sign(y)


def _count_hits(prediction, y, length):
    """Counts are given as count ÷ T, so a hit is within half a count: |ŷ − y|·T < ½."""
    return np.abs(prediction - y) * length < 0.5


def _remember_first(rng, count, length):
    x = rng.normal(0.0, 0.5, size=(count, length, 1))  # distractors
    x[:, 0, 0] = rng.choice([-1.0, 1.0], size=count)
    y = np.zeros((count, length, 1))
    y[:, -1, 0] = x[:, 0, 0]
    scored = np.zeros(length, bool)
    scored[-1] = True
    return x, y, scored


def _count(rng, count, length):
    bits = _bits(rng, count, length)
    return bits[..., None], (np.cumsum(bits, axis=1) / length)[..., None], np.ones(length, bool)


def _parity(rng, count, length):
    bits = _bits(rng, count, length)
    odd = np.cumsum(bits, axis=1) % 2  # (N, T)
    return bits[..., None], (2.0 * odd - 1.0)[..., None], np.ones(length, bool)


DELAY = 2  # steps the delay task waits (its story says "2 steps later")


def _delay(rng, count, length):
    x = 2.0 * _bits(rng, count, length) - 1.0  # (N, T) of ±1
    y = np.zeros_like(x)
    y[:, DELAY:] = x[:, :-DELAY]
    scored = np.arange(length) >= DELAY
    return x[..., None], y[..., None], scored


def _reset(rng, count, length):
    bits = _bits(rng, count, length)
    token = rng.random((count, length)) < 0.2
    bits[token] = 0.0
    since = np.zeros_like(bits)  # ones counted since the last reset token
    running = np.zeros(count)
    for t in range(length):
        running = np.where(token[:, t], 0.0, running + bits[:, t])
        since[:, t] = running
    x = np.stack([bits, token.astype(np.float64)], axis=-1)  # (N, T, 2)
    return x, (since / length)[..., None], np.ones(length, bool)


SIGN_RIGHT = N_("the sign of the answer is right")
WITHIN_HALF = N_("within half a count")

TASKS: dict[str, Task] = {
    task.name: task
    for task in (
        Task("remember_first", N_("Say the first input (+1 or −1) at the end, through a run of noise: "
                                  "the update gate must learn to keep the state."), 1, 8, 2, _remember_first,
             _sign_hits, SIGN_RIGHT, 0.95),
        Task("count", N_("Count the 1s seen so far (the output is count ÷ length): each 1 must add "
                         "the same step to the state."), 1, 8, 1, _count, _count_hits, WITHIN_HALF, 0.9),
        Task("parity", N_("Say whether an odd number of 1s has been seen so far (+1) or not (−1): "
                          "each 1 must flip the state."), 1, 6, 1, _parity, _sign_hits, SIGN_RIGHT, 0.95),
        Task("delay", N_("Repeat each input (+1 or −1) 2 steps later: the state must hold a short queue."),
             1, 10, DELAY + 1, _delay, _sign_hits, SIGN_RIGHT, 0.95),
        Task("reset", N_("Count the 1s since the last reset token (input 2): at a token the reset and "
                         "update gates must drop everything before it."), 2, 8, 1, _reset, _count_hits,
             WITHIN_HALF, 0.9),
    )
}
assert f" {DELAY} steps later" in TASKS["delay"].story, "the delay task's story names DELAY"


def get_task(name: str) -> Task:
    if name not in TASKS:
        raise InputError(_("task {name} is unknown; choose one of {tasks}.").format(name=repr(name),
                                                                                  tasks=", ".join(TASKS)))
    return TASKS[name]
