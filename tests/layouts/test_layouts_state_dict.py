"""Exported PyTorch state dicts read as data: nn.GRU's (state_dict.py) and nn.LSTM's (lstm.py).

Expected arrays come from real torch modules and PyTorch's documented layout, expected
numbers from torch itself, and every refusal is the literal message the app shows.
"""

import dataclasses
import io
import json
import re
import zipfile

import numpy as np
import pytest
import torch

from gruviz import InputError
from gruviz import layouts as L
from gruviz.layouts import lstm
from gruviz.layouts.state_dict import EXPORT_HINT, from_state_dict, read_arrays, read_state_dict
from gruviz.limits import APP, CORE
from gruviz.math.lstm_trace import run as run_lstm
from gruviz.math.lstm_weights import LSTMConfig, LSTMWeights

HINT = ("Export the state dict as data instead: json.dump({k: v.tolist() for k, v in gru.state_dict().items()}, "
        "open('gru.json', 'w')), or np.savez('gru.npz', **{k: v.cpu().numpy() for k, v in gru.state_dict().items()}).")


def as_json(sd: dict) -> bytes:
    return json.dumps({k: np.asarray(v).tolist() for k, v in sd.items()}).encode()


def as_npz(sd: dict) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **sd)
    return buffer.getvalue()


def npz_of_members(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def npy(array, version=(1, 0)) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asarray(array), version=version, allow_pickle=True)
    return buffer.getvalue()


def gru_state(D=2, H=3, prefix="", seed=0) -> dict[str, np.ndarray]:
    torch.manual_seed(seed)
    gru = torch.nn.GRU(D, H, dtype=torch.float64)
    return {prefix + k: v.numpy() for k, v in gru.state_dict().items()}


def refusal(data: bytes, filename: str, limits=CORE) -> str:
    with pytest.raises(InputError) as excinfo:
        read_state_dict(data, filename, limits)
    return str(excinfo.value)


# --- nn.GRU: the file and its format ------------------------------------------------------------------

def test_the_export_hint_is_the_documented_export():
    assert EXPORT_HINT == HINT


@pytest.mark.parametrize("filename, suffix", [("gru.pt", ".pt"), ("GRU.PTH", ".pth"), ("m.pkl", ".pkl"),
                                              ("m.pickle", ".pickle"), ("pytorch_model.bin", ".bin"),
                                              ("last.Ckpt", ".ckpt"), ("m.tar", ".tar")])
def test_a_pickle_is_never_opened_whatever_its_case(filename, suffix):
    expected = (f"{filename} is a PyTorch pickle: loading it would run whatever code it contains, so gruviz never "
                f"opens {suffix} files. {HINT}")
    assert refusal(b"\x80\x04K\x01.", filename) == expected
    with pytest.raises(InputError) as excinfo:
        read_arrays(b"\x80\x04K\x01.", filename, lambda key: True)
    assert str(excinfo.value) == expected


def test_other_suffixes_are_named():
    assert refusal(b"{}", "gru.txt") == f"gru.txt is neither .json nor .npz. {HINT}"
    with pytest.raises(InputError, match=r"^gru\.txt is neither \.json nor \.npz\. "):
        lstm.read_state_dict(b"{}", "gru.txt", CORE)


def test_a_file_over_the_size_limit_is_refused_at_the_limit_not_below():
    limits = dataclasses.replace(CORE, max_file_bytes=2**20)
    big = b" " * (3 * 2**19)
    assert refusal(big, "gru.json", limits) == "gru.json is 1.5 MB; the limit is 1 MB."
    with pytest.raises(InputError) as excinfo:
        read_arrays(big, "gru.json", lambda key: True, limits)
    assert str(excinfo.value) == "gru.json is 1.5 MB; the limit is 1 MB."
    at_limit = b"{}" + b" " * (2**20 - 2)  # exactly the limit: read, and found empty
    assert refusal(at_limit, "gru.json", limits).startswith("no weight_ih_l0 found")
    assert read_arrays(at_limit, "gru.json", lambda key: True, limits) == {}


