"""Layouts, conversions, the weights JSON and the state-dict reader, without frameworks.

Expected numbers come from transcriptions of the published equations written
here (dl4mt's lm.py, Wikipedia's column-vector GRU, Keras's gru.py as the spec
writes it), never from gruviz's trace. The real frameworks are in
test_frameworks_real.py.
"""

import io
import json
import zlib

import numpy as np
import pytest

from conftest import SEED_KERNEL, SEED_RECURRENT, random_weights
from gruviz import Convention, GRUConfig, GRUWeights, InputError
from gruviz import layouts as L
from gruviz.io import weights_file
from gruviz.layouts.state_dict import read_state_dict


# --- independent transcriptions -------------------------------------------------------------

def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def hard_sigmoid(a):  # Keras 3
    return np.clip(a / 6 + 0.5, 0, 1)


def relu(a):
    return np.maximum(a, 0)


def dl4mt_reference(p, x, h0):
    """nyu-dl/dl4mt-tutorial session0/lm.py, gru_layer and its _step_slice, in NumPy."""
    dim = p["Ux"].shape[1]
    state_below_ = x @ p["W"] + p["b"]
    state_belowx = x @ p["Wx"] + p["bx"]
    h, out = h0, []
    for x_, xx_ in zip(state_below_, state_belowx):
        preact = h @ p["U"] + x_
        r, u = sigmoid(preact[:dim]), sigmoid(preact[dim:])
        preactx = (h @ p["Ux"]) * r + xx_
        h = u * h + (1.0 - u) * np.tanh(preactx)
        out.append(h)
    return np.array(out)


def wikipedia_reference(p, x, h0, gate=sigmoid, act=np.tanh):
    """Wikipedia's fully gated unit, column vectors: h = (1 − z) ⊙ h + z ⊙ ĥ."""
    h, out = h0.reshape(-1, 1), []
    for x_t in x:
        x_t = x_t.reshape(-1, 1)
        z = gate(p["W_z"] @ x_t + p["U_z"] @ h + p["b_z"].reshape(-1, 1))
        r = gate(p["W_r"] @ x_t + p["U_r"] @ h + p["b_r"].reshape(-1, 1))
        h_hat = act(p["W_h"] @ x_t + p["U_h"] @ (r * h) + p["b_h"].reshape(-1, 1))
        h = (1 - z) * h + z * h_hat
        out.append(h.ravel())
    return np.array(out)


def keras_reference(kernel, recurrent, bias, x, h0, reset_after, gate=sigmoid, act=np.tanh):
    """keras.layers.GRU as spec §1 writes it: row vectors, column blocks z | r | h."""
    H = recurrent.shape[0]
    bias = np.zeros((2, 3 * H) if reset_after else 3 * H) if bias is None else np.asarray(bias)
    bx, bh = (bias[0], bias[1]) if reset_after else (bias, np.zeros(3 * H))
    Wz, Wr, Wh = np.split(kernel, 3, axis=1)
    Uz, Ur, Uh = np.split(recurrent, 3, axis=1)
    bxz, bxr, bxh = np.split(bx, 3)
    bhz, bhr, bhh = np.split(bh, 3)
    h, out = np.asarray(h0, float), []
    for x_t in x:
        z = gate(x_t @ Wz + bxz + h @ Uz + bhz)
        r = gate(x_t @ Wr + bxr + h @ Ur + bhr)
        if reset_after:
            h_tilde = act(x_t @ Wh + bxh + r * (h @ Uh + bhh))
        else:
            h_tilde = act(x_t @ Wh + bxh + (r * h) @ Uh)
        h = z * h + (1 - z) * h_tilde
        out.append(h)
    return np.array(out)


def keras_ref(w: GRUWeights, x, h0, **kw):
    return keras_reference(w.kernel, w.recurrent_kernel, w.bias, x, h0, w.config.reset_after, **kw)


