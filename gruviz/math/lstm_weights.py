"""An LSTM's configuration and weights in the Keras 3 layout, validated once here.

Keras `keras.layers.LSTM(...).get_weights()` returns kernel W (D, 4H), recurrent_kernel
U (H, 4H) and, with use_bias, one bias (4H,). Column blocks are i | f | c | o
(keras/src/layers/rnn/lstm.py splits every array in this order).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .activations import Activation
from .weights import GRUConfig, as_finite_array
from ..errors import InputError
from ..text import _

GATES = ("i", "f", "c", "o")


@dataclass(frozen=True)
class LSTMConfig:
    units: int
    input_dim: int
    use_bias: bool = True
    activation: str = "tanh"  # φ: the candidate c~ and the output squash φ(c_t)
    recurrent_activation: str = "sigmoid"  # σ: the gates i, f, o

    def __post_init__(self) -> None:
        self._checked()  # GRUConfig owns the checks, the CORE caps and their messages

    def _checked(self) -> GRUConfig:
        return GRUConfig(units=self.units, input_dim=self.input_dim, use_bias=self.use_bias,
                         activation=self.activation, recurrent_activation=self.recurrent_activation)

    @property
    def phi(self) -> Activation:
        return self._checked().phi

    @property
    def sigma(self) -> Activation:
        return self._checked().sigma

    @property
    def bias_shape(self) -> tuple[int, ...] | None:
        return (4 * self.units,) if self.use_bias else None


def gate_columns(gate: str, units: int) -> slice:
    """The columns of gate i, f, c or o in a (…, 4H) Keras array."""
    k = GATES.index(gate)
    return slice(k * units, (k + 1) * units)


@dataclass(frozen=True, eq=False)
class LSTMWeights:
    """Build with `LSTMWeights.create`, which validates; the fields are then read-only float64."""

    config: LSTMConfig
    kernel: np.ndarray  # (D, 4H)
    recurrent_kernel: np.ndarray  # (H, 4H)
    bias: np.ndarray | None  # (4H,) or None

    @classmethod
    def create(cls, config: LSTMConfig, kernel, recurrent_kernel, bias=None) -> "LSTMWeights":
        D, H = config.input_dim, config.units
        kernel = as_finite_array("kernel", kernel)
        recurrent_kernel = as_finite_array("recurrent_kernel", recurrent_kernel)
        if kernel.shape != (D, 4 * H):
            raise InputError(_("kernel has shape {shape} but input_dim={D}, units={H} needs {needed}: one row per "
                               "input feature and 4·units columns (i | f | c | o).").format(
                shape=kernel.shape, D=D, H=H, needed=(D, 4 * H)))
        if recurrent_kernel.shape != (H, 4 * H):
            raise InputError(_("recurrent_kernel has shape {shape} but units={H} needs {needed}.").format(
                shape=recurrent_kernel.shape, H=H, needed=(H, 4 * H)))
        if config.bias_shape is None:
            if bias is not None:
                raise InputError(_("a bias was given but use_bias=False; remove it or set use_bias=True."))
            return cls(config, kernel, recurrent_kernel, None)
        if bias is None:
            raise InputError(_("use_bias=True needs a bias of shape {shape}; none was given.").format(
                shape=(4 * H,)))
        bias = as_finite_array("bias", bias)
        if bias.shape != config.bias_shape:
            if bias.ndim == 2 and bias.shape[0] == 2:
                message = _("bias has shape {shape} but units={H} needs {needed} — an LSTM has one bias of 4·units "
                            "(i | f | c | o); two rows look like PyTorch's bias_ih + bias_hh, which add up to it.")
            else:
                message = _("bias has shape {shape} but units={H} needs {needed} — an LSTM has one bias of 4·units "
                            "(i | f | c | o).")
            raise InputError(message.format(shape=bias.shape, H=H, needed=(4 * H,)))
        return cls(config, kernel, recurrent_kernel, bias)

    @classmethod
    def from_keras_arrays(cls, arrays, **options) -> "LSTMWeights":
        """Weights from `layer.get_weights()`, reading units, input_dim and use_bias off
        the shapes unless `options` names them."""
        arrays = list(arrays)
        if len(arrays) not in (2, 3):
            raise InputError(_("a Keras LSTM has 2 arrays (no bias) or 3 (kernel, recurrent_kernel, bias); got "
                               "{n}.").format(n=len(arrays)))
        kernel = as_finite_array("kernel", arrays[0])
        if kernel.ndim != 2 or kernel.shape[1] % 4:
            raise InputError(_("kernel has shape {shape}; an LSTM kernel is (input_dim, 4·units).").format(
                shape=kernel.shape))
        inferred = dict(units=kernel.shape[1] // 4, input_dim=kernel.shape[0], use_bias=len(arrays) == 3)
        config = LSTMConfig(**{**inferred, **options})
        return cls.create(config, kernel, arrays[1], arrays[2] if len(arrays) == 3 else None)

    @property
    def input_bias(self) -> np.ndarray:  # (4H,) zeros without a bias
        return np.zeros(4 * self.config.units) if self.bias is None else self.bias

    def keras_arrays(self) -> list[np.ndarray]:
        """What `layer.set_weights()` takes."""
        arrays = [self.kernel, self.recurrent_kernel]
        return arrays if self.bias is None else arrays + [self.bias]

    def W(self, gate: str) -> np.ndarray:  # (D, H)
        return self.kernel[:, gate_columns(gate, self.config.units)]

    def U(self, gate: str) -> np.ndarray:  # (H, H)
        return self.recurrent_kernel[:, gate_columns(gate, self.config.units)]

    def b(self, gate: str) -> np.ndarray:  # (H,)
        return self.input_bias[gate_columns(gate, self.config.units)]

    def with_config(self, **changes) -> "LSTMWeights":
        """The same arrays under another config; turning the bias on starts it at zero."""
        config = replace(self.config, **changes)
        bias = None if not config.use_bias else self.input_bias
        return LSTMWeights.create(config, self.kernel, self.recurrent_kernel, bias)


def from_layer(arrays, layer_config: dict) -> LSTMWeights:
    """An uploaded `keras.layers.LSTM`: its arrays [kernel, recurrent_kernel, bias?] as stored
    (float64) and the layer's config dict from the file (units, use_bias, activation,
    recurrent_activation; activation names already resolved as for a GRU). Messages name nothing
    about the file: the reader prefixes the layer's name, as it does for GRUs."""
    options = {k: layer_config[k] for k in ("units", "use_bias", "activation", "recurrent_activation")
               if k in layer_config}
    return LSTMWeights.from_keras_arrays(arrays, **options)
