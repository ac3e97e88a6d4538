"""ONNX GRU nodes: gruviz's trace against onnxruntime on the same file, conversions
against real keras.layers.GRU and torch.nn.GRU, files written by `convert --to onnx`,
a real torch.onnx.export, hostile files, and the linear_before_reset mistake.

Expected numbers come from onnxruntime, Keras and PyTorch, never from gruviz."""

import dataclasses
import io
import itertools
import json
import warnings
from pathlib import Path

import numpy as np
import pytest

import cli_run

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from gruviz import InputError  # noqa: E402
from gruviz import layouts as L  # noqa: E402
from gruviz.explain.export_check import compare_export  # noqa: E402
from gruviz.io.onnx_file import read_onnx, write_onnx  # noqa: E402
from gruviz.layouts.base import LayoutConfig  # noqa: E402
from onnx_nodes import node_model  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CASES = list(itertools.product(("forward", "reverse", "bidirectional"), (0, 1), (True, False), (False, True),
                               (None, 4)))
WORST = {}  # largest |gruviz − onnxruntime| per (direction, linear_before_reset), for the report


def runtime(data: bytes, x: np.ndarray, layout=0):
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    X = x[:, None, :] if layout == 0 else x[None]
    return session.run(None, {"X": X.astype(np.float32)})


@pytest.mark.parametrize("direction,lbr,bias,initial_h,lens", CASES)
def test_trace_matches_onnxruntime(direction, lbr, bias, initial_h, lens):
    rng = np.random.default_rng(len(WORST) + 7)
    for H, D in ((1, 1), (3, 2), (4, 3)):
        data = node_model(rng, H, D, direction, lbr, bias, initial_h, lens)
        x = rng.normal(size=(6, D)).astype(np.float32)
        Y, Y_h = runtime(data, x)
        ours = L.onnx_outputs(read_onnx(data).nodes[0].weights, x)
        assert ours.Y.shape == Y.shape and ours.Y_h.shape == Y_h.shape
        difference = max(np.abs(ours.Y - Y).max(), np.abs(ours.Y_h - Y_h).max())
        WORST[(direction, lbr)] = max(WORST.get((direction, lbr), 0.0), float(difference))
        assert difference <= 1e-5


@pytest.mark.parametrize("activations,alpha,beta,names", [
    (["HardSigmoid", "Tanh"], [1 / 6], [0.5], ("hard_sigmoid", "tanh")),
    (["HardSigmoid", "Affine"], [0.2, 1.0], [0.5, 0.0], ("hard_sigmoid_legacy", "linear")),
    (["Sigmoid", "Relu"], None, None, ("sigmoid", "relu")),
    (["Softsign", "Softsign"], None, None, ("softsign", "softsign")),
])
def test_activations_match_onnxruntime(activations, alpha, beta, names):
    rng = np.random.default_rng(3)
    data = node_model(rng, 2, 2, "forward", 1, activations=activations, alpha=alpha, beta=beta)
    x = rng.normal(size=(5, 2)).astype(np.float32)
    node = read_onnx(data).nodes[0].weights
    assert (node.config.recurrent_activation, node.config.activation) == names
    assert np.abs(L.onnx_outputs(node, x).Y - runtime(data, x)[0]).max() <= 1e-5


def test_batch_first_layout_matches_onnxruntime_transposed():
    # onnxruntime's CPU GRU refuses layout=1, so the same weights run there with layout=0
    batch_first = node_model(np.random.default_rng(4), 3, 2, "bidirectional", 1, initial_h=True, layout=1)
    time_first = node_model(np.random.default_rng(4), 3, 2, "bidirectional", 1, initial_h=True, layout=0)
    x = np.random.default_rng(5).normal(size=(5, 2)).astype(np.float32)
    Y, Y_h = runtime(time_first, x)
    ours = L.onnx_outputs(read_onnx(batch_first).nodes[0].weights, x)
    assert ours.Y.shape == (1, 5, 2, 3) and ours.Y_h.shape == (1, 2, 3)
    assert np.abs(ours.Y - Y.transpose(2, 0, 1, 3)).max() <= 1e-5
    assert np.abs(ours.Y_h - Y_h.transpose(1, 0, 2)).max() <= 1e-5