def random_layout(cls, rng, D, H, **config):
    """Random arrays of every shape the framework documents, built from its names."""
    shapes = {
        "pytorch": {"weight_ih_l0": (3 * H, D), "weight_hh_l0": (3 * H, H), "bias_ih_l0": (3 * H,),
                    "bias_hh_l0": (3 * H,)},
        "tf1": {"gates/kernel": (D + H, 2 * H), "gates/bias": (2 * H,), "candidate/kernel": (D + H, H),
                "candidate/bias": (H,)},
        "dl4mt": {"W": (D, 2 * H), "b": (2 * H,), "U": (H, 2 * H), "Wx": (D, H), "bx": (H,), "Ux": (H, H)},
        "epynn": {**{f"U{g}": (D, H) for g in ("z", "r", "hh")}, **{f"V{g}": (H, H) for g in ("z", "r", "hh")},
                  **{f"b{g}": (1, H) for g in ("z", "r", "hh")}},
        "wikipedia": {**{f"W_{g}": (H, D) for g in "zrh"}, **{f"U_{g}": (H, H) for g in "zrh"},
                      **{f"b_{g}": (H,) for g in "zrh"}},
    }[cls.NAME]
    arrays = {name: rng.normal(0, 0.6, shape) for name, shape in shapes.items()}
    return cls.from_arrays(L.LayoutConfig(H, D, **config), arrays)


def seq(rng, T, D, H):
    return rng.normal(0, 1, (T, D)), rng.normal(0, 0.5, H)


# --- dl4mt and Wikipedia against their published equations -----------------------------------

@pytest.mark.parametrize("seed", range(4))
def test_dl4mt_trace_matches_lm_py(seed):
    rng = np.random.default_rng(seed)
    D, H = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    layout = random_layout(L.Dl4mtGRU, rng, D, H)
    x, h0 = seq(rng, 7, D, H)
    expected = dl4mt_reference(layout.arrays(), x, h0)
    np.testing.assert_allclose(L.run_layout(layout, x, h0).sequence_output, expected, atol=1e-13)


@pytest.mark.parametrize("seed", range(4))
def test_wikipedia_trace_matches_column_vector_equations(seed):
    rng = np.random.default_rng(10 + seed)
    D, H = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    layout = random_layout(L.WikipediaGRU, rng, D, H)
    x, h0 = seq(rng, 7, D, H)
    ours = L.run_layout(layout, x, h0)
    assert ours.convention is Convention.BAHDANAU
    np.testing.assert_allclose(ours.sequence_output, wikipedia_reference(layout.arrays(), x, h0), atol=1e-13)


def test_wikipedia_with_other_activations_uses_them():
    rng = np.random.default_rng(3)
    layout = random_layout(L.WikipediaGRU, rng, 2, 3, activation="relu", recurrent_activation="hard_sigmoid")
    x, h0 = seq(rng, 6, 2, 3)
    expected = wikipedia_reference(layout.arrays(), x, h0, gate=hard_sigmoid, act=relu)
    np.testing.assert_allclose(L.run_layout(layout, x, h0).sequence_output, expected, atol=1e-13)


@pytest.mark.parametrize("keep_rule", [False, True])
def test_keras_to_wikipedia_offers_both_rules(keep_rule):
    rng = np.random.default_rng(4)
    w = random_weights(rng, GRUConfig(units=3, input_dim=2, reset_after=False))
    x, h0 = seq(rng, 8, 2, 3)
    converted = L.convert(w, "wikipedia", keep_rule=keep_rule)
    arrays = converted.weights.arrays()
    if keep_rule:
        # The arrays are Keras's transposed; only the Keras rule reproduces Keras.
        assert converted.convention is Convention.KERAS and not converted.native
        np.testing.assert_array_equal(arrays["W_z"], w.kernel[:, :3].T)
        assert "kept the keras rule" in converted.notes[0]
        assert any("keras update rule" in c for c in L.caveats(converted.weights, h0, converted.convention))
    else:
        # Negated z: Wikipedia's own equations now give Keras's numbers.
        assert converted.convention is Convention.BAHDANAU and converted.native
        np.testing.assert_array_equal(arrays["W_z"], -w.kernel[:, :3].T)
        np.testing.assert_allclose(wikipedia_reference(arrays, x, h0), keras_ref(w, x, h0), atol=1e-13)
        assert "negated z's parameters" in converted.notes[0]
    assert L.prove(w, converted, x, h0) < 1e-13


