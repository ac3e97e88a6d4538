"""Every number an LSTM run records, step by step (each gate's pre-activation and value, c, h,
what Keras shows), against equations (1)–(6) written out again here for every activation pair and
against a real torch.nn.LSTMCell; every gradient the backward pass records, step by step, against
torch autograd (float64); the weights' and inputs' messages word for word; the parameter counts by
their hand formulas. No expected value comes from gruviz itself."""

import itertools
import warnings

import numpy as np
import pytest

from gruviz.errors import InputError
from gruviz.math import lstm_backward, lstm_cell, params
from gruviz.math.activations import ACTIVATIONS
from gruviz.math.lstm_backward import backward
from gruviz.math.lstm_trace import run, trace_json
from gruviz.math.lstm_weights import LSTMConfig, LSTMWeights, from_layer, gate_columns

HAND = {  # the activations as Keras 3 defines them, written out again
    "tanh": np.tanh,
    "sigmoid": lambda a: 1.0 / (1.0 + np.exp(-a)),
    "hard_sigmoid": lambda a: np.clip(a / 6.0 + 0.5, 0.0, 1.0),
    "hard_sigmoid_legacy": lambda a: np.clip(0.2 * a + 0.5, 0.0, 1.0),
    "linear": lambda a: a,
    "relu": lambda a: np.maximum(a, 0.0),
    "softsign": lambda a: a / (1.0 + np.abs(a)),
}
PAIRS = list(itertools.product(HAND, HAND))  # (activation, recurrent_activation)
GATE_NAMES = ("i", "f", "c_tilde", "o")


def weights_for(rng, H, D, use_bias=True, activation="tanh", recurrent="sigmoid", scale=0.5):
    config = LSTMConfig(H, D, use_bias, activation, recurrent)
    bias = rng.normal(0, scale, 4 * H) if use_bias else None
    kernel, recurrent = rng.normal(0, scale, (D, 4 * H)), rng.normal(0, scale, (H, 4 * H))
    return LSTMWeights.create(config, kernel, recurrent, bias)


def by_hand(kernel, recurrent, bias, x, h0, c0, mask, backwards, activation, recurrent_activation):
    """(1)–(6) one step at a time in processing order; a masked step carries h and c, and Keras
    shows the last kept h there (0 before any kept step)."""
    phi, sig = HAND[activation], HAND[recurrent_activation]
    H = len(h0)
    order = list(range(len(x)))[::-1] if backwards else list(range(len(x)))
    rows = {}
    h, c, shown = h0, c0, np.zeros(H)
    for t in order:
        xW, hU = x[t] @ kernel, h @ recurrent
        a = xW + bias + hU
        pre = dict(i_pre=a[:H], f_pre=a[H:2 * H], c_tilde_pre=a[2 * H:3 * H], o_pre=a[3 * H:])
        gate = dict(i=sig(a[:H]), f=sig(a[H:2 * H]), c_tilde=phi(a[2 * H:3 * H]), o=sig(a[3 * H:]))
        step = dict(order=t, x=x[t], mask=bool(mask[t]), xW=xW, hU=hU, h_prev=h, c_prev=c, **pre, **gate)
        if mask[t]:
            c = gate["f"] * c + gate["i"] * gate["c_tilde"]
            h = gate["o"] * phi(c)
            shown = h
        step.update(c=c, h=h, sequence_output=shown)
        for k, v in step.items():
            rows.setdefault(k, []).append(v)
    return {k: np.array(v) for k, v in rows.items()}


def scenario(k: int):
    """Case k: an activation pair, a mask (some with leading masked steps), either direction."""
    rng = np.random.default_rng(700 + k)
    activation, recurrent = PAIRS[k % len(PAIRS)]
    H, D, T = 1 + k % 3, 1 + k % 2, 3 + k % 4
    w = weights_for(rng, H, D, k % 5 != 4, activation, recurrent)
    mask = [np.ones(T, bool), rng.random(T) < 0.6, np.r_[False, np.ones(T - 1, bool)]][k % 3]
    return w, rng.normal(size=(T, D)), rng.normal(0, 0.5, H), rng.normal(0, 0.5, H), mask, bool(k % 2)


def test_the_hand_table_covers_every_activation_gruviz_offers():
    assert set(HAND) == set(ACTIVATIONS)


