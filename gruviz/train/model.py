"""The trained model: a GRU (Keras's defaults) and a Dense readout, as one frozen value.

The optimizers see it as a tuple of arrays in `NAMES` order; `loss_and_gradients`
chains the readout's backward rule into the batched GRU backward pass."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..io import weights_file
from ..math.weights import GRUConfig, GRUWeights
from ..text import _
from . import batch, readout

NAMES = ("kernel", "recurrent_kernel", "bias", "dense_kernel", "dense_bias")


@dataclass(frozen=True, eq=False)
class Model:
    gru: GRUWeights
    dense_kernel: np.ndarray  # (H, K)
    dense_bias: np.ndarray  # (K,)

    def arrays(self) -> tuple[np.ndarray, ...]:
        g = self.gru
        return g.kernel, g.recurrent_kernel, g.bias, self.dense_kernel, self.dense_bias

    def with_arrays(self, arrays) -> "Model":
        kernel, recurrent_kernel, bias, dense_kernel, dense_bias = arrays
        if not all(np.isfinite(a).all() for a in arrays):
            raise InputError(_("training diverged: the weights are no longer finite numbers; "
                               "use a smaller learning rate."))
        gru = GRUWeights.create(self.gru.config, kernel, recurrent_kernel, bias)
        return Model(gru, np.array(dense_kernel), np.array(dense_bias))

    def predict(self, x: np.ndarray) -> np.ndarray:
        """ŷ (N, T, K) for x (N, T, D)."""
        return readout.dense(batch.forward(self.gru, x).h, self.dense_kernel, self.dense_bias)

    def to_json(self) -> dict:
        """The gruviz weights JSON of the GRU, with the readout beside it."""
        return {**weights_file.to_dict(self.gru), "dense_kernel": self.dense_kernel.tolist(),
                "dense_bias": self.dense_bias.tolist()}


def initial(units: int, input_dim: int, outputs: int, rng: np.random.Generator) -> Model:
    """Keras's initializers, drawn with NumPy: Glorot-uniform kernels, an orthogonal
    recurrent kernel, zero biases."""
    config = GRUConfig(units=units, input_dim=input_dim)
    kernel = _glorot(rng, input_dim, 3 * units)
    q, _ = np.linalg.qr(rng.normal(size=(3 * units, units)))  # (3H, H), orthonormal columns
    gru = GRUWeights.create(config, kernel, q.T, np.zeros((2, 3 * units)))
    return Model(gru, _glorot(rng, units, outputs), np.zeros(outputs))


def _glorot(rng, fan_in: int, fan_out: int) -> np.ndarray:
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_in, fan_out))


def loss(model: Model, x, y, scored) -> float:
    return readout.mse(model.predict(x), y, scored)[0]


def loss_and_gradients(model: Model, x, y, scored) -> tuple[float, tuple[np.ndarray, ...]]:
    """L and ∂L/∂ each array of `model.arrays()`, over the batch x (N, T, D)."""
    tr = batch.forward(model.gru, x)
    value, d_out = readout.mse(readout.dense(tr.h, model.dense_kernel, model.dense_bias), y, scored)
    d_dense_kernel, d_dense_bias, d_h = readout.dense_backward(d_out, tr.h, model.dense_kernel)
    g = batch.backward(tr, d_h)
    return value, (g.kernel, g.recurrent_kernel, g.bias, d_dense_kernel, d_dense_bias)