def test_negating_z_is_exact_for_hard_sigmoid_gates():
    rng = np.random.default_rng(5)
    w = random_weights(rng, GRUConfig(units=2, input_dim=2, reset_after=False, recurrent_activation="hard_sigmoid"),
                       scale=2.0)  # large enough for the clip to act
    x, h0 = seq(rng, 10, 2, 2)
    arrays = L.convert(w, "wikipedia", keep_rule=False).weights.arrays()
    np.testing.assert_allclose(wikipedia_reference(arrays, x, h0, gate=hard_sigmoid),
                               keras_ref(w, x, h0, gate=hard_sigmoid), atol=1e-13)


def test_negating_z_is_refused_for_a_non_symmetric_gate():
    rng = np.random.default_rng(6)
    w = random_weights(rng, GRUConfig(units=2, input_dim=1, reset_after=False, recurrent_activation="relu"))
    with pytest.raises(L.ConversionRefused, match="σ\\(−a\\) = 1 − σ\\(a\\).*'relu'.*keep_rule=True"):
        L.convert(w, "wikipedia", keep_rule=False)
    # Undecided, it keeps the rule and says why.
    kept = L.convert(w, "wikipedia")
    assert kept.convention is Convention.KERAS
    assert "negating z is not exact for relu gates" in kept.notes[0]
    # Coming back from Wikipedia the same way: the Bahdanau rule is kept.
    wiki = random_layout(L.WikipediaGRU, rng, 1, 2, recurrent_activation="relu")
    back = L.convert(wiki, "keras")
    assert back.convention is Convention.BAHDANAU and "--convention bahdanau" in back.notes[0]
    x, h0 = seq(rng, 5, 1, 2)
    np.testing.assert_allclose(L.run_layout(back.weights, x, h0, back.convention).sequence_output,
                               wikipedia_reference(wiki.arrays(), x, h0, gate=relu), atol=1e-13)


# --- round trips and exact mappings -----------------------------------------------------------

FAMILY = {"pytorch": True, "dl4mt": True, "tf1": False, "epynn": False, "wikipedia": False}  # reset_after


@pytest.mark.parametrize("name", list(FAMILY))
@pytest.mark.parametrize("use_bias", [True, False])
def test_keras_to_layout_and_back_is_exact(name, use_bias):
    rng = np.random.default_rng(zlib.crc32(f"{name}/{use_bias}".encode()))  # the same seed in every process
    w = random_weights(rng, GRUConfig(units=3, input_dim=2, reset_after=FAMILY[name], use_bias=use_bias))
    if name == "dl4mt" and use_bias:
        w = GRUWeights.create(w.config, w.kernel, w.recurrent_kernel, np.stack([w.bias[0], 0 * w.bias[1]]))
    there = L.convert(w, name)
    back = L.convert(there.weights, "keras")
    assert back.convention is Convention.KERAS
    bw = back.weights
    np.testing.assert_array_equal(bw.kernel, w.kernel)
    np.testing.assert_array_equal(bw.recurrent_kernel, w.recurrent_kernel)
    expected_bias = w.bias if w.bias is not None else (None if name == "pytorch" else np.zeros(bw.bias.shape))
    if expected_bias is None:
        assert bw.bias is None  # nn.GRU(bias=False) comes back as use_bias=False
    else:
        np.testing.assert_array_equal(bw.bias, expected_bias)
    x, h0 = seq(rng, 6, 2, 3)
    np.testing.assert_allclose(L.run_layout(there.weights, x, h0, there.convention).sequence_output,
                               keras_ref(w, x, h0), atol=1e-13)


@pytest.mark.parametrize("cls", [L.PyTorchGRU, L.TF1GRUCell, L.Dl4mtGRU, L.EpyNNGRU, L.WikipediaGRU])
def test_layout_to_keras_and_back_is_exact(cls):
    rng = np.random.default_rng(7)
    layout = random_layout(cls, rng, 3, 2)
    back = L.convert(L.convert(layout, "keras").weights, cls.NAME).weights
    for key, array in layout.arrays().items():
        np.testing.assert_array_equal(back.arrays()[key], array, err_msg=key)