@pytest.mark.parametrize("k", range(len(PAIRS)))
def test_every_recorded_number_of_every_step_matches_the_equations_written_out(k):
    w, x, h0, c0, mask, backwards = scenario(k)
    cfg = w.config
    bias = np.zeros(4 * cfg.units) if w.bias is None else w.bias  # no bias: nothing added
    expected = by_hand(w.kernel, w.recurrent_kernel, bias, x, h0, c0, mask, backwards,
                       cfg.activation, cfg.recurrent_activation)
    t = run(w, x, h0, c0, backwards, mask)
    assert t.steps == len(x) and t.go_backwards is backwards and t.weights is w
    np.testing.assert_array_equal(t.order, expected["order"])
    np.testing.assert_array_equal(t.mask, expected["mask"])
    np.testing.assert_array_equal(t.h0, h0)
    np.testing.assert_array_equal(t.c0, c0)
    for name in ("x", "xW", "hU", "i_pre", "f_pre", "c_tilde_pre", "o_pre", *GATE_NAMES, "c", "h",
                 "sequence_output", "c_prev", "h_prev"):
        np.testing.assert_allclose(getattr(t, name), expected[name], rtol=1e-12, atol=1e-13, err_msg=name)
    np.testing.assert_allclose(t.output, expected["sequence_output"][-1], rtol=1e-12, atol=1e-13)
    H = cfg.units
    for block, gate in enumerate("ifco"):
        for name in ("xW", "hU"):
            columns = expected[name][:, block * H:(block + 1) * H]
            np.testing.assert_allclose(t.part(name, gate), columns, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("units,input_dim,steps,backwards",
                         [(1, 1, 3, False), (3, 2, 6, True), (2, 4, 5, False)])
def test_each_step_h_and_c_equal_torch_lstm_cell_with_masked_steps_carrying_both(units, input_dim, steps,
                                                                                backwards):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(units * 7 + steps)
    w = weights_for(rng, units, input_dim, scale=0.8)
    x, h0, c0 = rng.normal(size=(steps, input_dim)), rng.normal(size=units), rng.normal(size=units)
    mask = np.r_[False, rng.random(steps - 1) < 0.7]
    cell = torch.nn.LSTMCell(input_dim, units).double()
    with torch.no_grad():  # torch's gate order i | f | g | o is Keras's i | f | c | o; weights transposed
        cell.weight_ih.copy_(torch.tensor(w.kernel.T))
        cell.weight_hh.copy_(torch.tensor(w.recurrent_kernel.T))
        cell.bias_ih.copy_(torch.tensor(w.bias))
        cell.bias_hh.zero_()
        h, c, hs, cs = torch.tensor(h0)[None], torch.tensor(c0)[None], [], []
        for step in (range(steps)[::-1] if backwards else range(steps)):
            if mask[step]:
                h, c = cell(torch.tensor(x[step])[None], (h, c))
            hs.append(h[0].numpy().copy())
            cs.append(c[0].numpy().copy())
    t = run(w, x, h0, c0, backwards, mask)
    np.testing.assert_allclose(t.h, np.array(hs), rtol=0, atol=1e-13)
    np.testing.assert_allclose(t.c, np.array(cs), rtol=0, atol=1e-13)


def test_without_c0_and_h0_both_states_start_at_zero():
    rng = np.random.default_rng(3)
    w = weights_for(rng, 2, 1)
    x = rng.normal(size=(3, 1))
    expected = by_hand(w.kernel, w.recurrent_kernel, w.bias, x, np.zeros(2), np.zeros(2), np.ones(3), False,
                       "tanh", "sigmoid")
    t = run(w, x)
    np.testing.assert_array_equal(t.c0, [0.0, 0.0])
    np.testing.assert_array_equal(t.h0, [0.0, 0.0])
    np.testing.assert_allclose(t.c, expected["c"], rtol=1e-12)
    np.testing.assert_allclose(t.h, expected["h"], rtol=1e-12)


def test_cell_equations_one_by_one_on_hand_numbers():
    tanh, sigmoid, relu = ACTIVATIONS["tanh"], ACTIVATIONS["sigmoid"], ACTIVATIONS["relu"]
    a = np.array([-2.0, 0.0, 3.0])
    for gate in (lstm_cell.i, lstm_cell.f, lstm_cell.o):
        np.testing.assert_allclose(gate(a, sigmoid), 1 / (1 + np.exp(-a)), rtol=1e-15)
    np.testing.assert_array_equal(lstm_cell.c_tilde(a, relu), [0.0, 0.0, 3.0])
    # (5) c = f ⊙ c_prev + i ⊙ c~ : 0.5·2 + 0.25·4 = 2, 0.1·(-10) + 1·3 = 2
    f, c_prev = np.array([0.5, 0.1]), np.array([2.0, -10.0])
    i, c_tilde = np.array([0.25, 1.0]), np.array([4.0, 3.0])
    np.testing.assert_allclose(lstm_cell.c(f, c_prev, i, c_tilde), [2.0, 2.0], rtol=1e-15)
    # (6) h = o ⊙ φ(c)
    np.testing.assert_allclose(lstm_cell.h(np.array([0.5, 2.0]), np.array([1.0, -0.5]), tanh),
                               [0.5 * np.tanh(1.0), 2.0 * np.tanh(-0.5)], rtol=1e-15)


def test_backward_rules_one_by_one_on_hand_numbers():
    tanh = ACTIVATIONS["tanh"]
    dh, o, c = np.array([2.0, -3.0]), np.array([0.5, 0.25]), np.array([0.3, -1.2])
    do, dc = lstm_backward.h_backward(dh, o, c, tanh)
    np.testing.assert_allclose(do, [2.0 * np.tanh(0.3), -3.0 * np.tanh(-1.2)], rtol=1e-15)
    dtanh = lambda v: 1 - np.tanh(v) ** 2  # noqa: E731
    np.testing.assert_allclose(dc, [2.0 * 0.5 * dtanh(0.3), -3.0 * 0.25 * dtanh(-1.2)], rtol=1e-14)
    # (5←) with ∂c = 2: ∂i = 2·c~, ∂f = 2·c_prev, ∂c~ = 2·i, ∂c_prev = 2·f
    dc, f, c_prev, i, c_tilde = (np.array([v]) for v in (2.0, 3.0, 5.0, 7.0, 11.0))
    di, df, dct, dcp = lstm_backward.c_backward(dc, f, c_prev, i, c_tilde)
    assert (di[0], df[0], dct[0], dcp[0]) == (22.0, 10.0, 14.0, 6.0)


# --------------------------------------------------------------------------- trace_json


def test_trace_json_lists_every_step_in_processing_order_with_its_numbers():
    rng = np.random.default_rng(11)
    w = weights_for(rng, 2, 1, activation="softsign", recurrent="hard_sigmoid")
    x, h0, c0 = [[1.0], [-2.0], [0.5]], [0.1, -0.2], [0.3, 0.4]
    expected = by_hand(w.kernel, w.recurrent_kernel, w.bias, np.array(x), np.array(h0), np.array(c0),
                       [False, True, True], True, "softsign", "hard_sigmoid")
    out = trace_json(run(w, x, h0, c0, go_backwards=True, mask=[0, 1, 1]))
    assert set(out) == {"cell", "config", "go_backwards", "h0", "c0", "steps", "output", "sequence_output"}
    assert out["cell"] == "lstm" and out["go_backwards"] is True
    assert out["config"] == {"units": 2, "input_dim": 1, "use_bias": True, "activation": "softsign",
                             "recurrent_activation": "hard_sigmoid"}
    assert out["h0"] == h0 and out["c0"] == c0
    assert [(s["t"], s["input_index"], s["masked"]) for s in out["steps"]] == [(0, 2, False), (1, 1, False),
                                                                              (2, 0, True)]
    names = ("x", "i_pre", "f_pre", "c_tilde_pre", "o_pre", "i", "f", "c_tilde", "o", "c", "h")
    for t, step in enumerate(out["steps"]):
        assert set(step) == {"t", "input_index", "masked", *names}
        for name in names:
            assert isinstance(step[name], list)
            np.testing.assert_allclose(step[name], expected[name][t], rtol=1e-12, err_msg=name)
    np.testing.assert_allclose(out["sequence_output"], expected["sequence_output"], rtol=1e-12)
    np.testing.assert_allclose(out["output"], expected["h"][1], rtol=1e-12)  # masked last step repeats step 1


# --------------------------------------------------------------------------- weights: layout and messages


def test_each_gate_reads_its_own_block_of_columns_i_f_c_o():
    H = 2
    kernel = np.arange(8.0)[None]  # (1, 8)
    recurrent = np.arange(16.0).reshape(2, 8) + 100
    w = LSTMWeights.create(LSTMConfig(H, 1), kernel, recurrent, np.arange(8.0) - 50)
    assert [w.W(g).tolist() for g in "ifco"] == [[[0, 1]], [[2, 3]], [[4, 5]], [[6, 7]]]
    assert w.U("c").tolist() == [[104, 105], [112, 113]]
    assert w.U("o").tolist() == [[106, 107], [114, 115]]
    assert [w.b(g).tolist() for g in "ifco"] == [[-50, -49], [-48, -47], [-46, -45], [-44, -43]]
    assert [gate_columns(g, 3) for g in "ifco"] == [slice(0, 3), slice(3, 6), slice(6, 9), slice(9, 12)]
    expected = [kernel.tolist(), recurrent.tolist(), (np.arange(8.0) - 50).tolist()]
    assert [a.tolist() for a in w.keras_arrays()] == expected


def test_without_a_bias_every_gate_adds_zero_and_keras_gets_two_arrays():
    w = LSTMWeights.create(LSTMConfig(2, 1, use_bias=False), np.ones((1, 8)), np.ones((2, 8)))
    assert w.bias is None
    assert w.input_bias.tolist() == [0.0] * 8
    assert [w.b(g).tolist() for g in "ifco"] == [[0.0, 0.0]] * 4
    assert [a.shape for a in w.keras_arrays()] == [(1, 8), (2, 8)]


def test_the_config_defaults_are_keras_lstm_defaults():
    cfg = LSTMConfig(3, 2)
    assert (cfg.use_bias, cfg.activation, cfg.recurrent_activation) == (True, "tanh", "sigmoid")
    assert cfg.phi is ACTIVATIONS["tanh"] and cfg.sigma is ACTIVATIONS["sigmoid"]
    assert cfg.bias_shape == (12,)
    assert LSTMConfig(3, 2, use_bias=False).bias_shape is None
    other = LSTMConfig(3, 2, activation="relu", recurrent_activation="hard_sigmoid")
    assert other.phi is ACTIVATIONS["relu"] and other.sigma is ACTIVATIONS["hard_sigmoid"]


@pytest.mark.parametrize("options,message", [
    (dict(units=0, input_dim=1), "units must be a whole number of at least 1, got 0."),
    (dict(units=2, input_dim=0), "input_dim must be a whole number of at least 1, got 0."),
    (dict(units=2, input_dim=1, use_bias="yes"), "use_bias must be true or false, got 'yes'."),
    (dict(units=2, input_dim=1, activation="gelu"),
     "activation 'gelu' is not supported; choose one of tanh, sigmoid, hard_sigmoid, hard_sigmoid_legacy, "
     "linear, relu, softsign."),
    (dict(units=2, input_dim=1, recurrent_activation="swish"),
     "recurrent_activation 'swish' is not supported; choose one of tanh, sigmoid, hard_sigmoid, "
     "hard_sigmoid_legacy, linear, relu, softsign."),
])
def test_a_bad_config_is_refused_with_the_gru_wording(options, message):
    with pytest.raises(InputError) as error:
        LSTMConfig(**options)
    assert str(error.value) == message


K, R, B = np.zeros((3, 8)), np.zeros((2, 8)), np.zeros(8)  # right shapes for input_dim=3, units=2
KERNEL_NEEDS = ("but input_dim=3, units=2 needs (3, 8): one row per input feature and 4·units columns "
                "(i | f | c | o).")
ONE_BIAS = "but units=2 needs (8,) — an LSTM has one bias of 4·units (i | f | c | o)"
TWO_ROWS = "; two rows look like PyTorch's bias_ih + bias_hh, which add up to it."


@pytest.mark.parametrize("kernel,recurrent,bias,use_bias,message", [
    (np.zeros((3, 6)), R, B, True, f"kernel has shape (3, 6) {KERNEL_NEEDS}"),
    (np.zeros((2, 8)), R, B, True, f"kernel has shape (2, 8) {KERNEL_NEEDS}"),
    (K, np.zeros((2, 6)), B, True, "recurrent_kernel has shape (2, 6) but units=2 needs (2, 8)."),
    (K, np.zeros((8, 2)), B, True, "recurrent_kernel has shape (8, 2) but units=2 needs (2, 8)."),
    (K, R, B, False, "a bias was given but use_bias=False; remove it or set use_bias=True."),
    (K, R, None, True, "use_bias=True needs a bias of shape (8,); none was given."),
    (K, R, np.zeros(6), True, f"bias has shape (6,) {ONE_BIAS}."),
    (K, R, np.zeros(2), True, f"bias has shape (2,) {ONE_BIAS}."),
    (K, R, np.zeros((3, 8)), True, f"bias has shape (3, 8) {ONE_BIAS}."),
    (K, R, np.zeros((8, 2)), True, f"bias has shape (8, 2) {ONE_BIAS}."),
    (K, R, np.zeros((2, 8)), True, f"bias has shape (2, 8) {ONE_BIAS}{TWO_ROWS}"),
    (K, R, np.zeros((2, 5)), True, f"bias has shape (2, 5) {ONE_BIAS}{TWO_ROWS}"),
    ([["a"] * 8] * 3, R, B, True, "kernel must contain only numbers."),
    (K, [["a"] * 8] * 2, B, True, "recurrent_kernel must contain only numbers."),
    (K, R, ["a"] * 8, True, "bias must contain only numbers."),
    (np.r_[np.zeros((1, 8)), [[np.nan] + [0] * 7], np.zeros((1, 8))], R, B, True,
     "kernel contains nan at index [1, 0]; every value must be a finite number."),
    (K, np.r_[np.zeros((1, 8)), [[0, 0, np.inf, 0, 0, 0, 0, 0]]], B, True,
     "recurrent_kernel contains inf at index [1, 2]; every value must be a finite number."),
    (K, R, np.r_[np.zeros(7), -np.inf], True,
     "bias contains -inf at index [7]; every value must be a finite number."),
])
def test_weights_that_do_not_fit_are_refused_word_for_word(kernel, recurrent, bias, use_bias, message):
    with pytest.raises(InputError) as error:
        LSTMWeights.create(LSTMConfig(2, 3, use_bias), kernel, recurrent, bias)
    assert str(error.value) == message


def test_good_weights_are_kept_as_given_in_float64():
    w = LSTMWeights.create(LSTMConfig(1, 1), [[1, 2, 3, 4]], [[5, 6, 7, 8]], [9, 10, 11, 12])
    assert w.kernel.dtype == np.float64
    assert (w.kernel.tolist(), w.recurrent_kernel.tolist(), w.bias.tolist()) == (
        [[1, 2, 3, 4]], [[5, 6, 7, 8]], [9, 10, 11, 12])


# --------------------------------------------------------------------------- Keras arrays and uploaded layers


def test_keras_arrays_give_units_input_dim_and_bias_by_their_shapes():
    w = LSTMWeights.from_keras_arrays([np.ones((2, 12)), np.ones((3, 12)), np.ones(12)])
    assert (w.config.units, w.config.input_dim, w.config.use_bias) == (3, 2, True)
    assert w.bias.tolist() == [1.0] * 12
    w = LSTMWeights.from_keras_arrays([np.ones((1, 4)), np.ones((1, 4))])
    assert (w.config.units, w.config.input_dim, w.config.use_bias, w.bias) == (1, 1, False, None)
    w = LSTMWeights.from_keras_arrays([np.ones((2, 12)), np.ones((3, 12))], activation="relu")
    assert (w.config.units, w.config.activation, w.config.recurrent_activation) == (3, "relu", "sigmoid")


@pytest.mark.parametrize("arrays,message", [
    ([], "a Keras LSTM has 2 arrays (no bias) or 3 (kernel, recurrent_kernel, bias); got 0."),
    ([np.ones((1, 4))], "a Keras LSTM has 2 arrays (no bias) or 3 (kernel, recurrent_kernel, bias); got 1."),
    ([np.ones((1, 4)), np.ones((1, 4)), np.ones(4), np.ones(4)],
     "a Keras LSTM has 2 arrays (no bias) or 3 (kernel, recurrent_kernel, bias); got 4."),
    ([np.ones(8), np.ones((2, 8))], "kernel has shape (8,); an LSTM kernel is (input_dim, 4·units)."),
    ([np.ones((1, 8, 1)), R], "kernel has shape (1, 8, 1); an LSTM kernel is (input_dim, 4·units)."),
    ([np.ones((1, 6)), np.ones((2, 6))], "kernel has shape (1, 6); an LSTM kernel is (input_dim, 4·units)."),
    ([np.ones((1, 9)), np.ones((2, 9))], "kernel has shape (1, 9); an LSTM kernel is (input_dim, 4·units)."),
    ([[["x"] * 4], np.ones((1, 4))], "kernel must contain only numbers."),
    ([np.ones((1, 8)), np.ones((3, 8))], "recurrent_kernel has shape (3, 8) but units=2 needs (2, 8)."),
])
def test_keras_arrays_that_are_not_an_lstm_are_refused_word_for_word(arrays, message):
    with pytest.raises(InputError) as error:
        LSTMWeights.from_keras_arrays(arrays)
    assert str(error.value) == message


def test_an_uploaded_layer_config_sets_every_option_it_names_and_ignores_the_rest():
    arrays = [np.ones((2, 12)), np.ones((3, 12))]
    w = from_layer(arrays, {"name": "lstm_3", "go_backwards": True, "units": 3, "use_bias": False,
                            "activation": "softsign", "recurrent_activation": "hard_sigmoid"})
    assert (w.config.units, w.config.input_dim, w.config.use_bias) == (3, 2, False)
    assert (w.config.activation, w.config.recurrent_activation) == ("softsign", "hard_sigmoid")
    assert from_layer(arrays, {}).config.recurrent_activation == "sigmoid"
    with pytest.raises(InputError) as error:  # the file says use_bias but stored no bias
        from_layer(arrays, {"use_bias": True})
    assert str(error.value) == "use_bias=True needs a bias of shape (12,); none was given."
    with pytest.raises(InputError) as error:
        from_layer(arrays, {"units": 6})
    assert str(error.value) == ("kernel has shape (2, 12) but input_dim=2, units=6 needs (2, 24): one row "
                                "per input feature and 4·units columns (i | f | c | o).")


def test_changing_the_config_keeps_the_arrays_and_turning_the_bias_on_starts_it_at_zero():
    rng = np.random.default_rng(4)
    w = weights_for(rng, 2, 3, use_bias=False)
    on = w.with_config(use_bias=True)
    assert on.config.use_bias is True and on.bias.tolist() == [0.0] * 8
    np.testing.assert_array_equal(on.kernel, w.kernel)
    np.testing.assert_array_equal(on.recurrent_kernel, w.recurrent_kernel)
    biased = weights_for(rng, 2, 3)
    relu = biased.with_config(activation="relu")
    assert relu.config == LSTMConfig(2, 3, True, "relu", "sigmoid")
    np.testing.assert_array_equal(relu.bias, biased.bias)
    off = biased.with_config(use_bias=False)
    assert off.bias is None and off.config.use_bias is False


@pytest.mark.parametrize("kwargs,message", [
    (dict(c0=[1.0, 2.0, 3.0]), "c0 has shape (3,) but (2,) is needed."),
    (dict(c0=[[1.0, 2.0]]), "c0 has shape (1, 2) but (2,) is needed."),
    (dict(c0=[0.0, np.nan]), "c0 contains nan at index [1]; every value must be a finite number."),
    (dict(c0=["a", "b"]), "c0 must contain only numbers."),
    (dict(h0=[1.0]), "h0 has shape (1,) but (2,) is needed."),
])
def test_bad_initial_states_are_refused_word_for_word(kwargs, message):
    w = weights_for(np.random.default_rng(0), 2, 1)
    with pytest.raises(InputError) as error:
        run(w, [[1.0], [2.0]], **kwargs)
    assert str(error.value) == message


# --------------------------------------------------------------------------- parameter counts


@pytest.mark.parametrize("units,input_dim", [(1, 1), (2, 3), (3, 2), (5, 7)])
def test_parameter_counts_follow_the_hand_formulas(units, input_dim):
    D, H = input_dim, units
    assert params.gru(units, input_dim) == 3 * (D * H + H * H + H) + 3 * H
    assert params.gru(units, input_dim, reset_after=False) == 3 * (D * H + H * H + H)
    assert params.gru(units, input_dim, use_bias=False) == 3 * (D * H + H * H)
    assert params.gru(units, input_dim, False, False) == 3 * (D * H + H * H)
    assert params.lstm(units, input_dim) == 4 * (D * H + H * H + H)
    assert params.lstm(units, input_dim, use_bias=False) == 4 * (D * H + H * H)
    counts = params.Counts.of(units, input_dim)
    assert counts.as_json() == {"gru_reset_after": 3 * (D * H + H * H + H) + 3 * H,
                                "gru_reset_before": 3 * (D * H + H * H + H), "lstm": 4 * (D * H + H * H + H)}
    assert params.Counts.of(units, input_dim, use_bias=False) == params.Counts(
        3 * (D * H + H * H), 3 * (D * H + H * H), 4 * (D * H + H * H))


def test_parameter_counts_of_the_seed_sized_layers_written_out():
    assert params.gru(1, 1) == 12  # 3·(1 + 1 + 1) + 3
    assert params.lstm(4, 3) == 128  # 4·(12 + 16 + 4)
    assert params.Counts.of(2, 3).as_json() == {"gru_reset_after": 42, "gru_reset_before": 36, "lstm": 48}


# --------------------------------------------------------------------------- backward, by torch autograd


def torch_activation(torch, name):
    return {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "linear": lambda a: a, "relu": torch.relu,
            "hard_sigmoid": lambda a: torch.clamp(a / 6.0 + 0.5, 0.0, 1.0),
            "hard_sigmoid_legacy": lambda a: torch.clamp(0.2 * a + 0.5, 0.0, 1.0),
            "softsign": lambda a: a / (1.0 + a.abs())}[name]


def torch_gradients(w, x, h0, c0, mask, backwards, loss, target):
    """(1)–(6) in torch ops, one step at a time, masked as Keras masks (a skipped step carries h and c,
    its output repeats the previous output); autograd gives ∂L/∂ every step's h, c, pre-activations and
    the states each step reads (h_{t-1}, c_{t-1}), and the leaves."""
    torch = pytest.importorskip("torch")
    cfg = w.config
    H, T = cfg.units, len(x)
    phi, sig = torch_activation(torch, cfg.activation), torch_activation(torch, cfg.recurrent_activation)
    leaf = lambda a: torch.tensor(np.asarray(a, float), requires_grad=True)  # noqa: E731
    W, U, X, h, c = leaf(w.kernel), leaf(w.recurrent_kernel), leaf(x), leaf(h0), leaf(c0)
    b = leaf(w.bias) if w.bias is not None else torch.zeros(4 * H, dtype=torch.float64)
    leaves, kept = (X, h, c, W, U, b), np.asarray(mask, bool)
    xs, ks = (X.flip(0), kept[::-1]) if backwards else (X, kept)
    watched = {k: [] for k in ("h_prev", "c_prev", "a", "h", "c")}
    outs = [torch.zeros(H, dtype=torch.float64)]
    for t in range(T):
        h_in, c_in = h * 1.0, c * 1.0
        a = xs[t] @ W + b + h_in @ U
        if ks[t]:
            c = sig(a[H:2 * H]) * c_in + sig(a[:H]) * phi(a[2 * H:3 * H])
            h = sig(a[3 * H:]) * phi(c)
        else:
            h, c = h_in * 1.0, c_in * 1.0
        for name, v in zip(watched, (h_in, c_in, a, h, c)):
            v.retain_grad()
            watched[name].append(v)
        outs.append(h if ks[t] else outs[-1])  # Keras: a masked step repeats the last output (0 before any)
    out = torch.stack(outs[1:])
    y = None if target is None else torch.tensor(target)
    L = {"sum": lambda: out[-1].sum(), "mse": lambda: ((out[-1] - y) ** 2).mean(),
         "mse_all": lambda: ((out - y) ** 2).mean()}[loss]()
    L.backward()
    grad = lambda v: np.zeros(tuple(v.shape)) if v.grad is None else v.grad.numpy()  # noqa: E731
    steps = {k: np.array([grad(v) for v in vs]) for k, vs in watched.items()}
    return L.item(), steps, [grad(v) for v in leaves]


BACKWARD_CASES = [  # activation, recurrent_activation, loss, mask, go_backwards, use_bias
    ("tanh", "sigmoid", "sum", [1, 1, 1, 1], False, True),
    ("tanh", "sigmoid", "mse_all", [1, 0, 1, 1, 0], True, True),
    ("softsign", "hard_sigmoid", "mse", [0, 0, 1, 1, 1], False, True),
    ("relu", "sigmoid", "mse_all", [0, 1, 0, 1, 1, 1], True, False),
    ("linear", "hard_sigmoid_legacy", "mse", [1, 1, 0, 1, 0], True, True),
    ("sigmoid", "tanh", "sum", [1, 0, 0, 1, 1, 0, 1], False, True),
]


@pytest.mark.parametrize("activation,recurrent,loss,mask,backwards,use_bias", BACKWARD_CASES)
def test_every_step_gradient_matches_torch_autograd(activation, recurrent, loss, mask, backwards, use_bias):
    rng = np.random.default_rng(len(mask) * 13 + backwards)
    H, D, T = 3, 2, len(mask)
    w = weights_for(rng, H, D, use_bias, activation, recurrent, scale=0.7)
    x, h0, c0 = rng.normal(size=(T, D)), rng.normal(0, 0.5, H), rng.normal(0, 0.5, H)
    target = {"sum": None, "mse": rng.normal(size=H), "mse_all": rng.normal(size=(T, H))}[loss]
    value, steps, (dx, dh0, dc0, dW, dU, db) = torch_gradients(w, x, h0, c0, mask, backwards, loss, target)
    g = backward(run(w, x, h0, c0, backwards, mask), loss, target)
    assert g.loss_name == loss
    assert g.loss == pytest.approx(value, rel=1e-12)
    pairs = {"dh": (g.dh, steps["h"]), "dc": (g.dc, steps["c"]), "da": (g.da, steps["a"]),  # masked: a unused
             "dh_prev": (g.dh_prev, steps["h_prev"]), "dc_prev": (g.dc_prev, steps["c_prev"]),
             "h0": (g.h0, dh0), "c0": (g.c0, dc0), "x": (g.x, dx), "kernel": (g.kernel, dW),
             "recurrent_kernel": (g.recurrent_kernel, dU)}
    for name, (mine, theirs) in pairs.items():
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-13, err_msg=name)
    if use_bias:
        np.testing.assert_allclose(g.bias, db, rtol=1e-10, atol=1e-13)
    else:
        assert g.bias is None
    assert g.finite is True and g.trace.weights is w


