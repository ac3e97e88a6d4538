"""Identities that hold for every GRU, derived by hand from the equations."""

import warnings

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import random_weights
from gruviz import GRUConfig, GRUWeights, run
from gruviz.math.activations import ACTIVATIONS
from gruviz.math.weights import gate_columns

configs = st.builds(
    GRUConfig,
    units=st.integers(1, 6),
    input_dim=st.integers(1, 5),
    reset_after=st.booleans(),
    use_bias=st.booleans(),
    activation=st.sampled_from(list(ACTIVATIONS)),
    recurrent_activation=st.sampled_from(list(ACTIVATIONS)),
)


@settings(max_examples=60, deadline=None)
@given(configs, st.integers(0, 2**32 - 1), st.integers(1, 20))
def test_sigmoid_gates_lie_strictly_inside_0_1(config, seed, T):
    rng = np.random.default_rng(seed)
    config = GRUConfig(**{**config.__dict__, "recurrent_activation": "sigmoid"})
    trace = run(random_weights(rng, config, scale=2.0), rng.normal(0, 3, (T, config.input_dim)))
    for gate, pre in ((trace.z, trace.z_pre), (trace.r, trace.r_pre)):
        assert np.all((gate >= 0) & (gate <= 1))
        # Past |a| ≈ 37, 1 − σ(a) is below float64's spacing near 1: σ rounds to 1.0 there.
        moderate = np.abs(pre) < 30
        assert np.all((gate[moderate] > 0) & (gate[moderate] < 1))


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 6), st.integers(1, 5), st.booleans(), st.integers(0, 2**32 - 1))
def test_zero_weights_halve_the_state_each_step(units, input_dim, reset_after, seed):
    """All-zero weights: z = σ(0) = ½ and h~ = tanh(0) = 0, so h_t = ½·h_{t−1} exactly."""
    rng = np.random.default_rng(seed)
    config = GRUConfig(units=units, input_dim=input_dim, reset_after=reset_after)
    bias = np.zeros(config.bias_shape)
    weights = GRUWeights.create(config, np.zeros((input_dim, 3 * units)), np.zeros((units, 3 * units)), bias)
    h0 = rng.normal(0, 1, units)
    trace = run(weights, rng.normal(0, 1, (7, input_dim)), h0=h0)
    expected = h0 * 0.5 ** np.arange(1, 8)[:, None]
    assert np.array_equal(trace.h, expected)


@settings(max_examples=60, deadline=None)
@given(configs, st.integers(0, 2**32 - 1), st.integers(1, 30))
def test_tanh_keeps_state_inside_unit_ball(config, seed, T):
    """With tanh and σ ∈ [0,1], h_t is a convex mix of h_{t−1} and h~ ∈ (−1,1)."""
    rng = np.random.default_rng(seed)
    config = GRUConfig(**{**config.__dict__, "activation": "tanh", "recurrent_activation": "sigmoid"})
    h0 = rng.uniform(-1, 1, config.units)
    trace = run(random_weights(rng, config, scale=3.0), rng.normal(0, 5, (T, config.input_dim)), h0=h0)
    assert np.all(np.abs(trace.h) <= 1.0)


def negate_z(weights: GRUWeights) -> GRUWeights:
    z = gate_columns("z", weights.config.units)
    kernel, recurrent = weights.kernel.copy(), weights.recurrent_kernel.copy()
    bias = None if weights.bias is None else weights.bias.copy()
    kernel[:, z] *= -1
    recurrent[:, z] *= -1
    if bias is not None:
        bias[..., z] *= -1
    return GRUWeights.create(weights.config, kernel, recurrent, bias)


@settings(max_examples=80, deadline=None)
@given(configs, st.integers(0, 2**32 - 1), st.integers(1, 20))
def test_bahdanau_with_negated_z_equals_keras(config, seed, T):
    """σ(−a) = 1 − σ(a), for sigmoid and both hard sigmoids, so flipping the rule and
    negating z's parameters cancel out."""
    rng = np.random.default_rng(seed)
    gate = ("sigmoid", "hard_sigmoid", "hard_sigmoid_legacy")[seed % 3]
    config = GRUConfig(**{**config.__dict__, "recurrent_activation": gate, "activation": "tanh"})
    weights = random_weights(rng, config)
    x, h0 = rng.normal(0, 1, (T, config.input_dim)), rng.normal(0, 0.5, config.units)
    keras_rule = run(weights, x, h0=h0, convention="keras")
    bahdanau_negated = run(negate_z(weights), x, h0=h0, convention="bahdanau")
    np.testing.assert_allclose(bahdanau_negated.sequence_output, keras_rule.sequence_output, atol=1e-12)
    assert not np.allclose(run(weights, x, h0=h0, convention="bahdanau").z, bahdanau_negated.z)


def test_huge_inputs_give_no_nan_and_no_warning():
    rng = np.random.default_rng(0)
    for reset_after in (True, False):
        weights = random_weights(rng, GRUConfig(units=3, input_dim=2, reset_after=reset_after))
        x = np.array([[1e4, -1e4], [-1e4, 1e4], [1e4, 1e4]])
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            trace = run(weights, x)
        for values in (trace.z, trace.r, trace.h_tilde, trace.h):
            assert np.all(np.isfinite(values))
        assert trace.overflow_step is None


def test_go_backwards_equals_running_on_the_flipped_sequence():
    rng = np.random.default_rng(1)
    weights = random_weights(rng, GRUConfig(units=4, input_dim=3))
    x = rng.normal(size=(9, 3))
    backwards = run(weights, x, go_backwards=True)
    np.testing.assert_array_equal(backwards.sequence_output, run(weights, x[::-1]).sequence_output)
    np.testing.assert_array_equal(backwards.order, np.arange(9)[::-1])


def test_overflow_is_reported_not_hidden():
    config = GRUConfig(units=2, input_dim=1, activation="linear", recurrent_activation="linear")
    weights = GRUWeights.create(config, np.full((1, 6), 50.0), np.full((2, 6), 50.0), np.zeros((2, 6)))
    trace = run(weights, np.ones((400, 1)))
    assert trace.overflow_step is not None and trace.overflow_step < 400
