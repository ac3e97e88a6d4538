r"""dl4mt's Theano `gru_layer` (nyu-dl/dl4mt-tutorial session0/lm.py), also Nematus's.

Its step, with state_below_ = x W + b and state_belowx = x Wx + bx:

    preact = h_{t-1} U + x_t W + b
    r = sigmoid(preact[:, :H]),  u = sigmoid(preact[:, H:])
    h~ = tanh(r ⊙ (h_{t-1} Ux) + x_t Wx + bx)
    h_t = u ⊙ h_{t-1} + (1 − u) ⊙ h~

Reset after the matmul, like Keras reset_after=True, but with no recurrent bias:
Keras's bias row 1 is zero here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..math.cell import Convention
from ..math.weights import GRUWeights
from ..text import N_
from .base import ArraySpec, Layout, LayoutConfig


@dataclass(frozen=True, eq=False)
class Dl4mtGRU(Layout):
    NAME = "dl4mt"
    TITLE = "dl4mt (Theano)"
    RESET_AFTER = True
    CONVENTION = Convention.KERAS
    RECURRENT_BIAS = False
    SPECS = (
        ArraySpec("W", "W", lambda D, H: (D, 2 * H), N_("columns r | u, acting on xₜ")),
        ArraySpec("b", "b", lambda D, H: (2 * H,), "b_r | b_u"),
        ArraySpec("U", "U", lambda D, H: (H, 2 * H), N_("columns r | u, acting on hₜ₋₁")),
        ArraySpec("Wx", "Wx", lambda D, H: (D, H), N_("the candidate's input weights")),
        ArraySpec("bx", "bx", lambda D, H: (H,), N_("the candidate's bias, outside the reset")),
        ArraySpec("Ux", "Ux", lambda D, H: (H, H), N_("the candidate's recurrent weights, inside r ⊙ (…)")),
    )

    config: LayoutConfig
    W: np.ndarray  # (D, 2H)
    b: np.ndarray  # (2H,)
    U: np.ndarray  # (H, 2H)
    Wx: np.ndarray  # (D, H)
    bx: np.ndarray  # (H,)
    Ux: np.ndarray  # (H, H)

    def to_keras(self) -> tuple[GRUWeights, Convention]:
        H = self.config.units
        kernel = np.hstack([self.W[:, H:], self.W[:, :H], self.Wx])
        recurrent = np.hstack([self.U[:, H:], self.U[:, :H], self.Ux])
        bias = np.stack([np.concatenate([self.b[H:], self.b[:H], self.bx]), np.zeros(3 * H)])
        return GRUWeights.create(self.config.keras(reset_after=True), kernel, recurrent, bias), self.CONVENTION

    @classmethod
    def _from_prepared(cls, w: GRUWeights) -> "Dl4mtGRU":
        # `prepared` has folded the gates' recurrent bias into row 0; row 1 is zero here.
        return cls(
            LayoutConfig.of(w.config),
            W=np.hstack([w.W("r"), w.W("z")]),
            b=np.concatenate([w.b_x("r"), w.b_x("z")]),
            U=np.hstack([w.U("r"), w.U("z")]),
            Wx=w.W("h").copy(),
            bx=w.b_x("h").copy(),
            Ux=w.U("h").copy(),
        )

    @staticmethod
    def equations(config: LayoutConfig) -> tuple[str, ...]:
        s, f = config.sigma.write, config.phi.write
        return (
            r"a_t = h_{t-1} U + x_t W + b",
            r"r_t = " + s(r"a_t[:H]") + r",\quad u_t = " + s(r"a_t[H:]"),
            r"\tilde h_t = " + f(r"r_t \odot (h_{t-1} U_x) + x_t W_x + b_x"),
            r"h_t = u_t \odot h_{t-1} + (1 - u_t) \odot \tilde h_t",
        )
