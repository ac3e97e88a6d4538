r"""EpyNN's `epynn.gru.models.GRU` (EpyNN 1.2.13), as its `layer.p` holds it.

From epynn/gru/forward.py (row vectors, X of shape (samples, features)):

    r_  = X Ur + hp Vr + br          r  = activate_reset(r_)
    z_  = X Uz + hp Vz + bz          z  = activate_update(z_)
    hh_ = X Uhh + (r ⊙ hp) Vhh + bhh hh = activate(hh_)
    h   = z ⊙ hp + (1 − z) ⊙ hh

Reset before, Keras's update rule: Keras reset_after=False with one array per gate.
The biases are (1, units) rows. EpyNN always starts from h = 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..math.cell import Convention
from ..math.weights import GRUWeights
from ..text import N_
from .base import ArraySpec, Layout, LayoutConfig


def _input(D: int, H: int) -> tuple[int, int]:
    return (D, H)


def _square(D: int, H: int) -> tuple[int, int]:
    return (H, H)


def _row(D: int, H: int) -> tuple[int, int]:
    return (1, H)


@dataclass(frozen=True, eq=False)
class EpyNNGRU(Layout):
    NAME = "epynn"
    TITLE = "EpyNN GRU"
    RESET_AFTER = False
    CONVENTION = Convention.KERAS
    SPECS = (  # in the order gru_initialize_parameters creates them
        ArraySpec("Uz", "Uz", _input, N_("the update gate's input weights, X Uz")),
        ArraySpec("Vz", "Vz", _square, N_("the update gate's recurrent weights, hp Vz")),
        ArraySpec("bz", "bz", _row, N_("the update gate's bias, a (1, units) row")),
        ArraySpec("Ur", "Ur", _input, N_("the reset gate's input weights")),
        ArraySpec("Vr", "Vr", _square, N_("the reset gate's recurrent weights")),
        ArraySpec("br", "br", _row, N_("the reset gate's bias, a (1, units) row")),
        ArraySpec("Uhh", "Uhh", _input, N_("the candidate's input weights")),
        ArraySpec("Vhh", "Vhh", _square, N_("the candidate's recurrent weights, acting on r ⊙ hp")),
        ArraySpec("bhh", "bhh", _row, N_("the candidate's bias, a (1, units) row")),
    )

    config: LayoutConfig
    Uz: np.ndarray  # (D, H)
    Vz: np.ndarray  # (H, H)
    bz: np.ndarray  # (1, H)
    Ur: np.ndarray
    Vr: np.ndarray
    br: np.ndarray
    Uhh: np.ndarray
    Vhh: np.ndarray
    bhh: np.ndarray

    def to_keras(self) -> tuple[GRUWeights, Convention]:
        kernel = np.hstack([self.Uz, self.Ur, self.Uhh])
        recurrent = np.hstack([self.Vz, self.Vr, self.Vhh])
        bias = np.concatenate([self.bz[0], self.br[0], self.bhh[0]])
        return GRUWeights.create(self.config.keras(reset_after=False), kernel, recurrent, bias), self.CONVENTION

    @classmethod
    def _from_prepared(cls, w: GRUWeights) -> "EpyNNGRU":
        # EpyNN always has biases; use_bias=False is the same GRU with zeros there.
        arrays = {}
        for gate, suffix in (("z", "z"), ("r", "r"), ("h", "hh")):
            arrays[f"U{suffix}"] = w.W(gate).copy()
            arrays[f"V{suffix}"] = w.U(gate).copy()
            arrays[f"b{suffix}"] = w.b_x(gate)[None, :].copy()
        return cls(LayoutConfig.of(w.config), **arrays)

    @staticmethod
    def equations(config: LayoutConfig) -> tuple[str, ...]:
        s, f = config.sigma.write, config.phi.write
        return (
            r"r = " + s(r"X\,U_r + h_p V_r + b_r"),
            r"z = " + s(r"X\,U_z + h_p V_z + b_z"),
            r"h_h = " + f(r"X\,U_{hh} + (r \odot h_p)\, V_{hh} + b_{hh}"),
            r"h = z \odot h_p + (1 - z) \odot h_h",
        )
