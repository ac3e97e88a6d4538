"""`python -m gruviz trace`, `backward` and `convert`: the JSON contract and every error path.
Commands run in this process (tests/cli_run.py); the seed trace with Keras runs as a real process."""

import json

import numpy as np
import pytest

from cli_run import gruviz
from conftest import SEED_KERNEL, SEED_RECURRENT

KERAS_SEED_OUTPUT = -0.46279544  # keras.layers.GRU on the seed question, spec §5


def write(tmp_path, data, name="w.json") -> str:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)


def seed_file(tmp_path, **changes) -> str:
    data = {
        "format": "gruviz-weights/1",
        "layout": "keras",
        "config": {"units": 1, "input_dim": 1, "reset_after": True, "use_bias": True,
                   "activation": "tanh", "recurrent_activation": "sigmoid"},
        "kernel": SEED_KERNEL,
        "recurrent_kernel": SEED_RECURRENT,
        "bias": [[0, 0, 0], [0, 0, 0]],
    }
    data.update(changes)
    return write(tmp_path, data)


def test_trace_seed_with_keras(tmp_path):
    done = gruviz("trace", seed_file(tmp_path), "--sequence", "1,2,9,8", "--keras", process=True)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert [s["t"] for s in result["steps"]] == [0, 1, 2, 3]
    assert set(result["steps"][0]) >= {"t", "x", "z", "r", "h_tilde", "h", "z_pre", "r_pre", "h_tilde_pre"}
    assert result["convention"] == "keras"
    assert result["config"]["reset_after"] is True
    np.testing.assert_allclose(result["output"], [KERAS_SEED_OUTPUT], atol=1e-6)  # float32 Keras: ~5e-7
    assert result["sequence_output"][-1] == result["output"]
    keras = result["keras"]
    assert abs(keras["output"][0] - KERAS_SEED_OUTPUT) < 1e-7
    assert keras["max_abs_diff"] < 1e-6 and keras["keras_version"].startswith("3.")


def test_sequence_forms_agree(tmp_path):
    path = seed_file(tmp_path)
    outputs = {json.dumps(json.loads(gruviz("trace", path, "--sequence", seq).stdout)["output"])
               for seq in ("1,2,9,8", "[[1],[2],[9],[8]]", "1;2;9;8", "1\n2\n9\n8", "1 2 9 8")}
    assert len(outputs) == 1


def test_bahdanau_go_backwards_mask_and_negative_values(tmp_path):
    path = seed_file(tmp_path)
    bahdanau = json.loads(gruviz("trace", path, "--sequence", "1,2,9,8", "--convention", "bahdanau").stdout)
    np.testing.assert_allclose(bahdanau["output"], [-0.02399954], atol=1e-7)
    backwards = json.loads(gruviz("trace", path, "--sequence", "1,2,9,8", "--go-backwards").stdout)
    flipped = json.loads(gruviz("trace", path, "--sequence", "8,9,2,1").stdout)
    assert backwards["sequence_output"] == flipped["sequence_output"]
    assert [s["x"] for s in backwards["steps"]] == [[8.0], [9.0], [2.0], [1.0]]
    spaced = json.loads(gruviz("trace", path, "--sequence", "-1,2", "--h0", "-0.5").stdout)
    joined = json.loads(gruviz("trace", path, "--sequence=-1,2", "--h0=-0.5").stdout)
    assert spaced == joined and spaced["h0"] == [-0.5]
    masked = json.loads(gruviz("trace", path, "--sequence", "1,2,9,8", "--mask", "1,0,1,1").stdout)
    assert masked["sequence_output"][1] == masked["sequence_output"][0]


def test_two_units_h0_with_keras(tmp_path):
    rng = np.random.default_rng(4)
    data = {"format": "gruviz-weights/1", "layout": "keras",
            "config": {"units": 2, "input_dim": 2, "reset_after": False},
            "kernel": rng.normal(size=(2, 6)).tolist(), "recurrent_kernel": rng.normal(size=(2, 6)).tolist(),
            "bias": rng.normal(size=6).tolist()}
    done = gruviz("trace", write(tmp_path, data), "--sequence", "1 2; -3 4; 0.5 0", "--h0=-0.5,0.2", "--keras")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["keras"]["max_abs_diff"] < 1e-5


BAD_SEQUENCES = {
    "x,1": "not a number",
    "1,nan": "not a finite number",
    "1,inf": "not a finite number",
    "": "empty",
    "1 2; 3": "input_dim=1",
    "[[1],[2": "not valid JSON",
}


@pytest.mark.parametrize("sequence, message", BAD_SEQUENCES.items())
def test_bad_sequence_exits_2_with_one_line(tmp_path, sequence, message):
    done = gruviz("trace", seed_file(tmp_path), "--sequence", sequence)
    assert done.returncode == 2
    assert message in done.stderr and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


