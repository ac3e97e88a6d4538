r"""Backpropagation through time for the LSTM, each rule beside the forward rule of
`gruviz.math.lstm_cell` it differentiates (∂ means ∂L/∂, row vectors):

    (6←) h_t = o ⊙ φ(c_t)               ∂o = ∂h ⊙ φ(c_t)       ∂c_t += ∂h ⊙ o ⊙ φ'(c_t)
    (5←) c_t = f ⊙ c_{t-1} + i ⊙ c~     ∂f = ∂c ⊙ c_{t-1}      ∂i = ∂c ⊙ c~     ∂c~ = ∂c ⊙ i
                                         ∂c_{t-1} = ∂c ⊙ f   (the cell state's own, gate-only path)
    (1–4←) gates through σ and φ         ∂a = ∂gate ⊙ σ'(a), ∂a_c = ∂c~ ⊙ φ'(a_c)
    (0←) ∂h_{t-1} = [∂a_i, ∂a_f, ∂a_c, ∂a_o] Uᵀ

Losses, and how output gradients reach the states under a mask, are the GRU's own
(`backward.LOSSES`, `backward.route_to_states`): only h is an output. A masked step
carries h and c, so both gradients pass straight through it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .activations import Activation
from .backward import check_target, get_loss, route_to_states
from .cell_backward import activation_backward
from .lstm_trace import LSTMTrace

Array = np.ndarray


def h_backward(dh: Array, o: Array, c: Array, phi: Activation):
    r"""(6←) of `lstm_cell.h`: $\partial o = \partial h \odot \varphi(c_t)$,
    $\partial c_t \mathrel{+}= \partial h \odot o \odot \varphi'(c_t)$. Returns (∂o, that share of ∂c_t)."""
    return dh * phi.fn(c), activation_backward(dh * o, c, phi)


def c_backward(dc: Array, f: Array, c_prev: Array, i: Array, c_tilde: Array):
    r"""(5←) of `lstm_cell.c`: $\partial f = \partial c \odot c_{t-1}$, $\partial i = \partial c \odot \tilde c$,
    $\partial \tilde c = \partial c \odot i$, $\partial c_{t-1} = \partial c \odot f$.
    Returns (∂i, ∂f, ∂c~, ∂c_{t-1})."""
    return dc * c_tilde, dc * c_prev, dc * i, dc * f


@dataclass(frozen=True, eq=False)
class LSTMGradients:
    """∂L/∂(everything) for one LSTM trace; step arrays in processing order, `x` in input order."""

    trace: LSTMTrace
    loss_name: str
    loss: float
    dh: np.ndarray  # (T, H) ∂L/∂h_t in total
    dc: np.ndarray  # (T, H) ∂L/∂c_t in total
    da: np.ndarray  # (T, 4H) ∂L/∂[a_i, a_f, a_c, a_o]; zero at masked steps
    dh_prev: np.ndarray  # (T, H) what step t passes back to h_{t-1}
    dc_prev: np.ndarray  # (T, H) what step t passes back to c_{t-1}
    kernel: np.ndarray  # (D, 4H)
    recurrent_kernel: np.ndarray  # (H, 4H)
    bias: np.ndarray | None  # (4H,) or None
    x: np.ndarray  # (T, D) original input order

    @property
    def h0(self) -> np.ndarray:  # (H,)
        return self.dh_prev[0]

    @property
    def c0(self) -> np.ndarray:  # (H,)
        return self.dc_prev[0]

    @property
    def finite(self) -> bool:
        return all(np.isfinite(a).all() for a in (self.dh, self.dc, self.kernel, self.recurrent_kernel))


def backward(trace: LSTMTrace, loss: str = "sum", target=None) -> LSTMGradients:
    """∂L/∂ every step's h, c and pre-activations, the parameters, x, h0 and c0."""
    w = trace.weights
    cfg = w.config
    H, T = cfg.units, trace.steps
    chosen = get_loss(loss)
    target = check_target(chosen, target, H, T)
    sigma, phi = cfg.sigma, cfg.phi
    U_T = w.recurrent_kernel.T.copy()  # (4H, H)
    c_prev_all = trace.c_prev  # (T, H)
    dh, dc = np.zeros((T, H)), np.zeros((T, H))
    da = np.zeros((T, 4 * H))
    dh_prev, dc_prev = np.zeros((T, H)), np.zeros((T, H))
    with np.errstate(over="ignore", invalid="ignore"):
        value, d_output = chosen.fn(trace.sequence_output, target)
        from_output = route_to_states(d_output, trace.mask)  # (T, H)
        next_h, next_c = np.zeros(H), np.zeros(H)  # nothing comes back from beyond the last step
        for t in reversed(range(T)):
            dh[t] = from_output[t] + next_h
            if not trace.mask[t]:  # carried: h_t = h_{t-1}, c_t = c_{t-1}
                dc[t] = next_c
                next_h, next_c = dh_prev[t], dc_prev[t] = dh[t], dc[t]
                continue
            do, dc_from_h = h_backward(dh[t], trace.o[t], trace.c[t], phi)
            dc[t] = next_c + dc_from_h
            di, df, dc_tilde, dc_prev[t] = c_backward(dc[t], trace.f[t], c_prev_all[t], trace.i[t], trace.c_tilde[t])
            da[t] = np.concatenate([activation_backward(di, trace.i_pre[t], sigma),
                                    activation_backward(df, trace.f_pre[t], sigma),
                                    activation_backward(dc_tilde, trace.c_tilde_pre[t], phi),
                                    activation_backward(do, trace.o_pre[t], sigma)])
            dh_prev[t] = da[t] @ U_T  # (0←)
            next_h, next_c = dh_prev[t], dc_prev[t]
        # Parameters: sums over steps of the local rules, as for the GRU.
        kernel = trace.x.T @ da  # (D, 4H)
        recurrent_kernel = trace.h_prev.T @ da  # (H, 4H)
        dx = da @ w.kernel.T  # (T, D) processing order
    order_back = np.empty_like(trace.order)
    order_back[trace.order] = np.arange(T)
    return LSTMGradients(trace, chosen.name, value, dh, dc, da, dh_prev, dc_prev, kernel, recurrent_kernel,
                         da.sum(axis=0) if cfg.use_bias else None, dx[order_back])
