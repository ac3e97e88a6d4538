"""Every layout against the real framework it names: PyTorch nn.GRU, EpyNN's GRU,
TensorFlow 1's GRUCell, and Keras itself. Expected numbers come from the frameworks."""

import io
import json
import os
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pytest
import torch
from epynn.commons import maths as epynn_maths
from epynn.gru.models import GRU as EpyNNLayer

from conftest import random_weights
from gruviz import GRUConfig, GRUWeights
from gruviz import layouts as L
from gruviz.io.keras_bridge import run_keras
from gruviz.layouts.state_dict import from_state_dict, read_state_dict

torch.manual_seed(0)


# --- PyTorch -----------------------------------------------------------------------------------

def torch_gru(D, H, bias=True, seed=0, scale=3.0):
    """A random nn.GRU in float64; its init is U(−1/√H, 1/√H), biases included, scaled up
    so that every array, both biases too, moves the output well past the tolerance."""
    torch.manual_seed(seed)
    gru = torch.nn.GRU(D, H, batch_first=True, bias=bias, dtype=torch.float64)
    with torch.no_grad():
        for p in gru.parameters():
            p.mul_(scale)
    return gru


def torch_run(gru, x, h0) -> np.ndarray:
    with torch.no_grad():
        out, h_n = gru(torch.tensor(x[None]), torch.tensor(h0[None, None]))
    np.testing.assert_array_equal(out[0, -1].numpy(), h_n[0, 0].numpy())
    return out[0].numpy()


def state_dict_of(gru) -> dict[str, np.ndarray]:
    return {k: v.numpy() for k, v in gru.state_dict().items()}


def load_torch(layout: L.PyTorchGRU):
    gru = torch.nn.GRU(layout.config.input_dim, layout.config.units, batch_first=True, bias=layout.bias,
                       dtype=torch.float64)
    gru.load_state_dict({k: torch.tensor(v) for k, v in layout.arrays().items()})
    return gru


@pytest.mark.parametrize("D, H, bias", [(1, 1, True), (3, 4, True), (2, 5, False)])
def test_pytorch_layout_traces_like_torch(D, H, bias):
    gru = torch_gru(D, H, bias, seed=D * 10 + H)
    rng = np.random.default_rng(H)
    x, h0 = rng.normal(size=(12, D)), rng.normal(size=H)
    layout, _ = from_state_dict(state_dict_of(gru))
    np.testing.assert_allclose(L.run_layout(layout, x, h0).sequence_output, torch_run(gru, x, h0), atol=1e-12)


@pytest.mark.parametrize("use_bias", [True, False])
def test_keras_to_pytorch_reproduces_keras_in_torch(use_bias):
    rng = np.random.default_rng(1)
    w = random_weights(rng, GRUConfig(units=4, input_dim=3, use_bias=use_bias), scale=1.0)
    x, h0 = rng.normal(size=(10, 3)), rng.normal(size=4)
    gru = load_torch(L.convert(w, "pytorch").weights)
    expected = run_keras(w, x, h0, dtype="float64").sequence_output
    np.testing.assert_allclose(torch_run(gru, x, h0), expected, atol=1e-12)


@pytest.mark.parametrize("bias", [True, False])
def test_pytorch_to_keras_reproduces_torch_in_keras(bias):
    gru = torch_gru(2, 3, bias, seed=5)
    rng = np.random.default_rng(5)
    x, h0 = rng.normal(size=(9, 2)), rng.normal(size=3)
    buffer = io.BytesIO()  # through the app's .npz path
    np.savez(buffer, **state_dict_of(gru))
    layout, _ = read_state_dict(buffer.getvalue(), "gru.npz")
    w = L.convert(layout, "keras").weights
    assert w.config.reset_after and w.config.use_bias is bias
    np.testing.assert_allclose(run_keras(w, x, h0, dtype="float64").sequence_output, torch_run(gru, x, h0),
                               atol=1e-12)


def test_units_1_reset_before_moves_to_pytorch():
    """The Stack Exchange weights under reset_after=False: U_h is 1×1, so PyTorch can hold them."""
    w = GRUWeights.create(GRUConfig(1, 1, reset_after=False), [[-0.90954137, 1.0425225, -0.04404902]],
                          [[0.24168766, 0.8981342, 0.36734456]], [0.3, -0.2, 0.1])
    x = np.array([[1.0], [2.0], [9.0], [8.0]])
    gru = load_torch(L.convert(w, "pytorch").weights)
    np.testing.assert_allclose(torch_run(gru, x, np.zeros(1)), run_keras(w, x, dtype="float64").sequence_output,
                               atol=1e-12)


