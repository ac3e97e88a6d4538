"""The trace computes x W for all steps before its loop and keeps, at each step, the numbers that
step computed. So a page that shows z, h~ and h_{t-1} shows exactly the numbers h_t came from:
equations (1)–(4) applied to the recorded numbers give the recorded state bit for bit, at every
step, for every convention, mask, direction and activation, for the GRU and the LSTM.

Expected values are the cell's equations applied to the trace's own recorded inputs (an identity
with no tolerance), the products written out as sums here, and h_{t-1} U by NumPy's matmul."""

import itertools

import numpy as np
import pytest

from conftest import random_weights
from gruviz import GRUConfig, run
from gruviz.math import cell, lstm_cell
from gruviz.math.lstm_trace import run as run_lstm
from gruviz.math.lstm_weights import LSTMConfig, LSTMWeights
from gruviz.math.trace import project


def test_project_is_each_step_times_the_kernel():
    rng = np.random.default_rng(7)
    x = rng.integers(-9, 10, (5, 3)).astype(float)  # small integers: every sum is exact
    kernel = rng.integers(-9, 10, (3, 4)).astype(float)
    by_hand = [[sum(x[t, d] * kernel[d, k] for d in range(3)) for k in range(4)] for t in range(5)]
    np.testing.assert_array_equal(project(x, kernel), by_hand)
    np.testing.assert_array_equal(project(x[:1], kernel), by_hand[:1])


# (reset_after, convention, mask, go_backwards, activation, recurrent_activation)
GRU_CASES = [
    (True, "keras", None, False, "tanh", "sigmoid"),
    (False, "keras", None, False, "tanh", "sigmoid"),
    (True, "bahdanau", "some", True, "relu", "hard_sigmoid"),
    (False, "bahdanau", "some", False, "softsign", "hard_sigmoid_legacy"),
    (True, "keras", "some", True, "linear", "softsign"),
    (False, "keras", "first", True, "sigmoid", "tanh"),
]


def _mask(kind, T, rng):
    if kind is None:
        return None
    mask = rng.random(T) < 0.7
    if kind == "first":
        mask[:3] = False  # masked before any kept step: Keras shows 0 there
    return mask


@pytest.mark.parametrize("reset_after, convention, mask, go_backwards, act, gate", GRU_CASES)
def test_gru_state_comes_from_the_recorded_numbers_bit_for_bit(reset_after, convention, mask, go_backwards,
                                                               act, gate):
    rng = np.random.default_rng(11)
    T, D, H = 40, 8, 32  # large enough that products of different shapes round differently
    config = GRUConfig(units=H, input_dim=D, reset_after=reset_after, activation=act,
                       recurrent_activation=gate)
    w = random_weights(rng, config, scale=0.3)
    x, h0 = rng.normal(size=(T, D)), rng.normal(0, 0.5, H)
    tr = run(w, x, h0, convention, go_backwards, _mask(mask, T, rng))
    U, bx, bh = w.recurrent_kernel, w.input_bias, w.recurrent_bias
    xw = tr.xW + bx

    np.testing.assert_allclose(tr.xW, x[tr.order] @ w.kernel, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(tr.hU[:, : 2 * H], tr.h_prev @ U[:, : 2 * H], rtol=1e-12, atol=1e-12)
    h_block = tr.h_prev if reset_after else tr.r * tr.h_prev
    np.testing.assert_allclose(tr.hU[:, 2 * H :], h_block @ U[:, 2 * H :], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(tr.z, config.sigma(tr.z_pre), rtol=1e-15, atol=1e-15)
    np.testing.assert_allclose(tr.h_tilde, config.phi(tr.h_tilde_pre), rtol=1e-15, atol=1e-15)
    for t in range(T):
        zr_pre = cell.gate_pre(xw[t, : 2 * H], tr.hU[t, : 2 * H] + bh[: 2 * H])
        np.testing.assert_array_equal(tr.z_pre[t], zr_pre[:H])
        np.testing.assert_array_equal(tr.r_pre[t], zr_pre[H:])
        if reset_after:
            a_h = cell.candidate_pre_reset_after(xw[t, 2 * H :], tr.hU[t, 2 * H :] + bh[2 * H :], tr.r[t])
        else:
            a_h = cell.candidate_pre_reset_before(xw[t, 2 * H :], tr.hU[t, 2 * H :])
        np.testing.assert_array_equal(tr.h_tilde_pre[t], a_h)
        kept = cell.h(tr.z[t], tr.h_prev[t], tr.h_tilde[t], cell.Convention(convention))
        np.testing.assert_array_equal(tr.h[t], kept if tr.mask[t] else tr.h_prev[t], err_msg=f"step {t}")


@pytest.mark.parametrize("mask, go_backwards, act, gate", [
    (None, False, "tanh", "sigmoid"),
    ("some", True, "softsign", "hard_sigmoid"),
    ("first", False, "relu", "sigmoid"),
])
def test_lstm_states_come_from_the_recorded_numbers_bit_for_bit(mask, go_backwards, act, gate):
    rng = np.random.default_rng(12)
    T, D, H = 40, 8, 32
    config = LSTMConfig(H, D, True, act, gate)
    w = LSTMWeights.create(config, rng.normal(0, 0.3, (D, 4 * H)), rng.normal(0, 0.3, (H, 4 * H)),
                           rng.normal(0, 0.3, 4 * H))
    x, h0, c0 = rng.normal(size=(T, D)), rng.normal(0, 0.5, H), rng.normal(0, 0.5, H)
    tr = run_lstm(w, x, h0, c0, go_backwards, _mask(mask, T, rng))
    np.testing.assert_allclose(tr.xW, x[tr.order] @ w.kernel, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(tr.hU, tr.h_prev @ w.recurrent_kernel, rtol=1e-12, atol=1e-12)
    pre = np.concatenate([tr.i_pre, tr.f_pre, tr.c_tilde_pre, tr.o_pre], axis=1)
    for t, (g, gate_name) in itertools.product(range(T), enumerate(("i", "f", "c_tilde", "o"))):
        columns = slice(g * H, (g + 1) * H)
        expected = cell.gate_pre(tr.xW[t] + w.input_bias, tr.hU[t])[columns]
        np.testing.assert_array_equal(pre[t, columns], expected, err_msg=f"{gate_name} at step {t}")
    for t in range(T):
        c_t = lstm_cell.c(tr.f[t], tr.c_prev[t], tr.i[t], tr.c_tilde[t])
        h_t = lstm_cell.h(tr.o[t], c_t, config.phi)
        carried = not tr.mask[t]
        np.testing.assert_array_equal(tr.c[t], tr.c_prev[t] if carried else c_t, err_msg=f"step {t}")
        np.testing.assert_array_equal(tr.h[t], tr.h_prev[t] if carried else h_t, err_msg=f"step {t}")