def test_pytorch_blocks_land_where_the_docs_say():
    """weight_ih_l0 rows are W_ir | W_iz | W_in: Keras's kernel is [W_iz.T | W_ir.T | W_in.T]."""
    rng = np.random.default_rng(8)
    layout = random_layout(L.PyTorchGRU, rng, 2, 3)
    w, rule = layout.to_keras()
    W_ir, W_iz, W_in = np.split(layout.weight_ih_l0, 3)
    b_hr, b_hz, b_hn = np.split(layout.bias_hh_l0, 3)
    np.testing.assert_array_equal(w.kernel, np.hstack([W_iz.T, W_ir.T, W_in.T]))
    np.testing.assert_array_equal(w.bias[1], np.concatenate([b_hz, b_hr, b_hn]))
    assert w.config.reset_after and rule is Convention.KERAS


def test_tf1_gate_kernel_stacks_input_then_state():
    rng = np.random.default_rng(9)
    layout = random_layout(L.TF1GRUCell, rng, 2, 3)
    w, _ = layout.to_keras()
    g = layout.gates_kernel
    np.testing.assert_array_equal(w.W("r"), g[:2, :3])  # columns r | u, rows x then h
    np.testing.assert_array_equal(w.U("z"), g[2:, 3:])
    np.testing.assert_array_equal(w.U("h"), layout.candidate_kernel[2:])
    assert not w.config.reset_after


def test_dl4mt_folds_the_gates_recurrent_bias():
    rng = np.random.default_rng(11)
    w = random_weights(rng, GRUConfig(units=3, input_dim=2))
    bias = w.bias.copy()
    bias[1, 6:] = 0  # candidate part zero, z and r parts not
    w = GRUWeights.create(w.config, w.kernel, w.recurrent_kernel, bias)
    converted = L.convert(w, "dl4mt")
    assert "added to row 0" in " ".join(converted.notes)
    x, h0 = seq(rng, 6, 2, 3)
    np.testing.assert_allclose(dl4mt_reference(converted.weights.arrays(), x, h0), keras_ref(w, x, h0), atol=1e-13)


def test_units_1_moves_the_reset_exactly():
    """U_h is 1×1, so (r·h)·u = r·(h·u): the Stack Exchange weights go to PyTorch under
    reset_after=False, and to TF1 under reset_after=True with no candidate recurrent bias."""
    before = GRUWeights.create(GRUConfig(1, 1, reset_after=False), SEED_KERNEL, SEED_RECURRENT, [0.1, -0.2, 0.3])
    x = np.array([[1.0], [2.0], [9.0], [8.0]])
    converted = L.convert(before, "pytorch")
    assert "U_h is diagonal (as it always is for units=1)" in converted.notes[0]
    np.testing.assert_allclose(L.run_layout(converted.weights, x).sequence_output,
                               keras_ref(before, x, np.zeros(1)), atol=1e-14)
    after = GRUWeights.create(GRUConfig(1, 1), SEED_KERNEL, SEED_RECURRENT, [[0.1, -0.2, 0.3], [0.4, 0.5, 0.0]])
    tf1 = L.convert(after, "tf1")
    np.testing.assert_allclose(L.run_layout(tf1.weights, x).sequence_output, keras_ref(after, x, np.zeros(1)),
                               atol=1e-14)


# --- refusals ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["pytorch", "dl4mt"])
def test_reset_before_cannot_become_reset_after(name):
    w = random_weights(np.random.default_rng(12), GRUConfig(units=3, input_dim=2, reset_after=False))
    with pytest.raises(L.ConversionRefused, match=r"\(r ⊙ h\) U_h.*U_h is diagonal.*off-diagonal.*reset_after=True"):
        L.convert(w, name)
    with pytest.raises(L.ConversionRefused):
        L.LAYOUTS[name].from_keras(w)  # the layout's own from_keras refuses the same way


@pytest.mark.parametrize("name", ["tf1", "epynn", "wikipedia"])
def test_reset_after_cannot_become_reset_before(name):
    w = random_weights(np.random.default_rng(13), GRUConfig(units=3, input_dim=2))
    with pytest.raises(L.ConversionRefused, match=r"U_h has off-diagonal entries.*bʰₕ = bias\[1, 6:9\]"):
        L.convert(w, name)


def test_dl4mt_refuses_a_candidate_recurrent_bias():
    w = random_weights(np.random.default_rng(14), GRUConfig(units=2, input_dim=2))
    with pytest.raises(L.ConversionRefused, match=r"no bias inside the reset.*bias\[1, 4:6\].*multiplied by r"):
        L.convert(w, "dl4mt")


