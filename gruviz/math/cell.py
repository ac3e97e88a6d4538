r"""One GRU step, one function per equation, in row-vector notation as Keras writes it.

Every function is elementwise over its leading axes, so the same rule serves one
step (H,) or a whole sequence (T, H). Symbols match what the app shows:

    (1)  a_z = x_t W_z + b^x_z + h_{t-1} U_z + b^h_z          z = σ(a_z)
    (2)  a_r = x_t W_r + b^x_r + h_{t-1} U_r + b^h_r          r = σ(a_r)
    (3a) reset after  (Keras 3 default, PyTorch):
         a_h = x_t W_h + b^x_h + r ⊙ (h_{t-1} U_h + b^h_h)    h~ = φ(a_h)
    (3b) reset before (Keras reset_after=False, TF1, EpyNN, Wikipedia):
         a_h = x_t W_h + b_h + (r ⊙ h_{t-1}) U_h              h~ = φ(a_h)
    (4)  keras:    h_t = z ⊙ h_{t-1} + (1 − z) ⊙ h~
         bahdanau: h_t = (1 − z) ⊙ h_{t-1} + z ⊙ h~
"""

from __future__ import annotations

from enum import Enum

import numpy as np

Array = np.ndarray


class Convention(str, Enum):
    """Which gate value keeps the old state in update (4)."""

    KERAS = "keras"  # Cho 2014, Keras, PyTorch, TF1: z keeps h_{t-1}
    BAHDANAU = "bahdanau"  # Chung 2014, Bahdanau 2014, Wikipedia: z admits h~


def gate_pre(xw: Array, hu: Array) -> Array:
    r"""(1), (2) $a = x_t W + b^x + h_{t-1} U + b^h$, with each bias already in its projection."""
    return xw + hu


def candidate_pre_reset_after(xw_h: Array, hu_h: Array, r: Array) -> Array:
    r"""(3a) $a_h = x_t W_h + b^x_h + r \odot (h_{t-1} U_h + b^h_h)$: the recurrent bias is gated too."""
    return xw_h + r * hu_h


def reset_state(r: Array, h_prev: Array) -> Array:
    r"""(3b, inner) $r \odot h_{t-1}$, which reset-before multiplies by U_h."""
    return r * h_prev


def candidate_pre_reset_before(xw_h: Array, reset_hu_h: Array) -> Array:
    r"""(3b) $a_h = x_t W_h + b_h + (r \odot h_{t-1}) U_h$; there is no recurrent bias."""
    return xw_h + reset_hu_h


def carry(z: Array, convention: Convention) -> Array:
    r"""The share of $h_{t-1}$ that survives: $z$ (keras) or $1 - z$ (bahdanau).

    Because $\sigma(-a) = 1 - \sigma(a)$, the bahdanau rule with z's parameters
    negated is the keras rule; `tests/math/test_gru_identities.py` checks it.
    """
    return z if convention is Convention.KERAS else 1.0 - z


def h(z: Array, h_prev: Array, h_tilde: Array, convention: Convention) -> Array:
    r"""(4) $h_t = c \odot h_{t-1} + (1 - c) \odot \tilde h_t$ with $c$ = `carry(z, convention)`."""
    keep = carry(z, convention)
    return keep * h_prev + (1.0 - keep) * h_tilde