@pytest.mark.parametrize("activations,alpha,why", [
    (["LeakyRelu", "Tanh"], None, "LeakyRelu"), (["HardSigmoid", "Tanh"], [0.3], "alpha=0.3"),
    (["Sigmoid", "Softplus"], None, "Softplus")])
def test_activations_gruviz_cannot_compute_are_refused(activations, alpha, why):
    data = node_model(np.random.default_rng(5), 2, 2, "forward", 1, activations=activations, alpha=alpha)
    with pytest.raises(InputError, match=why):
        read_onnx(data)


def test_clip_is_refused_with_the_reason():
    data = node_model(np.random.default_rng(6), 2, 2, "forward", 1)
    model = onnx.load_model_from_string(data)
    model.graph.node[0].attribute.append(helper.make_attribute("clip", 0.5))
    with pytest.raises(InputError, match="clip=0.5.*no clipping step"):
        read_onnx(model.SerializeToString())


# --- conversions against the real frameworks ---------------------------------------------------

def torch_run(layout, x, h0):
    torch = pytest.importorskip("torch")
    H, D = layout.config.units, layout.config.input_dim
    gru = torch.nn.GRU(D, H, bias=layout.bias, batch_first=True, dtype=torch.float64)
    gru.load_state_dict({k: torch.tensor(v) for k, v in layout.arrays().items()})
    with torch.no_grad():
        out, _ = gru(torch.tensor(x[None].copy()), torch.tensor(np.array(h0, dtype=np.float64)[None, None]))
    return out[0].numpy()


@pytest.mark.parametrize("direction", ["forward", "reverse", "bidirectional"])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_before_reset_1_converts_to_a_real_torch_gru(direction, bias):
    rng = np.random.default_rng(8)
    node = read_onnx(node_model(rng, 3, 2, direction, 1, bias, initial_h=True)).nodes[0].weights
    x = rng.normal(size=(6, 2))
    ours = L.onnx_outputs(node, x)
    for d, one in enumerate(node.directions()):
        converted = L.convert(one, "pytorch")
        assert converted.go_backwards == (one.direction == "reverse")
        steps = x[::-1] if converted.go_backwards else x
        out = torch_run(converted.weights, steps, one.initial_h[0, 0])
        expected = out[::-1] if converted.go_backwards else out  # back to input order, as ONNX's Y
        assert np.abs(ours.Y[:, d, 0] - expected).max() <= 1e-12
        back = L.convert(converted.weights, "onnx")
        assert back.weights.linear_before_reset == 1
        np.testing.assert_array_equal(back.weights.W, one.W)
    if direction == "bidirectional":
        joined = L.OnnxGRU.join(*[dataclasses.replace(L.convert(L.convert(one, "pytorch").weights, "onnx").weights,
                                                      direction=one.direction, initial_h=one.initial_h)
                                  for one in node.directions()])
        np.testing.assert_array_equal(L.onnx_outputs(joined, x).Y, ours.Y)


def test_linear_before_reset_0_to_torch_is_refused_with_the_reason():
    node = read_onnx(node_model(np.random.default_rng(9), 3, 2, "forward", 0)).nodes[0].weights
    with pytest.raises(L.ConversionRefused, match="U_h is diagonal"):
        L.convert(node, "pytorch")
    assert L.convert(node, "tf1").weights.config.units == 3  # reset before: exact
    assert L.convert(node, "epynn").weights.config.units == 3