@pytest.mark.parametrize("data, message", [
    (b"\xff\xfe{}", "gru.json is not text; a state dict JSON is text."),
    (b'{\n"a" 1}', "gru.json is not valid JSON (Expecting ':' delimiter, line 2)."),
    (b"[" * 100_000, "gru.json nests lists too deeply to be a state dict; its arrays are 1-D or 2-D."),
    (b'{"weight_ih_l0": [[' + b"1" * 5000 + b"]]}",
     "gru.json holds a number with thousands of digits; a state dict holds float32 values."),
    (b"[1, 2]", "gru.json must be a JSON object mapping names like weight_ih_l0 to nested lists."),
    (b'{"format": "gruviz-weights/1"}', "gru.json is a gruviz weights file, not a state dict; import it as gruviz "
                                       "JSON."),
    (b"{}", "no weight_ih_l0 found: an nn.GRU state dict has weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0; "
            "this one has none."),
    (b'{"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6, "g": 7}',
     "no weight_ih_l0 found: an nn.GRU state dict has weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0; "
     "this one has a, b, c, d, e, f."),
    (b'{"weight_ih_l0": [[1], [2]], "enc.weight_ih_l0": [[1]]}',
     "this state dict holds 2 GRUs ((top level), enc.); export just the one to show, e.g. "
     "model.encoder.gru.state_dict()."),
    (b'{"weight_ih_l0": [1, 2, 3]}', "weight_ih_l0 has shape (3,); nn.GRU's is (3·hidden_size, input_size)."),
    (b'{"weight_ih_l0": [[1], [2], [3], [4]]}',
     "weight_ih_l0 has shape (4, 1); nn.GRU's is (3·hidden_size, input_size)."),
])
def test_json_refusals_word_for_word(data, message):
    assert refusal(data, "gru.json") == message


def test_the_declared_shape_reads_at_most_32_levels_of_nesting():
    nested = 0.0
    for _ in range(40):
        nested = [nested]
    shape = "(" + ", ".join(["1"] * 32) + ")"
    assert refusal(json.dumps({"weight_ih_l0": nested}).encode(), "gru.json") == (
        f"weight_ih_l0 has shape {shape}; nn.GRU's is (3·hidden_size, input_size).")


def test_an_empty_array_declares_length_zero():
    assert refusal(b'{"weight_ih_l0": []}', "gru.json") == (
        "weight_ih_l0 has shape (0,); nn.GRU's is (3·hidden_size, input_size).")


@pytest.mark.parametrize("make", [as_json, as_npz])
def test_the_apps_limits_bound_units_and_features_before_reading(make):
    assert read_state_dict(make(gru_state(D=32, H=32)), "gru.npz" if make is as_npz else "gru.json",
                           APP)[0].config == L.LayoutConfig(32, 32)
    name = "gru.npz" if make is as_npz else "gru.json"
    assert refusal(make(gru_state(D=1, H=33)), name, APP) == (
        "units=33 is more than the app shows (at most 32): save a smaller layer; use the command line "
        "(python -m gruviz) for larger examples.")
    assert refusal(make(gru_state(D=33, H=1)), name, APP) == (
        "input_dim=33 is more than the app shows (at most 32): save a smaller layer; use the command line "
        "(python -m gruviz) for larger examples.")
    sd = gru_state(D=1, H=1)
    sd["bias_hh_l0"] = np.zeros(5000)
    assert refusal(make(sd), name, APP) == (
        "bias_hh_l0 has 5,000 numbers (5000,); the limit is 4,096 per array (units ≤ 32, input features ≤ 32, "
        "timesteps ≤ 400).")


@pytest.mark.parametrize("make, name", [(as_json, "m.JSON"), (as_npz, "m.NPZ")])
def test_notes_name_the_prefix_the_other_layers_and_what_was_ignored(make, name):
    sd = gru_state(prefix="enc.gru.") | {"enc.gru.weight_ih_l1": np.ones((9, 3)),
                                         "enc.gru.bias_hh_l0_reverse": np.ones(9),
                                         "enc.gru.weight_ih_l1_x": np.ones(1), "dec.weight_hh_l1": np.ones(1),
                                         "dec.bias": np.ones(2)}
    layout, notes = read_state_dict(make(sd), name)
    assert notes == ("Used the GRU under 'enc.gru.'.",
                     "Showing layer 0, forward direction only; also in the file: bias_hh_l0_reverse, weight_ih_l1.",
                     "Ignored 3 other entries of the state dict.")
    for key in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
        np.testing.assert_array_equal(layout.arrays()[key], sd["enc.gru." + key])
    assert read_state_dict(make(gru_state()), name)[1] == ()


# --- nn.GRU: .npz archives -------------------------------------------------------------------------------

