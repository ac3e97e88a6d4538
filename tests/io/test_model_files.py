"""gruviz.io.model_files against files written by real Keras: every expected number
(weights, config, outputs) comes from Keras, never from gruviz."""

import io
import json
import os
import subprocess
import sys
import zipfile

import h5py
import numpy as np
import pytest

from conftest import zipped
from gruviz import InputError, run
from gruviz.io.model_files import read_model_file
from gruviz.limits import APP, CORE

T, D = 5, 3
GRU_FIELDS = ("units", "reset_after", "use_bias", "activation", "recurrent_activation")


@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import keras

    return keras


def _models(keras):
    """name -> (model, [(GRU layer, the layer whose input feeds it)])."""
    L = keras.layers

    def seq(*layers):
        return keras.Sequential([keras.Input((T, D)), *layers])

    out = {}
    for name, gru in {
        "plain": L.GRU(4),
        "reset_before": L.GRU(4, reset_after=False),
        "no_bias": L.GRU(4, use_bias=False, return_sequences=True),
        "no_bias_reset_before": L.GRU(3, use_bias=False, reset_after=False),
        "backwards": L.GRU(4, go_backwards=True, activation="softsign", recurrent_activation="hard_sigmoid"),
    }.items():
        out[name] = (seq(gru), [(gru, gru)])
    x = keras.Input((T, D))
    dense = L.Dense(6)
    first = L.GRU(4, return_sequences=True, name="encoder_gru")
    second = L.GRU(2, reset_after=False, activation="relu")
    out["functional"] = (keras.Model(x, second(first(dense(x)))), [(first, first), (second, second)])
    bi = L.Bidirectional(L.GRU(4, return_sequences=True))
    out["bidirectional"] = (seq(bi, L.Dense(1)), [(bi.forward_layer, bi), (bi.backward_layer, bi)])
    inner_gru = L.GRU(3, name="inner_gru")
    inner = keras.Sequential([keras.Input((T, D)), inner_gru], name="inner")
    out["nested"] = (seq(inner), [(inner_gru, None)])  # the GRU sees the model's own input
    return out


@pytest.fixture(scope="module")
def saved(keras, tmp_path_factory):
    """name -> (model, grus, {suffix: file bytes}), every weight (both bias rows too) random."""
    folder = tmp_path_factory.mktemp("models")
    result = {}
    for i, (name, (model, grus)) in enumerate(_models(keras).items()):
        rng = np.random.default_rng(i)
        model.set_weights([rng.normal(0, 0.7, w.shape).astype("float32") for w in model.get_weights()])
        files = {}
        for suffix in (".keras", ".h5", ".weights.h5"):
            path = folder / f"{name}{suffix}"
            (model.save_weights if suffix == ".weights.h5" else model.save)(path)
            files[suffix] = path.read_bytes()
        result[name] = (model, grus, files)
    return result


def _expected_output(keras, model, gru, feeder, x):
    """What Keras's own GRU layer outputs on the input it receives inside the model."""
    xin = x if feeder is None else np.asarray(keras.Model(model.inputs[0], feeder.input)(x))
    return xin, np.asarray(gru(xin))