@pytest.mark.parametrize("lbr", [0, 1])
def test_conversions_to_keras_match_a_real_keras_gru(lbr):
    from gruviz.io.keras_bridge import run_keras

    rng = np.random.default_rng(10 + lbr)
    node = read_onnx(node_model(rng, 3, 2, "forward", lbr, initial_h=True)).nodes[0].weights
    x = rng.normal(size=(6, 2))
    converted = L.convert(node, "keras")
    assert converted.weights.config.reset_after == bool(lbr)
    keras_run = run_keras(converted.weights, x, node.initial_h[0, 0], False, None)
    assert np.abs(keras_run.sequence_output - L.onnx_outputs(node, x).Y[:, 0, 0]).max() <= 1e-5


def test_every_layout_round_trips_through_onnx_with_proof():
    rng = np.random.default_rng(12)
    for lbr in (0, 1):
        node = read_onnx(node_model(rng, 1, 2, "forward", lbr)).nodes[0].weights  # units=1: every layout exact
        x = rng.normal(size=(7, 2))
        for name in L.LAYOUT_NAMES:
            try:
                there = L.convert(node, name)
            except L.ConversionRefused as refusal:  # units=1: only the candidate's recurrent bias can stop it
                assert lbr == 1 and "bʰₕ" in str(refusal)
                continue
            assert L.prove(node, there, x) <= 1e-12
            back = L.convert(there.weights, "onnx", convention=there.convention)
            assert L.prove(there.weights, back, x, convention=there.convention) <= 1e-12


# --- files written by gruviz ---------------------------------------------------------------------

def cli(*args):
    return cli_run.gruviz(*args, cwd=ROOT)


@pytest.mark.parametrize("reset_after", [True, False])
def test_convert_to_onnx_writes_a_valid_model_that_runs(tmp_path, reset_after):
    rng = np.random.default_rng(13)
    H, D = 3, 2
    bias = rng.normal(size=(2, 3 * H) if reset_after else (3 * H,)).tolist()
    weights = {"format": "gruviz-weights/1", "layout": "keras",
               "config": {"units": H, "input_dim": D, "reset_after": reset_after},
               "kernel": rng.normal(size=(D, 3 * H)).tolist(), "recurrent_kernel": rng.normal(size=(H, 3 * H)).tolist(),
               "bias": bias}
    (tmp_path / "w.json").write_text(json.dumps(weights))
    done = cli("convert", str(tmp_path / "w.json"), "--to", "onnx", "--out", str(tmp_path / "m.onnx"))
    assert done.returncode == 0, done.stderr
    model = onnx.load(str(tmp_path / "m.onnx"))
    onnx.checker.check_model(model, full_check=True)
    assert [n.op_type for n in model.graph.node] == ["GRU"]
    assert [i.name for i in model.graph.input] == ["X"] and [o.name for o in model.graph.output] == ["Y", "Y_h"]
    assert all(len(v.type.tensor_type.shape.dim) for v in [*model.graph.input, *model.graph.output])
    x = rng.normal(size=(5, D))
    Y, _ = runtime(model.SerializeToString(), x)
    from gruviz.io.keras_bridge import run_keras
    from gruviz.io.weights_file import loads

    truth = run_keras(loads(json.dumps(weights)), x, None, False, None).sequence_output
    assert np.abs(Y[:, 0, 0] - truth).max() <= 1e-5
    traced = cli("trace", str(tmp_path / "m.onnx"), "--sequence", json.dumps(x.tolist()))
    assert traced.returncode == 0, traced.stderr
    assert np.abs(np.array(json.loads(traced.stdout)["Y"]) - Y).max() <= 1e-5


