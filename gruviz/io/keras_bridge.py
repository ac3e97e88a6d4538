"""The one module that talks to Keras. TensorFlow is imported inside the functions
that need it: it costs seconds and hundreds of MB, and the app paints without it."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..math.weights import GRUConfig, GRUWeights
from ..text import _


@dataclass(frozen=True, eq=False)
class KerasRun:
    sequence_output: np.ndarray  # (T, H) in processing order, as Keras returns it
    version: str

    @property
    def output(self) -> np.ndarray:  # (H,)
        return self.sequence_output[-1]


# Tests and rehearsals simulate a broken or slow TensorFlow with this variable:
#   fail            every import of Keras raises ImportError;
#   slow:SECONDS    the first import in this process waits SECONDS (default 30) first;
#   slow-fail:S     the first import waits S seconds, then every import fails;
#   until:PATH      the first import waits until the file PATH exists (at most 10 minutes), so a
#                   test decides when the import ends instead of guessing a time.
FAKE_IMPORT = "GRUVIZ_FAKE_TF_IMPORT"
_imported = False  # Keras imported once in this process: a slow first import is not paid again


def _simulated_import_trouble() -> None:
    mode, _, argument = os.environ.get(FAKE_IMPORT, "").partition(":")
    if mode in ("slow", "slow-fail") and not _imported:
        time.sleep(float(argument or 30))
    if mode == "until" and not _imported:
        deadline = time.monotonic() + 600
        while not os.path.exists(argument) and time.monotonic() < deadline:
            time.sleep(0.05)
    if mode in ("fail", "slow-fail"):
        raise ImportError(f"TensorFlow could not be imported (simulated by {FAKE_IMPORT}={mode}).")


def keras_module():
    global _imported
    _simulated_import_trouble()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import keras

    _imported = True
    return keras


def keras_version() -> str:
    return keras_module().__version__


def hold_session() -> None:
    """Make keras.backend.clear_session() a no-op in this process.

    Servers that clear Keras's session after every request (Streamlit does, after each
    script run) replace Keras's thread-local state under every other thread: a stateless
    call in flight would lose its weights mid-call, and each clear runs a full gc.collect
    (~0.5 s of held GIL with TensorFlow loaded). This module keeps one layer per config
    (bounded caches) and never needs the session cleared."""
    keras = keras_module()
    keras.backend.clear_session = lambda free_memory=True: None


def keras_activation(name: str):
    keras = keras_module()
    if name == "hard_sigmoid_legacy":
        # Keras 3 renamed nothing but changed hard_sigmoid's slope; old models meant this.
        return lambda v: keras.ops.clip(0.2 * v + 0.5, 0.0, 1.0)
    return name


# Building a layer registers names and variables in Keras's process-wide bookkeeping, so
# builds take turns; calls never write to a layer and run side by side.
_BUILDING = threading.Lock()


def _built_layer(config: GRUConfig, go_backwards: bool, dtype: str, **initializers):
    keras = keras_module()
    with _BUILDING:
        layer = keras.layers.GRU(
            config.units,
            activation=keras_activation(config.activation),
            recurrent_activation=keras_activation(config.recurrent_activation),
            use_bias=config.use_bias,
            reset_after=config.reset_after,
            go_backwards=go_backwards,
            return_sequences=True,
            dtype=dtype,
            **initializers,
        )
        layer.build((None, None, config.input_dim))
    return layer


@lru_cache(maxsize=64)
def _shared_layer(config: GRUConfig, go_backwards: bool, dtype: str):
    """One built GRU per config, shared by every session. Each call brings its own
    weights (see `_stateless`); the layer's own variables hold NaN, so a read that ever
    bypassed the call's weights would show as nan, never as someone else's numbers."""
    layer = _built_layer(config, go_backwards, dtype)
    names = [v.name for v in layer.trainable_variables]
    if names != ["kernel", "recurrent_kernel", "bias"][: len(names)]:
        # raised, never cached: said in the language of the person whose run built the layer
        raise RuntimeError(_("this Keras orders a GRU's weights as {names}, not as get_weights() does").format(
            names=names))
    for variable in layer.trainable_variables:
        variable.assign(np.full(variable.shape, np.nan, dtype=dtype))
    return layer


def _stateless(layer, arrays, x, h0, mask):
    """GRU(x; arrays) with `arrays` = [kernel, recurrent_kernel, bias?] standing in for the
    layer's variables, in a scope local to the calling thread: nothing shared is written.
    x (1, T, D), h0 (1, H), mask (1, T) → sequence output (1, T, H)."""
    output, _ = layer.stateless_call(list(arrays), list(layer.non_trainable_variables),
                                     x, initial_state=h0, mask=mask, training=False)
    return output


@lru_cache(maxsize=32)
def _compiled(config: GRUConfig, go_backwards: bool, dtype: str):
    """A traced stateless call for one config whose inputs include the weights, so a
    rerun with any weights pays only the call."""
    import tensorflow as tf

    layer = _shared_layer(config, go_backwards, dtype)
    weight_specs = [tf.TensorSpec(v.shape, dtype) for v in layer.trainable_variables]
    signature = weight_specs + [
        tf.TensorSpec((1, None, config.input_dim), dtype),
        tf.TensorSpec((1, config.units), dtype),
        tf.TensorSpec((1, None), tf.bool),
    ]
    n = len(weight_specs)
    call = tf.function(lambda *a: _stateless(layer, a[:n], *a[n:]), input_signature=signature)
    if call.get_concrete_function().captured_inputs:
        # The trace read a variable instead of the call's weights: Keras's session was cleared
        # by another thread mid-trace (see `hold_session`). Not cached; the next call traces again.
        raise RuntimeError(_("Keras's session was reset while this configuration was being prepared; try again."))
    return call


def run_keras(
    weights: GRUWeights, x, h0=None, go_backwards: bool = False, mask=None, dtype: str = "float32"
) -> KerasRun:
    """Run a real keras.layers.GRU with these weights on x (T, D); safe from many threads at once."""
    keras = keras_module()
    cfg = weights.config
    x = np.asarray(x, dtype=dtype)  # (T, D)
    h0 = np.zeros(cfg.units) if h0 is None else np.asarray(h0)  # (H,)
    mask = np.ones(len(x), bool) if mask is None else np.asarray(mask, bool)  # (T,)
    arrays = [np.asarray(a, dtype=dtype) for a in weights.keras_arrays()]
    out = _compiled(cfg, go_backwards, dtype)(*arrays, x[None], h0.astype(dtype)[None], mask[None])
    return KerasRun(np.asarray(out, dtype=np.float64)[0], keras.__version__)


def fresh_weights(config: GRUConfig, seed: int, random_bias: bool = False) -> GRUWeights:
    """The weights of a new keras.layers.GRU, initialised by Keras's own initializers.

    Keras starts biases at zero; `random_bias` draws them too, which shows what
    the second bias row of reset_after=True does. Each call builds its own layer."""
    init = keras_module().initializers
    layer = _built_layer(
        config,
        go_backwards=False,
        dtype="float32",
        kernel_initializer=init.GlorotUniform(seed=seed),
        recurrent_initializer=init.Orthogonal(seed=seed),
        bias_initializer=init.RandomNormal(stddev=0.5, seed=seed) if random_bias else "zeros",
    )
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


def keras_gradients(
    weights: GRUWeights, x, h0=None, go_backwards: bool = False, mask=None,
    loss: str = "sum", target=None, dtype: str = "float64",
) -> KerasGradients:
    """The loss of gruviz.math.backward and its gradients, by tf.GradientTape through a real
    keras.layers.GRU (keras convention only: Keras has no other update rule).
    target: None for sum, (H,) for mse, (T, H) in processing order for mse_all.

    Runs eagerly: for the short sequences this is for, tracing a tf.function per
    config costs about 1 s, an eager call about 0.02 s per step."""
    keras_module()  # sets the backend and quiets TensorFlow before it loads
    import tensorflow as tf

    cfg = weights.config
    layer = _shared_layer(cfg, go_backwards, dtype)
    arrays = [tf.constant(np.asarray(a, dtype=dtype)) for a in weights.keras_arrays()]  # this call's weights
    x = tf.constant(np.asarray(x, dtype=dtype)[None])  # (1, T, D)
    h0 = tf.constant((np.zeros(cfg.units) if h0 is None else np.asarray(h0)).astype(dtype)[None])  # (1, H)
    mask = tf.constant((np.ones(x.shape[1], bool) if mask is None else np.asarray(mask, bool))[None])
    target = None if target is None else tf.constant(np.atleast_2d(target).astype(dtype))
    with tf.GradientTape() as tape:
        tape.watch([x, h0, *arrays])
        sequence_output = _stateless(layer, arrays, x, h0, mask)[0]  # (T, H)
        value = _keras_loss(loss, sequence_output, target)
    # An all-masked run does not touch the weights; their gradient is then 0, not None.
    grads = tape.gradient(value, [x, h0, *arrays], unconnected_gradients=tf.UnconnectedGradients.ZERO)
    dx, dh0, kernel, recurrent_kernel, *bias = [np.asarray(g, dtype=np.float64) for g in grads]
    return KerasGradients(float(value), kernel, recurrent_kernel, bias[0] if bias else None, dx[0], dh0[0])


# --- keras.layers.LSTM, the same way: one shared built layer per config holding NaN,
# --- every call passing its own weights through a traced stateless call.


def _built_lstm(config, go_backwards: bool, dtype: str, **initializers):
    keras = keras_module()
    with _BUILDING:
        layer = keras.layers.LSTM(
            config.units, activation=keras_activation(config.activation), use_bias=config.use_bias,
            recurrent_activation=keras_activation(config.recurrent_activation), go_backwards=go_backwards,
            return_sequences=True, dtype=dtype, **initializers)
        layer.build((None, None, config.input_dim))
    return layer


@lru_cache(maxsize=32)
def _compiled_lstm(config, go_backwards: bool, dtype: str):
    """(kernel, recurrent_kernel, bias?, x (1, T, D), h0 (1, H), c0 (1, H), mask (1, T)) → (1, T, H)."""
    import tensorflow as tf

    layer = _built_lstm(config, go_backwards, dtype)
    for variable in layer.trainable_variables:
        variable.assign(np.full(variable.shape, np.nan, dtype=dtype))
    specs = [tf.TensorSpec(v.shape, dtype) for v in layer.trainable_variables]
    n = len(specs)
    specs += [tf.TensorSpec((1, None, config.input_dim), dtype), tf.TensorSpec((1, config.units), dtype),
              tf.TensorSpec((1, config.units), dtype), tf.TensorSpec((1, None), tf.bool)]

    def call(*a):
        output, _ = layer.stateless_call(list(a[:n]), list(layer.non_trainable_variables), a[n],
                                         initial_state=[a[n + 1], a[n + 2]], mask=a[n + 3], training=False)
        return output

    compiled = tf.function(call, input_signature=specs)
    if compiled.get_concrete_function().captured_inputs:
        raise RuntimeError(_("Keras's session was reset while this configuration was being prepared; try again."))
    return compiled


def run_keras_lstm(weights, x, h0=None, c0=None, go_backwards: bool = False, mask=None,
                   dtype: str = "float32") -> KerasRun:
    """Run a real keras.layers.LSTM with these LSTMWeights on x (T, D); safe from many threads at once."""
    keras = keras_module()
    cfg = weights.config
    x = np.asarray(x, dtype=dtype)  # (T, D)
    h0, c0 = (np.zeros(cfg.units) if v is None else np.asarray(v) for v in (h0, c0))  # (H,) each
    mask = np.ones(len(x), bool) if mask is None else np.asarray(mask, bool)  # (T,)
    arrays = [np.asarray(a, dtype=dtype) for a in weights.keras_arrays()]
    out = _compiled_lstm(cfg, go_backwards, dtype)(*arrays, x[None], h0.astype(dtype)[None],
                                                   c0.astype(dtype)[None], mask[None])
    return KerasRun(np.asarray(out, dtype=np.float64)[0], keras.__version__)


def fresh_lstm_arrays(config, seed: int, unit_forget_bias: bool = True) -> list[np.ndarray]:
    """The arrays of a new keras.layers.LSTM from Keras's own initializers (b_f = 1 with unit_forget_bias)."""
    init = keras_module().initializers
    layer = _built_lstm(config, False, "float32", kernel_initializer=init.GlorotUniform(seed=seed),
                        recurrent_initializer=init.Orthogonal(seed=seed), unit_forget_bias=unit_forget_bias)
    return [np.asarray(a, np.float64) for a in layer.get_weights()]
