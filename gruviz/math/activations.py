"""The activation functions a GRU can use, each beside its derivative and its LaTeX.

Names follow Keras (`activation=` and `recurrent_activation=`), plus
`hard_sigmoid_legacy`: the clip(0.2x+0.5) that Keras <= 2 and tf.keras used
under the name `hard_sigmoid`, which Keras 3 silently redefined as clip(x/6+0.5).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

Array = np.ndarray


@dataclass(frozen=True)
class Activation:
    name: str
    fn: Callable[[Array], Array]
    # Derivative written in terms of the input a, so the backward pass needs no cache.
    grad: Callable[[Array], Array]
    latex: str  # how the UI writes f(a); "#" stands for the argument
    bounds: tuple[float, float] | None = None  # the range of f, None when unbounded

    def __call__(self, a: Array) -> Array:
        return self.fn(a)

    def write(self, argument: str) -> str:
        return self.latex.replace("#", argument)


def sigmoid(a: Array) -> Array:
    r"""$\sigma(a) = \frac{1}{1+e^{-a}}$, written through tanh so |a| = 1e4 neither
    overflows nor warns (np.exp(a)/(1+np.exp(a)) is NaN past a ~ 710)."""
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def _sigmoid_grad(a: Array) -> Array:
    s = sigmoid(a)
    return s * (1.0 - s)


def hard_sigmoid(a: Array) -> Array:
    r"""Keras 3: $\mathrm{clip}(a/6 + 1/2,\ 0,\ 1)$ (its docstring still says 0.2a+0.5)."""
    return np.clip(a / 6.0 + 0.5, 0.0, 1.0)


def hard_sigmoid_legacy(a: Array) -> Array:
    r"""Keras <= 2 and tf.keras: $\mathrm{clip}(0.2a + 0.5,\ 0,\ 1)$."""
    return np.clip(0.2 * a + 0.5, 0.0, 1.0)


def _inside(a: Array, half_width: float, bounds_pass: bool = False) -> Array:
    """1 where a clip lets its input through. Exactly at the bounds the frameworks differ:
    Keras 3's hard_sigmoid is relu6(a + 3)/6, slope 0 there; tf.clip_by_value, which the
    legacy hard sigmoid calls, passes the gradient at its bounds."""
    return (np.abs(a) <= half_width if bounds_pass else np.abs(a) < half_width).astype(float)


def softsign(a: Array) -> Array:
    r"""$a / (1 + |a|)$"""
    return a / (1.0 + np.abs(a))


def linear(a: Array) -> Array:
    return a


def relu(a: Array) -> Array:
    return np.maximum(a, 0.0)


ACTIVATIONS: dict[str, Activation] = {
    act.name: act
    for act in (
        Activation("tanh", np.tanh, lambda a: 1.0 - np.tanh(a) ** 2, r"\tanh(#)", (-1.0, 1.0)),
        Activation("sigmoid", sigmoid, _sigmoid_grad, r"\sigma(#)", (0.0, 1.0)),
        Activation(
            "hard_sigmoid",
            hard_sigmoid,
            lambda a: _inside(a, 3.0) / 6.0,
            r"\mathrm{clip}\left(\tfrac{#}{6}+\tfrac12,\,0,\,1\right)",
            (0.0, 1.0),
        ),
        Activation(
            "hard_sigmoid_legacy",
            hard_sigmoid_legacy,
            lambda a: _inside(a, 2.5, bounds_pass=True) * 0.2,
            r"\mathrm{clip}\left(0.2\,(#)+0.5,\,0,\,1\right)",
            (0.0, 1.0),
        ),
        Activation("linear", linear, np.ones_like, "#"),
        Activation("relu", relu, lambda a: (a > 0).astype(float), r"\max(0,#)"),
        Activation(
            "softsign", softsign, lambda a: 1.0 / (1.0 + np.abs(a)) ** 2, r"\mathrm{softsign}(#)", (-1.0, 1.0)
        ),
    )
}
