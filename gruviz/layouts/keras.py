r"""Keras 3 `keras.layers.GRU`: the layout of `GRUWeights` itself, described like the others.

Its equations are cell.py's (1)–(4); this module only names them in LaTeX and
says what each array of `get_weights()` holds.
"""

from __future__ import annotations

import numpy as np

from ..math.cell import Convention
from ..math.weights import GRUConfig, GRUWeights
from ..text import _

NAME = "keras"
TITLE = "Keras 3 GRU"
CONVENTION = Convention.KERAS


def arrays(w: GRUWeights) -> dict[str, np.ndarray]:
    """`get_weights()` under the names Keras saves them with."""
    named = {"kernel": w.kernel, "recurrent_kernel": w.recurrent_kernel}
    if w.bias is not None:
        named["bias"] = w.bias
    return named


def roles(config: GRUConfig) -> dict[str, str]:
    bias = (_("row 0 the input bias bˣ, row 1 the recurrent bias bʰ (inside r ⊙ (…) for h)")
            if config.reset_after else _("z | r | h, all beside xₜ W (reset_after=False has no recurrent bias)"))
    return {
        "kernel": _("columns W_z | W_r | W_h, one row per input feature"),
        "recurrent_kernel": _("columns U_z | U_r | U_h, one row per unit of hₜ₋₁"),
        "bias": bias,
    }


def equations(config: GRUConfig) -> tuple[str, ...]:
    s, f = config.sigma.write, config.phi.write
    if not config.use_bias:
        gate = r"x_t W_{g} + h_{t-1} U_{g}"
        candidate = (f(r"x_t W_h + r_t \odot (h_{t-1} U_h)") if config.reset_after
                     else f(r"x_t W_h + (r_t \odot h_{t-1}) U_h"))
    elif config.reset_after:
        gate = r"x_t W_{g} + b^x_{g} + h_{t-1} U_{g} + b^h_{g}"
        candidate = f(r"x_t W_h + b^x_h + r_t \odot (h_{t-1} U_h + b^h_h)")
    else:
        gate = r"x_t W_{g} + b_{g} + h_{t-1} U_{g}"
        candidate = f(r"x_t W_h + b_h + (r_t \odot h_{t-1}) U_h")
    return (
        "z_t = " + s(gate.replace("{g}", "z")),
        "r_t = " + s(gate.replace("{g}", "r")),
        r"\tilde h_t = " + candidate,
        r"h_t = z_t \odot h_{t-1} + (1 - z_t) \odot \tilde h_t",
    )