def test_cli_traces_both_directions_and_chooses_nodes(tmp_path):
    rng = np.random.default_rng(14)
    first = onnx.load_model_from_string(node_model(rng, 2, 1, "bidirectional", 1))
    second = onnx.load_model_from_string(node_model(rng, 2, 1, "forward", 0))
    node = second.graph.node[0]
    node.name, node.input[1], node.input[2], node.input[3] = "second", "W2", "R2", "B2"
    node.output[0], node.output[1] = "Y2", "Y2_h"
    for tensor in second.graph.initializer:
        tensor.name += "2"
    first.graph.node.append(node)
    first.graph.initializer.extend(second.graph.initializer)
    first.graph.output.extend([helper.make_tensor_value_info("Y2", TensorProto.FLOAT, None)])
    path = tmp_path / "two.onnx"
    path.write_bytes(first.SerializeToString())
    x = rng.normal(size=(4, 1))
    Y, Y_h, Y2 = ort.InferenceSession(path.read_bytes(), providers=["CPUExecutionProvider"]).run(
        ["Y", "Y_h", "Y2"], {"X": x[:, None, :].astype(np.float32)})
    done = cli("trace", str(path), "--sequence", "; ".join(str(v[0]) for v in x))
    out = json.loads(done.stdout)
    assert [d["direction"] for d in out["directions"]] == ["forward", "reverse"]
    assert "also in the file: 'second'" in done.stderr
    assert np.abs(np.array(out["Y"]) - Y).max() <= 1e-5 and out["Y_shape"] == [4, 2, 1, 2]
    chosen = json.loads(cli("trace", str(path), "--sequence", json.dumps(x.tolist()), "--node", "second").stdout)
    assert np.abs(np.array(chosen["Y"]) - Y2).max() <= 1e-5
    missing = cli("trace", str(path), "--sequence", "1,2", "--node", "third")
    assert missing.returncode == 2 and "no GRU node named 'third'" in missing.stderr


@pytest.mark.parametrize("dynamo", [False, True])
def test_a_real_torch_onnx_export_reads_and_matches_torch(dynamo):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    gru = torch.nn.GRU(2, 3, bidirectional=True)
    x = torch.randn(5, 1, 2)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            torch.onnx.export(gru, (x,), buffer, dynamo=dynamo, input_names=["X"], output_names=["Y", "Y_h"])
        except Exception as error:  # the dynamo exporter needs onnxscript (requirements-test.txt)
            pytest.skip(f"torch.onnx.export(dynamo={dynamo}) does not run here: {type(error).__name__}")
    found = read_onnx(buffer.getvalue()).nodes[0]
    assert found.weights.linear_before_reset == 1 and found.weights.direction == "bidirectional"
    with torch.no_grad():
        expected, _ = gru(x)  # (T, 1, 2H): forward | reverse
    ours = L.onnx_outputs(found.weights, x[:, 0].numpy())
    got = np.concatenate([ours.Y[:, 0, 0], ours.Y[:, 1, 0]], axis=-1)
    assert np.abs(got - expected[:, 0].numpy()).max() <= 1e-5
    dropped = dataclasses.replace(found.weights, linear_before_reset=0)  # the 2026 report's export
    assert np.abs(L.onnx_outputs(dropped, x[:, 0].numpy()).Y - ours.Y).max() > 1e-3


# --- hostile files -------------------------------------------------------------------------------

def test_external_data_is_refused_and_never_read(monkeypatch):
    model = onnx.load_model_from_string(node_model(np.random.default_rng(15), 2, 2, "forward", 1))
    tensor = model.graph.initializer[0]
    tensor.ClearField("raw_data")
    tensor.ClearField("float_data")
    tensor.data_location = TensorProto.EXTERNAL
    tensor.external_data.add(key="location", value="/etc/passwd")
    opened = []
    real_open = open
    monkeypatch.setattr("builtins.open", lambda *a, **k: opened.append(a[0]) or real_open(*a, **k))
    with pytest.raises(InputError, match="external file.*/etc/passwd.*never opens"):
        read_onnx(model.SerializeToString())
    assert "/etc/passwd" not in opened


@pytest.mark.parametrize("cut", [10, 100, -7])
def test_truncated_protobuf_is_refused(cut):
    data = node_model(np.random.default_rng(16), 2, 2, "forward", 1)
    with pytest.raises(InputError):
        read_onnx(data[:cut])


