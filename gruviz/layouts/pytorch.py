r"""PyTorch `torch.nn.GRU`, one layer, one direction, as its `state_dict()` holds it.

From the PyTorch documentation (column vectors, W x):

    r_t = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
    z_t = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
    n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t-1} + b_hn))
    h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t-1}

weight_ih_l0 stacks [W_ir; W_iz; W_in] (3H, D) and weight_hh_l0 the W_h* (3H, H):
rows r, z, n. This is Keras reset_after=True with the blocks transposed and
reordered, bias_ih_l0 → bias row 0 and bias_hh_l0 → row 1 (Keras ships the same
mapping in keras/src/backend/torch/rnn.py `prepare_gru_params`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..math.cell import Convention
from ..errors import InputError
from ..math.weights import GRUWeights
from ..text import N_, _
from .base import ArraySpec, Layout, LayoutConfig

_ORDER = ("r", "z", "h")  # PyTorch's row blocks, in Keras's gate names (its n is Keras's h)


def _rows(w: GRUWeights, matrix: str) -> np.ndarray:
    """Keras's (…, 3H) columns z | r | h → PyTorch's (3H, …) rows r | z | n."""
    pick = w.W if matrix == "W" else w.U
    return np.vstack([pick(g).T for g in _ORDER])


def keras_columns(stacked: np.ndarray) -> np.ndarray:
    """PyTorch's (3H, …) rows r | z | n → Keras's (…, 3H) columns z | r | h."""
    r, z, n = np.split(stacked, 3, axis=0)
    return np.hstack([z.T, r.T, n.T])


def keras_bias(b: np.ndarray) -> np.ndarray:
    r, z, n = np.split(b, 3)
    return np.concatenate([z, r, n])


@dataclass(frozen=True, eq=False)
class PyTorchGRU(Layout):
    NAME = "pytorch"
    TITLE = "PyTorch nn.GRU"
    RESET_AFTER = True
    CONVENTION = Convention.KERAS
    SPECS = (
        ArraySpec("weight_ih_l0", "weight_ih_l0", lambda D, H: (3 * H, D),
                  N_("rows W_ir | W_iz | W_in (r, z, n), one column per input feature")),
        ArraySpec("weight_hh_l0", "weight_hh_l0", lambda D, H: (3 * H, H),
                  N_("rows W_hr | W_hz | W_hn (r, z, n), one column per unit of hₜ₋₁")),
        ArraySpec("bias_ih_l0", "bias_ih_l0", lambda D, H: (3 * H,), N_("b_ir | b_iz | b_in, added to W_i* xₜ"),
                  optional=True),
        ArraySpec("bias_hh_l0", "bias_hh_l0", lambda D, H: (3 * H,),
                  N_("b_hr | b_hz | b_hn, added to W_h* hₜ₋₁; b_hn sits inside r ⊙ (…)"), optional=True),
    )

    config: LayoutConfig
    weight_ih_l0: np.ndarray  # (3H, D)
    weight_hh_l0: np.ndarray  # (3H, H)
    bias_ih_l0: np.ndarray | None  # (3H,), None for nn.GRU(bias=False)
    bias_hh_l0: np.ndarray | None  # (3H,)

    def __post_init__(self) -> None:
        super().__post_init__()
        if (self.bias_ih_l0 is None) != (self.bias_hh_l0 is None):
            given, absent = ("bias_ih_l0", "bias_hh_l0")
            if self.bias_ih_l0 is None:
                given, absent = absent, given
            raise InputError(_("{given} is given but {absent} is missing: nn.GRU has both biases (bias=True) or "
                               "neither (bias=False).").format(given=given, absent=absent))

    @property
    def bias(self) -> bool:
        """nn.GRU's `bias` argument."""
        return self.bias_ih_l0 is not None

    def to_keras(self) -> tuple[GRUWeights, Convention]:
        bias = None
        if self.bias:
            bias = np.stack([keras_bias(self.bias_ih_l0), keras_bias(self.bias_hh_l0)])
        config = self.config.keras(reset_after=True, use_bias=self.bias)
        kernel, recurrent = keras_columns(self.weight_ih_l0), keras_columns(self.weight_hh_l0)
        return GRUWeights.create(config, kernel, recurrent, bias), self.CONVENTION

    @classmethod
    def _from_prepared(cls, w: GRUWeights) -> "PyTorchGRU":
        # use_bias=False becomes nn.GRU(bias=False): exact, and it converts back to use_bias=False.
        b_ih = b_hh = None
        if w.bias is not None:
            b_ih = np.concatenate([w.b_x(g) for g in _ORDER])
            b_hh = np.concatenate([w.b_h(g) for g in _ORDER])
        return cls(LayoutConfig.of(w.config), _rows(w, "W"), _rows(w, "U"), b_ih, b_hh)

    @staticmethod
    def equations(config: LayoutConfig) -> tuple[str, ...]:
        s, f = config.sigma.write, config.phi.write
        return (
            "r_t = " + s(r"W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}"),
            "z_t = " + s(r"W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}"),
            "n_t = " + f(r"W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn})"),
            r"h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}",
        )

    @staticmethod
    def limits(config: LayoutConfig) -> str | None:
        if (config.activation, config.recurrent_activation) == ("tanh", "sigmoid"):
            return None
        return _("nn.GRU always uses sigmoid gates and a tanh candidate; this GRU uses activation={activation}, "
                 "recurrent_activation={recurrent_activation}, so a real nn.GRU loaded with these arrays computes "
                 "other numbers. The arrays are still the exact PyTorch layout.").format(
            activation=repr(config.activation), recurrent_activation=repr(config.recurrent_activation))
