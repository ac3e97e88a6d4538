"""The backward pass (BPTT) against tf.GradientTape through a real keras.layers.GRU,
central finite differences of the forward pass, and EpyNN's own backward pass."""

import itertools
import json
import re
from dataclasses import replace

import numpy as np
import pytest

from conftest import random_weights
from gruviz import GRUConfig, GRUWeights, InputError, run
from gruviz.math.activations import ACTIVATIONS
from gruviz.math.backward import backward, backward_json
from gruviz.io.parsing import parse_target
from gruviz.io.keras_bridge import keras_gradients

PAIRS = list(itertools.product(ACTIVATIONS, ACTIVATIONS))  # (activation, recurrent_activation)
LOSSES = ("sum", "mse", "mse_all")
SMOOTH = ("tanh", "sigmoid", "softsign", "linear")  # no kinks for finite differences to straddle


def loss_of(sequence_output: np.ndarray, loss: str, target) -> float:
    """The three losses, written here again so that no expected value comes from gruviz."""
    if loss == "sum":
        return float(sequence_output[-1].sum())
    if loss == "mse":
        return float(np.mean((sequence_output[-1] - target) ** 2))
    return float(np.mean((sequence_output - target) ** 2))


def random_target(rng, loss: str, steps: int, units: int):
    return {"sum": None, "mse": rng.normal(0, 1, units), "mse_all": rng.normal(0, 1, (steps, units))}[loss]


