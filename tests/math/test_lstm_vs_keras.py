"""The LSTM against a real keras.layers.LSTM (forward, float32 Keras vs float64 gruviz), a real
torch.nn.LSTM through the PyTorch layout, tf.GradientTape in float64 and central differences,
and Keras's own count_params(). No expected value comes from gruviz itself."""

import itertools

import numpy as np
import pytest

from gruviz.errors import InputError
from gruviz.layouts.lstm import PyTorchLSTM, from_state_dict
from gruviz.math import params
from gruviz.math.activations import ACTIVATIONS
from gruviz.math.lstm_backward import backward
from gruviz.math.lstm_trace import run
from gruviz.math.lstm_weights import LSTMConfig, LSTMWeights, from_layer
from gruviz.io.keras_bridge import fresh_lstm_arrays, run_keras_lstm

PAIRS = list(itertools.product(ACTIVATIONS, ACTIVATIONS))  # (activation, recurrent_activation)
UNBOUNDED = ("linear", "relu")


def random_lstm(rng, config: LSTMConfig, scale: float = 0.6) -> LSTMWeights:
    D, H = config.input_dim, config.units
    bias = rng.normal(0, scale, 4 * H) if config.use_bias else None
    return LSTMWeights.create(config, rng.normal(0, scale, (D, 4 * H)), rng.normal(0, scale, (H, 4 * H)), bias)


