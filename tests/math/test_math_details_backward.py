"""The backward pass in detail: the losses as written, the gradient each loss sends to the
outputs and how masked outputs route it, and every per-step gradient (∂z, ∂r, ∂h~, their
pre-activations, what a step passes back) against central differences of the hand loop in
test_math_details, nudging that one number of that one step."""

import json
import warnings

import numpy as np
import pytest

from conftest import random_weights
from gruviz import GRUConfig, GRUWeights, InputError, run
from gruviz.math.backward import LOSSES, backward, backward_json, get_loss, target_shape
from test_math_details import exploding, hand_run


def hand_loss(out: np.ndarray, loss: str, target) -> float:
    if loss == "sum":
        return float(out[-1].sum())
    if loss == "mse":
        return float(np.mean((out[-1] - target) ** 2))
    return float(np.mean((out - target) ** 2))


def test_the_losses_are_named_and_written_as_the_page_shows_them():
    assert list(LOSSES) == ["sum", "mse", "mse_all"]
    assert [(loss.name, loss.latex, loss.target) for loss in LOSSES.values()] == [
        ("sum", r"L = \sum_j h_{T,j}", "none"),
        ("mse", r"L = \tfrac{1}{H}\sum_j (h_{T,j} - y_j)^2", "vector"),
        ("mse_all", r"L = \tfrac{1}{TH}\sum_{t,j} (o_{t,j} - Y_{t,j})^2", "sequence"),
    ]
    assert [target_shape(loss, 3, 5) for loss in LOSSES.values()] == [None, (3,), (5, 3)]
    assert get_loss("mse") is LOSSES["mse"]
    with pytest.raises(InputError) as raised:
        get_loss("MSE")
    assert str(raised.value) == "loss 'MSE' is not supported; choose one of sum, mse, mse_all."


OUT = np.array([[0.5, -1.0], [2.0, 0.25], [-0.5, 1.5]])  # (T=3, H=2)


@pytest.mark.parametrize("loss, target, value, d_output", [
    ("sum", None, 1.0, [[0, 0], [0, 0], [1, 1]]),
    # mse: (−0.5 − 0.5)² and (1.5 − 2)² over H=2; ∂ = 2·diff/H on the last row only
    ("mse", [0.5, 2.0], (1.0 + 0.25) / 2, [[0, 0], [0, 0], [-1.0, -0.5]]),
    # mse_all: every output against Y = 0, over T·H = 6; ∂ = 2·out/6
    ("mse_all", np.zeros((3, 2)), (0.25 + 1 + 4 + 0.0625 + 0.25 + 2.25) / 6, OUT / 3),
])
def test_each_loss_and_its_gradient_by_hand(loss, target, value, d_output):
    got, d_out = LOSSES[loss].fn(OUT, None if target is None else np.array(target))
    assert got == pytest.approx(value, abs=1e-15)
    np.testing.assert_allclose(d_out, d_output, rtol=0, atol=1e-15)


# activation, recurrent_activation, reset_after, use_bias, convention, mask, go_backwards, loss
SMOOTH_CASES = [
    ("tanh", "sigmoid", True, True, "keras", [0, 1, 0, 1, 1, 0], False, "mse_all"),
    ("softsign", "sigmoid", False, True, "bahdanau", [1, 1, 0, 0, 1, 1], True, "mse"),
    ("linear", "tanh", True, False, "bahdanau", None, True, "sum"),
    ("tanh", "softsign", False, False, "keras", [0, 0, 1, 0, 0, 1], False, "mse_all"),
]


def smooth_case(i):
    act, gate, reset_after, use_bias, convention, mask, go_backwards, loss = SMOOTH_CASES[i]
    rng = np.random.default_rng(500 + i)
    config = GRUConfig(units=3, input_dim=2, reset_after=reset_after, use_bias=use_bias, activation=act,
                       recurrent_activation=gate)
    w = random_weights(rng, config, scale=0.7)
    x, h0 = rng.normal(0, 1, (6, 2)), rng.normal(0, 0.6, 3)
    target = {"sum": None, "mse": rng.normal(0, 1, 3), "mse_all": rng.normal(0, 1, (6, 3))}[loss]
    return dict(w=w, x=x, h0=h0, mask=mask, go_backwards=go_backwards, convention=convention), loss, target


def hand_routing(d_output, kept):
    """Each output's gradient goes to the state it shows: the last kept step's, or nowhere."""
    routed, last = np.zeros_like(d_output), -1
    for s, keep in enumerate(kept):
        last = s if keep else last
        if last >= 0:
            routed[last] += d_output[s]
    return routed