def test_npz_members_of_format_2_are_read_and_of_format_3_refused():
    sd = gru_state(D=1, H=1)
    members = {f"{k}.npy": npy(v, (2, 0)) for k, v in sd.items()}
    layout, _ = read_state_dict(npz_of_members(members), "gru.npz")
    np.testing.assert_array_equal(layout.weight_hh_l0, sd["weight_hh_l0"])
    members["weight_hh_l0.npy"] = npy(sd["weight_hh_l0"], (3, 0))
    assert refusal(npz_of_members(members), "gru.npz") == (
        "weight_hh_l0.npy in gru.npz is a .npy of format (3, 0); gruviz reads 1.0 and 2.0.")


@pytest.mark.parametrize("array, dtype", [(np.array([True]), "bool"), (np.array([1j]), "complex128"),
                                          (np.array(["a"]), "<U1"), (np.array([{}], dtype=object), "object")])
def test_npz_members_that_are_not_plain_numbers_are_refused(array, dtype):
    data = npz_of_members({"weight_ih_l0.npy": npy(np.zeros((3, 1))), "extra.npy": npy(array)})
    assert refusal(data, "m.npz") == (
        f"m.npz holds something other than plain number arrays (extra.npy is {dtype}; Python objects could only be "
        "read by unpickling). Save each tensor with v.cpu().numpy().")


def test_integer_and_half_precision_arrays_are_plain_numbers():
    sd = {"weight_ih_l0": np.arange(6, dtype=np.int32).reshape(6, 1), "weight_hh_l0": np.ones((6, 2), np.uint8),
          "bias_ih_l0": np.ones(6, np.float16), "bias_hh_l0": np.zeros(6, np.float32)}
    layout, _ = read_state_dict(as_npz(sd), "gru.npz")
    np.testing.assert_array_equal(layout.weight_ih_l0, [[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]])
    assert layout.weight_ih_l0.dtype == np.float64


def test_npz_refusals_word_for_word():
    assert refusal(b"not a zip", "gru.npz") == f"gru.npz is not a .npz archive. {HINT}"
    truncated = npz_of_members({"weight_ih_l0.npy": b"\x93NUMPY\x01\x00"})
    assert refusal(truncated, "gru.npz") == f"gru.npz is not a readable .npz archive. {HINT}"
    bomb = io.BytesIO()
    np.savez_compressed(bomb, weight_ih_l0=np.zeros((3, 2**18)))  # 6 MB of zeros in a few kB
    assert re.fullmatch(r"weight_ih_l0\.npy in gru\.npz would unpack to 6 MB from 0\.0\d MB \(a zip bomb\?\); gruviz "
                        r"unpacks at most 64 MB\.", refusal(bomb.getvalue(), "gru.npz"))


# --- read_arrays: the reader the nn.LSTM upload uses --------------------------------------------------------

@pytest.mark.parametrize("make, name", [(as_json, "x.json"), (as_npz, "x.npz")])
def test_read_arrays_returns_the_wanted_entries_as_float64(make, name):
    sd = {"a.weight": np.arange(4.0).reshape(2, 2), "a.bias": np.ones(3, np.float32), "b": np.zeros(1)}
    got = read_arrays(make(sd), name, lambda key: key.startswith("a."))
    assert set(got) == {"a.weight", "a.bias"}
    for key, value in got.items():
        assert value.dtype == np.float64
        np.testing.assert_array_equal(value, sd[key])


@pytest.mark.parametrize("make, name", [(as_json, "x.json"), (as_npz, "x.npz")])
def test_read_arrays_checks_the_declared_shapes_of_wanted_entries_only(make, name):
    sd = {"big": np.zeros(5000), "small": np.zeros(3)}
    assert set(read_arrays(make(sd), name, lambda key: key == "small", APP)) == {"small"}
    with pytest.raises(InputError) as excinfo:
        read_arrays(make(sd), name, lambda key: True, APP)
    assert str(excinfo.value).startswith("big has 5,000 numbers (5000,); the limit is 4,096 per array")