BAD_FILES = {
    "not json": ("{nope", "not valid JSON"),
    "wrong format": ({"format": "other"}, "format"),
    "wrong kernel shape": (None, "kernel has shape (1, 4)"),
    "bias for reset_before": (None, "did this model use reset_after=False?"),
    "nan weight": (None, "finite"),
    "string weight": (None, "only numbers"),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_bad_weights_file_exits_2_with_one_line(tmp_path, case):
    data, message = BAD_FILES[case]
    if case == "wrong kernel shape":
        path = seed_file(tmp_path, kernel=[[1, 2, 3, 4]])
    elif case == "bias for reset_before":
        path = seed_file(tmp_path, bias=[0, 0, 0])
    elif case == "nan weight":
        path = write(tmp_path, open(seed_file(tmp_path)).read().replace("0.24168766", "NaN"))
    elif case == "string weight":
        path = seed_file(tmp_path, kernel=[["a", 1, 2]])
    else:
        path = write(tmp_path, data)
    done = gruviz("trace", path, "--sequence", "1,2")
    assert done.returncode == 2
    assert message in done.stderr and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


@pytest.mark.parametrize("args, message", [
    (["trace", "missing.json", "--sequence", "1"], "cannot read"),
    (["trace", "{w}", "--sequence", "1", "--h0", "1,2"], "--h0 has 2 values"),
    (["trace", "{w}", "--sequence", "1,2", "--mask", "1"], "mask has 1 entry"),
    (["trace", "{w}", "--sequence", "1", "--convention", "wiki"], "invalid choice"),
    (["trace", "{w}"], "--sequence"),
    (["fly"], "invalid choice"),
])
def test_bad_arguments_exit_2_with_one_line(tmp_path, args, message):
    path = seed_file(tmp_path)
    done = gruviz(*[a.replace("{w}", path) for a in args])
    assert done.returncode == 2
    assert message in done.stderr and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_convert_to_pytorch_and_back_is_exact(tmp_path):
    rng = np.random.default_rng(9)
    keras_file = write(tmp_path, {"format": "gruviz-weights/1", "layout": "keras",
                                  "config": {"units": 2, "input_dim": 3},
                                  "kernel": rng.normal(size=(3, 6)).tolist(),
                                  "recurrent_kernel": rng.normal(size=(2, 6)).tolist(),
                                  "bias": rng.normal(size=(2, 6)).tolist()})
    done = gruviz("convert", keras_file, "--to", "pytorch", "--sequence", "1 2 3; -1 0 2")
    assert done.returncode == 0, done.stderr
    torch_file = json.loads(done.stdout)
    assert torch_file["layout"] == "pytorch" and np.shape(torch_file["weight_ih_l0"]) == (6, 3)
    assert "proved on 2 steps" in done.stderr
    pytorch_path = write(tmp_path, torch_file, "torch.json")
    a = json.loads(gruviz("trace", keras_file, "--sequence", "1 2 3; -1 0 2").stdout)["output"]
    b = json.loads(gruviz("trace", pytorch_path, "--sequence", "1 2 3; -1 0 2").stdout)["output"]
    np.testing.assert_allclose(a, b, atol=1e-12)


def test_impossible_conversion_exits_3_with_the_reason(tmp_path):
    rng = np.random.default_rng(10)
    path = write(tmp_path, {"format": "gruviz-weights/1", "layout": "keras",
                            "config": {"units": 2, "input_dim": 1, "reset_after": False},
                            "kernel": rng.normal(size=(1, 6)).tolist(),
                            "recurrent_kernel": rng.normal(size=(2, 6)).tolist(),
                            "bias": rng.normal(size=6).tolist()})
    done = gruviz("convert", path, "--to", "pytorch")
    assert done.returncode == 3 and done.stdout == ""
    assert "(r ⊙ h) U_h" in done.stderr and "diagonal" in done.stderr and "Traceback" not in done.stderr


def test_backward_contract_and_errors(tmp_path):
    path = seed_file(tmp_path)
    done = gruviz("backward", path, "--sequence", "1,2,9,8", "--h0=0.3")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert set(result) == {"loss", "grads", "steps"}
    assert set(result["grads"]) == {"kernel", "recurrent_kernel", "bias", "x", "h0"}
    assert np.shape(result["grads"]["bias"]) == (2, 3) and len(result["steps"]) == 4
    assert set(result["steps"][0]) == {"t", "dh", "dz_pre", "dr_pre", "dh_tilde_pre"}
    # dL/dh0 for L = h_T, by central differences through the forward pass.
    from gruviz import GRUConfig, GRUWeights, run

    w = GRUWeights.create(GRUConfig(1, 1), SEED_KERNEL, SEED_RECURRENT, np.zeros((2, 3)))
    x, eps = [[1.0], [2.0], [9.0], [8.0]], 1e-6
    numeric = (run(w, x, [0.3 + eps]).output[0] - run(w, x, [0.3 - eps]).output[0]) / (2 * eps)
    assert abs(result["grads"]["h0"][0] - numeric) < 1e-8
    mse = json.loads(gruviz("backward", path, "--sequence", "1,2,9,8", "--loss", "mse", "--target", "0.5").stdout)
    # Keras's float32 output (spec §5); float32 is good to ~5e-7 here, and d(loss)/dh = 2(h - 0.5) ~ -1.9.
    assert abs(mse["loss"] - (KERAS_SEED_OUTPUT - 0.5) ** 2) < 2 * 0.97 * 1e-6
    for args, message in ((["--target", "1"], "takes no target"),
                          (["--loss", "mse_all", "--target", "1,2"], "2 timesteps"),
                          (["--loss", "mse", "--target", "x"], "not a number")):
        bad = gruviz("backward", path, "--sequence", "1,2,9,8", *args)
        assert bad.returncode == 2 and message in bad.stderr and bad.stderr.count("\n") == 1
