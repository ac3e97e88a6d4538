"""LSTM backpropagation through time against tf.GradientTape through a real keras.layers.LSTM
in float64, and against central differences of the forward pass."""

import numpy as np
import pytest

from gruviz.errors import InputError
from gruviz.math.lstm_backward import backward
from gruviz.math.lstm_trace import run
from gruviz.math.lstm_weights import LSTMConfig, LSTMWeights
from test_lstm_vs_keras import case

LOSSES = ("sum", "mse", "mse_all")
SMOOTH = ("tanh", "sigmoid", "softsign", "linear")


def loss_of(out: np.ndarray, loss: str, target) -> float:
    """The losses written again here, so no expected value comes from gruviz."""
    if loss == "sum":
        return float(out[-1].sum())
    if loss == "mse":
        return float(np.mean((out[-1] - target) ** 2))
    return float(np.mean((out - target) ** 2))


def with_loss(i: int) -> dict:
    c = case(i)
    T, H = len(c["x"]), c["weights"].config.units
    rng = np.random.default_rng(i)
    c["loss"] = LOSSES[i % 3]
    c["target"] = {"sum": None, "mse": rng.normal(size=H), "mse_all": rng.normal(size=(T, H))}[c["loss"]]
    return c


def tape(c: dict):
    """∂L/∂(x, h0, c0, kernel, recurrent_kernel, bias) by GradientTape through keras.layers.LSTM."""
    import keras
    import tensorflow as tf

    w = c["weights"]
    cfg, T = w.config, len(c["x"])
    layer = keras.layers.LSTM(cfg.units, activation=_act(cfg.activation), use_bias=cfg.use_bias,
                              recurrent_activation=_act(cfg.recurrent_activation), go_backwards=c["go_backwards"],
                              return_sequences=True, dtype="float64")
    layer.build((None, None, cfg.input_dim))
    arrays = [tf.constant(a) for a in w.keras_arrays()]
    x = tf.constant(c["x"][None])
    h0 = tf.constant((np.zeros(cfg.units) if c["h0"] is None else c["h0"])[None])
    c0 = tf.constant((np.zeros(cfg.units) if c["c0"] is None else c["c0"])[None])
    mask = tf.constant((np.ones(T, bool) if c["mask"] is None else np.asarray(c["mask"]))[None])
    with tf.GradientTape() as g:
        g.watch([x, h0, c0, *arrays])
        out, _ = layer.stateless_call(arrays, list(layer.non_trainable_variables), x, initial_state=[h0, c0], mask=mask)
        out = out[0]
        target = None if c["target"] is None else tf.constant(np.atleast_2d(c["target"]))
        value = {"sum": lambda: tf.reduce_sum(out[-1]), "mse": lambda: tf.reduce_mean((out[-1] - target[0]) ** 2),
                 "mse_all": lambda: tf.reduce_mean((out - target) ** 2)}[c["loss"]]()
    grads = g.gradient(value, [x, h0, c0, *arrays], unconnected_gradients=tf.UnconnectedGradients.ZERO)
    return float(value), [np.asarray(v) for v in grads]


def _act(name):
    import keras

    return (lambda v: keras.ops.clip(0.2 * v + 0.5, 0.0, 1.0)) if name == "hard_sigmoid_legacy" else name


def ours(c: dict):
    return backward(run(c["weights"], c["x"], c["h0"], c["c0"], c["go_backwards"], c["mask"]), c["loss"], c["target"])


@pytest.mark.parametrize("i", range(16))
def test_gradients_match_gradient_tape_float64(i):
    c = with_loss(i)
    value, (dx, dh0, dc0, kernel, recurrent, *bias) = tape(c)
    g = ours(c)
    assert g.loss == pytest.approx(value, rel=1e-12, abs=1e-14)
    pairs = [(g.x, dx[0]), (g.h0, dh0[0]), (g.c0, dc0[0]), (g.kernel, kernel), (g.recurrent_kernel, recurrent)]
    if bias:
        pairs.append((g.bias, bias[0]))
    else:
        assert g.bias is None
    for mine, theirs in pairs:
        np.testing.assert_allclose(mine, theirs, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("i", [0, 2, 5, 9, 13])
def test_gradients_match_central_differences(i):
    c = with_loss(i)
    w = c["weights"]
    cfg = w.config
    if cfg.activation not in SMOOTH or cfg.recurrent_activation not in SMOOTH:
        w = LSTMWeights.create(LSTMConfig(cfg.units, cfg.input_dim, cfg.use_bias), *w.keras_arrays())
        c = {**c, "weights": w}
        cfg = w.config
    g = ours(c)
    eps = 1e-6

    def L(**changes):
        d = {**c, **changes}
        t = run(d["weights"], d["x"], d["h0"], d["c0"], d["go_backwards"], d["mask"])
        return loss_of(t.sequence_output, c["loss"], c["target"])

    def numeric(value, rebuild):
        grad = np.zeros(value.shape)
        for idx in np.ndindex(value.shape):
            step = np.zeros(value.shape)
            step[idx] = eps
            grad[idx] = (L(**rebuild(value + step)) - L(**rebuild(value - step))) / (2 * eps)
        return grad

    arrays = w.keras_arrays()
    h0 = np.zeros(cfg.units) if c["h0"] is None else c["h0"]
    c0 = np.zeros(cfg.units) if c["c0"] is None else c["c0"]
    checks = [
        (g.recurrent_kernel, numeric(arrays[1], lambda v: {"weights": LSTMWeights.create(cfg, arrays[0], v, *arrays[2:])})),
        (g.kernel, numeric(arrays[0], lambda v: {"weights": LSTMWeights.create(cfg, v, *arrays[1:])})),
        (g.x, numeric(c["x"], lambda v: {"x": v})),
        (g.h0, numeric(h0, lambda v: {"h0": v})),
        (g.c0, numeric(c0, lambda v: {"c0": v})),
    ]
    for mine, theirs in checks:
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-7)


def test_masked_step_passes_both_gradients_straight_through():
    c = with_loss(1)
    c.update(mask=np.r_[np.ones(len(c["x"]) - 1, bool), False], loss="sum", target=None)
    g = ours(c)
    np.testing.assert_array_equal(g.dh_prev[-1], g.dh[-1])
    np.testing.assert_array_equal(g.dc_prev[-1], g.dc[-1])
    np.testing.assert_array_equal(g.da[-1], 0.0)


def test_bad_target_is_refused():
    c = with_loss(1)
    with pytest.raises(InputError, match="target"):
        backward(run(c["weights"], c["x"]), "mse", np.zeros(99))