def test_read_arrays_names_the_file_and_the_entry_in_its_refusals():
    with pytest.raises(InputError, match=r"^x\.json is not valid JSON \(Expecting ':' delimiter, line 2\)\.$"):
        read_arrays(b'{\n"a" 1}', "x.json", lambda key: True)
    with pytest.raises(InputError, match=r"^a\.bias contains nan at index \[1\]; every value must be a finite"):
        read_arrays(b'{"a.bias": [1, NaN]}', "x.json", lambda key: True)
    with pytest.raises(InputError, match=r"^a\.bias contains inf at index \[0\]; every value must be a finite"):
        read_arrays(as_npz({"a.bias": np.array([np.inf])}), "x.npz", lambda key: True)
    limits = dataclasses.replace(CORE, max_file_bytes=2**20)  # another suffix: the size is checked first
    with pytest.raises(InputError, match=r"^x\.txt is 1\.5 MB; the limit is 1 MB\.$"):
        read_arrays(b" " * (3 * 2**19), "x.txt", lambda key: True, limits)


def test_read_arrays_refuses_what_is_not_a_readable_archive():
    for data, message in ((b"not a zip", "x.npz is not a .npz archive. "),
                          (npz_of_members({"a.npy": b"\x93NUMPY\x01\x00"}), "x.npz is not a readable .npz archive. "),
                          (npz_of_members({"a.npy": npy(np.array([True]))}), "x.npz holds something other than")):
        with pytest.raises(InputError) as excinfo:
            read_arrays(data, "x.npz", lambda key: True)
        assert str(excinfo.value).startswith(message)
    bomb = io.BytesIO()
    np.savez_compressed(bomb, a=np.zeros(2**18 * 3))
    with pytest.raises(InputError, match=r"^a\.npy in x\.npz would unpack to 6 MB from 0\.0\d MB \(a zip bomb\?\)"):
        read_arrays(bomb.getvalue(), "x.npz", lambda key: True)


# --- nn.LSTM -------------------------------------------------------------------------------------------

def torch_lstm(D, H, bias=True, seed=0):
    torch.manual_seed(seed)
    module = torch.nn.LSTM(D, H, batch_first=True, bias=bias, dtype=torch.float64)
    with torch.no_grad():
        for p in module.parameters():
            p.mul_(2.0)
    return module


def torch_lstm_run(module, x, h0, c0):
    with torch.no_grad():
        out, _ = module(torch.tensor(x[None]), (torch.tensor(h0[None, None]), torch.tensor(c0[None, None])))
    return out[0].numpy()


def keras_lstm_reference(w: LSTMWeights, x, h0, c0):
    """keras.layers.LSTM (spec §6): row vectors, column blocks i | f | c | o, one bias."""
    H = w.config.units
    bias = np.zeros(4 * H) if w.bias is None else w.bias
    h, c, out = h0, c0, []
    for x_t in x:
        a = x_t @ w.kernel + h @ w.recurrent_kernel + bias
        i, f, g, o = (a[k * H:(k + 1) * H] for k in range(4))
        c = 1 / (1 + np.exp(-f)) * c + 1 / (1 + np.exp(-i)) * np.tanh(g)
        h = 1 / (1 + np.exp(-o)) * np.tanh(c)
        out.append(h)
    return np.array(out)


