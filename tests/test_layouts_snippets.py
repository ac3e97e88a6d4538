"""The code each layout's snippet writes, run in the framework it names (Keras, PyTorch,
TensorFlow 1's GRUCell, EpyNN, NumPy), and what the snippets, caveats, equations and refusals
of the CuDNNGRU, Flax and Equinox layouts say.

Expected numbers come from a real keras.layers.GRU (float64) on the source weights; the
words are the product's wording, and the equations are the frameworks' published ones."""

import os
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from conftest import random_weights  # noqa: E402
from gruviz import GRUConfig, GRUWeights, InputError  # noqa: E402
from gruviz import layouts as L  # noqa: E402
from gruviz.io.keras_bridge import run_keras  # noqa: E402
from gruviz.layouts.base import LayoutConfig  # noqa: E402

CUDNN_LIMIT = ("CuDNNGRU always uses sigmoid gates and a tanh candidate (cuDNN has no other); these arrays are the "
               "exact layout, but a real CuDNNGRU computes other numbers with them.")
EQUINOX_LIMIT = ("eqx.nn.GRUCell always uses sigmoid gates and a tanh candidate; these arrays are the exact layout, "
                 "but the real cell computes other numbers with them.")
EPYNN_H0 = "EpyNN's GRU always starts from h = 0 and cannot take this h0, so its numbers differ."


def keras_gru(seed, H=3, D=2, hh_zero=False, **config):
    w = random_weights(np.random.default_rng(seed), GRUConfig(H, D, **config), scale=0.8)
    if hh_zero:  # cells with no bias inside r ⊙ (…) need b^h_h = 0
        bias = w.bias.copy()
        bias[1, 2 * H:] = 0
        w = GRUWeights.create(w.config, w.kernel, w.recurrent_kernel, bias)
    return w


def run_snippet(weights, x, h0=None, convention=None) -> dict:
    snippet = L.snippet(weights, x, h0, convention)
    assert snippet.language == "python"
    namespace = {}
    with warnings.catch_warnings(), np.errstate(over="ignore"):
        warnings.simplefilter("ignore")
        exec(snippet.code.replace("print(output)", ""), namespace)
    return namespace | {"code": snippet.code}


def truth(w, x, h0=None):
    return run_keras(w, x, h0, dtype="float64").output


# --- each framework runs its snippet to Keras's numbers ------------------------------------------

KERAS_CASES = [dict(reset_after=True), dict(reset_after=False, use_bias=False, activation="softsign",
                                            recurrent_activation="hard_sigmoid_legacy"),
               dict(reset_after=True, activation="linear", recurrent_activation="hard_sigmoid")]


@pytest.mark.parametrize("config", KERAS_CASES)
def test_the_keras_snippet_runs_in_keras(config):
    w = keras_gru(1, **config)
    rng = np.random.default_rng(2)
    x, h0 = rng.normal(size=(4, 2)), rng.normal(size=3)
    ran = run_snippet(w, x, h0)
    np.testing.assert_allclose(ran["output"], truth(w, x, h0), atol=1e-12)
    assert f"reset_after={config['reset_after']}, use_bias={config.get('use_bias', True)}, " in ran["code"]