def case(i: int, n_pairs: int = len(PAIRS)):
    """Config i of the sweep: activation pairs spread over i, every option varied with i."""
    rng = np.random.default_rng(9100 + i)
    activation, recurrent = PAIRS[(i * 11) % n_pairs]
    config = LSTMConfig(units=int(rng.integers(1, 6)), input_dim=int(rng.integers(1, 4)), use_bias=i % 5 != 0,
                        activation=activation, recurrent_activation=recurrent)
    T = int(rng.integers(1, 11))
    # Unbounded φ makes c and h grow; small weights keep float32 Keras meaningful at 1e-5.
    scale = 0.3 if activation in UNBOUNDED or recurrent in UNBOUNDED else 0.7
    mask = None if i % 3 == 1 else rng.random(T) < 0.7
    if i % 7 == 3:
        mask = np.r_[False, False, np.ones(T, bool)][:T]  # leading masked steps: output 0, not h0
    return dict(weights=random_lstm(rng, config, scale), x=rng.normal(0, 1, (T, config.input_dim)),
                h0=rng.normal(0, 0.5, config.units) if i % 4 else None,
                c0=rng.normal(0, 0.5, config.units) if i % 4 != 2 else None,
                go_backwards=bool((i // 2) % 2), mask=mask)


def ours(c: dict):
    return run(c["weights"], c["x"], c["h0"], c["c0"], c["go_backwards"], c["mask"])


def relative(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).max() / max(1.0, np.abs(b).max()))


@pytest.mark.parametrize("i", range(24))
def test_matches_keras_lstm_float32(i):
    c = case(i)
    k = run_keras_lstm(c["weights"], c["x"], c["h0"], c["c0"], c["go_backwards"], c["mask"])
    assert relative(k.sequence_output, ours(c).sequence_output) <= 1e-5


@pytest.mark.parametrize("i", range(0, 24, 3))
def test_matches_keras_lstm_float64_exactly(i):
    c = case(i)
    k = run_keras_lstm(c["weights"], c["x"], c["h0"], c["c0"], c["go_backwards"], c["mask"], dtype="float64")
    assert relative(k.sequence_output, ours(c).sequence_output) <= 1e-12


def test_masked_steps_carry_both_states_and_leading_output_is_zero():
    rng = np.random.default_rng(5)
    w = random_lstm(rng, LSTMConfig(2, 1))
    h0, c0 = np.array([0.3, -0.2]), np.array([1.0, -1.0])
    t = run(w, [[1.0], [2.0], [3.0]], h0, c0, mask=[0, 1, 0])
    np.testing.assert_array_equal(t.sequence_output[0], 0.0)  # before any kept step: 0, not h0
    np.testing.assert_array_equal(t.sequence_output[2], t.sequence_output[1])
    np.testing.assert_array_equal(t.c[0], c0)
    np.testing.assert_array_equal(t.c[2], t.c[1])
    # The hand rule of the kept step, from h0 and c0.
    a = np.array([2.0]) @ w.kernel + h0 @ w.recurrent_kernel + w.bias
    s = 1 / (1 + np.exp(-a))
    i_, f_, g_, o_ = np.split(s, 4)
    c1 = f_ * c0 + i_ * np.tanh(np.split(a, 4)[2])
    np.testing.assert_allclose(t.h[1], o_ * np.tanh(c1), rtol=1e-14)


def test_fresh_keras_lstm_shows_unit_forget_bias():
    config = LSTMConfig(3, 2)
    with_ones = fresh_lstm_arrays(config, seed=4)
    without = fresh_lstm_arrays(config, seed=4, unit_forget_bias=False)
    w = LSTMWeights.from_keras_arrays(with_ones)
    np.testing.assert_array_equal(w.b("f"), 1.0)
    np.testing.assert_array_equal(w.b("i"), 0.0)
    np.testing.assert_array_equal(without[2], 0.0)


# --------------------------------------------------------------------------- PyTorch


def torch_lstm(units, input_dim, bias=True, seed=0):
    torch = pytest.importorskip("torch")
    torch.manual_seed(seed)
    return torch, torch.nn.LSTM(input_dim, units, bias=bias, batch_first=True).double()


@pytest.mark.parametrize("units,input_dim,bias,backwards", [(1, 1, True, False), (3, 2, True, True),
                                                          (5, 4, False, False), (2, 3, True, True)])
def test_state_dict_of_real_torch_lstm_runs_as_torch_does(units, input_dim, bias, backwards):
    torch, layer = torch_lstm(units, input_dim, bias, seed=units * 10 + input_dim)
    arrays = {k: v.detach().numpy() for k, v in layer.state_dict().items()}
    if bias:
        assert np.abs(arrays["bias_hh_l0"]).min() > 0  # both biases really in play
    w = from_state_dict(arrays)
    rng = np.random.default_rng(units)
    x, h0, c0 = rng.normal(size=(7, input_dim)), rng.normal(size=units), rng.normal(size=units)
    fed = x[::-1].copy() if backwards else x  # go_backwards = nn.LSTM on the reversed sequence
    with torch.no_grad():
        out, (hn, cn) = layer(torch.tensor(fed)[None], (torch.tensor(h0)[None, None], torch.tensor(c0)[None, None]))
    t = run(w, x, h0, c0, go_backwards=backwards)
    np.testing.assert_allclose(t.sequence_output, out[0].numpy(), rtol=0, atol=1e-13)
    np.testing.assert_allclose(t.c[-1], cn[0, 0].numpy(), rtol=0, atol=1e-13)


def test_keras_weights_loaded_into_torch_compute_the_same():
    torch, layer = torch_lstm(3, 2)
    rng = np.random.default_rng(1)
    w = random_lstm(rng, LSTMConfig(3, 2))
    layout = PyTorchLSTM.from_keras(w)
    np.testing.assert_array_equal(layout.bias_hh_l0, 0.0)  # the stated canonical split
    layer.load_state_dict({k: torch.tensor(v) for k, v in layout.arrays().items()})
    x = rng.normal(size=(6, 2))
    with torch.no_grad():
        out, _ = layer(torch.tensor(x)[None])
    np.testing.assert_allclose(run(w, x).sequence_output, out[0].numpy(), atol=1e-13)
    np.testing.assert_array_equal(layout.to_keras().kernel, w.kernel)


def test_layout_refusals_say_what_is_wrong():
    with pytest.raises(InputError, match="bias_hh_l0"):
        PyTorchLSTM.create(LSTMConfig(2, 1), {"weight_ih_l0": np.zeros((8, 1)), "weight_hh_l0": np.zeros((8, 2)),
                                               "bias_ih_l0": np.zeros(8)})
    with pytest.raises(InputError, match=r"\(8, 1\)"):
        PyTorchLSTM.create(LSTMConfig(2, 1, use_bias=False), {"weight_ih_l0": np.zeros((6, 1)),
                                                              "weight_hh_l0": np.zeros((8, 2))})
    with pytest.raises(InputError, match="4·units"):
        LSTMWeights.from_keras_arrays([np.zeros((1, 6)), np.zeros((2, 6))])
    with pytest.raises(InputError, match="PyTorch"):
        LSTMWeights.create(LSTMConfig(1, 1), np.zeros((1, 4)), np.zeros((1, 4)), np.zeros((2, 4)))
    with pytest.raises(InputError, match="at most"):
        LSTMConfig(units=5000, input_dim=1)


def test_reader_hook_builds_weights_from_keras_layer_config():
    rng = np.random.default_rng(2)
    arrays = [rng.normal(size=(2, 12)), rng.normal(size=(3, 12))]
    w = from_layer(arrays, {"units": 3, "use_bias": False, "activation": "relu", "name": "lstm"})
    assert w.config == LSTMConfig(3, 2, use_bias=False, activation="relu")
    with pytest.raises(InputError, match="units=4"):
        from_layer(arrays, {"units": 4, "use_bias": False})


# --------------------------------------------------------------------------- parameter counts


@pytest.mark.parametrize("units,input_dim", [(1, 1), (2, 3), (7, 5), (16, 1), (32, 32)])
@pytest.mark.parametrize("use_bias", [True, False])
def test_parameter_counts_equal_keras_count_params(units, input_dim, use_bias):
    import keras

    layers = {"gru_reset_after": keras.layers.GRU(units, reset_after=True, use_bias=use_bias),
              "gru_reset_before": keras.layers.GRU(units, reset_after=False, use_bias=use_bias),
              "lstm": keras.layers.LSTM(units, use_bias=use_bias)}
    for layer in layers.values():
        layer.build((None, None, input_dim))
    expected = {name: layer.count_params() for name, layer in layers.items()}
    assert params.Counts.of(units, input_dim, use_bias).as_json() == expected


def test_a_saved_keras_file_with_an_lstm_reads_through_the_reader_hook(tmp_path):
    """What the file readers hand over for an LSTM layer (its config dict from config.json and
    its cell's vars 0, 1, 2 from model.weights.h5, read as data) builds weights that compute
    exactly what the saved model predicts."""
    import io
    import json
    import zipfile

    import h5py
    import keras

    model = keras.Sequential([keras.Input((None, 2)), keras.layers.LSTM(3, return_sequences=True,
                                                                        activation="softsign", go_backwards=True)])
    path = tmp_path / "m.keras"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        layer_config = json.loads(archive.read("config.json"))["config"]["layers"][1]["config"]
        with h5py.File(io.BytesIO(archive.read("model.weights.h5"))) as weights:
            group = weights["layers/lstm/cell/vars"]
            arrays = [np.asarray(group[str(k)], np.float64) for k in range(len(group))]
    w = from_layer(arrays, layer_config)
    assert w.config == LSTMConfig(3, 2, True, "softsign", "sigmoid")
    np.testing.assert_array_equal(w.b("f"), 1.0)  # unit_forget_bias, as saved
    x = np.random.default_rng(0).normal(size=(5, 2))
    expected = model.predict(x[None].astype("float32"), verbose=0)[0]
    ours = run(w, x, go_backwards=bool(layer_config["go_backwards"])).sequence_output
    assert relative(expected, ours) <= 1e-5