def test_refusal_is_an_input_error_and_unknown_layouts_are_named():
    assert issubclass(L.ConversionRefused, InputError)
    w = random_weights(np.random.default_rng(15), GRUConfig(units=1, input_dim=1))
    with pytest.raises(InputError, match="unknown layout 'caffe'; choose one of keras, pytorch, tf1"):
        L.convert(w, "caffe")


def test_prove_can_fail():
    rng = np.random.default_rng(16)
    w = random_weights(rng, GRUConfig(units=2, input_dim=2))
    converted = L.convert(w, "pytorch")
    wrong = L.Converted(L.convert(w.with_config(reset_after=False), "tf1").weights, Convention.KERAS, ())
    x, h0 = seq(rng, 5, 2, 2)
    assert L.prove(w, converted, x, h0) < 1e-14
    assert L.prove(w, wrong, x, h0) > 1e-3


def test_framework_limits_are_reported():
    rng = np.random.default_rng(17)
    w = random_weights(rng, GRUConfig(units=2, input_dim=1, activation="relu", recurrent_activation="hard_sigmoid"))
    pytorch = L.convert(w, "pytorch").weights
    assert "nn.GRU always uses sigmoid gates and a tanh candidate" in L.caveats(pytorch)[0]
    assert L.snippet(pytorch).code.startswith("# NOTE: nn.GRU always uses")
    tf1 = L.convert(w.with_config(reset_after=False), "tf1").weights
    assert "GRUCell's gates are always sigmoid" in L.caveats(tf1)[0]
    epynn = L.convert(w.with_config(reset_after=False), "epynn").weights
    assert L.caveats(epynn) == ()
    assert "always starts from h = 0" in L.caveats(epynn, h0=np.array([0.1, 0.0]))[0]


# --- the weights JSON ---------------------------------------------------------------------------

@pytest.mark.parametrize("cls", [L.PyTorchGRU, L.TF1GRUCell, L.Dl4mtGRU, L.EpyNNGRU, L.WikipediaGRU])
def test_every_layout_round_trips_through_json(cls):
    layout = random_layout(cls, np.random.default_rng(18), 2, 3, activation="softsign")
    data = json.loads(weights_file.dumps_any(layout))
    assert data["format"] == "gruviz-weights/1" and data["layout"] == cls.NAME
    assert data["config"]["units"] == 3 and data["config"]["activation"] == "softsign"
    assert set(data) == {"format", "layout", "config", *layout.arrays()}
    back = weights_file.loads_any(json.dumps(data))
    assert type(back) is cls and back.config == layout.config
    for key, array in layout.arrays().items():
        np.testing.assert_array_equal(back.arrays()[key], array)


def test_json_uses_the_framework_names():
    data = weights_file.to_dict_any(random_layout(L.TF1GRUCell, np.random.default_rng(19), 1, 2))
    assert {"gates/kernel", "gates/bias", "candidate/kernel", "candidate/bias"} <= set(data)
    data = weights_file.to_dict_any(random_layout(L.PyTorchGRU, np.random.default_rng(19), 1, 2))
    assert data["config"]["bias"] is True and np.shape(data["weight_ih_l0"]) == (6, 1)


def test_keras_api_reads_any_layout_as_keras_weights():
    rng = np.random.default_rng(20)
    layout = random_layout(L.PyTorchGRU, rng, 2, 2)
    w = weights_file.loads(weights_file.dumps_any(layout))
    assert isinstance(w, GRUWeights) and w.config.reset_after
    x, h0 = seq(rng, 5, 2, 2)
    W_ir, W_iz, W_in = np.split(layout.weight_ih_l0, 3)  # an independent reading of the PyTorch docs
    W_hr, W_hz, W_hn = np.split(layout.weight_hh_l0, 3)
    b_ir, b_iz, b_in = np.split(layout.bias_ih_l0, 3)
    b_hr, b_hz, b_hn = np.split(layout.bias_hh_l0, 3)
    h, expected = h0, []
    for x_t in x:
        r = sigmoid(W_ir @ x_t + b_ir + W_hr @ h + b_hr)
        z = sigmoid(W_iz @ x_t + b_iz + W_hz @ h + b_hz)
        n = np.tanh(W_in @ x_t + b_in + r * (W_hn @ h + b_hn))
        h = (1 - z) * n + z * h
        expected.append(h)
    from gruviz import run

    np.testing.assert_allclose(run(w, x, h0).sequence_output, expected, atol=1e-13)
    # The Keras file API is unchanged for Keras files.
    keras_w = random_weights(rng, GRUConfig(units=2, input_dim=2))
    assert weights_file.loads_any(weights_file.dumps(keras_w)).config == keras_w.config