def _check(keras, model, grus, found, x):
    assert len(found) == len(grus)
    for f, (gru, feeder) in zip(found, grus):
        assert f.name.split("/")[-1] == gru.name
        expected = gru.get_weights()
        got = f.weights.keras_arrays()
        assert len(got) == len(expected)
        for a, b in zip(got, expected):
            np.testing.assert_array_equal(a, b.astype(np.float64))
        xin, out = _expected_output(keras, model, gru, feeder, x)
        trace = run(f.weights, xin[0], go_backwards=f.go_backwards)
        mine = trace.sequence_output if gru.return_sequences else trace.output
        np.testing.assert_allclose(mine, out[0], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
@pytest.mark.parametrize(
    "name", ["plain", "reset_before", "no_bias", "no_bias_reset_before", "backwards", "functional",
             "bidirectional", "nested"]
)
def test_full_model_files_match_keras(keras, saved, name, suffix):
    model, grus, files = saved[name]
    found = read_model_file(files[suffix], f"upload{suffix}")
    for f, (gru, _) in zip(found, grus):
        config = gru.get_config()
        assert {k: getattr(f.weights.config, k) for k in GRU_FIELDS} == {k: config[k] for k in GRU_FIELDS}
        assert f.go_backwards == config["go_backwards"]
    x = np.random.default_rng(99).normal(0, 1, (1, T, D)).astype("float32")
    _check(keras, model, grus, found, x)


@pytest.mark.parametrize("name", ["plain", "no_bias", "functional", "bidirectional"])
def test_weights_only_files_match_keras(keras, saved, name):
    model, grus, files = saved[name]
    found = read_model_file(files[".weights.h5"], "model.weights.h5")
    assert all(any("activations" in n for n in f.notes) for f in found)
    assert [f.go_backwards for f in found] == [g.get_config()["go_backwards"] for g, _ in grus]
    for f, (gru, _) in zip(found, grus):
        assert (f.weights.config.units, f.weights.config.use_bias) == (gru.units, gru.use_bias)
    if name == "functional":  # its second GRU uses relu, which a weights file cannot say
        grus, found = grus[:1], found[:1]
    x = np.random.default_rng(7).normal(0, 1, (1, T, D)).astype("float32")
    _check(keras, model, grus, found, x)


def test_reading_never_imports_keras():
    code = ("import sys, gruviz.io.model_files as m; "
            "assert not {'keras', 'tensorflow'} & set(sys.modules), sorted(sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def test_keras_file_without_layer_names_is_matched_by_position(keras, saved, tmp_path):
    """Older Keras 3 files do not store each layer's name beside its weights."""
    model, grus, files = saved["functional"]
    archive = zipfile.ZipFile(io.BytesIO(files[".keras"]))

    def edit(f):
        f.visititems(lambda path, obj: obj.attrs.__delitem__("name") if "name" in obj.attrs else None)

    weights = _patched_h5(archive.read("model.weights.h5"), tmp_path, edit)
    found = read_model_file(zipped(config_json=archive.read("config.json"), model_weights_h5=weights), "m.keras")
    assert all("position" in " ".join(f.notes) for f in found)
    _check(keras, model, grus, found, np.random.default_rng(1).normal(0, 1, (1, T, D)).astype("float32"))


# --- Keras 2 files (legacy hard_sigmoid) --------------------------------------------------


def _patched_h5(data: bytes, tmp_path, edit) -> bytes:
    path = tmp_path / "edited.h5"
    path.write_bytes(data)
    with h5py.File(path, "r+") as f:
        edit(f)
    return path.read_bytes()


def _legacy_keras_output(keras, weights, x, **options):
    """Keras 3 running Keras 2's hard_sigmoid, clip(0.2x+0.5): spec §2."""
    gru = keras.layers.GRU(
        weights[1].shape[0], recurrent_activation=lambda v: keras.ops.clip(0.2 * v + 0.5, 0.0, 1.0), **options
    )
    gru.build((None, None, x.shape[-1]))
    gru.set_weights(weights)
    return np.asarray(gru(x))[0]


def test_keras2_hard_sigmoid_is_read_as_legacy(keras, saved, tmp_path):
    model, [(gru, _)], files = saved["backwards"]
    data = _patched_h5(files[".h5"], tmp_path, lambda f: f.attrs.__setitem__("keras_version", "2.15.0"))
    [found] = read_model_file(data, "old.h5")
    assert found.weights.config.recurrent_activation == "hard_sigmoid_legacy"
    assert any("0.2x+0.5" in n for n in found.notes)
    x = np.random.default_rng(3).normal(0, 2, (1, T, D)).astype("float32")
    expected = _legacy_keras_output(keras, gru.get_weights(), x, activation="softsign", go_backwards=True)
    np.testing.assert_allclose(run(found.weights, x[0], go_backwards=True).output, expected, atol=1e-5)


def test_hand_written_keras2_file(keras, tmp_path):
    """The Keras 2.2 layout: weight names 'gru_1/kernel:0', reset_after=False, hard_sigmoid."""
    rng = np.random.default_rng(5)
    weights = [rng.normal(0, 0.8, s).astype("float32") for s in ((2, 9), (3, 9), (9,))]
    layer = {"class_name": "GRU", "config": {
        "name": "gru_1", "units": 3, "activation": "tanh", "recurrent_activation": "hard_sigmoid",
        "use_bias": True, "go_backwards": False, "reset_after": False, "batch_input_shape": [None, 4, 2]}}
    path = tmp_path / "keras2.h5"
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = b"2.2.4"
        f.attrs["model_config"] = json.dumps({"class_name": "Sequential", "config": {"layers": [layer]}})
        group = f.create_group("model_weights/gru_1")
        names = [b"gru_1/kernel:0", b"gru_1/recurrent_kernel:0", b"gru_1/bias:0"]
        group.attrs["weight_names"] = names
        for name, w in zip(names, weights):
            group.create_dataset(name.decode(), data=w)
    [found] = read_model_file(path.read_bytes(), "keras2.h5")
    assert not found.weights.config.reset_after
    x = rng.normal(0, 2, (1, 4, 2)).astype("float32")
    expected = _legacy_keras_output(keras, weights, x, reset_after=False)
    np.testing.assert_allclose(run(found.weights, x[0]).output, expected, atol=1e-5)


# --- bad input ----------------------------------------------------------------------------


def _raises(data: bytes, filename: str, *words: str) -> str:
    with pytest.raises(InputError) as caught:
        read_model_file(data, filename)
    message = str(caught.value)
    for word in words:
        assert word in message
    return message




def test_wrong_kinds_of_file(saved):
    _raises(np.random.default_rng(0).bytes(3000), "model.keras", "zip", ".weights.h5", ".h5")
    _raises(b"hello", "model.h5", "HDF5")
    _raises(b"hello", "model.pt", "suffix", ".keras")
    _raises(saved["plain"][2][".h5"], "model.keras", "rename", ".h5")
    _raises(saved["plain"][2][".keras"], "model.h5", "rename", ".keras")


def test_oversized_upload():
    _raises(b"\0" * (CORE.max_file_bytes + 1), "model.keras", "20.0 MB", "limit is 20 MB")
    with pytest.raises(InputError, match="5.0 MB; the limit is 5 MB"):
        read_model_file(b"\0" * (APP.max_file_bytes + 1), "model.keras", APP)


def test_broken_keras_archives(saved):
    _raises(zipped(metadata_json="{}", model_weights_h5=b""), "m.keras", "config.json")
    weights = zipfile.ZipFile(io.BytesIO(saved["plain"][2][".keras"])).read("model.weights.h5")
    _raises(zipped(config_json="{not json", model_weights_h5=weights), "m.keras", "JSON")
    _raises(zipped(config_json='{"config": {}}', model_weights_h5=weights), "m.keras", "layers")


def test_zip_bomb():
    data = zipped(config_json=b"\0" * (60 * 2**20), model_weights_h5=b"")
    assert len(data) < APP.max_file_bytes
    _raises(data, "bomb.keras", "unpack")


def _gru_vars(f):
    return f["layers/gru/cell/vars"]


@pytest.mark.parametrize("kind", ["soft", "external", "virtual", "external_storage"])
def test_hdf5_that_reaches_outside_the_file(saved, tmp_path, kind):
    def edit(f):
        group = _gru_vars(f)
        del group["0"]
        if kind == "soft":
            group["0"] = h5py.SoftLink("/layers/gru/cell/vars/1")
        elif kind == "external":
            group["0"] = h5py.ExternalLink("/etc/hostname", "/data")
        elif kind == "virtual":
            layout = h5py.VirtualLayout(shape=(D, 12), dtype="f4")
            layout[:] = h5py.VirtualSource("other.h5", "data", shape=(D, 12))
            group.create_virtual_dataset("0", layout)
        else:
            group.create_dataset("0", (D, 12), "f4", external=[("outside.bin", 0, h5py.h5f.UNLIMITED)])

    data = _patched_h5(saved["plain"][2][".weights.h5"], tmp_path, edit)
    message = _raises(data, "m.weights.h5", "/layers/gru/cell/vars/0")
    assert ("Link" in message) == (kind in ("soft", "external"))


def test_external_link_inside_legacy_h5(saved, tmp_path):
    def edit(f):
        # The model's auto-name (sequential, sequential_3, …) depends on what ran before.
        # ... and so does the GRU's own name (gru, gru_1, …).
        paths = []
        f["model_weights"].visit(lambda path: paths.append(path) if path.endswith("gru_cell/kernel") else None)
        group = f["model_weights/" + paths[0].rsplit("/", 1)[0]]
        del group["kernel"]
        group["kernel"] = h5py.ExternalLink("/etc/hostname", "/kernel")

    _raises(_patched_h5(saved["plain"][2][".h5"], tmp_path, edit), "m.h5", "ExternalLink")


def test_huge_array_is_refused(saved, tmp_path):
    def edit(f):  # a bias of 5,000,000 numbers: compressed, the file stays small
        del f["layers/gru/cell/vars/2"]
        f.create_dataset("layers/gru/cell/vars/2", (5_000_000,), "f4", compression="gzip")

    data = _patched_h5(saved["plain"][2][".weights.h5"], tmp_path, edit)
    assert len(data) < APP.max_file_bytes
    _raises(data, "m.weights.h5", "bias has 5,000,000 numbers", "limit is 4,000,000")


def test_nan_in_kernel_names_the_layer(saved, tmp_path):
    archive = zipfile.ZipFile(io.BytesIO(saved["functional"][2][".keras"]))

    def edit(f):
        f["layers/gru/cell/vars/0"][1, 2] = np.nan

    weights = _patched_h5(archive.read("model.weights.h5"), tmp_path, edit)
    data = zipped(config_json=archive.read("config.json"), model_weights_h5=weights)
    _raises(data, "m.keras", "encoder_gru", "nan", "kernel")


def test_no_gru_lists_what_the_file_holds(keras, tmp_path):
    model = keras.Sequential([keras.Input((T, D)), keras.layers.LSTM(2), keras.layers.Dense(1)])
    model.save(tmp_path / "m.keras")
    model.save(tmp_path / "m.h5")
    model.save_weights(tmp_path / "m.weights.h5")
    _raises((tmp_path / "m.keras").read_bytes(), "m.keras", "no GRU", "LSTM, Dense")
    _raises((tmp_path / "m.h5").read_bytes(), "m.h5", "no GRU", "LSTM, Dense")
    _raises((tmp_path / "m.weights.h5").read_bytes(), "m.weights.h5", "no GRU", "lstm")


def test_unsupported_activation_names_layer_and_activation(keras, tmp_path):
    model = keras.Sequential([keras.Input((T, D)), keras.layers.GRU(2, activation="elu", name="my_gru")])
    model.save(tmp_path / "m.keras")
    _raises((tmp_path / "m.keras").read_bytes(), "m.keras", "my_gru", "'elu'", "tanh")


def test_custom_activation_function_is_refused(saved):
    archive = zipfile.ZipFile(io.BytesIO(saved["plain"][2][".keras"]))
    config = json.loads(archive.read("config.json"))
    config["config"]["layers"][-1]["config"]["activation"] = {
        "module": "builtins", "class_name": "function", "config": {"code": "..."},
        "registered_name": "function",
    }
    data = zipped(config_json=json.dumps(config), model_weights_h5=archive.read("model.weights.h5"))
    _raises(data, "m.keras", "custom function", "gru")


def test_keras2_cudnngru_in_a_legacy_h5_is_read_exactly(keras, saved, tmp_path):
    """A Keras 2 CuDNNGRU stores each kernel gate block as cuDNN lays it out and one (6H,) bias;
    Keras 2 loaded it as block.reshape(H, D).T, recurrent block .T, bias.reshape(2, 3H) (spec §3).
    The file here holds the inverse of that, written from the spec, for a real Keras GRU."""
    model, [(gru, _)], files = saved["plain"]
    kernel, recurrent, bias = gru.get_weights()
    H, D = recurrent.shape[0], kernel.shape[0]
    blocks = [slice(k * H, (k + 1) * H) for k in range(3)]
    stored = {"kernel": np.concatenate([kernel[:, b].T.reshape(D, H) for b in blocks], axis=1),
              "recurrent_kernel": np.concatenate([recurrent[:, b].T for b in blocks], axis=1),
              "bias": bias.reshape(-1)}

    def edit(f):
        config = json.loads(f.attrs["model_config"])
        for layer in config["config"]["layers"]:
            if layer["class_name"] == "GRU":
                layer["class_name"] = "CuDNNGRU"
        f.attrs["model_config"] = json.dumps(config)
        paths = []
        f["model_weights"].visit(lambda path: paths.append(path) if isinstance(f["model_weights"][path], h5py.Dataset)
                                 and path.startswith(gru.name + "/") else None)
        for path in paths:
            name = path.rsplit("/", 1)[-1].split(":")[0]
            del f["model_weights"][path]
            f["model_weights"].create_dataset(path, data=stored[name].astype("float32"))

    [found] = read_model_file(_patched_h5(files[".h5"], tmp_path, edit), "m.h5")
    assert any("CuDNNGRU" in note for note in found.notes)
    for got, want in zip(found.weights.keras_arrays(), (kernel, recurrent, bias)):
        np.testing.assert_array_equal(got, want.astype(np.float64))
    x = np.random.default_rng(5).normal(0, 1, (1, T, D)).astype("float32")
    trace = run(found.weights, x[0])
    mine = trace.sequence_output if gru.return_sequences else trace.output
    np.testing.assert_allclose(mine, np.asarray(gru(x))[0], atol=1e-5)
