"""gruviz's trace against a real keras.layers.GRU over a seeded sweep of configurations."""

import itertools

import numpy as np
import pytest

from conftest import random_weights
from gruviz import GRUConfig, run
from gruviz.math.activations import ACTIVATIONS
from gruviz.io.keras_bridge import run_keras

PAIRS = list(itertools.product(ACTIVATIONS, ACTIVATIONS))  # (activation, recurrent_activation)
CASES = 2 * len(PAIRS)  # every pair twice; len(PAIRS) is odd, so each meets both reset_after values


def case_config(i: int, rng: np.random.Generator) -> tuple[GRUConfig, bool]:
    activation, recurrent_activation = PAIRS[i % len(PAIRS)]
    config = GRUConfig(
        units=int(rng.integers(1, 9)),
        input_dim=int(rng.integers(1, 9)),
        reset_after=bool(i % 2),
        use_bias=i % 5 != 0,
        activation=activation,
        recurrent_activation=recurrent_activation,
    )
    return config, bool((i // 2) % 2)


@pytest.mark.parametrize("i", range(CASES))
def test_trace_matches_keras(i):
    rng = np.random.default_rng(1000 + i)
    config, go_backwards = case_config(i, rng)
    # A gate outside [0, 1] (linear, relu, tanh, softsign) lets |z| + |1 - z| exceed 1, and an
    # unbounded candidate (linear, relu) lets h~ grow with h even under a convex gate: either way
    # h can grow or turn chaotic, and float32 rounding then swamps 1e-5. Small weights keep those
    # runs tame; the float64 layer below checks them at full scale too.
    convex = config.recurrent_activation in ("sigmoid", "hard_sigmoid", "hard_sigmoid_legacy")
    bounded = config.activation not in ("linear", "relu")
    weights = random_weights(rng, config, scale=0.6 if convex and bounded else 0.12)
    for T in (1, int(rng.integers(2, 51)), 50):
        x = rng.normal(0, 1, (T, config.input_dim))
        h0 = rng.normal(0, 0.5, config.units) if rng.random() < 0.7 else None
        mask = rng.random(T) < 0.7 if rng.random() < 0.5 else None
        ours = run(weights, x, h0=h0, go_backwards=go_backwards, mask=mask)
        keras = run_keras(weights, x, h0=h0, go_backwards=go_backwards, mask=mask)
        np.testing.assert_allclose(
            ours.sequence_output, keras.sequence_output, atol=1e-5, rtol=1e-5,
            err_msg=f"{config} go_backwards={go_backwards} T={T} h0={h0 is not None} mask={mask}",
        )


@pytest.mark.parametrize("i", range(0, CASES, 3))
def test_trace_matches_float64_keras_at_full_scale(i):
    rng = np.random.default_rng(5000 + i)
    config, go_backwards = case_config(i, rng)
    weights = random_weights(rng, config, scale=0.6)
    T = int(rng.integers(1, 51))
    x = rng.normal(0, 1, (T, config.input_dim))
    h0 = rng.normal(0, 0.5, config.units)
    mask = rng.random(T) < 0.7
    ours = run(weights, x, h0=h0, go_backwards=go_backwards, mask=mask)
    keras = run_keras(weights, x, h0=h0, go_backwards=go_backwards, mask=mask, dtype="float64")
    np.testing.assert_allclose(ours.sequence_output, keras.sequence_output, atol=1e-9, rtol=1e-9)


def test_sweep_covers_every_option():
    seen = set()
    for i in range(CASES):
        config, go_backwards = case_config(i, np.random.default_rng(1000 + i))
        seen |= {
            ("pair", config.activation, config.recurrent_activation),
            ("reset_after", config.reset_after),
            ("use_bias", config.use_bias),
            ("go_backwards", go_backwards),
            ("units", config.units),
            ("input_dim", config.input_dim),
        }
    assert {s for s in seen if s[0] == "pair"} == {("pair", *p) for p in PAIRS}
    for flag in ("reset_after", "use_bias", "go_backwards"):
        assert {(flag, True), (flag, False)} <= seen
    assert {("units", n) for n in range(1, 9)} <= seen
    assert {("input_dim", n) for n in range(1, 9)} <= seen


def test_float64_keras_agrees_to_1e_12():
    rng = np.random.default_rng(7)
    for reset_after in (True, False):
        config = GRUConfig(units=5, input_dim=3, reset_after=reset_after)
        weights = random_weights(rng, config)
        x = rng.normal(0, 1, (30, 3))
        h0 = rng.normal(0, 0.5, 5)
        keras = run_keras(weights, x, h0=h0, dtype="float64")
        np.testing.assert_allclose(run(weights, x, h0=h0).sequence_output, keras.sequence_output, atol=1e-12)


def test_masked_first_step_outputs_zero_not_h0():
    """Keras's 'previous output' starts at 0 even when h0 is not zero."""
    rng = np.random.default_rng(3)
    weights = random_weights(rng, GRUConfig(units=3, input_dim=2))
    x, h0, mask = rng.normal(size=(4, 2)), np.array([0.5, -0.4, 0.3]), [False, False, True, False]
    keras = run_keras(weights, x, h0=h0, mask=mask)
    ours = run(weights, x, h0=h0, mask=mask)
    assert np.all(keras.sequence_output[:2] == 0)
    np.testing.assert_allclose(ours.sequence_output, keras.sequence_output, atol=1e-6)
    np.testing.assert_array_equal(ours.h[1], h0)  # the state is carried, not zeroed