def test_keras_api_refuses_a_rule_keras_cannot_compute():
    wiki = random_layout(L.WikipediaGRU, np.random.default_rng(21), 1, 1, recurrent_activation="relu")
    with pytest.raises(L.ConversionRefused, match="--keep-rule.*--convention bahdanau"):
        weights_file.loads(weights_file.dumps_any(wiki))
    sig = random_layout(L.WikipediaGRU, np.random.default_rng(21), 1, 1)
    assert isinstance(weights_file.loads(weights_file.dumps_any(sig)), GRUWeights)


def _pytorch_file(**changes) -> dict:
    data = weights_file.to_dict_any(random_layout(L.PyTorchGRU, np.random.default_rng(22), 2, 2))
    data.update(changes)
    return data


@pytest.mark.parametrize("change, message", [
    ({"layout": "caffe"}, r"layout \W*caffe\W* is unknown; use one of keras, pytorch, tf1, dl4mt, epynn, wikipedia"),
    ({"weight_hh_l0": None}, r"PyTorch nn.GRU needs weight_hh_l0, which is missing; its arrays are weight_ih_l0, "
                             r"weight_hh_l0, bias_ih_l0 \(optional\), bias_hh_l0 \(optional\)"),
    ({"weight_ih_l0": [[0.0, 1.0]] * 5}, r"weight_ih_l0 has shape \(5, 2\) but units=2, input_dim=2 needs \(6, 2\)"),
    ({"weight_ih_l1": [[0.0]]}, "'weight_ih_l1' is not an array of PyTorch nn.GRU; its arrays are weight_ih_l0, "
                                "weight_hh_l0, bias_ih_l0, bias_hh_l0"),
    ({"config": {"units": 2}}, 'the config needs at least "units" and "input_dim"'),
    ({"config": {"units": 2, "input_dim": 2, "reset_after": True}}, "unknown config key 'reset_after' for layout"),
    ({"config": {"units": 2, "input_dim": 2, "bias": False}}, "config bias is false but the file has bias_ih_l0"),
    ({"bias_hh_l0": None}, "config bias is true but bias_hh_l0 is missing"),
    ({"bias_ih_l0": [1.0, 2.0, "x", 0, 0, 0]}, "bias_ih_l0 must contain only numbers"),
])
def test_bad_layout_files_say_what_is_wrong(change, message):
    data = _pytorch_file(**change)
    data = {k: v for k, v in data.items() if v is not None}
    with pytest.raises(InputError, match=message):
        weights_file.from_dict_any(data)


def test_missing_arrays_list_the_expected_names():
    data = weights_file.to_dict_any(random_layout(L.Dl4mtGRU, np.random.default_rng(23), 1, 1))
    del data["Ux"], data["bx"]
    message = r"dl4mt \(Theano\) needs bx, Ux, which are missing; its arrays are W, b, U, Wx, bx, Ux\."
    with pytest.raises(InputError, match=message):
        weights_file.from_dict_any(data)


def test_pytorch_file_without_biases_is_bias_false():
    data = _pytorch_file(config={"units": 2, "input_dim": 2, "bias": False})
    del data["bias_ih_l0"], data["bias_hh_l0"]
    layout = weights_file.from_dict_any(data)
    assert layout.bias is False and weights_file.as_keras(layout).bias is None


# --- the PyTorch state dict, read as data ----------------------------------------------------------

def _state_dict(rng, D=2, H=3, prefix="", bias=True):
    sd = {f"{prefix}weight_ih_l0": rng.normal(size=(3 * H, D)), f"{prefix}weight_hh_l0": rng.normal(size=(3 * H, H))}
    if bias:
        sd |= {f"{prefix}bias_ih_l0": rng.normal(size=3 * H), f"{prefix}bias_hh_l0": rng.normal(size=3 * H)}
    return sd


