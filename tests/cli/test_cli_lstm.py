"""`python -m gruviz trace` on LSTM weights and `python -m gruviz params`, as a person runs them
(in this process, tests/cli_run.py; the first test as a real process). Expected numbers come
from real torch.nn.LSTM / keras.layers.LSTM and hand formulas."""

import json

import numpy as np
import pytest

from cli_run import gruviz


def write(tmp_path, data) -> str:
    path = tmp_path / "lstm.json"
    path.write_text(json.dumps(data))
    return str(path)


def torch_file(tmp_path, units=2, input_dim=1):
    """A real nn.LSTM's state dict (both biases random) as a pytorch-layout LSTM weights file."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(3)
    layer = torch.nn.LSTM(input_dim, units, batch_first=True).double()
    arrays = {k: v.detach().numpy().tolist() for k, v in layer.state_dict().items()}
    data = {"format": "gruviz-weights/1", "cell": "lstm", "layout": "pytorch",
            "config": {"units": units, "input_dim": input_dim, "bias": True}, **arrays}
    return torch, layer, write(tmp_path, data)


def test_trace_of_a_torch_lstm_prints_every_intermediate(tmp_path):
    torch, layer, path = torch_file(tmp_path)
    result = gruviz("trace", path, "--sequence", "1,2,9,8", "--h0", "0.1,-0.2", "--c0", "-0.5,0.5", process=True)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    with torch.no_grad():
        expected, (_, cn) = layer(torch.tensor([[[1.0], [2.0], [9.0], [8.0]]], dtype=torch.float64),
                                  (torch.tensor([[[0.1, -0.2]]], dtype=torch.float64),
                                   torch.tensor([[[-0.5, 0.5]]], dtype=torch.float64)))
    np.testing.assert_allclose(out["sequence_output"], expected[0].numpy(), atol=1e-13)
    np.testing.assert_allclose(out["output"], expected[0, -1].numpy(), atol=1e-13)
    np.testing.assert_allclose(out["steps"][-1]["c"], cn[0, 0].numpy(), atol=1e-13)
    step = out["steps"][0]
    assert set(step) >= {"x", "i", "f", "c_tilde", "o", "c", "h", "i_pre", "f_pre", "c_tilde_pre", "o_pre"}
    # The first step by hand from the gates it prints: c_0 = f ⊙ c0 + i ⊙ c~, h = o ⊙ tanh(c).
    c1 = np.array(step["f"]) * [-0.5, 0.5] + np.array(step["i"]) * np.array(step["c_tilde"])
    np.testing.assert_allclose(step["c"], c1, rtol=1e-14)
    np.testing.assert_allclose(step["i"], 1 / (1 + np.exp(-np.array(step["i_pre"]))), rtol=1e-14)


def test_trace_keras_compares_with_a_real_keras_lstm(tmp_path):
    rng = np.random.default_rng(8)
    data = {"format": "gruviz-weights/1", "cell": "lstm", "layout": "keras",
            "config": {"units": 3, "input_dim": 2, "use_bias": True, "activation": "tanh",
                       "recurrent_activation": "hard_sigmoid"},
            "kernel": rng.normal(size=(2, 12)).tolist(), "recurrent_kernel": rng.normal(size=(3, 12)).tolist(),
            "bias": rng.normal(size=12).tolist()}
    result = gruviz("trace", write(tmp_path, data), "--sequence", "1 2; 3 4; -1 0", "--mask", "1,0,1",
                    "--go-backwards", "--c0", "-1,0,1", "--keras")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["keras"]["max_abs_diff"] < 1e-5
    np.testing.assert_allclose(out["keras"]["sequence_output"], out["sequence_output"], atol=1e-5)
    assert [s["input_index"] for s in out["steps"]] == [2, 1, 0]
    assert out["steps"][1]["masked"] and out["steps"][1]["c"] == out["steps"][0]["c"]


@pytest.mark.parametrize("bias", [True, False])
def test_params_equals_keras_count_params(bias):
    import keras

    result = gruviz("params", "--units", "5", "--input-dim", "3", *([] if bias else ["--no-bias"]))
    assert result.returncode == 0, result.stderr
    layers = {"gru_reset_after": keras.layers.GRU(5, use_bias=bias), "lstm": keras.layers.LSTM(5, use_bias=bias),
              "gru_reset_before": keras.layers.GRU(5, reset_after=False, use_bias=bias)}
    for layer in layers.values():
        layer.build((None, None, 3))
    assert json.loads(result.stdout) == {k: v.count_params() for k, v in layers.items()}


@pytest.mark.parametrize("args,message", [
    (("--c0", "1,2,3"), "--c0 has 3"),
    (("--convention", "bahdanau"), "--convention"),
])
def test_bad_lstm_options_exit_2_with_one_line(tmp_path, args, message):
    _, _, path = torch_file(tmp_path)
    result = gruviz("trace", path, "--sequence", "1,2", *args)
    assert result.returncode == 2
    assert message.split()[0] in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_lstm_file_errors_and_gru_only_commands(tmp_path):
    _, _, path = torch_file(tmp_path)
    result = gruviz("backward", path, "--sequence", "1,2")
    assert result.returncode == 2 and "LSTM" in result.stderr
    broken = json.loads(open(path).read())
    del broken["bias_hh_l0"]
    result = gruviz("trace", write(tmp_path, broken), "--sequence", "1,2")
    assert result.returncode == 2 and "bias_hh_l0" in result.stderr and "Traceback" not in result.stderr
    result = gruviz("params", "--units", "0", "--input-dim", "1")
    assert result.returncode == 2 and "--units" in result.stderr


def test_c0_with_gru_weights_is_named(tmp_path):
    data = {"format": "gruviz-weights/1", "layout": "keras", "config": {"units": 1, "input_dim": 1},
            "kernel": [[1, 2, 3]], "recurrent_kernel": [[1, 2, 3]], "bias": [[0, 0, 0], [0, 0, 0]]}
    result = gruviz("trace", write(tmp_path, data), "--sequence", "1,2", "--c0", "1")
    assert result.returncode == 2 and "--c0" in result.stderr