def test_pytorch_snippet_runs_in_torch():
    rng = np.random.default_rng(6)
    w = random_weights(rng, GRUConfig(units=3, input_dim=2))
    x, h0 = rng.normal(size=(7, 2)), rng.normal(size=3)
    namespace = {}
    exec(L.snippet(L.convert(w, "pytorch").weights, x, h0).code, namespace)
    np.testing.assert_allclose(namespace["output"], run_keras(w, x, h0, dtype="float64").output, atol=1e-12)


def test_pytorch_json_export_from_the_docs_loads():
    gru = torch_gru(2, 2, seed=7)
    text = json.dumps({k: v.tolist() for k, v in gru.state_dict().items()})  # the export the app suggests
    layout, _ = read_state_dict(text.encode(), "gru.json")
    x, h0 = np.ones((3, 2)), np.zeros(2)
    np.testing.assert_allclose(L.run_layout(layout, x, h0).sequence_output, torch_run(gru, x, h0), atol=1e-12)


# --- EpyNN -------------------------------------------------------------------------------------

EPYNN_ACTIVATIONS = {"tanh": epynn_maths.tanh, "sigmoid": epynn_maths.sigmoid, "relu": epynn_maths.relu,
                     "linear": epynn_maths.identity}


def epynn_run(layout: L.EpyNNGRU, x: np.ndarray) -> np.ndarray:
    """EpyNN's own forward pass on x (samples, steps, features) with these parameters."""
    cfg = layout.config
    gate = EPYNN_ACTIVATIONS[cfg.recurrent_activation]
    layer = EpyNNLayer(cfg.units, activate=EPYNN_ACTIVATIONS[cfg.activation], activate_update=gate,
                       activate_reset=gate, sequences=True)
    layer.p = {k: np.array(v) for k, v in layout.arrays().items()}
    with np.errstate(over="ignore"):  # its sigmoid evaluates both branches of np.where
        return layer.forward(x)


EPYNN_CASES = [(1, 1, "tanh", "sigmoid"), (3, 4, "tanh", "sigmoid"), (2, 3, "relu", "sigmoid"),
               (4, 2, "linear", "tanh"), (2, 2, "tanh", "relu")]


@pytest.mark.parametrize("D, H, activation, gate", EPYNN_CASES)
def test_epynn_layout_traces_like_epynn(D, H, activation, gate):
    rng = np.random.default_rng(D * 100 + H)
    scale = 0.6 if gate == "sigmoid" else 0.3  # unbounded gates grow h
    arrays = {}
    for suffix in ("z", "r", "hh"):
        arrays[f"U{suffix}"] = rng.normal(0, scale, (D, H))
        arrays[f"V{suffix}"] = rng.normal(0, scale, (H, H))
        arrays[f"b{suffix}"] = rng.normal(0, scale, (1, H))
    layout = L.EpyNNGRU.from_arrays(L.LayoutConfig(H, D, activation, gate), arrays)
    x = rng.normal(size=(3, 8, D))
    expected = epynn_run(layout, x)
    for sample in range(3):
        ours = L.run_layout(layout, x[sample]).sequence_output
        np.testing.assert_allclose(ours, expected[sample], atol=1e-12)


def test_keras_to_epynn_reproduces_keras_in_epynn():
    rng = np.random.default_rng(8)
    w = random_weights(rng, GRUConfig(units=3, input_dim=2, reset_after=False))
    x = rng.normal(size=(11, 2))
    expected = run_keras(w, x, dtype="float64").sequence_output
    np.testing.assert_allclose(epynn_run(L.convert(w, "epynn").weights, x[None])[0], expected, atol=1e-12)


def test_epynn_snippet_runs_in_epynn_with_a_keras_activation():
    rng = np.random.default_rng(9)
    w = random_weights(rng, GRUConfig(units=2, input_dim=2, reset_after=False, recurrent_activation="hard_sigmoid"),
                       scale=1.5)
    x = rng.normal(size=(6, 2))
    namespace = {}
    with np.errstate(over="ignore"):
        exec(L.snippet(L.convert(w, "epynn").weights, x).code, namespace)
    np.testing.assert_allclose(namespace["output"], run_keras(w, x, dtype="float64").output, atol=1e-12)


