"""The magnifier's equations carry numbers that add up, computed here by hand."""

import numpy as np

from conftest import random_weights
from gruviz import GRUConfig, run
from gruviz.explain.equations import num, step_lines


def test_each_line_shows_its_parts_and_result():
    rng = np.random.default_rng(4)
    for reset_after in (True, False):
        w = random_weights(rng, GRUConfig(units=3, input_dim=2, reset_after=reset_after))
        x, h0 = rng.normal(size=(5, 2)), rng.normal(size=3)
        trace = run(w, x, h0)
        t, j = 2, 1
        h_prev = trace.h[t - 1]
        z_line, r_line, cand_line, keras_line, bahdanau_line = (line.latex for line in step_lines(trace, t, j))
        W_z, U_z = w.kernel[:, j], w.recurrent_kernel[:, j]
        assert num(x[t] @ W_z) in z_line and num(h_prev @ U_z) in z_line
        a_z = x[t] @ W_z + w.input_bias[j] + h_prev @ U_z + w.recurrent_bias[j]
        z = 1 / (1 + np.exp(-a_z))
        assert z_line.endswith(f"= {num(z)}\\end{{aligned}}")
        assert "x_{3}W_z" in z_line and "h_{2}U_z" in z_line  # steps count from 1, h_0 is the start
        assert ("r_{3} \\odot (h_{2}U_h + b^h_h)" in cand_line) == reset_after
        h = z * h_prev[j] + (1 - z) * trace.h_tilde[t, j]
        assert keras_line.endswith(f"= {num(h)}\\end{{aligned}}")
        assert bahdanau_line.endswith(f"= {num((1 - z) * h_prev[j] + z * trace.h_tilde[t, j])}\\end{{aligned}}")


def test_numbers_print_without_noise():
    assert num(1.0) == "1" and num(-0.90954137) == "-0.9095" and num(-0.00001) == "0" and num(2.5) == "2.5"