@pytest.mark.parametrize("use_bias", [True, False])
def test_the_pytorch_snippet_runs_in_torch(use_bias):
    w = keras_gru(3, use_bias=use_bias)
    rng = np.random.default_rng(4)
    x, h0 = rng.normal(size=(5, 2)), rng.normal(size=3)
    ran = run_snippet(L.convert(w, "pytorch").weights, x, h0)
    np.testing.assert_allclose(ran["output"], truth(w, x, h0), atol=1e-12)
    assert ("bias=False" in ran["code"]) is not use_bias
    assert list(ran["gru"].state_dict()) == (["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
                                             if use_bias else ["weight_ih_l0", "weight_hh_l0"])


@pytest.mark.parametrize("activation", ["relu", "softsign", "linear", "hard_sigmoid", "hard_sigmoid_legacy"])
def test_the_tf1_snippet_runs_in_grucell_with_each_candidate_activation(activation):
    w = keras_gru(5, H=2, D=3, reset_after=False, activation=activation)
    rng = np.random.default_rng(6)
    x, h0 = rng.normal(size=(4, 3)), rng.normal(size=2)
    ran = run_snippet(L.convert(w, "tf1").weights, x, h0)
    np.testing.assert_allclose(ran["output"], truth(w, x, h0), atol=1e-12)
    assert "# TF 1.x: tf.nn.rnn_cell.GRUCell. TF 2.x keeps the same class here:\n" in ran["code"]


@pytest.mark.parametrize("activation, gate, imported", [
    ("relu", "sigmoid", "from epynn.commons.maths import relu, sigmoid\n"),
    ("linear", "tanh", "from epynn.commons.maths import identity, tanh\n"),
    ("softsign", "hard_sigmoid", None), ("tanh", "hard_sigmoid_legacy", "from epynn.commons.maths import tanh\n"),
])
def test_the_epynn_snippet_runs_in_epynn_with_its_own_or_written_activations(activation, gate, imported):
    w = keras_gru(7, reset_after=False, activation=activation, recurrent_activation=gate)
    x = np.random.default_rng(8).normal(size=(5, 2))
    ran = run_snippet(L.convert(w, "epynn").weights, x)
    np.testing.assert_allclose(ran["output"], truth(w, x), atol=1e-12)
    if imported:
        assert imported in ran["code"]
    else:
        assert "epynn.commons" not in ran["code"]
    for name in {activation, gate} - {"relu", "sigmoid", "tanh", "linear"}:  # written, as EpyNN calls them
        assert f"def {name}(a, deriv=False):" in ran["code"]


@pytest.mark.parametrize("name", ["dl4mt", "wikipedia", "cudnngru"])
@pytest.mark.parametrize("activation, gate", [("relu", "hard_sigmoid"), ("softsign", "sigmoid"),
                                              ("linear", "hard_sigmoid_legacy"), ("tanh", "tanh")])
def test_numpy_snippets_run_with_every_activation(name, activation, gate):
    reset_after = name != "wikipedia"
    w = keras_gru(9, reset_after=reset_after, hh_zero=name == "dl4mt", activation=activation,
                  recurrent_activation=gate)
    rng = np.random.default_rng(10)
    x, h0 = rng.normal(size=(4, 2)), rng.normal(size=3)
    converted = L.convert(w, name)  # to Wikipedia's rule by negating z, where that is exact
    ran = run_snippet(converted.weights, x, h0, converted.convention)
    if converted.native:
        np.testing.assert_allclose(ran["output"], truth(w, x, h0), atol=1e-12)
    else:  # a tanh gate: the arrays keep Keras's rule, which the written loop does not use
        assert ran["code"].startswith("# NOTE: these arrays compute the source only under the keras update rule")
        assert np.abs(ran["output"] - truth(w, x, h0)).max() > 1e-3
    for used in {activation, gate} - {"tanh"}:
        assert ran["code"].count(f"def {used}(a):") == 1  # defined once, without EpyNN's deriv


def test_a_one_step_sequence_is_run_and_an_empty_one_is_not():
    w = keras_gru(11)
    x = np.array([[0.5, -1.0]])
    np.testing.assert_allclose(run_snippet(w, x)["output"], truth(w, x), atol=1e-12)
    for empty in (None, np.zeros((0, 2)), []):
        code = L.snippet(L.convert(w, "pytorch").weights, empty).code
        assert "output" not in code and "gru.load_state_dict" in code


# --- caveats, written as NOTE lines at the top -----------------------------------------------------

def test_caveats_name_what_the_real_framework_cannot_do():
    other = keras_gru(12, activation="relu", recurrent_activation="sigmoid")
    gates = keras_gru(12, activation="tanh", recurrent_activation="hard_sigmoid")
    for w in (other, gates):
        assert L.caveats(L.convert(w, "cudnngru").weights) == (CUDNN_LIMIT,)
        assert L.caveats(L.convert(w, "equinox").weights) == (EQUINOX_LIMIT,)
        assert L.caveats(L.convert(w, "flax_linen").weights) == ()  # gate_fn and activation_fn are arguments
    plain = keras_gru(12)
    assert L.caveats(L.convert(plain, "cudnngru").weights, np.ones(3)) == ()
    assert L.caveats(plain, np.ones(3), "keras") == ()
    assert L.snippet(L.convert(other, "cudnngru").weights).code.startswith(f"# NOTE: {CUDNN_LIMIT}\nimport numpy")


def test_only_epynn_is_warned_about_a_non_zero_h0():
    w = keras_gru(13, reset_after=False)
    epynn = L.convert(w, "epynn").weights
    assert L.caveats(epynn, np.array([0.0, 0.0, 0.0])) == () and L.caveats(epynn) == ()
    assert L.caveats(epynn, np.array([0.0, 0.1, 0.0])) == (EPYNN_H0,)
    assert L.caveats(L.convert(w, "tf1").weights, np.array([0.0, 0.1, 0.0])) == ()
    assert L.snippet(epynn, None, [0.0, 0.1, 0.0]).code.startswith(f"# NOTE: {EPYNN_H0}\nimport numpy")


def test_a_rule_the_framework_does_not_use_is_named_in_a_note():
    w = keras_gru(14, reset_after=False, recurrent_activation="hard_sigmoid")
    kept = L.convert(w, "wikipedia", keep_rule=True)
    note = "these arrays compute the source only under the keras update rule, which Wikipedia / Chung 2014 does not use."
    assert L.caveats(kept.weights, None, kept.convention) == (note,)
    assert L.caveats(kept.weights, None, "bahdanau") == ()
    assert L.caveats(w, None, "bahdanau") == ("these arrays compute the source only under the bahdanau update rule, "
                                              "which Keras 3 GRU does not use.",)
    both = L.caveats(L.convert(w, "epynn").weights, np.ones(3), "bahdanau")
    assert both == (EPYNN_H0, "these arrays compute the source only under the bahdanau update rule, which EpyNN GRU "
                              "does not use.")
    code = L.snippet(L.convert(w, "epynn").weights, None, np.ones(3), "bahdanau").code
    assert code.startswith(f"# NOTE: {both[0]}\n# NOTE: {both[1]}\nimport numpy as np\n")
