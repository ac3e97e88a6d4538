r"""SGD with momentum and Adam, each a pure step: (arrays, gradients, state) → (arrays, state).

    SGD (Keras's form):  v \leftarrow \mu v - \eta g,\qquad \theta \leftarrow \theta + v
    Adam (Kingma & Ba 2015, Algorithm 1):
        m \leftarrow \beta_1 m + (1-\beta_1) g,\quad v \leftarrow \beta_2 v + (1-\beta_2) g^2,
        \hat m = m / (1-\beta_1^t),\quad \hat v = v / (1-\beta_2^t),\quad
        \theta \leftarrow \theta - \eta\, \hat m / (\sqrt{\hat v} + \epsilon)

Gradients are clipped by their global norm first: if $\|g\| > c$, $g \leftarrow g\, c/\|g\|$.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..errors import InputError
from ..text import _

Arrays = tuple[np.ndarray, ...]


@dataclass(frozen=True)
class SGD:
    lr: float = 0.1
    momentum: float = 0.9

    def start(self, arrays: Arrays) -> "SGDState":
        return SGDState(tuple(np.zeros_like(a) for a in arrays))

    def step(self, arrays: Arrays, grads: Arrays, state: "SGDState") -> tuple[Arrays, "SGDState"]:
        velocity = tuple(self.momentum * v - self.lr * g for v, g in zip(state.velocity, grads))
        return tuple(a + v for a, v in zip(arrays, velocity)), SGDState(velocity)


@dataclass(frozen=True, eq=False)
class SGDState:
    velocity: Arrays


@dataclass(frozen=True)
class Adam:
    lr: float = 0.01
    beta1: float = 0.9
    beta2: float = 0.999
    epsilon: float = 1e-8

    def start(self, arrays: Arrays) -> "AdamState":
        zeros = tuple(np.zeros_like(a) for a in arrays)
        return AdamState(0, zeros, zeros)

    def step(self, arrays: Arrays, grads: Arrays, state: "AdamState") -> tuple[Arrays, "AdamState"]:
        t = state.t + 1
        m = tuple(self.beta1 * m + (1 - self.beta1) * g for m, g in zip(state.m, grads))
        v = tuple(self.beta2 * v + (1 - self.beta2) * g * g for v, g in zip(state.v, grads))
        new = tuple(
            a - self.lr * (mi / (1 - self.beta1**t)) / (np.sqrt(vi / (1 - self.beta2**t)) + self.epsilon)
            for a, mi, vi in zip(arrays, m, v)
        )
        return new, replace(state, t=t, m=m, v=v)


@dataclass(frozen=True, eq=False)
class AdamState:
    t: int
    m: Arrays
    v: Arrays


OPTIMIZERS = {"adam": Adam, "sgd": SGD}


def make(name: str, lr: float | None = None):
    if name not in OPTIMIZERS:
        raise InputError(_("optimizer {name} is unknown; choose adam or sgd.").format(name=repr(name)))
    if lr is None:
        return OPTIMIZERS[name]()
    if not (np.isfinite(lr) and 0 < lr <= 10):
        raise InputError(_("the learning rate must be a number above 0 and at most 10, got {lr}.").format(
            lr=lr))
    return OPTIMIZERS[name](lr=float(lr))


def global_norm(grads: Arrays) -> float:
    return float(np.sqrt(sum(np.sum(g * g) for g in grads)))


def clip(grads: Arrays, max_norm: float) -> Arrays:
    """Scale all gradients together so their global norm is at most max_norm."""
    norm = global_norm(grads)
    return grads if norm <= max_norm else tuple(g * (max_norm / norm) for g in grads)
