"""The core's details, value by value: each activation and its derivative (kinks included),
every number a trace records at every step and unit, and the config's limits and messages.
Expected values come from the definitions written out here, from TensorFlow's gradients,
or from the literal message text."""

import warnings

import numpy as np
import pytest

from conftest import random_weights
from gruviz import GRUConfig, GRUWeights, InputError, run
from gruviz.math.activations import ACTIVATIONS
from gruviz.math.trace import shown_steps


def _sigmoid(a):
    a = np.clip(a, -700, 700)
    return 1.0 / (1.0 + np.exp(-a))


# Each activation and its derivative, from its definition (Keras 3; legacy = Keras <= 2, tf.keras).
HAND = {
    "tanh": (np.tanh, lambda a: 1.0 / np.cosh(np.clip(a, -300, 300)) ** 2),
    "sigmoid": (_sigmoid, lambda a: _sigmoid(a) * _sigmoid(-a)),
    "hard_sigmoid": (lambda a: np.minimum(np.maximum(a / 6 + 0.5, 0), 1),
                     lambda a: np.where(abs(a) < 3, 1 / 6, 0)),
    "hard_sigmoid_legacy": (lambda a: np.minimum(np.maximum(0.2 * a + 0.5, 0), 1),
                            lambda a: np.where(abs(a) <= 2.5, 0.2, 0)),
    "linear": (lambda a: a, lambda a: np.ones_like(a)),
    "relu": (lambda a: np.maximum(a, 0), lambda a: np.where(a > 0, 1.0, 0.0)),
    "softsign": (lambda a: a / (1 + abs(a)), lambda a: 1 / (1 + abs(a)) ** 2),
}
GRID = np.array([-50.0, -7.0, -3.5, -2.9, -2.6, -2.4, -1.5, -0.5, -0.1, 0.0, 0.1, 0.5, 1.5, 2.4, 2.6, 2.9,
                 3.5, 7.0, 50.0])


@pytest.mark.parametrize("name, points, values", [
    ("hard_sigmoid", [-9, -4, -3, -1.5, 0, 1.5, 3, 4, 9], [0, 0, 0, 0.25, 0.5, 0.75, 1, 1, 1]),
    ("hard_sigmoid_legacy", [-9, -3, -2.5, -2, 0, 2, 2.5, 3, 9], [0, 0, 0, 0.1, 0.5, 0.9, 1, 1, 1]),
    ("relu", [-2, -0.5, 0, 0.5, 2], [0, 0, 0, 0.5, 2]),
    ("linear", [-2, 0, 0.5, 3], [-2, 0, 0.5, 3]),
    ("softsign", [-3, -1, 0, 1, 3], [-0.75, -0.5, 0, 0.5, 0.75]),
    ("sigmoid", [-np.log(3), 0, np.log(3)], [0.25, 0.5, 0.75]),
    ("tanh", [-np.log(3) / 2, 0, np.log(3) / 2], [-0.5, 0, 0.5]),
])
def test_activation_values_by_hand(name, points, values):
    act = ACTIVATIONS[name]
    np.testing.assert_allclose(act(np.array(points, float)), values, rtol=0, atol=1e-15)


@pytest.mark.parametrize("name, points, slopes", [
    ("hard_sigmoid", [-9, -3.5, -3, -2.9, 0, 2.9, 3, 3.5, 9], [0, 0, 0, 1 / 6, 1 / 6, 1 / 6, 0, 0, 0]),
    ("hard_sigmoid_legacy", [-9, -2.6, -2.5, -2.4, 0, 2.4, 2.5, 2.6, 9], [0, 0, 0.2, 0.2, 0.2, 0.2, 0.2, 0, 0]),
    ("relu", [-2, -0.1, 0, 0.1, 2], [0, 0, 0, 1, 1]),
    ("linear", [-5, 0, 5], [1, 1, 1]),
    ("softsign", [-3, -1, 0, 1, 3], [1 / 16, 0.25, 1, 0.25, 1 / 16]),
    ("sigmoid", [-np.log(3), 0, np.log(3)], [3 / 16, 0.25, 3 / 16]),
    ("tanh", [-np.log(3) / 2, 0, np.log(3) / 2], [0.75, 1, 0.75]),
])
def test_activation_derivatives_by_hand(name, points, slopes):
    np.testing.assert_allclose(ACTIVATIONS[name].grad(np.array(points, float)), slopes, rtol=0, atol=1e-15)