@pytest.mark.parametrize("D, H", [(1, 1), (3, 2), (2, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_an_lstm_state_dict_computes_what_torch_computes(D, H, bias):
    module = torch_lstm(D, H, bias, seed=D * 10 + H)
    sd = {k: v.numpy() for k, v in module.state_dict().items()}
    w = lstm.from_state_dict(sd)
    assert w.config == LSTMConfig(H, D, use_bias=bias)
    np.testing.assert_array_equal(w.kernel, sd["weight_ih_l0"].T)  # rows i | f | g | o = Keras's columns
    np.testing.assert_array_equal(w.recurrent_kernel, sd["weight_hh_l0"].T)
    if bias:
        np.testing.assert_array_equal(w.bias, sd["bias_ih_l0"] + sd["bias_hh_l0"])
    else:
        assert w.bias is None
    rng = np.random.default_rng(H)
    x, h0, c0 = rng.normal(size=(6, D)), rng.normal(size=H), rng.normal(size=H)
    expected = torch_lstm_run(module, x, h0, c0)
    np.testing.assert_allclose(run_lstm(w, x, h0, c0).sequence_output, expected, atol=1e-12)
    np.testing.assert_allclose(keras_lstm_reference(w, x, h0, c0), expected, atol=1e-12)


@pytest.mark.parametrize("bias", [True, False])
def test_keras_lstm_weights_load_into_torch_with_the_canonical_split(bias):
    rng = np.random.default_rng(5)
    H, D = 3, 2
    w = LSTMWeights.create(LSTMConfig(H, D, use_bias=bias), rng.normal(size=(D, 4 * H)), rng.normal(size=(H, 4 * H)),
                           rng.normal(size=4 * H) if bias else None)
    layout = lstm.PyTorchLSTM.from_keras(w)
    arrays = layout.arrays()
    assert list(arrays) == (["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"] if bias
                            else ["weight_ih_l0", "weight_hh_l0"])
    if bias:
        np.testing.assert_array_equal(arrays["bias_ih_l0"], w.bias)
        assert not arrays["bias_hh_l0"].any()
    module = torch.nn.LSTM(D, H, batch_first=True, bias=bias, dtype=torch.float64)
    module.load_state_dict({k: torch.tensor(v) for k, v in arrays.items()})
    x, h0, c0 = rng.normal(size=(5, D)), rng.normal(size=H), rng.normal(size=H)
    np.testing.assert_allclose(torch_lstm_run(module, x, h0, c0), keras_lstm_reference(w, x, h0, c0), atol=1e-12)
    back = layout.to_keras()
    np.testing.assert_array_equal(back.kernel, w.kernel)
    assert back.config == w.config and (back.bias is None) is (not bias)


def test_the_canonical_split_is_explained():
    assert lstm.CANONICAL_SPLIT == (
        "PyTorch's two biases only ever appear as their sum b_ih + b_hh, so Keras's one bias fixes the sum but not "
        "the split; gruviz puts all of it in bias_ih_l0 and zeros in bias_hh_l0.")


def test_an_lstm_layout_keeps_its_activations_and_names_its_limits():
    config = LSTMConfig(1, 1, activation="relu", recurrent_activation="hard_sigmoid")
    layout = lstm.PyTorchLSTM.create(config, {k: np.zeros(s) for k, s in zip(
        lstm.PYTORCH_KEYS, [(4, 1), (4, 1), (4,), (4,)])})
    assert layout.config == config and layout.to_keras().config == config
    assert layout.limits() == ("nn.LSTM always uses sigmoid gates and tanh; this LSTM uses activation='relu', "
                               "recurrent_activation='hard_sigmoid', so a real nn.LSTM computes other numbers.")
    plain = lstm.PyTorchLSTM.create(LSTMConfig(1, 1), layout.arrays())
    assert plain.limits() is None


def _lstm_arrays(H=2, D=3, **changes):
    arrays = {"weight_ih_l0": np.zeros((4 * H, D)), "weight_hh_l0": np.zeros((4 * H, H)),
              "bias_ih_l0": np.zeros(4 * H), "bias_hh_l0": np.zeros(4 * H)}
    arrays.update(changes)
    return {k: v for k, v in arrays.items() if v is not None}


@pytest.mark.parametrize("use_bias, arrays, message", [
    (True, _lstm_arrays(weight_ih_l1=np.zeros(1), bias=np.zeros(1)),
     "'bias' is not an array of nn.LSTM; its arrays are weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0."),
    (True, _lstm_arrays(weight_hh_l0=None, bias_hh_l0=None),
     "nn.LSTM(bias=True) needs weight_hh_l0, bias_hh_l0, missing here; its arrays are weight_ih_l0, weight_hh_l0, "
     "bias_ih_l0, bias_hh_l0."),
    (False, _lstm_arrays(weight_hh_l0=None, bias_ih_l0=None, bias_hh_l0=None),
     "nn.LSTM needs weight_hh_l0, missing here; its arrays are weight_ih_l0, weight_hh_l0."),
    (False, _lstm_arrays(), "bias is false but the file has bias_ih_l0, bias_hh_l0; remove them or set bias to true."),
    (False, _lstm_arrays(bias_ih_l0=None), "bias is false but the file has bias_hh_l0; remove them or set bias to "
                                           "true."),
    (True, _lstm_arrays(weight_hh_l0=np.zeros((8, 3))),
     "weight_hh_l0 has shape (8, 3) but units=2, input_dim=3 needs (8, 2) (rows i | f | g | o)."),
    (True, _lstm_arrays(bias_hh_l0=np.zeros(9)),
     "bias_hh_l0 has shape (9,) but units=2, input_dim=3 needs (8,) (rows i | f | g | o)."),
    (True, _lstm_arrays(bias_ih_l0=[0.0] * 7 + ["x"]), "bias_ih_l0 must contain only numbers."),
])
def test_lstm_arrays_are_refused_word_for_word(use_bias, arrays, message):
    with pytest.raises(InputError) as excinfo:
        lstm.PyTorchLSTM.create(LSTMConfig(2, 3, use_bias=use_bias), arrays)
    assert str(excinfo.value) == message


@pytest.mark.parametrize("arrays, message", [
    ({"weight_ih_l0": np.zeros(8)}, "weight_ih_l0 has shape (8,); nn.LSTM's is (4·hidden_size, input_size)."),
    ({"weight_ih_l0": np.zeros((6, 1))}, "weight_ih_l0 has shape (6, 1); nn.LSTM's is (4·hidden_size, input_size)."),
    (_lstm_arrays(bias_hh_l0=None), "nn.LSTM(bias=True) needs bias_hh_l0, missing here; its arrays are "
                                    "weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0."),
    (_lstm_arrays(bias_ih_l0=None), "nn.LSTM(bias=True) needs bias_ih_l0, missing here; its arrays are "
                                    "weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0."),
])
def test_an_lstm_state_dict_reads_units_off_weight_ih_l0(arrays, message):
    with pytest.raises(InputError) as excinfo:
        lstm.from_state_dict(arrays)
    assert str(excinfo.value) == message


@pytest.mark.parametrize("make, name", [(as_json, "lstm.json"), (as_npz, "lstm.NPZ")])
def test_an_exported_lstm_state_dict_is_read_under_its_prefix(make, name):
    module = torch_lstm(2, 3, seed=9)
    sd = {"enc.lstm." + k: v.numpy() for k, v in module.state_dict().items()} | {"enc.fc.weight": np.ones((1, 3)),
                                                                                  "enc.lstm.weight_ih_l1": np.ones(1)}
    w = lstm.read_state_dict(make(sd), name, CORE)
    np.testing.assert_array_equal(w.kernel, sd["enc.lstm.weight_ih_l0"].T)
    np.testing.assert_array_equal(w.bias, sd["enc.lstm.bias_ih_l0"] + sd["enc.lstm.bias_hh_l0"])
    assert w.config == LSTMConfig(3, 2)


@pytest.mark.parametrize("sd, count", [({"fc.weight": np.ones(2)}, 0),
                                       ({"a.weight_ih_l0": np.ones((4, 1)), "b.weight_ih_l0": np.ones((4, 1))}, 2)])
def test_an_lstm_state_dict_must_hold_exactly_one_lstm(sd, count):
    with pytest.raises(InputError) as excinfo:
        lstm.read_state_dict(as_json(sd), "m.json", CORE)
    assert str(excinfo.value) == (f"m.json holds {count} weight_ih_l0 entries; export the one nn.LSTM to show, e.g. "
                                  "model.encoder.lstm.state_dict().")


def test_the_apps_limits_bound_an_lstm_upload():
    sd = {k: v.numpy() for k, v in torch_lstm(33, 1).state_dict().items()}
    with pytest.raises(InputError) as excinfo:
        lstm.read_state_dict(as_npz(sd), "m.npz", APP)
    assert str(excinfo.value) == ("input_dim=33 is more than the app shows (at most 32): save a smaller layer; use "
                                  "the command line (python -m gruviz) for larger examples.")
    sd = {k: v.numpy() for k, v in torch_lstm(1, 1).state_dict().items()} | {"bias_ih_l0": np.zeros(5000)}
    with pytest.raises(InputError) as excinfo:  # refused from its declared shape, before it is read
        lstm.read_state_dict(as_npz(sd), "m.npz", APP)
    assert str(excinfo.value) == ("bias_ih_l0 has 5,000 numbers (5000,); the limit is 4,096 per array (units ≤ 32, "
                                  "input features ≤ 32, timesteps ≤ 400).")
    small = {k: v.numpy() for k, v in torch_lstm(32, 1).state_dict().items()}
    assert lstm.read_state_dict(as_npz(small), "m.npz", APP).config == LSTMConfig(1, 32)
    # the largest the app shows: 32 units, whose recurrent weights are (4·32, 32), four gates' worth
    largest = {k: v.numpy() for k, v in torch_lstm(32, 32).state_dict().items()}
    assert largest["weight_hh_l0"].shape == (128, 32)
    assert lstm.read_state_dict(as_npz(largest), "m.npz", APP).config == LSTMConfig(32, 32)
