r"""The Dense readout on every state and the loss over the scored steps.

    \hat y_t = h_t V + c                       (N, T, K)
    L = \frac{1}{N S K} \sum_{n,\ t\ \mathrm{scored},\ k} (\hat y_{n,t,k} - y_{n,t,k})^2

with S scored steps: Keras's `MeanSquaredError` over the scored outputs. Backwards,
$\partial V = \sum_{n,t} h_{n,t}^\top \partial\hat y_{n,t}$, $\partial c = \sum_{n,t} \partial\hat y_{n,t}$,
$\partial h_t = \partial\hat y_t V^\top$, which is where the GRU's backward pass starts.
"""

from __future__ import annotations

import numpy as np


def dense(h: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """ŷ = h V + c: (N, T, H) → (N, T, K)."""
    return h @ kernel + bias


def dense_backward(d_out: np.ndarray, h: np.ndarray, kernel: np.ndarray):
    """∂ŷ (N, T, K) → (∂V (H, K), ∂c (K,), ∂h (N, T, H))."""
    return np.einsum("nth,ntk->hk", h, d_out), d_out.sum(axis=(0, 1)), d_out @ kernel.T


def mse(prediction: np.ndarray, y: np.ndarray, scored: np.ndarray) -> tuple[float, np.ndarray]:
    """(L, ∂L/∂ŷ (N, T, K)); steps not scored get no gradient."""
    diff = (prediction - y)[:, scored]  # (N, S, K)
    d_out = np.zeros_like(prediction)
    d_out[:, scored] = 2.0 * diff / diff.size
    return float(np.mean(diff**2)), d_out