@pytest.mark.parametrize("name", list(HAND))
def test_every_activation_and_derivative_match_their_definition_on_a_grid(name):
    fn, grad = HAND[name]
    act = ACTIVATIONS[name]
    np.testing.assert_allclose(act(GRID), fn(GRID), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(act.grad(GRID), grad(GRID), rtol=1e-12, atol=1e-15)
    # away from kinks the derivative is the slope of the function itself
    smooth = GRID[(abs(abs(GRID) - 3) > 0.05) & (abs(abs(GRID) - 2.5) > 0.05) & (GRID != 0)]
    eps = 1e-6
    slope = (act(smooth + eps) - act(smooth - eps)) / (2 * eps)
    np.testing.assert_allclose(act.grad(smooth), slope, atol=1e-8)


def test_derivatives_at_the_kinks_are_tensorflows():
    """Keras 3's hard_sigmoid is relu6(x + 3)/6: TensorFlow gives slope 0 exactly at ±3, and relu's
    slope at 0 is 0. The legacy hard sigmoid is a clip (tf.keras's and the Keras bridge's), which
    passes the gradient at its bounds: slope 0.2 exactly at ±2.5."""
    import tensorflow as tf
    import keras

    points = np.array([-3.0, -2.5, 0.0, 2.5, 3.0])
    legacy = lambda v: keras.ops.clip(0.2 * v + 0.5, 0.0, 1.0)  # noqa: E731
    for name, f in (("hard_sigmoid", keras.activations.hard_sigmoid), ("relu", keras.activations.relu),
                    ("hard_sigmoid_legacy", legacy)):
        x = tf.constant(points)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = f(x)
        np.testing.assert_allclose(ACTIVATIONS[name].grad(points), np.asarray(tape.gradient(y, x)), atol=1e-7)
        np.testing.assert_allclose(ACTIVATIONS[name](points), np.asarray(y), atol=1e-7)


@pytest.mark.parametrize("name, latex, bounds", [
    ("tanh", r"\tanh(a_t)", (-1.0, 1.0)),
    ("sigmoid", r"\sigma(a_t)", (0.0, 1.0)),
    ("hard_sigmoid", r"\mathrm{clip}\left(\tfrac{a_t}{6}+\tfrac12,\,0,\,1\right)", (0.0, 1.0)),
    ("hard_sigmoid_legacy", r"\mathrm{clip}\left(0.2\,(a_t)+0.5,\,0,\,1\right)", (0.0, 1.0)),
    ("linear", "a_t", None),
    ("relu", r"\max(0,a_t)", None),
    ("softsign", r"\mathrm{softsign}(a_t)", (-1.0, 1.0)),
])
def test_each_activation_writes_itself_and_states_its_range(name, latex, bounds):
    act = ACTIVATIONS[name]
    assert act.name == name and act.write("a_t") == latex and act.bounds == bounds
    if bounds:  # the stated range is where the function lives, and it reaches both ends
        values = act(np.linspace(-60, 60, 2001))
        assert values.min() >= bounds[0] and values.max() <= bounds[1]
        assert values.min() - bounds[0] < 0.05 and bounds[1] - values.max() < 0.05


# ----------------------------------------------------------------------------- config and weights


@pytest.mark.parametrize("name", ["units", "input_dim"])
def test_the_core_caps_allow_1024_and_refuse_1025(name):
    other = "input_dim" if name == "units" else "units"
    assert getattr(GRUConfig(**{name: 1024, other: 1}), name) == 1024
    assert getattr(GRUConfig(**{name: np.int64(3), other: 1}), name) == 3
    with pytest.raises(InputError) as raised:
        GRUConfig(**{name: 1025, other: 1})
    assert str(raised.value) == (f"{name}=1025 is more than gruviz handles (at most 1024); "
                                 "use a smaller layer.")
    with pytest.raises(InputError) as raised:
        GRUConfig(**{name: -2, other: 1})
    assert str(raised.value) == f"{name} must be a whole number of at least 1, got -2."


def test_config_names_its_activations_and_bias_shape():
    config = GRUConfig(2, 1, reset_after=np.bool_(False), activation="relu",
                       recurrent_activation="hard_sigmoid")
    assert config.phi is ACTIVATIONS["relu"] and config.sigma is ACTIVATIONS["hard_sigmoid"]
    assert config.bias_shape == (6,)
    assert GRUConfig(4, 1).bias_shape == (2, 12)
    assert GRUConfig(4, 1, use_bias=np.bool_(False)).bias_shape is None
    defaults = GRUConfig(1, 1)  # Keras 3's defaults
    assert (defaults.reset_after, defaults.use_bias, defaults.activation, defaults.recurrent_activation) == (
        True, True, "tanh", "sigmoid")
    with pytest.raises(InputError) as raised:
        GRUConfig(1, 1, activation="Tanh")
    assert str(raised.value) == ("activation 'Tanh' is not supported; choose one of tanh, sigmoid, "
                                 "hard_sigmoid, hard_sigmoid_legacy, linear, relu, softsign.")


def test_every_weight_array_is_a_read_only_float64_copy():
    kernel, recurrent, bias = np.ones((1, 3), int), np.ones((1, 3)), np.arange(6.0).reshape(2, 3)
    w = GRUWeights.create(GRUConfig(1, 1), kernel, recurrent, bias)
    for array in (w.kernel, w.recurrent_kernel, w.bias, w.input_bias, w.recurrent_bias):
        assert array.dtype == np.float64 and not array.flags.writeable
    assert w.input_bias.tolist() == [0, 1, 2] and w.recurrent_bias.tolist() == [3, 4, 5]
    bias[0, 0] = 9.0  # the caller's array is not the weights' array
    assert w.bias[0, 0] == 0.0 and w.input_bias[0] == 0.0
    none = GRUWeights.create(GRUConfig(2, 1, use_bias=False), np.ones((1, 6)), np.ones((2, 6)))
    assert none.input_bias.tolist() == [0] * 6 and none.recurrent_bias.tolist() == [0] * 6
    assert [a.shape for a in none.keras_arrays()] == [(1, 6), (2, 6)]


@pytest.mark.parametrize("value, message", [
    ([[1.0, np.nan], [0.0, 0.0]], "x contains nan at index [0, 1]; every value must be a finite number."),
    ([[0.0, 0.0], [-np.inf, 0.0]], "x contains -inf at index [1, 0]; every value must be a finite number."),
    ([[1.0, "one"]], "x must contain only numbers."),
    ({"a": 1}, "x must contain only numbers."),
])
def test_arrays_name_the_first_bad_value(value, message):
    from gruviz.math.weights import as_finite_array

    with pytest.raises(InputError) as raised:
        as_finite_array("x", value)
    assert str(raised.value) == message
    with pytest.raises(InputError) as raised:
        as_finite_array("h0", [1.0, 2.0, 3.0], (2,))
    assert str(raised.value) == "h0 has shape (3,) but (2,) is needed."


# ----------------------------------------------------------------------------- the trace, step by step


def hand_run(w: GRUWeights, x, h0=None, mask=None, go_backwards=False, convention="keras", nudge=None):
    """Keras's GRU written out from spec §1, one step at a time, recording every number.
    Gates and candidate are computed at masked steps too (from the carried state).
    nudge=(name, step, delta) adds delta to one number of one step where it is computed."""
    cfg = w.config
    H, T = cfg.units, len(x)
    K, U = np.array(w.kernel), np.array(w.recurrent_kernel)
    bias = np.zeros((2, 3 * H)) if w.bias is None else np.array(w.bias)
    bx, bh = (bias[0], bias[1]) if bias.ndim == 2 else (bias, np.zeros(3 * H))
    phi, sigma = HAND[cfg.activation][0], HAND[cfg.recurrent_activation][0]
    order = list(range(T))[::-1] if go_backwards else list(range(T))
    kept = [True] * T if mask is None else [bool(mask[i]) for i in order]
    h = np.zeros(H) if h0 is None else np.array(h0, float)
    rec = {k: [] for k in "order x mask h_prev xW hU z_pre r_pre h_tilde_pre z r h_tilde h out".split()}
    shown = np.zeros(H)
    for s, (i, keep) in enumerate(zip(order, kept)):
        def at(name, value):
            return value + nudge[2] if nudge and nudge[:2] == (name, s) else value

        h = at("h_prev", h)
        xw, hu = x[i] @ K, h @ U
        a_z = at("z_pre", xw[:H] + bx[:H] + hu[:H] + bh[:H])
        a_r = at("r_pre", xw[H:2 * H] + bx[H:2 * H] + hu[H:2 * H] + bh[H:2 * H])
        z, r = at("z", sigma(a_z)), at("r", sigma(a_r))
        hu_h = hu[2 * H:] if cfg.reset_after else (r * h) @ U[:, 2 * H:]
        recurrent_part = r * (hu_h + bh[2 * H:]) if cfg.reset_after else hu_h
        a_h = at("h_tilde_pre", xw[2 * H:] + bx[2 * H:] + recurrent_part)
        h_tilde = at("h_tilde", phi(a_h))
        c = z if convention == "keras" else 1 - z
        values = dict(order=i, x=x[i], mask=keep, h_prev=h, xW=xw, hU=np.concatenate([hu[:2 * H], hu_h]),
                      z_pre=a_z, r_pre=a_r, h_tilde_pre=a_h, z=z, r=r, h_tilde=h_tilde)
        if keep:
            h = c * h + (1 - c) * h_tilde
            shown = h
        values.update(h=h, out=shown)
        for k, v in values.items():
            rec[k].append(v)
    return {k: np.array(v) for k, v in rec.items()}


CASES = [  # (activation, recurrent_activation, reset_after, use_bias, convention, mask, go_backwards, h0)
    ("tanh", "sigmoid", True, True, "keras", None, False, True),
    ("relu", "hard_sigmoid", False, True, "bahdanau", [1, 0, 1, 1, 0, 1], True, True),
    ("softsign", "hard_sigmoid_legacy", True, False, "keras", [0, 0, 1, 0, 1, 1], False, True),
    ("linear", "sigmoid", False, False, "keras", [1, 0, 0, 1, 1, 0], True, False),
    ("hard_sigmoid", "softsign", True, True, "bahdanau", [1, 1, 0, 0, 0, 1], False, True),
    ("sigmoid", "relu", False, True, "keras", [0, 1, 1, 1, 1, 0], False, True),
    ("hard_sigmoid_legacy", "tanh", True, True, "keras", [1, 0, 0, 0, 0, 0], True, True),
    ("tanh", "linear", False, True, "bahdanau", None, True, True),
]


def case_inputs(i):
    act, gate, reset_after, use_bias, convention, mask, go_backwards, has_h0 = CASES[i]
    rng = np.random.default_rng(300 + i)
    config = GRUConfig(units=3, input_dim=2, reset_after=reset_after, use_bias=use_bias, activation=act,
                       recurrent_activation=gate)
    scale = 0.4 if "linear" in (act, gate) or gate == "relu" else 2.0  # large enough to reach every clip
    w = random_weights(rng, config, scale=scale)
    h0 = rng.normal(0, 0.8, 3) if has_h0 else None
    return w, rng.normal(0, 1.5, (6, 2)), h0, mask, go_backwards, convention


@pytest.mark.parametrize("i", range(len(CASES)))
def test_every_recorded_number_matches_the_hand_loop(i):
    w, x, h0, mask, go_backwards, convention = case_inputs(i)
    hand = hand_run(w, x, h0, mask, go_backwards, convention)
    trace = run(w, x, h0, convention, go_backwards, mask)
    assert trace.steps == 6 and trace.go_backwards is go_backwards and trace.convention.value == convention
    assert trace.order.tolist() == hand["order"].tolist()
    assert trace.mask.dtype == bool and trace.mask.tolist() == hand["mask"].tolist()
    np.testing.assert_array_equal(trace.x, hand["x"])
    np.testing.assert_array_equal(trace.h0, np.zeros(3) if h0 is None else h0)
    for name in ("h_prev", "xW", "hU", "z_pre", "r_pre", "h_tilde_pre", "z", "r", "h_tilde", "h"):
        np.testing.assert_allclose(getattr(trace, name), hand[name], rtol=1e-12, atol=1e-12, err_msg=name)
    np.testing.assert_allclose(trace.sequence_output, hand["out"], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(trace.output, hand["out"][-1], rtol=1e-12, atol=1e-12)
    for name in ("xW", "hU"):
        for g, gate in enumerate("zrh"):
            np.testing.assert_array_equal(trace.part(name, gate), getattr(trace, name)[:, 3 * g:3 * g + 3])


def test_the_cases_reach_both_sides_of_every_clip():
    seen = set()
    for i in range(len(CASES)):
        w, x, h0, mask, go_backwards, convention = case_inputs(i)
        hand = hand_run(w, x, h0, mask, go_backwards, convention)
        cfg = w.config
        for name, pre in ((cfg.activation, hand["h_tilde_pre"]), (cfg.recurrent_activation, hand["z_pre"])):
            width = {"hard_sigmoid": 3, "hard_sigmoid_legacy": 2.5, "relu": 0}.get(name)
            if width is not None:
                seen |= {(name, "below", bool((pre < -width).any())),
                         (name, "above", bool((pre > width).any()))}
    assert {flag for *_, flag in seen} == {True}, seen


@pytest.mark.parametrize("i", [2, 5, 6])
def test_the_hand_loop_is_keras(i):
    """The reference loop above against a real keras.layers.GRU, masks, h0 and go_backwards included."""
    from gruviz.io.keras_bridge import run_keras

    w, x, h0, mask, go_backwards, convention = case_inputs(i)
    assert convention == "keras"
    keras = run_keras(w, x, h0, go_backwards, mask, dtype="float64")
    hand = hand_run(w, x, h0, mask, go_backwards)
    np.testing.assert_allclose(hand["out"], keras.sequence_output, atol=1e-10)


def test_shown_steps_point_at_the_last_kept_step():
    assert shown_steps(np.array([0, 0, 1, 0, 1, 1, 0], bool)).tolist() == [-1, -1, 2, 2, 4, 5, 5]
    assert shown_steps(np.array([1, 0, 0], bool)).tolist() == [0, 0, 0]
    assert shown_steps(np.zeros(2, bool)).tolist() == [-1, -1]


@pytest.mark.parametrize("x, h0, mask, message", [
    (np.ones((3, 2)), None, None,
     "the sequence has shape (3, 2) but (timesteps ≥ 1, input_dim=1) is needed."),
    (np.ones((0, 1)), None, None,
     "the sequence has shape (0, 1) but (timesteps ≥ 1, input_dim=1) is needed."),
    (np.ones(3), None, None, "the sequence has shape (3,) but (timesteps ≥ 1, input_dim=1) is needed."),
    (np.ones((3, 1)), [0.0], None, "h0 has shape (1,) but (2,) is needed."),
    (np.ones((3, 1)), None, [1, 0], "the mask has 2 entries but the sequence has 3 timesteps."),
    ([[1.0], [np.inf]], None, None, "sequence contains inf at index [1, 0]; every value must be a finite number."),
    ([[1.0], ["two"]], None, None, "sequence must contain only numbers."),
    (np.ones((3, 1)), [0.0, np.nan], None,
     "h0 contains nan at index [1]; every value must be a finite number."),
])
def test_run_refuses_bad_inputs_word_for_word(x, h0, mask, message):
    w = random_weights(np.random.default_rng(0), GRUConfig(2, 1))
    with pytest.raises(InputError) as raised:
        run(w, x, h0, mask=mask)
    assert str(raised.value) == message


def test_a_column_mask_is_read_as_one_entry_per_step():
    w = random_weights(np.random.default_rng(1), GRUConfig(2, 1))
    x = np.array([[0.5], [-1.0], [2.0]])
    trace = run(w, x, mask=[[1], [0], [1]])
    assert trace.mask.tolist() == [True, False, True]
    np.testing.assert_allclose(trace.h, hand_run(w, x, mask=[1, 0, 1])["h"], atol=1e-13)


def exploding():
    """units=1, linear gates: z = 0 and r = 1 from the biases, so h_t = h~_t = 1e100·h_{t-1}:
    1e100, 1e200, 1e300, then past float64's 1.8e308 at step 3."""
    config = GRUConfig(1, 1, activation="linear", recurrent_activation="linear")
    bias = [[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]
    return GRUWeights.create(config, [[0.0, 0.0, 0.0]], [[0.0, 0.0, 1e100]], bias)


def test_an_exploding_run_names_its_first_bad_step_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trace = run(exploding(), np.zeros((6, 1)), h0=[1.0])
    np.testing.assert_allclose(trace.h[:3, 0], [1e100, 1e200, 1e300], rtol=1e-12)
    assert not np.isfinite(trace.h[3:]).any()
    assert trace.overflow_step == 3
    assert run(exploding(), np.zeros((3, 1)), h0=[1.0]).overflow_step is None


@pytest.mark.parametrize("bias, message", [
    ([[np.nan, 0, 0], [0, 0, 0]], "bias contains nan at index [0, 0]; every value must be a finite number."),
    ([[0, 0, 0], [0, -np.inf, 0]], "bias contains -inf at index [1, 1]; every value must be a finite number."),
    ([["a", 0, 0], [0, 0, 0]], "bias must contain only numbers."),
])
def test_a_bias_that_is_not_finite_numbers_is_named_in_the_refusal(bias, message):
    with pytest.raises(InputError) as refused:
        GRUWeights.create(GRUConfig(units=1, input_dim=1), [[1, 2, 3]], [[1, 2, 3]], bias)
    assert str(refused.value) == message
