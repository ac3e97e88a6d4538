r"""One GRU step backwards: each rule of `gruviz.math.cell`, differentiated, in the same order
the chain rule meets them (4) → (3) → (2), (1). Row vectors as in `cell`; ∂ means ∂L/∂.

    (4←) update        ∂h~ = ∂h ⊙ (1 − c)     ∂z = ∂h ⊙ (h_{t-1} − h~) ⊙ dc/dz     ∂h_{t-1} ∋ ∂h ⊙ c
    (3←) candidate     ∂a_h = ∂h~ ⊙ φ'(a_h), then
         reset after:  ∂r = ∂a_h ⊙ (h_{t-1}U_h + b^h_h)          ∂(h_{t-1}U_h) = r ⊙ ∂a_h
         reset before: ∂(r ⊙ h_{t-1}) = ∂a_h U_hᵀ, split by (3b, inner) into ∂r and ∂h_{t-1}
    (2←), (1←) gates  ∂a_r = ∂r ⊙ σ'(a_r)     ∂a_z = ∂z ⊙ σ'(a_z)
    (0←) state         ∂h_{t-1} = ∂h ⊙ c + [∂a_z, ∂a_r] U_{zr}ᵀ + (the candidate's share)

c = `cell.carry(z, convention)`. Like the forward rules, each function is elementwise
over leading axes; the matrix products with U live in `gruviz.math.backward`, which owns
the weights. (1) and (2) are sums, `cell.gate_pre`: their pre-activation gradient
flows unchanged into x_t W, the biases and h_{t-1} U.
"""

from __future__ import annotations

import numpy as np

from . import cell
from .activations import Activation
from .cell import Convention

Array = np.ndarray


def carry_slope(convention: Convention) -> float:
    r"""$\partial c / \partial z$: +1 (keras) or −1 (bahdanau).

    `cell.carry` is affine in z, so its slope is carry(1) − carry(0); reading it off
    the forward rule keeps the update rule in one place."""
    return float(cell.carry(1.0, convention) - cell.carry(0.0, convention))


def h_backward(dh: Array, z: Array, h_prev: Array, h_tilde: Array, convention: Convention):
    r"""(4←) of `cell.h`: $h_t = c \odot h_{t-1} + (1-c) \odot \tilde h_t$, $c$ = carry(z).

    $\frac{\partial L}{\partial \tilde h_t} = \frac{\partial L}{\partial h_t} \odot (1 - c)$,
    $\frac{\partial L}{\partial z_t}
       = \frac{\partial L}{\partial h_t} \odot (h_{t-1} - \tilde h_t)\,\frac{\partial c}{\partial z}$,
    $\frac{\partial L}{\partial h_{t-1}} \mathrel{+}= \frac{\partial L}{\partial h_t} \odot c$.

    Returns (∂z, ∂h~, the direct share of ∂h_{t-1}), each shaped like dh (…, H).
    """
    keep = cell.carry(z, convention)
    dz = dh * (h_prev - h_tilde) * carry_slope(convention)
    return dz, dh * (1.0 - keep), dh * keep


def activation_backward(d_value: Array, pre: Array, activation: Activation) -> Array:
    r"""(1←), (2←), (3←) of $v = f(a)$: $\frac{\partial L}{\partial a} = \frac{\partial L}{\partial v} \odot f'(a)$.

    `Activation.grad` takes the pre-activation a, which the trace records."""
    return d_value * activation.grad(pre)


def candidate_pre_reset_after_backward(da_h: Array, r: Array, hu_h: Array):
    r"""(3a←) of `cell.candidate_pre_reset_after`: $a_h = x_t W_h + b^x_h + r \odot (h_{t-1} U_h + b^h_h)$.

    $\frac{\partial L}{\partial r_t} = \frac{\partial L}{\partial a_h} \odot (h_{t-1} U_h + b^h_h)$,
    $\frac{\partial L}{\partial (h_{t-1} U_h + b^h_h)} = r_t \odot \frac{\partial L}{\partial a_h}$.

    hu_h includes b^h_h. Returns (∂r, ∂(h_{t-1}U_h + b^h_h)); x_t W_h + b^x_h gets da_h itself.
    """
    return da_h * hu_h, r * da_h


def reset_state_backward(d_reset_h: Array, r: Array, h_prev: Array):
    r"""(3b, inner ←) of `cell.reset_state`: $s = r \odot h_{t-1}$.

    $\frac{\partial L}{\partial r_t} = \frac{\partial L}{\partial s} \odot h_{t-1}$,
    $\frac{\partial L}{\partial h_{t-1}} \mathrel{+}= \frac{\partial L}{\partial s} \odot r_t$,
    where $\frac{\partial L}{\partial s} = \frac{\partial L}{\partial a_h} U_h^\top$ since (3b) adds $s\,U_h$.

    Returns (∂r, this share of ∂h_{t-1}).
    """
    return d_reset_h * h_prev, d_reset_h * r