def test_masked_steps_pass_no_gradient_to_their_unused_gates():
    rng = np.random.default_rng(8)
    w = weights_for(rng, 2, 1)
    g = backward(run(w, rng.normal(size=(4, 1)), c0=[0.5, -0.5], mask=[1, 0, 1, 0]))
    assert g.da[1].tolist() == [0.0] * 8 and g.da[3].tolist() == [0.0] * 8
    assert np.abs(g.da[[0, 2]]).min() > 0


def test_the_default_loss_is_the_sum_of_the_last_output():
    rng = np.random.default_rng(9)
    w = weights_for(rng, 2, 1)
    t = run(w, rng.normal(size=(3, 1)))
    g = backward(t)
    assert g.loss_name == "sum" and g.loss == pytest.approx(t.h[-1].sum(), rel=1e-15)
    np.testing.assert_array_equal(g.dh[-1], [1.0, 1.0])  # ∂(h_1 + h_2)/∂h_T
    assert g.trace is t


@pytest.mark.parametrize("recurrent,steps", [([30.0, -30.0, 30.0, 30.0], 8), ([30.0] * 4, 6)])
def test_a_run_that_overflows_shows_inf_or_nan_without_a_warning_forward_and_backward(recurrent, steps):
    """Unbounded φ and σ with large recurrent weights: h grows past float64 within a few steps
    (to inf, or to nan where +inf meets -inf), and its gradients do too."""
    config = LSTMConfig(1, 1, activation="linear", recurrent_activation="linear")
    w = LSTMWeights.create(config, [[1.0] * 4], [recurrent], [0.0] * 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = run(w, np.ones((steps, 1)))
        g = backward(t)
    assert np.isfinite(t.h[:4]).all() and not np.isfinite(t.h[-1]).all()
    assert g.finite is False