def test_state_dict_json_and_npz_read_the_same():
    sd = _state_dict(np.random.default_rng(24))
    from_json, _ = read_state_dict(json.dumps({k: v.tolist() for k, v in sd.items()}).encode(), "gru.json")
    buffer = io.BytesIO()
    np.savez(buffer, **sd)
    from_npz, notes = read_state_dict(buffer.getvalue(), "gru.npz")
    assert notes == () and from_npz.config == from_json.config == L.LayoutConfig(3, 2)
    for key, array in sd.items():
        np.testing.assert_array_equal(from_npz.arrays()[key], array)
        np.testing.assert_array_equal(from_json.arrays()[key], array)


def test_state_dict_prefix_and_extra_layers_are_noted():
    rng = np.random.default_rng(25)
    sd = _state_dict(rng, prefix="encoder.gru.") | {"encoder.gru.weight_ih_l1": rng.normal(size=(9, 3)),
                                                     "decoder.weight": rng.normal(size=(2, 2))}
    layout, notes = read_state_dict(json.dumps({k: v.tolist() for k, v in sd.items()}).encode(), "m.json")
    assert layout.config.units == 3
    assert notes == ("Used the GRU under 'encoder.gru.'.",
                     "Showing layer 0, forward direction only; also in the file: weight_ih_l1.",
                     "Ignored 1 other entry of the state dict.")


@pytest.mark.parametrize("name, data, message", [
    ("gru.pt", b"\x80\x04", r"pickle.*never opens \.pt files.*v\.tolist\(\).*np\.savez"),
    ("gru.pth", b"PK", "pickle"),
    ("gru.txt", b"{}", "neither .json nor .npz"),
    ("gru.json", b"[1, 2]", "must be a JSON object"),
    ("gru.json", b'{"lstm.weight": [1]}', "no weight_ih_l0 found"),
    ("gru.json", b'{"format": "gruviz-weights/1"}', "import it as gruviz JSON"),
    ("gru.json", b'{"weight_ih_l0": [[1, 2]]}', r"\(3·hidden_size, input_size\)"),
    ("gru.json", b'{"a.weight_ih_l0": [[1]], "b.weight_ih_l0": [[1]]}', r"holds 2 GRUs \(a\., b\.\)"),
    ("gru.npz", b"not a zip", "not a .npz archive"),
    ("gru.npz", b"PK\x03\x04broken", "not a .npz archive|not a readable .npz archive"),
])
def test_state_dict_refusals(name, data, message):
    with pytest.raises(InputError, match=message):
        read_state_dict(data, name)


def test_npz_with_objects_is_refused_without_unpickling():
    buffer = io.BytesIO()
    np.savez(buffer, weight_ih_l0=np.array([{"a": 1}], dtype=object))
    with pytest.raises(InputError, match="other than plain number arrays"):
        read_state_dict(buffer.getvalue(), "gru.npz")


def test_state_dict_without_biases_is_bias_false():
    sd = _state_dict(np.random.default_rng(26), bias=False)
    layout, _ = read_state_dict(json.dumps({k: v.tolist() for k, v in sd.items()}).encode(), "gru.json")
    assert not layout.bias and layout.to_keras()[0].config.use_bias is False


# --- snippets that need only NumPy, run ----------------------------------------------------------

@pytest.mark.parametrize("name", ["dl4mt", "wikipedia"])
@pytest.mark.parametrize("activation, gate", [("tanh", "sigmoid"), ("softsign", "hard_sigmoid_legacy")])
def test_numpy_snippets_compute_the_keras_output(name, activation, gate):
    rng = np.random.default_rng(27)
    reset_after = name == "dl4mt"
    w = random_weights(rng, GRUConfig(units=3, input_dim=2, reset_after=reset_after, activation=activation,
                                      recurrent_activation=gate))
    if reset_after:
        w = GRUWeights.create(w.config, w.kernel, w.recurrent_kernel, np.stack([w.bias[0], 0 * w.bias[1]]))
    x, h0 = seq(rng, 6, 2, 3)
    legacy = lambda a: np.clip(0.2 * a + 0.5, 0, 1)  # noqa: E731
    softsign = lambda a: a / (1 + np.abs(a))  # noqa: E731
    acts = {} if gate == "sigmoid" else {"gate": legacy, "act": softsign}
    converted = L.convert(w, name)
    namespace = {}
    exec(L.snippet(converted.weights, x, h0, converted.convention).code, namespace)
    np.testing.assert_allclose(namespace["output"], keras_ref(w, x, h0, **acts)[-1], atol=1e-13)