# --- TensorFlow 1 GRUCell ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def GRUCell():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from tensorflow.python.keras.layers.legacy_rnn.rnn_cell_impl import GRUCell

    return GRUCell


def tf1_run(GRUCell, layout: L.TF1GRUCell, x, h0) -> np.ndarray:
    """TF1's GRUCell stepped eagerly, its four variables set to the layout's arrays by name."""
    import tensorflow as tf

    activation = {"tanh": tf.tanh, "relu": tf.nn.relu, "softsign": tf.nn.softsign}[layout.config.activation]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cell = GRUCell(layout.config.units, activation=activation, dtype=tf.float64)
        cell.build((None, layout.config.input_dim))  # it still calls the deprecated add_variable
    arrays = layout.arrays()
    assert len(cell.weights) == len(arrays)
    for variable in cell.weights:
        variable.assign(arrays[variable.name.split("/", 1)[1].split(":")[0]])
    h, out = tf.constant(h0[None]), []
    for x_t in x:
        _, h = cell(tf.constant(x_t[None]), h)
        out.append(h[0].numpy())
    return np.array(out)


@pytest.mark.parametrize("D, H, activation", [(1, 1, "tanh"), (3, 4, "tanh"), (2, 3, "relu")])
def test_tf1_layout_traces_like_grucell(GRUCell, D, H, activation):
    rng = np.random.default_rng(D * 7 + H)
    arrays = {"gates/kernel": rng.normal(0, 0.6, (D + H, 2 * H)), "gates/bias": 1.0 + rng.normal(0, 0.3, 2 * H),
              "candidate/kernel": rng.normal(0, 0.6, (D + H, H)), "candidate/bias": rng.normal(0, 0.3, H)}
    layout = L.TF1GRUCell.from_arrays(L.LayoutConfig(H, D, activation), arrays)
    x, h0 = rng.normal(size=(8, D)), rng.normal(0, 0.5, H)
    np.testing.assert_allclose(L.run_layout(layout, x, h0).sequence_output, tf1_run(GRUCell, layout, x, h0),
                               atol=1e-12)


def test_keras_to_tf1_reproduces_keras_in_grucell(GRUCell):
    rng = np.random.default_rng(10)
    w = random_weights(rng, GRUConfig(units=3, input_dim=2, reset_after=False, activation="softsign"))
    x, h0 = rng.normal(size=(9, 2)), rng.normal(0, 0.5, 3)
    expected = run_keras(w, x, h0, dtype="float64").sequence_output
    np.testing.assert_allclose(tf1_run(GRUCell, L.convert(w, "tf1").weights, x, h0), expected, atol=1e-12)


def test_tf1_and_keras_snippets_run(GRUCell):
    rng = np.random.default_rng(11)
    w = random_weights(rng, GRUConfig(units=2, input_dim=3, reset_after=False))
    x, h0 = rng.normal(size=(5, 3)), rng.normal(0, 0.5, 2)
    expected = run_keras(w, x, h0, dtype="float64").output
    for name in ("tf1", "keras"):
        namespace = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(L.snippet(L.convert(w, name).weights, x, h0).code, namespace)
        np.testing.assert_allclose(namespace["output"], expected, atol=1e-12, err_msg=name)


# --- Wikipedia's rule reaches a real framework only through negated z -------------------------------

def test_wikipedia_negated_z_runs_in_torch():
    rng = np.random.default_rng(12)
    wiki = L.WikipediaGRU.from_arrays(L.LayoutConfig(1, 1), {
        f"{p}_{g}": rng.normal(0, 0.8, (1, 1) if p != "b" else 1) for p in ("W", "U", "b") for g in "zrh"})
    converted = L.convert(wiki, "pytorch")  # units=1: the reset moves exactly; z is negated
    assert converted.native and len(converted.notes) == 2
    x = rng.normal(size=(6, 1))
    # Wikipedia's own rule, which test_layouts checks against its published equations.
    expected = L.run_layout(wiki, x).sequence_output
    np.testing.assert_allclose(torch_run(load_torch(converted.weights), x, np.zeros(1)), expected, atol=1e-12)
