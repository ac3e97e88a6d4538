r"""Wikipedia's "fully gated unit", as Chung et al. 2014 and Bahdanau et al. 2014 write it.

Column vectors, weights on the left:

    z_t = σ(W_z x_t + U_z h_{t-1} + b_z)
    r_t = σ(W_r x_t + U_r h_{t-1} + b_r)
    ĥ_t = φ(W_h x_t + U_h (r_t ⊙ h_{t-1}) + b_h)
    h_t = (1 − z_t) ⊙ h_{t-1} + z_t ⊙ ĥ_t

Reset before, like Keras reset_after=False, with every block transposed, but with
the other update rule: here z admits the candidate. Its Keras weights run under
Convention.BAHDANAU; `convert` can negate z's parameters to reach Keras's rule.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..math.cell import Convention
from ..math.weights import GATES, GRUWeights
from ..text import N_
from .base import ArraySpec, Layout, LayoutConfig


# What each gate's three arrays hold, one whole phrase each (translated where shown, ArraySpec.role).
_ROLES = {
    "z": (N_("the update gate's input weights, W_z xₜ"), N_("the update gate's recurrent weights, on hₜ₋₁"),
          N_("the update gate's bias")),
    "r": (N_("the reset gate's input weights, W_r xₜ"), N_("the reset gate's recurrent weights, on hₜ₋₁"),
          N_("the reset gate's bias")),
    "h": (N_("the candidate's input weights, W_h xₜ"), N_("the candidate's recurrent weights, on rₜ ⊙ hₜ₋₁"),
          N_("the candidate's bias")),
}


def _specs() -> tuple[ArraySpec, ...]:
    specs = []
    for g in GATES:
        inputs, recurrent, bias = _ROLES[g]
        specs += [
            ArraySpec(f"W_{g}", f"W_{g}", lambda D, H: (H, D), inputs),
            ArraySpec(f"U_{g}", f"U_{g}", lambda D, H: (H, H), recurrent),
            ArraySpec(f"b_{g}", f"b_{g}", lambda D, H: (H,), bias),
        ]
    return tuple(specs)


@dataclass(frozen=True, eq=False)
class WikipediaGRU(Layout):
    NAME = "wikipedia"
    TITLE = "Wikipedia / Chung 2014"
    RESET_AFTER = False
    CONVENTION = Convention.BAHDANAU
    SPECS = _specs()

    config: LayoutConfig
    W_z: np.ndarray  # (H, D)
    U_z: np.ndarray  # (H, H)
    b_z: np.ndarray  # (H,)
    W_r: np.ndarray
    U_r: np.ndarray
    b_r: np.ndarray
    W_h: np.ndarray
    U_h: np.ndarray
    b_h: np.ndarray

    def to_keras(self) -> tuple[GRUWeights, Convention]:
        kernel = np.hstack([getattr(self, f"W_{g}").T for g in GATES])
        recurrent = np.hstack([getattr(self, f"U_{g}").T for g in GATES])
        bias = np.concatenate([getattr(self, f"b_{g}") for g in GATES])
        return GRUWeights.create(self.config.keras(reset_after=False), kernel, recurrent, bias), self.CONVENTION

    @classmethod
    def _from_prepared(cls, w: GRUWeights) -> "WikipediaGRU":
        # Always has biases; use_bias=False is the same GRU with zeros there.
        arrays = {}
        for g in GATES:
            arrays[f"W_{g}"], arrays[f"U_{g}"] = w.W(g).T.copy(), w.U(g).T.copy()
            arrays[f"b_{g}"] = w.b_x(g).copy()
        return cls(LayoutConfig.of(w.config), **arrays)

    @staticmethod
    def equations(config: LayoutConfig) -> tuple[str, ...]:
        s, f = config.sigma.write, config.phi.write
        return (
            r"z_t = " + s(r"W_z x_t + U_z h_{t-1} + b_z"),
            r"r_t = " + s(r"W_r x_t + U_r h_{t-1} + b_r"),
            r"\hat h_t = " + f(r"W_h x_t + U_h (r_t \odot h_{t-1}) + b_h"),
            r"h_t = (1 - z_t) \odot h_{t-1} + z_t \odot \hat h_t",
        )