@pytest.mark.parametrize("i", range(len(SMOOTH_CASES)))
def test_every_step_gradient_matches_a_nudge_of_that_number(i):
    case, loss, target = smooth_case(i)
    hand = hand_run(**case)
    trace = run(case["w"], case["x"], case["h0"], case["convention"], case["go_backwards"], case["mask"])
    g = backward(trace, loss, target)
    assert g.loss_name == loss and g.loss == pytest.approx(hand_loss(hand["out"], loss, target), abs=1e-12)
    if target is None:
        assert g.target is None
    else:
        np.testing.assert_array_equal(g.target, target)

    # what the loss sends to each output, and where masked outputs route it
    T, H = hand["out"].shape
    d_output = np.zeros((T, H))
    if loss == "sum":
        d_output[-1] = 1.0
    elif loss == "mse":
        d_output[-1] = 2 * (hand["out"][-1] - target) / H
    else:
        d_output = 2 * (hand["out"] - target) / (T * H)
    np.testing.assert_allclose(g.d_output, d_output, atol=1e-13)
    np.testing.assert_allclose(g.from_output, hand_routing(d_output, hand["mask"]), atol=1e-13)

    eps = 1e-6
    for name, field in (("z", "dz"), ("r", "dr"), ("h_tilde", "dh_tilde"), ("z_pre", "dz_pre"),
                        ("r_pre", "dr_pre"), ("h_tilde_pre", "dh_tilde_pre"), ("h_prev", "dh_prev")):
        expected = np.zeros((T, H))
        for s in range(T):
            for j in range(H):
                delta = np.zeros(H)
                delta[j] = eps
                up = hand_loss(hand_run(**case, nudge=(name, s, delta))["out"], loss, target)
                down = hand_loss(hand_run(**case, nudge=(name, s, -delta))["out"], loss, target)
                expected[s, j] = (up - down) / (2 * eps)
        np.testing.assert_allclose(getattr(g, field), expected, rtol=1e-6, atol=1e-7,
                                   err_msg=f"{field}, case {i}")
    masked = ~hand["mask"]
    assert masked.any() or case["mask"] is None
    np.testing.assert_array_equal(g.dh_prev[masked], g.dh[masked])  # a masked step passes ∂h straight back
    np.testing.assert_array_equal(g.h0, g.dh_prev[0])
    assert g.finite and (g.bias is None) == (not case["w"].config.use_bias)


@pytest.mark.parametrize("steps, loss, target", [(3, "mse", [0.5]), (4, "mse_all", np.zeros((4, 1)))])
def test_an_exploding_run_gives_gradients_without_a_warning_and_says_they_are_not_finite(steps, loss, target):
    """h reaches 1e300 at step 2 (inf at step 3): squaring it overflows, inf − inf is invalid."""
    trace = run(exploding(), np.zeros((steps, 1)), h0=[1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = backward(trace, loss, target)
    assert not g.finite and not np.isfinite(g.dh).all()


def test_the_json_form_carries_the_hand_gradients():
    """One unit, one step, linear everything and h0 = 0: h = (1 − z)·h~ with z = a_z = x·W_z + b_z,
    h~ = a_h = x·W_h + b_h, so ∂h/∂x = −W_z·h~ + (1 − z)·W_h and the sum loss is h itself."""
    config = GRUConfig(1, 1, reset_after=False, activation="linear", recurrent_activation="linear")
    Wz, Wr, Wh, bz, bh = 0.5, 0.3, 2.0, 0.1, -0.4
    w = GRUWeights.create(config, [[Wz, Wr, Wh]], [[0.7, -0.2, 0.9]], [bz, 0.0, bh])
    x = 1.5
    z, h_tilde = x * Wz + bz, x * Wh + bh
    data = json.loads(json.dumps(backward_json(backward(run(w, [[x]])))))
    assert data["loss"] == pytest.approx((1 - z) * h_tilde, abs=1e-15)
    assert data["grads"]["x"] == [[pytest.approx(-Wz * h_tilde + (1 - z) * Wh, abs=1e-14)]]
    assert data["grads"]["kernel"] == [[pytest.approx(-h_tilde * x, abs=1e-14), 0.0,
                                        pytest.approx((1 - z) * x)]]
    assert data["grads"]["bias"] == [pytest.approx(-h_tilde, abs=1e-14), 0.0, pytest.approx(1 - z)]
    assert data["steps"] == [{"t": 0, "dh": [1.0], "dz_pre": [pytest.approx(-h_tilde)], "dr_pre": [0.0],
                              "dh_tilde_pre": [pytest.approx(1 - z)]}]
    # h0 = 0 feeds the step only through U and the carry:
    # ∂L/∂h0 = U_z·∂a_z + U_r·∂a_r + (r·U_h)·∂a_h + z, with r = a_r = x·W_r
    r = x * Wr
    assert data["grads"]["h0"] == [pytest.approx(0.7 * -h_tilde + r * 0.9 * (1 - z) + z, abs=1e-14)]
    assert data["grads"]["recurrent_kernel"] == [[0.0, 0.0, 0.0]]  # ∂U = h0ᵀ·∂a, and h0 = 0
    no_bias = backward_json(backward(run(w.with_config(use_bias=False), [[x]])))
    assert no_bias["grads"]["bias"] is None  # null, so the keys never change
    assert no_bias["loss"] == pytest.approx((1 - x * Wz) * x * Wh, abs=1e-15)