def test_huge_declared_dims_are_refused_before_reading():
    model = onnx.load_model_from_string(node_model(np.random.default_rng(17), 2, 2, "forward", 1))
    model.graph.initializer[0].dims[:] = [1, 3 * 10**6, 10**4]
    with pytest.raises(InputError, match="declare over|numbers"):
        read_onnx(model.SerializeToString())


def test_tensors_shorter_than_their_shape_are_refused():
    model = onnx.load_model_from_string(node_model(np.random.default_rng(19), 2, 2, "forward", 1))
    tensor = model.graph.initializer[1]
    tensor.raw_data = tensor.raw_data[:8]
    with pytest.raises(InputError, match="does not hold the"):
        read_onnx(model.SerializeToString())


def test_computed_weights_are_refused():
    model = onnx.load_model_from_string(node_model(np.random.default_rng(18), 2, 2, "forward", 1))
    model.graph.node[0].input[1] = "W_scaled"
    model.graph.node.insert(0, helper.make_node("Mul", ["W", "W"], ["W_scaled"], name="scale"))
    with pytest.raises(InputError, match="takes W from node 'scale' \\(Mul\\).*computed"):
        read_onnx(model.SerializeToString())


def test_no_gru_and_oversized_files_are_refused():
    from gruviz.limits import APP

    with pytest.raises(InputError, match="limit"):
        read_onnx(b"\0" * (APP.max_file_bytes + 1), limits=APP)
    graph = helper.make_graph([helper.make_node("Relu", ["X"], ["Y"])], "g",
                              [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1])],
                              [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1])])
    with pytest.raises(InputError, match="no GRU node"):
        read_onnx(helper.make_model(graph).SerializeToString())


# --- the detective -------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(5))
def test_a_dropped_linear_before_reset_is_named(seed):
    rng = np.random.default_rng(100 + seed)
    H, D = int(rng.integers(2, 5)), int(rng.integers(1, 4))
    state_dict = L.PyTorchGRU(LayoutConfig(H, D), rng.normal(size=(3 * H, D)), rng.normal(size=(3 * H, H)),
                              rng.normal(size=3 * H), rng.normal(size=3 * H))
    exported = read_onnx(write_onnx(L.convert(state_dict, "onnx").weights)).nodes[0].weights
    x = rng.normal(size=(6, D))
    assert compare_export(state_dict, exported, x).verdict == "matches"  # float32 stays within 1e-6
    dropped = dataclasses.replace(exported, linear_before_reset=0)
    diagnosis = compare_export(state_dict, dropped, x)
    assert diagnosis.verdict == "explained"
    assert diagnosis.explanations[0].id == "linear_before_reset_dropped"


def test_check_export_cli_names_the_dropped_attribute(tmp_path):
    rng = np.random.default_rng(120)
    state_dict = L.PyTorchGRU(LayoutConfig(3, 2), rng.normal(size=(9, 2)), rng.normal(size=(9, 3)),
                              rng.normal(size=9), rng.normal(size=9))
    (tmp_path / "gru.json").write_text(json.dumps({k: v.tolist() for k, v in state_dict.arrays().items()}))
    node = L.convert(state_dict, "onnx").weights
    (tmp_path / "good.onnx").write_bytes(write_onnx(node))
    (tmp_path / "bad.onnx").write_bytes(write_onnx(dataclasses.replace(node, linear_before_reset=0)))
    good = json.loads(cli("check-export", str(tmp_path / "gru.json"), str(tmp_path / "good.onnx")).stdout)
    assert good["verdict"] == "matches"
    bad = json.loads(cli("check-export", str(tmp_path / "gru.json"), str(tmp_path / "bad.onnx")).stdout)
    assert bad["verdict"] == "explained" and bad["explanations"][0]["mistake"] == "linear_before_reset_dropped"


def test_report_worst_difference_against_onnxruntime():
    if not WORST:
        pytest.skip("run with the trace tests")
    print("\nworst |gruviz − onnxruntime| per (direction, linear_before_reset):",
          {f"{d}/{lbr}": f"{v:.1e}" for (d, lbr), v in sorted(WORST.items())})
