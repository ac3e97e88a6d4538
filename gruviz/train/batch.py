r"""A GRU over a batch of sequences at once, forward and backward, for training.

The same rules as `gruviz.math.trace` and `gruviz.math.backward` — the functions of
`gruviz.math.cell` and `gruviz.math.cell_backward`, elementwise — applied to a leading
batch axis: one step moves all N sequences, so a step costs one set of NumPy calls
instead of N. Training uses Keras's defaults (reset_after=True, the keras update rule,
no mask, h_0 = 0); `tests/train/test_train.py` checks these gradients equal the per-sequence
backward pass summed over the batch.

    forward:  a = x_t W + b^x + [h_{t-1} U_{zr} + b^h_{zr},\ r \odot (h_{t-1} U_h + b^h_h)]
    backward: \partial W = \sum_{n,t} x_{n,t}^\top \partial a_{n,t},\quad
              \partial U = \sum_{n,t} h_{n,t-1}^\top \partial(h U + b^h)_{n,t}
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..math import cell, cell_backward
from ..math.cell import Convention
from ..math.weights import GRUWeights
from ..text import _

KERAS = Convention.KERAS


def check_trainable(weights: GRUWeights) -> None:
    cfg = weights.config
    if not (cfg.reset_after and cfg.use_bias):
        raise InputError(_("training uses Keras's default GRU: reset_after=True with a bias."))


@dataclass(frozen=True, eq=False)
class BatchTrace:
    """What the backward pass needs from the forward one; every step array is (N, T, H)."""

    weights: GRUWeights
    x: np.ndarray  # (N, T, D)
    h_prev: np.ndarray  # h_{t-1}
    z_pre: np.ndarray
    r_pre: np.ndarray
    z: np.ndarray
    r: np.ndarray
    hu_h: np.ndarray  # h_{t-1} U_h + b^h_h, which r multiplies in (3a)
    h_tilde_pre: np.ndarray
    h_tilde: np.ndarray
    h: np.ndarray  # the states, what Keras returns with return_sequences=True


def _stack(steps: list[np.ndarray]) -> np.ndarray:  # T × (N, H) → (N, T, H)
    return np.stack(steps, axis=1)


def forward(weights: GRUWeights, x: np.ndarray) -> BatchTrace:
    """Run the GRU over x (N, T, D) from h_0 = 0, keeping what `backward` reads."""
    check_trainable(weights)
    H, N, T = weights.config.units, x.shape[0], x.shape[1]
    sigma, phi = weights.config.sigma, weights.config.phi
    xw = x @ weights.kernel + weights.input_bias  # (N, T, 3H): it does not depend on h
    names = ("h_prev", "z_pre", "r_pre", "z", "r", "hu_h", "h_tilde_pre", "h_tilde", "h")
    kept: dict[str, list[np.ndarray]] = {name: [] for name in names}
    h_prev = np.zeros((N, H))
    for t in range(T):
        hu = h_prev @ weights.recurrent_kernel + weights.recurrent_bias  # (N, 3H)
        zr_pre = cell.gate_pre(xw[:, t, : 2 * H], hu[:, : 2 * H])  # (1), (2): (N, 2H)
        zr = sigma(zr_pre)
        z, r = zr[:, :H], zr[:, H:]
        h_tilde_pre = cell.candidate_pre_reset_after(xw[:, t, 2 * H :], hu[:, 2 * H :], r)  # (3a)
        h_tilde = phi(h_tilde_pre)
        h = cell.h(z, h_prev, h_tilde, KERAS)  # (4)
        for name, value in (("h_prev", h_prev), ("z_pre", zr_pre[:, :H]), ("r_pre", zr_pre[:, H:]), ("z", z),
                            ("r", r), ("hu_h", hu[:, 2 * H :]), ("h_tilde_pre", h_tilde_pre),
                            ("h_tilde", h_tilde), ("h", h)):
            kept[name].append(value)
        h_prev = h
    return BatchTrace(weights, x, **{name: _stack(values) for name, values in kept.items()})


@dataclass(frozen=True, eq=False)
class BatchGradients:
    kernel: np.ndarray  # (D, 3H)
    recurrent_kernel: np.ndarray  # (H, 3H)
    bias: np.ndarray  # (2, 3H)


def backward(tr: BatchTrace, d_h: np.ndarray) -> BatchGradients:
    """∂L/∂ the GRU's arrays from ∂L/∂h_t (N, T, H), the gradient the loss puts on each state."""
    w = tr.weights
    H, T = w.config.units, tr.h.shape[1]
    sigma, phi = w.config.sigma, w.config.phi
    U_T = w.recurrent_kernel.T  # (3H, H)
    da = np.empty(tr.h.shape[:2] + (3 * H,))  # (N, T, 3H) ∂(x_t W + b^x)
    d_hu = np.empty_like(da)  # (N, T, 3H) ∂(h_{t-1} U + b^h)
    through_next = np.zeros_like(d_h[:, 0])  # (N, H): nothing comes back from beyond the last step
    for t in reversed(range(T)):
        dh = d_h[:, t] + through_next
        dz, dh_tilde, dh_prev = cell_backward.h_backward(dh, tr.z[:, t], tr.h_prev[:, t], tr.h_tilde[:, t],
                                                         KERAS)
        da_h = cell_backward.activation_backward(dh_tilde, tr.h_tilde_pre[:, t], phi)
        dr, d_hu_h = cell_backward.candidate_pre_reset_after_backward(da_h, tr.r[:, t], tr.hu_h[:, t])
        da_z = cell_backward.activation_backward(dz, tr.z_pre[:, t], sigma)
        da_r = cell_backward.activation_backward(dr, tr.r_pre[:, t], sigma)
        da[:, t] = np.concatenate([da_z, da_r, da_h], axis=1)
        d_hu[:, t] = np.concatenate([da_z, da_r, d_hu_h], axis=1)
        through_next = dh_prev + d_hu[:, t] @ U_T
    kernel = np.einsum("ntd,ntk->dk", tr.x, da)  # (D, 3H)
    recurrent_kernel = np.einsum("nth,ntk->hk", tr.h_prev, d_hu)  # (H, 3H)
    bias = np.stack([da.sum(axis=(0, 1)), d_hu.sum(axis=(0, 1))])  # (2, 3H): beside xW, beside hU
    return BatchGradients(kernel, recurrent_kernel, bias)