# --- the Frameworks view renders --------------------------------------------------------------------

def _view_script(reset_after: bool, keep_mask: bool) -> None:
    import numpy as np
    import streamlit as st

    from conftest import random_weights
    from gruviz import GRUConfig
    from gruviz.explain.mistakes import Setup
    from gruviz.ui.views import frameworks_view

    rng = np.random.default_rng(0)
    w = random_weights(rng, GRUConfig(units=4, input_dim=2, reset_after=reset_after))
    mask = None if keep_mask else np.array([1, 1, 0, 1, 1, 1, 1, 1, 1, 1], bool)
    setup = Setup(w, rng.normal(size=(10, 2)), rng.normal(size=4), mask=mask, go_backwards=not keep_mask)
    st.session_state.output = setup.run().output
    frameworks_view.render(w, setup.run(), setup)


@pytest.mark.parametrize("reset_after", [True, False])
def test_frameworks_view_shows_every_framework(reset_after):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_view_script, args=(reset_after, reset_after), default_timeout=30)
    at.run()
    assert not at.exception, at.exception
    labels = at.button_group(key="framework").options  # one pill per framework, marked
    matched = ({"keras", "pytorch", "onnx", "cudnngru", "flax_linen", "equinox"} if reset_after
               else {"keras", "tf1", "epynn", "wikipedia", "onnx"})
    for name in L.LAYOUT_NAMES:
        assert f"{L.title(name)} {'✓' if name in matched else '—'}" in labels
    shown = ", ".join(f"{v:.6f}" for v in at.session_state.output)
    masked_note = 0
    for name in L.LAYOUT_NAMES:  # each framework's own page: a match badge, or its refusal explained
        at.button_group(key="framework").set_value(name).run()
        assert not at.exception, at.exception
        badges = sum(":green-badge[" in m.value for m in at.markdown)
        assert (badges, len(at.info)) == ((1, 0) if name in matched else (0, 1)), name
        # a matched framework shows its code and the page's output; a refused one neither
        assert len(at.code) == (name in matched), name
        assert sum(shown in m.value for m in at.markdown) == (name in matched), name
        masked_note += any("leaving out the 1 masked step" in c.value for c in at.caption)
    if not reset_after:
        assert masked_note


def _sources_script() -> None:
    import streamlit as st

    from gruviz.ui.sidebar import sources
    from gruviz.ui.kit import state

    state.init()
    sources.panel()
    for note in st.session_state.notes:
        st.caption(note)


def test_state_dict_source_loads_keras_weights_and_refuses_pickles():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_sources_script, default_timeout=30)
    at.run()
    at.radio(key="source").set_value("PyTorch state_dict (JSON or .npz)").run()
    sd = _state_dict(np.random.default_rng(28), D=3, H=2, prefix="gru.")
    upload = at.file_uploader(key="state_dict_upload")
    text = json.dumps({k: v.tolist() for k, v in sd.items()})
    upload.set_value(("m.json", text.encode(), "application/json")).run()
    assert not at.exception, at.exception
    w = at.session_state.weights
    assert (w.config.units, w.config.input_dim, w.config.reset_after) == (2, 3, True)
    b_ir, b_iz, b_in = np.split(sd["gru.bias_ih_l0"], 3)
    np.testing.assert_array_equal(w.bias[0], np.concatenate([b_iz, b_ir, b_in]))
    assert any("nn.GRU(input_size=3, hidden_size=2)" in c.value for c in at.caption)
    at.file_uploader(key="state_dict_upload").set_value(("m.pt", b"\x80\x04", "application/octet-stream")).run()
    assert "never opens .pt files" in at.error[0].value
    assert at.session_state.weights is w  # the refused file changed nothing