def sweep_case(i: int):
    """Case i of the Keras sweep: every activation pair once, options varied with i."""
    rng = np.random.default_rng(7000 + i)
    activation, recurrent_activation = PAIRS[i % len(PAIRS)]
    config = GRUConfig(units=int(rng.integers(1, 5)), input_dim=int(rng.integers(1, 4)), reset_after=bool(i % 2),
                       use_bias=i % 5 != 0, activation=activation, recurrent_activation=recurrent_activation)
    T = int(rng.integers(1, 9))
    loss = LOSSES[i % 3]
    return dict(
        weights=random_weights(rng, config), x=rng.normal(0, 1, (T, config.input_dim)),
        h0=rng.normal(0, 0.5, config.units) if i % 4 else None,
        go_backwards=bool((i // 2) % 2), mask=rng.random(T) < 0.7 if i % 3 != 1 else None,
        loss=loss, target=random_target(rng, loss, T, config.units),
    )


def ours(case: dict, convention: str = "keras"):
    trace = run(case["weights"], case["x"], case["h0"], convention, case["go_backwards"], case["mask"])
    return backward(trace, case["loss"], case["target"])


def keras(case: dict, dtype: str = "float64", **changes):
    case = {**case, **changes}
    return keras_gradients(case["weights"], case["x"], case["h0"], case["go_backwards"], case["mask"],
                           case["loss"], case["target"], dtype=dtype)


def assert_close(actual, expected, tol: float, what: str):
    """rtol=atol=tol, with atol scaled to the array: unbounded activations can reach 1e3."""
    expected = np.asarray(expected)
    scale = max(1.0, float(np.abs(expected).max(initial=0.0)))
    np.testing.assert_allclose(actual, expected, rtol=tol, atol=tol * scale, err_msg=what)


def assert_matches_keras(g, k, tol: float, what: str):
    assert abs(g.loss - k.loss) <= tol * max(1.0, abs(k.loss)), what
    for name in ("kernel", "recurrent_kernel", "x", "h0"):
        assert_close(getattr(g, name), getattr(k, name), tol, f"{name}: {what}")
    assert (g.bias is None) == (k.bias is None), what
    if k.bias is not None:
        assert g.bias.shape == k.bias.shape
        assert_close(g.bias, k.bias, tol, f"bias: {what}")


# ------------------------------------------------------------------ tf.GradientTape on keras.layers.GRU


@pytest.mark.parametrize("i", range(len(PAIRS)))
def test_gradients_match_float64_keras(i):
    case = sweep_case(i)
    assert_matches_keras(ours(case), keras(case), 1e-9, f"case {i}: {case['weights'].config}, {case['loss']}, "
                         f"go_backwards={case['go_backwards']}, mask={case['mask']}")


def test_sweep_covers_every_option():
    cases = [sweep_case(i) for i in range(len(PAIRS))]
    configs = [c["weights"].config for c in cases]
    assert {(c.activation, c.recurrent_activation) for c in configs} == set(PAIRS)
    for values in ({c.reset_after for c in configs}, {c.use_bias for c in configs},
                   {c["go_backwards"] for c in cases}, {c["mask"] is None for c in cases},
                   {c["h0"] is None for c in cases}):
        assert values == {True, False}
    assert {c["loss"] for c in cases} == set(LOSSES)
    assert any(c["mask"] is not None and not c["mask"].all() for c in cases)


@pytest.mark.parametrize("i", range(0, 24, 3))
def test_gradients_match_float32_keras(i):
    """The float32 layer a user actually has, at the tolerance of spec §5, on bounded gates."""
    case = sweep_case(i)
    config = replace(case["weights"].config, activation="tanh",
                     recurrent_activation=("sigmoid", "hard_sigmoid")[i % 2])
    w = case["weights"]
    case["weights"] = GRUWeights.create(config, w.kernel, w.recurrent_kernel, w.bias)
    assert_matches_keras(ours(case), keras(case, dtype="float32"), 1e-5, f"case {i}")


def with_step_features(weights: GRUWeights, x: np.ndarray):
    """Append one one-hot feature per input position, with zero kernel rows. The run is
    unchanged, and the gradient of kernel row D+i is ∂L/∂(x_i W) = [∂a_z, ∂a_r, ∂a_h] at
    the step that reads input i: Keras's own pre-activation gradients."""
    T, cfg = len(x), weights.config
    kernel = np.vstack([weights.kernel, np.zeros((T, 3 * cfg.units))])
    config = replace(cfg, input_dim=cfg.input_dim + T)
    return GRUWeights.create(config, kernel, weights.recurrent_kernel, weights.bias), np.hstack([x, np.eye(T)])


def pre_activation_gradients(g) -> np.ndarray:
    """Ours as (T, 3H) in the original input order, like the kernel rows above."""
    processing = np.concatenate([g.dz_pre, g.dr_pre, g.dh_tilde_pre], axis=1)
    original = np.empty_like(processing)
    original[g.trace.order] = processing
    return original


@pytest.mark.parametrize("i", range(1, len(PAIRS), 4))
def test_pre_activation_gradients_match_keras(i):
    case = sweep_case(i)
    D = case["weights"].config.input_dim
    g = ours(case)
    augmented, x = with_step_features(case["weights"], case["x"])
    k = keras(case, weights=augmented, x=x)
    assert_close(pre_activation_gradients(g), k.kernel[D:], 1e-9, f"case {i}")


def test_masked_outputs_send_their_gradient_to_the_last_kept_step():
    """Leading masked steps output a constant 0, trailing ones repeat the last kept output;
    an all-masked run touches nothing. Checked on hand-picked masks with mse_all."""
    rng = np.random.default_rng(3)
    weights = random_weights(rng, GRUConfig(units=3, input_dim=2, reset_after=False))
    for mask, go_backwards in (([0, 0, 1, 0, 1, 0, 0], False), ([0, 0, 1, 0, 1, 0, 0], True),
                               ([1, 0, 0, 0, 0, 0, 0], True), ([0] * 7, False), ([0, 1, 1, 0, 1, 1, 0], True)):
        case = dict(weights=weights, x=rng.normal(0, 1, (7, 2)), h0=rng.normal(0, 1, 3), mask=np.array(mask, bool),
                    go_backwards=go_backwards, loss="mse_all", target=rng.normal(0, 1, (7, 3)))
        g, k = ours(case), keras(case)
        assert_matches_keras(g, k, 1e-9, f"mask {mask} go_backwards={go_backwards}")
        augmented, x = with_step_features(weights, case["x"])
        assert_close(pre_activation_gradients(g), keras(case, weights=augmented, x=x).kernel[2:], 1e-9, str(mask))


# ------------------------------------------------------------------ central finite differences, float64


def central_difference(f, array: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    array = np.array(array, dtype=float)
    out = np.zeros_like(array)
    for i in np.ndindex(array.shape):
        up, down = array.copy(), array.copy()
        up[i] += eps
        down[i] -= eps
        out[i] = (f(up) - f(down)) / (2 * eps)
    return out


def fd_case(i: int):
    rng = np.random.default_rng(9000 + i)
    reset_after, convention, use_bias = bool(i % 2), ("keras", "bahdanau")[(i // 2) % 2], i % 5 != 4
    config = GRUConfig(units=int(rng.integers(1, 4)), input_dim=int(rng.integers(1, 3)), reset_after=reset_after,
                       use_bias=use_bias, activation=SMOOTH[i % 4], recurrent_activation=SMOOTH[(i // 4) % 4])
    T = int(rng.integers(2, 7))
    loss = LOSSES[i % 3]
    mask = rng.random(T) < 0.6 if i % 3 else None
    case = dict(weights=random_weights(rng, config), x=rng.normal(0, 1, (T, config.input_dim)),
                h0=rng.normal(0, 0.5, config.units), go_backwards=bool((i // 4) % 2), mask=mask,
                loss=loss, target=random_target(rng, loss, T, config.units))
    return case, convention


def run_loss(case: dict, convention: str, **changes) -> float:
    c = {**case, **changes}
    trace = run(c["weights"], c["x"], c["h0"], convention, c["go_backwards"], c["mask"])
    return loss_of(trace.sequence_output, c["loss"], c["target"])


@pytest.mark.parametrize("i", range(16))
def test_every_gradient_matches_finite_differences(i):
    case, convention = fd_case(i)
    w = case["weights"]
    cfg = w.config
    g = ours(case, convention)
    assert abs(g.loss - run_loss(case, convention)) < 1e-12

    def with_arrays(kernel=w.kernel, recurrent=w.recurrent_kernel, bias=w.bias):
        return GRUWeights.create(cfg, kernel, recurrent, bias)

    expected = {
        "kernel": central_difference(lambda a: run_loss(case, convention, weights=with_arrays(kernel=a)), w.kernel),
        "recurrent_kernel": central_difference(
            lambda a: run_loss(case, convention, weights=with_arrays(recurrent=a)), w.recurrent_kernel),
        "x": central_difference(lambda a: run_loss(case, convention, x=a), case["x"]),
        "h0": central_difference(lambda a: run_loss(case, convention, h0=a), case["h0"]),
    }
    if cfg.use_bias:
        expected["bias"] = central_difference(
            lambda a: run_loss(case, convention, weights=with_arrays(bias=a)), w.bias)
    else:
        assert g.bias is None
    for name, value in expected.items():
        assert_close(getattr(g, name), value, 1e-6, f"{name}, case {i}, {convention}, {cfg}")


def loss_with_nudged_state(case: dict, convention: str, t: int, delta: np.ndarray) -> float:
    """L when the state after step t (processing order) moves by delta wherever it is
    used: by step t+1 and, if step t is kept, by every output that shows it. At a
    masked step the state is a carried copy; the repeated output belongs to the last
    kept step, so only the state moves."""
    order = slice(None, None, -1) if case["go_backwards"] else slice(None)
    x = case["x"][order]
    mask = (np.ones(len(x), bool) if case["mask"] is None else case["mask"])[order]
    head = run(case["weights"], x[: t + 1], case["h0"], convention, mask=mask[: t + 1])
    out = head.sequence_output.copy()
    if mask[t]:
        out[t] += delta
    if t + 1 < len(x):
        tail = run(case["weights"], x[t + 1:], head.h[-1] + delta, convention, mask=mask[t + 1:])
        tail_out = tail.sequence_output.copy()
        tail_out[np.cumsum(mask[t + 1:]) == 0] = out[t]  # Keras repeats the last output, not the tail's 0
        out = np.vstack([out, tail_out])
    return loss_of(out, case["loss"], case["target"])


@pytest.mark.parametrize("i", range(16))
def test_state_gradients_match_finite_differences(i):
    case, convention = fd_case(i)
    g = ours(case, convention)
    H = case["weights"].config.units
    expected = np.array([central_difference(lambda d: loss_with_nudged_state(case, convention, t, d), np.zeros(H))
                         for t in range(len(case["x"]))])
    assert_close(g.dh, expected, 1e-6, f"case {i}")


@pytest.mark.parametrize("i", range(8))
def test_bahdanau_pre_activation_gradients_match_finite_differences(i):
    """The one-hot trick of the Keras test, with finite differences instead of Keras."""
    case, _ = fd_case(i)
    augmented, x = with_step_features(case["weights"], case["x"])
    D, cfg = case["weights"].config.input_dim, augmented.config

    def nudged(rows):
        kernel = np.vstack([augmented.kernel[:D], rows])
        return run_loss(case, "bahdanau", weights=GRUWeights.create(cfg, kernel, augmented.recurrent_kernel,
                                                                     augmented.bias), x=x)

    expected = central_difference(nudged, augmented.kernel[D:])
    assert_close(pre_activation_gradients(ours(case, "bahdanau")), expected, 1e-6, f"case {i}")


# ------------------------------------------------------------------ EpyNN (reset_after=False)


EPYNN_ACTIVATIONS = {"tanh": "tanh", "sigmoid": "sigmoid", "linear": "identity", "relu": "relu"}


@pytest.mark.parametrize("i", range(8))
def test_matches_epynn_backward(i):
    """EpyNN's GRU is Keras's reset_after=False with h0 = 0, no mask, forwards. Its loss
    conventions differ, so it gets the same ∂L/∂output and we compare what comes back."""
    from epynn.commons import maths
    from epynn.gru.models import GRU

    rng = np.random.default_rng(11000 + i)
    activation = list(EPYNN_ACTIVATIONS)[i % 4]
    gate = ("sigmoid", "tanh")[(i // 4) % 2]
    H, D, T = int(rng.integers(1, 5)), int(rng.integers(1, 4)), int(rng.integers(1, 8))
    config = GRUConfig(units=H, input_dim=D, reset_after=False, activation=activation, recurrent_activation=gate)
    w = random_weights(rng, config, scale=0.5)
    x = rng.normal(0, 1, (T, D))
    loss = LOSSES[i % 3]
    target = random_target(rng, loss, T, H)

    layer = GRU(H, activate=getattr(maths, EPYNN_ACTIVATIONS[activation]),
                activate_update=getattr(maths, gate), activate_reset=getattr(maths, gate), sequences=True)
    for g_, block in zip("z r hh".split(), (slice(0, H), slice(H, 2 * H), slice(2 * H, 3 * H))):
        layer.p["U" + g_] = np.array(w.kernel[:, block])
        layer.p["V" + g_] = np.array(w.recurrent_kernel[:, block])
        layer.p["b" + g_] = np.array(w.bias[block])[None]
    A = layer.forward(x[None])[0]  # (T, H)
    d_out = np.zeros((T, H))  # ∂L/∂output, from EpyNN's own output
    if loss == "sum":
        d_out[-1] = 1.0
    elif loss == "mse":
        d_out[-1] = 2 * (A[-1] - target) / H
    else:
        d_out = 2 * (A - target) / (T * H)
    dX = layer.backward(d_out[None])[0]
    layer.compute_gradients()

    g = backward(run(w, x), loss, target)
    assert_close(A, g.trace.sequence_output, 1e-12, "forward")
    pairs = {"dh": layer.bc["dh_"][0], "dz_pre": layer.bc["dz_"][0], "dr_pre": layer.bc["dr_"][0],
             "dh_tilde_pre": layer.bc["dhh_"][0], "x": dX, "h0": layer.bc["dh"][0, 0]}
    for name, expected in pairs.items():
        assert_close(getattr(g, name), expected, 1e-10, f"{name}, case {i}")
    for g_, block in zip("z r hh".split(), (slice(0, H), slice(H, 2 * H), slice(2 * H, 3 * H))):
        assert_close(g.kernel[:, block], layer.g["dU" + g_], 1e-10, "dU" + g_)
        assert_close(g.recurrent_kernel[:, block], layer.g["dV" + g_], 1e-10, "dV" + g_)
        assert_close(g.bias[block], layer.g["db" + g_][0], 1e-10, "db" + g_)


# ------------------------------------------------------------------ edges: losses, targets, JSON


@pytest.fixture
def small_trace():
    rng = np.random.default_rng(5)
    return run(random_weights(rng, GRUConfig(units=2, input_dim=1)), rng.normal(0, 1, (4, 1)))


@pytest.mark.parametrize("loss, target, message", [
    ("cross_entropy", None, "loss 'cross_entropy' is not supported"),
    ("sum", [1.0, 2.0], "takes no target"),
    ("mse", None, "needs a target of shape (2,)"),
    ("mse", [1.0, 2.0, 3.0], "has shape (3,) but (2,) is needed"),
    ("mse_all", np.zeros((3, 2)), "has shape (3, 2) but (4, 2) is needed"),
    ("mse", [1.0, float("nan")], "finite"),
])
def test_bad_loss_or_target_is_an_input_error(small_trace, loss, target, message):
    with pytest.raises(InputError, match=re.escape(message)):
        backward(small_trace, loss, target)


def test_parse_target():
    assert parse_target("", "sum", 2, 4) is None
    np.testing.assert_array_equal(parse_target("", "mse", 2, 4), np.zeros(2))
    np.testing.assert_array_equal(parse_target(" ", "mse_all", 2, 4), np.zeros((4, 2)))
    np.testing.assert_array_equal(parse_target("0.5, -1", "mse", 2, 4), [0.5, -1])
    np.testing.assert_array_equal(parse_target("1, 2, 9", "mse_all", 1, 3), [[1], [2], [9]])  # one unit: 3 steps
    np.testing.assert_array_equal(parse_target("1 2; 3 4", "mse_all", 2, 2), [[1, 2], [3, 4]])
    for text, loss, units, steps, message in [
        ("1", "sum", 2, 4, "the sum loss takes no target"),
        ("1, 2, 3", "mse", 2, 4, "3 values but 2 are needed"),
        ("1 2; 3 4", "mse_all", 2, 3, "the target has 2 timesteps but the sequence has 3"),
        ("1 2 3; 4 5 6", "mse_all", 2, 2, "the GRU has units=2"),
        ("1", "hinge", 2, 2, "not supported"),
    ]:
        with pytest.raises(InputError, match=re.escape(message)):
            parse_target(text, loss, units, steps)


def test_json_form(small_trace):
    g = backward(small_trace, "mse_all", np.ones((4, 2)))
    data = json.loads(json.dumps(backward_json(g)))
    assert set(data) == {"loss", "grads", "steps"}
    assert set(data["grads"]) == {"kernel", "recurrent_kernel", "bias", "x", "h0"}
    assert np.shape(data["grads"]["kernel"]) == (1, 6) and np.shape(data["grads"]["bias"]) == (2, 6)
    assert np.shape(data["grads"]["x"]) == (4, 1) and np.shape(data["grads"]["h0"]) == (2,)
    assert [s["t"] for s in data["steps"]] == [0, 1, 2, 3]
    assert set(data["steps"][0]) == {"t", "dh", "dz_pre", "dr_pre", "dh_tilde_pre"}
    assert data["steps"][2]["dr_pre"] == g.dr_pre[2].tolist() and data["loss"] == g.loss
    no_bias = small_trace.weights.with_config(use_bias=False)
    assert backward_json(backward(run(no_bias, small_trace.x)))["grads"]["bias"] is None


# ------------------------------------------------------------------ what the page shows


def _numbers(latex: str) -> list[float]:
    """The numbers of a LaTeX line as gruviz writes them (1.2\\times10^{-5} included)."""
    latex = re.sub(r"([-\d.]+)\\times10\^\{(-?\d+)\}", r"\1e\2", latex)
    return [float(v) for v in re.findall(r"(?<![_{a-z])-?\d+(?:\.\d+)?(?:e-?\d+)?", latex)]


@pytest.mark.parametrize("reset_after, convention", [(True, "keras"), (False, "bahdanau")])
def test_step_equations_add_up_to_the_stored_gradients(reset_after, convention):
    """Each line ends in the stored value, and the terms it shows produce that value."""
    from gruviz.explain.equations_backward import step_lines

    rng = np.random.default_rng(21)
    w = random_weights(rng, GRUConfig(units=3, input_dim=2, reset_after=reset_after))
    g = backward(run(w, rng.normal(0, 1, (5, 2)), convention=convention, mask=[1, 1, 0, 1, 1]), "mse_all",
                 rng.normal(0, 1, (5, 3)))
    lines = step_lines(g, 3, 1)
    finals = [_numbers(line.latex.split(" = ")[-1])[0] for line in lines]
    stored = [g.dh[3, 1], g.dh_tilde[3, 1], g.dz[3, 1], g.dh_tilde_pre[3, 1], g.dr[3, 1], g.dr_pre[3, 1],
              g.dz_pre[3, 1], g.dh_prev[3, 1]]
    np.testing.assert_allclose(finals, stored, rtol=1e-3)
    numbers_row = lines[-1].latex.removesuffix("\\end{aligned}").split("&= ")[-1]  # the row with numbers
    passed_back = _numbers(numbers_row.split(" = ")[-2])
    assert len(passed_back) == 4 and abs(sum(passed_back) - g.dh_prev[3, 1]) < 2e-3 * max(1, abs(g.dh_prev[3, 1]))
    masked = step_lines(g, 2, 0)
    assert "masked" in masked[-1].label and _numbers(masked[-1].latex.split(" = ")[-1])[0] == pytest.approx(
        g.dh[2, 0], rel=1e-3)


def test_figures_carry_the_gradients():
    from gruviz.explain.figures_backward import gradient_norms, parameter_gradients

    rng = np.random.default_rng(4)
    w = random_weights(rng, GRUConfig(units=2, input_dim=3))
    g = backward(run(w, rng.normal(0, 1, (6, 3)), mask=[1, 1, 1, 1, 1, 0]))  # sum loss: the last state gets 0
    fig = gradient_norms(g, selected=2)
    assert fig.layout.yaxis.type == "log"
    norms = np.linalg.norm(g.dh, axis=1)
    assert fig.data[0].y[-1] is None and np.allclose(fig.data[0].y[:-1], norms[:-1])
    assert {(s.x0, s.x1) for s in fig.layout.shapes} == {(2.5, 3.5)}
    assert list(fig.data[1].x) == [6]  # the masked step is marked
    blocks = parameter_gradients(g)
    np.testing.assert_allclose(np.array(blocks.data[0].z), g.kernel)
    np.testing.assert_allclose(np.array(blocks.data[1].z), g.recurrent_kernel)
    np.testing.assert_allclose(np.array(blocks.data[2].z), g.bias)
    assert len(blocks.layout.shapes) == 6  # the z | r | h boundaries of three arrays


def _backward_page():
    import numpy as np

    from gruviz import GRUConfig, GRUWeights
    from gruviz.explain.mistakes import Setup
    from gruviz.ui.views import backward_view

    rng = np.random.default_rng(0)
    config = GRUConfig(units=4, input_dim=2)
    weights = GRUWeights.create(config, rng.normal(0, 0.6, (2, 12)), rng.normal(0, 0.6, (4, 12)),
                                rng.normal(0, 0.6, (2, 12)))
    backward_view.render(Setup(weights, rng.normal(0, 1, (10, 2))))


def test_backward_view_keeps_working_with_a_bad_target():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_backward_page, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    assert len(at.get("plotly_chart")) == 2
    at.radio(key="bw_loss").set_value("mse").run()
    at.text_input(key="bw_target_mse").input("1, 2").run()  # H=4 needs four values
    assert not at.exception and "2 values but 4 are needed" in at.error[0].value
    assert any("(h_{T,j} - y_j)" in latex.value for latex in at.latex)
    before = [latex.value for latex in at.latex]
    at.slider(key="bw_scale").set_value(3.0).run()
    assert not at.exception and [latex.value for latex in at.latex] != before
    at.slider(key="bw_step").set_value(2).run()
    assert not at.exception and any("\\delta h_{1}" in latex.value for latex in at.latex)
