"""The one module that talks to Keras. TensorFlow is imported inside the functions
that need it: it costs seconds and hundreds of MB, and the app paints without it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..math.weights import GRUConfig, GRUWeights


@dataclass(frozen=True, eq=False)
class KerasRun:
    sequence_output: np.ndarray  # (T, H) in processing order, as Keras returns it
    version: str

    @property
    def output(self) -> np.ndarray:  # (H,)
        return self.sequence_output[-1]


def _keras():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import keras

    return keras


def keras_version() -> str:
    return _keras().__version__


def _activation(name: str):
    keras = _keras()
    if name == "hard_sigmoid_legacy":
        # Keras 3 renamed nothing but changed hard_sigmoid's slope; old models meant this.
        return lambda v: keras.ops.clip(0.2 * v + 0.5, 0.0, 1.0)
    return name


def _layer(config: GRUConfig, go_backwards: bool, dtype: str, **initializers):
    keras = _keras()
    return keras.layers.GRU(
        config.units,
        activation=_activation(config.activation),
        recurrent_activation=_activation(config.recurrent_activation),
        use_bias=config.use_bias,
        reset_after=config.reset_after,
        go_backwards=go_backwards,
        return_sequences=True,
        dtype=dtype,
        **initializers,
    )


@lru_cache(maxsize=32)
def _compiled(config: GRUConfig, go_backwards: bool, dtype: str):
    """A Keras GRU and a traced call for one config; reused so a rerun pays only the call."""
    keras = _keras()
    import tensorflow as tf

    x = keras.Input((None, config.input_dim), dtype=dtype)
    h0 = keras.Input((config.units,), dtype=dtype)
    mask = keras.Input((None,), dtype="bool")
    layer = _layer(config, go_backwards, dtype)
    model = keras.Model([x, h0, mask], layer(x, initial_state=h0, mask=mask))
    signature = [
        tf.TensorSpec((1, None, config.input_dim), dtype),
        tf.TensorSpec((1, config.units), dtype),
        tf.TensorSpec((1, None), tf.bool),
    ]
    call = tf.function(lambda x, h0, mask: model([x, h0, mask], training=False), input_signature=signature)
    return layer, call


def run_keras(
    weights: GRUWeights, x, h0=None, go_backwards: bool = False, mask=None, dtype: str = "float32"
) -> KerasRun:
    """Run a real keras.layers.GRU with these weights on x (T, D)."""
    keras = _keras()
    cfg = weights.config
    x = np.asarray(x, dtype=dtype)
    h0 = np.zeros(cfg.units) if h0 is None else np.asarray(h0)
    mask = np.ones(len(x), bool) if mask is None else np.asarray(mask, bool)
    layer, call = _compiled(cfg, go_backwards, dtype)
    layer.set_weights([np.asarray(a, dtype=dtype) for a in weights.keras_arrays()])
    out = call(x[None], h0.astype(dtype)[None], mask[None])
    return KerasRun(np.asarray(out, dtype=np.float64)[0], keras.__version__)


def fresh_weights(config: GRUConfig, seed: int, random_bias: bool = False) -> GRUWeights:
    """The weights of a new keras.layers.GRU, initialised by Keras's own initializers.

    Keras starts biases at zero; `random_bias` draws them too, which shows what
    the second bias row of reset_after=True does."""
    keras = _keras()
    init = keras.initializers
    layer = _layer(
        config,
        go_backwards=False,
        dtype="float32",
        kernel_initializer=init.GlorotUniform(seed=seed),
        recurrent_initializer=init.Orthogonal(seed=seed),
        bias_initializer=init.RandomNormal(stddev=0.5, seed=seed) if random_bias else "zeros",
    )
    layer.build((None, None, config.input_dim))
    return GRUWeights.create(config, *[np.asarray(a, np.float64) for a in layer.get_weights()])


@dataclass(frozen=True, eq=False)
class KerasGradients:
    """∂L/∂ the arrays of a real keras.layers.GRU, from tf.GradientTape."""

    loss: float
    kernel: np.ndarray  # (D, 3H)
    recurrent_kernel: np.ndarray  # (H, 3H)
    bias: np.ndarray | None  # as get_weights() lays it out
    x: np.ndarray  # (T, D) original input order
    h0: np.ndarray  # (H,)


def _keras_loss(loss: str, sequence_output, target):
    """The losses of gruviz.math.backward, written again in TensorFlow so the check is independent."""
    import tensorflow as tf

    if loss == "sum":
        return tf.reduce_sum(sequence_output[-1])
    if loss == "mse":
        return tf.reduce_mean(tf.square(sequence_output[-1] - target[0]))
    if loss == "mse_all":
        return tf.reduce_mean(tf.square(sequence_output - target))
    raise ValueError(f"unknown loss {loss!r}")


@lru_cache(maxsize=64)
def _gradient_layer(config: GRUConfig, go_backwards: bool, dtype: str):
    """A built Keras GRU per config, reused with new weights."""
    layer = _layer(config, go_backwards, dtype)
    layer.build((None, None, config.input_dim))
    return layer


def keras_gradients(
    weights: GRUWeights, x, h0=None, go_backwards: bool = False, mask=None,
    loss: str = "sum", target=None, dtype: str = "float64",
) -> KerasGradients:
    """The loss of gruviz.math.backward and its gradients, by tf.GradientTape through a real
    keras.layers.GRU (keras convention only: Keras has no other update rule).
    target: None for sum, (H,) for mse, (T, H) in processing order for mse_all.

    Runs eagerly: for the short sequences this is for, tracing a tf.function per
    config costs about 1 s, an eager call about 0.02 s per step."""
    _keras()  # sets the backend and quiets TensorFlow before it loads
    import tensorflow as tf

    cfg = weights.config
    layer = _gradient_layer(cfg, go_backwards, dtype)
    layer.set_weights([np.asarray(a, dtype=dtype) for a in weights.keras_arrays()])
    cell = layer.cell
    variables = [cell.kernel, cell.recurrent_kernel] + ([cell.bias] if cfg.use_bias else [])
    x = tf.constant(np.asarray(x, dtype=dtype)[None])  # (1, T, D)
    h0 = tf.constant((np.zeros(cfg.units) if h0 is None else np.asarray(h0)).astype(dtype)[None])  # (1, H)
    mask = tf.constant((np.ones(x.shape[1], bool) if mask is None else np.asarray(mask, bool))[None])
    target = None if target is None else tf.constant(np.atleast_2d(target).astype(dtype))
    with tf.GradientTape() as tape:
        tape.watch([x, h0])
        sequence_output = layer(x, initial_state=h0, mask=mask, training=False)[0]  # (T, H)
        value = _keras_loss(loss, sequence_output, target)
    # An all-masked run does not touch the weights; their gradient is then 0, not None.
    grads = tape.gradient(value, [x, h0, *variables], unconnected_gradients=tf.UnconnectedGradients.ZERO)
    dx, dh0, kernel, recurrent_kernel, *bias = [np.asarray(g, dtype=np.float64) for g in grads]
    return KerasGradients(float(value), kernel, recurrent_kernel, bias[0] if bias else None, dx[0], dh0[0])
