r"""TensorFlow 1 `tf.nn.rnn_cell.GRUCell` (also GRUBlockCell), as its variables hold it.

From its `call` (tensorflow/python/keras/layers/legacy_rnn/rnn_cell_impl.py):

    [r, u] = sigmoid([x_t, h_{t-1}] gates/kernel + gates/bias)
    c      = activation([x_t, r ⊙ h_{t-1}] candidate/kernel + candidate/bias)
    h_t    = u ⊙ h_{t-1} + (1 − u) ⊙ c

Each kernel takes the input and the state concatenated: rows [:D] act on x_t, rows
[D:] on h_{t-1}. This is Keras reset_after=False with the r and u blocks swapped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..math.cell import Convention
from ..math.weights import GRUWeights
from ..text import N_, _
from .base import ArraySpec, Layout, LayoutConfig


@dataclass(frozen=True, eq=False)
class TF1GRUCell(Layout):
    NAME = "tf1"
    TITLE = "TF1 GRUCell"
    RESET_AFTER = False
    CONVENTION = Convention.KERAS
    SPECS = (
        ArraySpec("gates/kernel", "gates_kernel", lambda D, H: (D + H, 2 * H),
                  N_("columns r | u; rows [:input_dim] act on xₜ, the rest on hₜ₋₁")),
        ArraySpec("gates/bias", "gates_bias", lambda D, H: (2 * H,), N_("b_r | b_u (TF1 starts it at 1.0)")),
        ArraySpec("candidate/kernel", "candidate_kernel", lambda D, H: (D + H, H),
                  N_("rows [:input_dim] act on xₜ, the rest on r ⊙ hₜ₋₁")),
        ArraySpec("candidate/bias", "candidate_bias", lambda D, H: (H,), N_("b_c, added beside xₜ W")),
    )

    config: LayoutConfig
    gates_kernel: np.ndarray  # (D + H, 2H)
    gates_bias: np.ndarray  # (2H,)
    candidate_kernel: np.ndarray  # (D + H, H)
    candidate_bias: np.ndarray  # (H,)

    def to_keras(self) -> tuple[GRUWeights, Convention]:
        D, H = self.config.input_dim, self.config.units
        g, c = self.gates_kernel, self.candidate_kernel
        kernel = np.hstack([g[:D, H:], g[:D, :H], c[:D]])
        recurrent = np.hstack([g[D:, H:], g[D:, :H], c[D:]])
        bias = np.concatenate([self.gates_bias[H:], self.gates_bias[:H], self.candidate_bias])
        return GRUWeights.create(self.config.keras(reset_after=False), kernel, recurrent, bias), self.CONVENTION

    @classmethod
    def _from_prepared(cls, w: GRUWeights) -> "TF1GRUCell":
        # GRUCell always has biases; use_bias=False is the same GRU with zeros there.
        gates = np.vstack([np.hstack([w.W("r"), w.W("z")]), np.hstack([w.U("r"), w.U("z")])])
        candidate = np.vstack([w.W("h"), w.U("h")])
        gates_bias = np.concatenate([w.b_x("r"), w.b_x("z")])
        return cls(LayoutConfig.of(w.config), gates, gates_bias, candidate, w.b_x("h").copy())

    @staticmethod
    def equations(config: LayoutConfig) -> tuple[str, ...]:
        s, f = config.sigma.write, config.phi.write
        return (
            r"[r_t,\ u_t] = " + s(r"[x_t,\ h_{t-1}]\, W_{\mathrm{gates}} + b_{\mathrm{gates}}"),
            r"c_t = " + f(r"[x_t,\ r_t \odot h_{t-1}]\, W_{\mathrm{candidate}} + b_{\mathrm{candidate}}"),
            r"h_t = u_t \odot h_{t-1} + (1 - u_t) \odot c_t",
        )

    @staticmethod
    def limits(config: LayoutConfig) -> str | None:
        if config.recurrent_activation == "sigmoid":
            return None
        return _("GRUCell's gates are always sigmoid (its call hard-codes math_ops.sigmoid); this GRU's gates use "
                 "{activation}, so a real GRUCell loaded with these variables computes other numbers. Its candidate "
                 "activation is configurable.").format(activation=repr(config.recurrent_activation))
