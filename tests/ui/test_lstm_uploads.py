"""LSTM layers in uploaded files, read as data the way the GRU vs LSTM view reads them:
a Keras model saved by real Keras, and an nn.LSTM state_dict exported from real PyTorch."""

from __future__ import annotations

import io
import json
import os

import numpy as np
import pytest

from gruviz.math.lstm_trace import run as run_lstm
from gruviz.math.lstm_weights import LSTMWeights
from gruviz.ui.views.lstm_view import _read_lstm

os.environ.setdefault("KERAS_BACKEND", "tensorflow")


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_an_lstm_in_a_keras_model_file_matches_keras(tmp_path, suffix):
    import keras

    rng = np.random.default_rng(3)
    lstm = keras.layers.LSTM(3, return_sequences=True)
    model = keras.Sequential([keras.Input((None, 2)), keras.layers.Masking(), lstm, keras.layers.Dense(1)])
    model.set_weights([rng.normal(0, 0.6, w.shape).astype("float32") for w in model.get_weights()])
    path = tmp_path / f"m{suffix}"
    model.save(path)
    weights = _read_lstm(path.read_bytes(), path.name)
    assert isinstance(weights, LSTMWeights), weights
    x = rng.normal(0, 1, (1, 6, 2)).astype("float32")
    np.testing.assert_allclose(run_lstm(weights, x[0]).sequence_output, np.asarray(lstm(x))[0], atol=1e-5)


@pytest.mark.parametrize("form", ["npz", "json"])
def test_an_nn_lstm_state_dict_matches_torch(form):
    import torch

    torch.manual_seed(1)
    lstm = torch.nn.LSTM(2, 4).double()
    state = {f"encoder.{k}": v.detach().numpy() for k, v in lstm.state_dict().items()}
    if form == "npz":
        buffer = io.BytesIO()
        np.savez(buffer, **state)
        data = buffer.getvalue()
    else:
        data = json.dumps({k: v.tolist() for k, v in state.items()}).encode()
    weights = _read_lstm(data, f"lstm.{form}")
    assert isinstance(weights, LSTMWeights), weights
    x = np.random.default_rng(2).normal(0, 1, (5, 2))
    expected = lstm(torch.tensor(x)[:, None, :])[0][:, 0, :].detach().numpy()
    np.testing.assert_allclose(run_lstm(weights, x).sequence_output, expected, atol=1e-12)


def test_a_file_without_an_lstm_or_a_pickle_is_refused_with_the_reason(tmp_path):
    import keras

    model = keras.Sequential([keras.Input((None, 2)), keras.layers.GRU(2)])
    path = tmp_path / "gru.keras"
    model.save(path)
    assert "holds no LSTM layer" in _read_lstm(path.read_bytes(), "gru.keras")
    assert "pickle" in _read_lstm(b"\x80\x04junk", "lstm.pt") or "npz" in _read_lstm(b"\x80\x04junk", "lstm.pt")
