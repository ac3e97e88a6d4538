"""The magnifier's equations carry the right numbers: every value is checked against a GRU
loop written here from the Keras equations (spec §1), over several steps and units."""

import re

import numpy as np
import pytest

from conftest import random_weights
from gruviz import GRUConfig, run
from gruviz.explain.equations import num, step_lines


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def hand_steps(kernel, recurrent, input_bias, recurrent_bias, x, h0, reset_after):
    """Keras's GRU, row vectors and column blocks z | r | h; every intermediate of every step."""
    H = recurrent.shape[0]
    Wz, Wr, Wh = kernel[:, :H], kernel[:, H:2 * H], kernel[:, 2 * H:]
    Uz, Ur, Uh = recurrent[:, :H], recurrent[:, H:2 * H], recurrent[:, 2 * H:]
    bz, br, bh = input_bias[:H], input_bias[H:2 * H], input_bias[2 * H:]
    cz, cr, ch = recurrent_bias[:H], recurrent_bias[H:2 * H], recurrent_bias[2 * H:]
    h, steps = np.asarray(h0, float), []
    for x_t in x:
        a_z = x_t @ Wz + bz + h @ Uz + cz
        a_r = x_t @ Wr + br + h @ Ur + cr
        z, r = sigmoid(a_z), sigmoid(a_r)
        a_h = x_t @ Wh + bh + (r * (h @ Uh + ch) if reset_after else (r * h) @ Uh)
        h_tilde = np.tanh(a_h)
        steps.append(dict(x=x_t, h_prev=h, xW_z=x_t @ Wz, hU_z=h @ Uz, a_z=a_z, z=z, a_r=a_r, r=r, a_h=a_h,
                          h_tilde=h_tilde, keras=z * h + (1 - z) * h_tilde,
                          bahdanau=(1 - z) * h + z * h_tilde))
        h = z * h + (1 - z) * h_tilde
    return steps


def shown_tail(latex: str) -> list[float]:
    """The numbers after the last two '=' of an equation: the pre-activation and the value
    (a long equation puts each relation on a row of its own)."""
    parts = latex.replace("\\end{aligned}", "").split("=")[-2:]
    return [float(re.findall(r"-?\d+(?:\.\d+)?", re.sub(r"_\{\d+\}", "", p))[-1]) for p in parts]


def close(shown: float, value: float) -> bool:
    return abs(shown - value) <= 0.5e-4 + 1e-12  # the page rounds to 4 decimals


@pytest.mark.parametrize("reset_after", [True, False])
def test_every_line_carries_the_hand_numbers(reset_after):
    rng = np.random.default_rng(4)
    w = random_weights(rng, GRUConfig(units=3, input_dim=2, reset_after=reset_after))
    x, h0 = rng.normal(size=(5, 2)), rng.normal(size=3)
    input_bias = w.bias[0] if reset_after else w.bias
    recurrent_bias = w.bias[1] if reset_after else np.zeros(9)
    hand = hand_steps(np.array(w.kernel), np.array(w.recurrent_kernel), input_bias, recurrent_bias, x, h0,
                      reset_after)
    trace = run(w, x, h0)
    for t, j in ((0, 0), (1, 2), (2, 1), (4, 0), (4, 2)):
        s = hand[t]
        z_line, r_line, cand_line, keras_line, bahdanau_line = (line.latex for line in step_lines(trace, t, j))
        pre, value = shown_tail(z_line)
        assert close(pre, s["a_z"][j]) and close(value, s["z"][j]), (t, j, z_line)
        pre, value = shown_tail(r_line)
        assert close(pre, s["a_r"][j]) and close(value, s["r"][j]), (t, j, r_line)
        pre, value = shown_tail(cand_line)
        assert close(pre, s["a_h"][j]) and close(value, s["h_tilde"][j]), (t, j, cand_line)
        assert close(shown_tail(keras_line)[-1], s["keras"][j]), (t, j, keras_line)
        assert close(shown_tail(bahdanau_line)[-1], s["bahdanau"][j]), (t, j, bahdanau_line)
        # the parts that add up to z's pre-activation, written out
        assert f"x_{{{t + 1}}}W_z &= " in z_line and num(s["xW_z"][j]) in z_line
        assert num(s["hU_z"][j]) in z_line
        assert f"x_{{{t + 1}}}W_z" in z_line and f"h_{{{t}}}U_z" in z_line  # steps count from 1, h_0 starts
        assert ("\\odot (h_{" in cand_line and "U_h + b^h_h)" in cand_line) == reset_after
        if t:
            assert close(float(num(s["h_prev"][j])), hand[t - 1]["keras"][j])


def test_one_feature_steps_show_each_product():
    """With one input feature the products stay inline, term by term: x·W_z with both factors."""
    rng = np.random.default_rng(9)
    w = random_weights(rng, GRUConfig(units=1, input_dim=1))
    x, h0 = np.array([[0.7], [-1.3]]), np.array([0.2])
    hand = hand_steps(np.array(w.kernel), np.array(w.recurrent_kernel), w.bias[0], w.bias[1], x, h0, True)
    z_line = step_lines(run(w, x, h0), 1, 0)[0].latex
    W_z = w.kernel[0, 0]
    assert f"(-1.3)\\cdot{num(W_z) if W_z >= 0 else '(' + num(W_z) + ')'}" in z_line
    pre, value = shown_tail(z_line)
    assert close(pre, hand[1]["a_z"][0]) and close(value, hand[1]["z"][0])


def test_a_masked_step_says_so():
    rng = np.random.default_rng(5)
    w = random_weights(rng, GRUConfig(units=2, input_dim=1))
    x, h0 = rng.normal(size=(3, 1)), np.array([0.3, -0.6])
    lines = step_lines(run(w, x, h0, mask=[True, False, True]), 1, 1)
    assert lines[-1].label == "masked step"
    hand = hand_steps(np.array(w.kernel), np.array(w.recurrent_kernel), w.bias[0], w.bias[1], x[:1], h0, True)
    assert close(float(lines[-1].latex.split(" \\\\ ")[0].rsplit("=", 1)[1]), hand[0]["keras"][1])


def test_numbers_print_without_noise():
    assert num(1.0) == "1" and num(-0.90954137) == "-0.9095" and num(-0.00001) == "0" and num(2.5) == "2.5"
