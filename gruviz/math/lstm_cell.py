r"""One LSTM step, one function per equation, in row-vector notation as Keras writes it.

    (1) a_i = x_t W_i + h_{t-1} U_i + b_i          i = σ(a_i)        input gate
    (2) a_f = x_t W_f + h_{t-1} U_f + b_f          f = σ(a_f)        forget gate
    (3) a_c = x_t W_c + h_{t-1} U_c + b_c          c~ = φ(a_c)       candidate
    (4) a_o = x_t W_o + h_{t-1} U_o + b_o          o = σ(a_o)        output gate
    (5) c_t = f ⊙ c_{t-1} + i ⊙ c~                                    cell state
    (6) h_t = o ⊙ φ(c_t)                                              output state

All four pre-activations are the GRU's gate form, `cell.gate_pre`; σ and φ come from the
one activations table. Every function is elementwise over leading axes, so the same
rule serves one step (H,) or a whole sequence (T, H).
"""

from __future__ import annotations

import numpy as np

from .activations import Activation

Array = np.ndarray


def i(a_i: Array, sigma: Activation) -> Array:
    r"""(1) $i_t = \sigma(a_i)$, $a_i = x_t W_i + h_{t-1} U_i + b_i$: how much of the candidate enters."""
    return sigma.fn(a_i)


def f(a_f: Array, sigma: Activation) -> Array:
    r"""(2) $f_t = \sigma(a_f)$, $a_f = x_t W_f + h_{t-1} U_f + b_f$: how much of $c_{t-1}$ survives."""
    return sigma.fn(a_f)


def c_tilde(a_c: Array, phi: Activation) -> Array:
    r"""(3) $\tilde c_t = \varphi(a_c)$, $a_c = x_t W_c + h_{t-1} U_c + b_c$: the new content."""
    return phi.fn(a_c)


def o(a_o: Array, sigma: Activation) -> Array:
    r"""(4) $o_t = \sigma(a_o)$, $a_o = x_t W_o + h_{t-1} U_o + b_o$: how much of the memory is shown."""
    return sigma.fn(a_o)


def c(f_t: Array, c_prev: Array, i_t: Array, c_tilde_t: Array) -> Array:
    r"""(5) $c_t = f_t \odot c_{t-1} + i_t \odot \tilde c_t$. Unlike the GRU's update, the two
    shares are independent gates: nothing ties $i$ to $1 - f$, and $c$ is never squashed here."""
    return f_t * c_prev + i_t * c_tilde_t


def h(o_t: Array, c_t: Array, phi: Activation) -> Array:
    r"""(6) $h_t = o_t \odot \varphi(c_t)$: the state the next step and the outputs see."""
    return o_t * phi.fn(c_t)
