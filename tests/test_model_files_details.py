"""gruviz.io.model_files in detail, on files written here with h5py and zipfile in the layouts
Keras writes (see the module's docstring): every limit at its boundary, every config field the
readers take, every refusal word for word. Expected arrays are the ones written into the file;
expected messages are the product's wording, written out."""

import dataclasses
import io
import json
import zipfile

import h5py
import numpy as np
import pytest

from gruviz import InputError
from gruviz.io import model_files
from gruviz.io.model_files import read_model_file
from gruviz.limits import APP, CORE, Limits

ACCEPTED = ("gruviz reads a Keras model saved with model.save('name.keras'), a weights file saved with "
            "model.save_weights('name.weights.h5'), or a legacy model.save('name.h5')")
KNOWN = "tanh, sigmoid, hard_sigmoid, hard_sigmoid_legacy, linear, relu, softsign"
RESAVE = "Save the model again with model.save('name.keras')."
SMALL = Limits(max_units=4, max_input_dim=8, max_steps=10, max_text_chars=1000, max_array_elements=24,
               max_total_elements=50, max_file_bytes=2**20)
SMALL_SAYS = "(units ≤ 4, input features ≤ 8, timesteps ≤ 10)"
DROP = object()  # a config key the file leaves out


# --- making files ------------------------------------------------------------------------------

def arrays(D=3, H=2, bias="after", seed=0):
    """kernel (D, 3H), recurrent kernel (H, 3H) and a bias: (2, 3H) after, (3H,) before, or none."""
    rng = np.random.default_rng(seed)
    out = [rng.normal(size=(D, 3 * H)).astype("f4"), rng.normal(size=(H, 3 * H)).astype("f4")]
    if bias:
        out.append(rng.normal(size=(2, 3 * H) if bias == "after" else (3 * H,)).astype("f4"))
    return out


def h5(build, **options) -> bytes:
    buffer = io.BytesIO()
    with h5py.File(buffer, "w", **options) as f:
        build(f)
    return buffer.getvalue()


def put_cell(f, path, data, name=None):
    """Keras 3's tree for one recurrent layer: <path>/cell/vars/0, 1, 2; its name on <path>/vars."""
    layer = f.require_group(path)
    if name is not None:
        layer.create_group("vars").attrs["name"] = name
    cell = layer.create_group("cell/vars")
    for i, a in enumerate(data):
        cell.create_dataset(str(i), data=a)


def weights_file(*cells) -> bytes:
    """A .weights.h5 of (path under layers/, arrays, layer name) cells."""
    def build(f):
        f.create_group("layers")
        for path, data, name in cells:
            put_cell(f, f"layers/{path}", data, name)
    return h5(build)


def gru(name="g", **config) -> dict:
    cfg = {"name": name, "units": 2, "activation": "tanh", "recurrent_activation": "sigmoid", "use_bias": True,
           "reset_after": True, "go_backwards": False, "return_sequences": False, **config}
    return {"class_name": "GRU", "config": {k: v for k, v in cfg.items() if v is not DROP}}


def model(*layers, name="sequential", kind="Sequential") -> dict:
    return {"class_name": kind, "config": {"name": name, "layers": list(layers)}}


def zipped(**members) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, blob in members.items():
            archive.writestr(name.replace("_", "."), blob)
    return buffer.getvalue()


def keras_file(config, weights: bytes, metadata=DROP) -> bytes:
    members = {"config_json": config if isinstance(config, (str, bytes)) else json.dumps(config)}
    if metadata is not DROP:
        members["metadata_json"] = metadata if isinstance(metadata, (str, bytes)) else json.dumps(metadata)
    return zipped(**members, model_weights_h5=weights)


def one_gru_keras(config=None, data=None, metadata=DROP, **gru_config) -> bytes:
    layer = gru(**gru_config)
    return keras_file(config or model(layer), weights_file(("gru", data or arrays(), layer["config"]["name"])),
                      metadata)


def legacy_file(config, groups: dict, version="2.15.0", under="model_weights", split=False) -> bytes:
    """A legacy .h5: attrs model_config and keras_version; each group's arrays listed, in the given
    order, by its weight_names attribute (split into weight_names0, weight_names1 when asked)."""
    def build(f):
        f.attrs["model_config"] = json.dumps(config)
        if version is not None:
            f.attrs["keras_version"] = version
        root = f.create_group(under) if under else f
        for group_name, named in groups.items():
            group = root.create_group(group_name)
            names = [n.encode() for n, _ in named]
            if split:
                group.attrs["weight_names0"], group.attrs["weight_names1"] = names[:1], names[1:]
            else:
                group.attrs["weight_names"] = names
            for n, a in named:
                if a is not None:
                    group.create_dataset(n, data=a)
    return h5(build)


def named(prefix, data, names=("kernel", "recurrent_kernel", "bias")):
    return [(f"{prefix}{n}", a) for n, a in zip(names, data)]


def read(data, filename, limits=CORE):
    return read_model_file(data, filename, limits)


def refused(data, filename, limits=CORE) -> str:
    with pytest.raises(InputError) as caught:
        read_model_file(data, filename, limits)
    return str(caught.value)


def same(found, data):
    got = found.weights.keras_arrays()
    assert len(got) == len(data)
    for a, b in zip(got, data):
        np.testing.assert_array_equal(a, np.asarray(b, dtype=np.float64))


# --- the whole upload ----------------------------------------------------------------------------

def test_a_file_exactly_at_the_size_limit_is_read_and_one_byte_more_is_refused():
    limits = dataclasses.replace(CORE, max_file_bytes=3 * 2**20)
    assert refused(bytes(3 * 2**20), "m.keras", limits) == f"this is not a .keras file (a zip archive). {ACCEPTED}."
    assert refused(bytes(3 * 2**20 + 1), "m.keras", limits) == (
        "the file is 3.0 MB; the limit is 3 MB. Upload a model with fewer or smaller layers, or save only its "
        "weights (.weights.h5).")


@pytest.mark.parametrize("filename", ["M.KERAS", "m.Keras", "m.weights.h5", "M.WEIGHTS.H5", "m.h5", "M.H5",
                                      "m.hdf5", "M.HDF5"])
def test_the_suffix_chooses_the_reader_whatever_its_case(filename):
    data = arrays()
    if filename.lower().endswith(".keras"):
        blob = one_gru_keras(data=data)
    elif filename.lower().endswith(".weights.h5"):
        blob = weights_file(("gru", data, "g"))
    else:
        blob = legacy_file(model(gru()), {"g": named("g/", data)})
    [found] = read(blob, filename)
    assert found.name == "g"
    same(found, data)


def test_each_reader_says_what_the_file_is_when_the_suffix_is_wrong():
    keras3_weights = weights_file(("gru", arrays(), "g"))
    legacy = legacy_file(model(gru()), {"g": named("g/", arrays())})
    assert refused(b"hello", "model.pt") == f"'model.pt' has an unknown suffix. {ACCEPTED}."
    assert refused(legacy, "m.keras") == (
        f"this is not a .keras file (a zip archive). This file is HDF5: rename it to end in .h5. {ACCEPTED}.")
    assert refused(legacy, "m.weights.h5") == (
        "this .weights.h5 file has no 'layers' group, so it was not written by Keras 3 save_weights. "
        f"{ACCEPTED}.")
    assert refused(keras3_weights, "m.h5") == (
        "this .h5 file has no model_config; it holds a Keras 3 weights file: rename it to end in .weights.h5. "
        f"{ACCEPTED}.")
    assert refused(h5(lambda f: f.create_group("model_weights")), "m.h5") == (
        f"this .h5 file has no model_config; it holds weights only (save_weights), without the layer config. "
        f"{ACCEPTED}.")
    assert refused(one_gru_keras(), "m.h5") == (
        f"this is not an HDF5 file. This file is a zip: rename it to end in .keras. {ACCEPTED}.")


def test_what_h5py_or_zipfile_raises_becomes_a_damaged_file_message_or_a_memory_error(monkeypatch):
    def failing(error):
        def reader(data, limits):
            raise error
        return reader

    monkeypatch.setattr(model_files, "_read_weights_h5", failing(ValueError("v" * 200)))
    assert refused(b"", "m.weights.h5") == (
        f"this file is damaged (ValueError: {'v' * 160}). Save the model again with Keras and upload the new file.")
    monkeypatch.setattr(model_files, "_read_legacy_h5", failing(OSError("Can't read data (memory allocation failed)")))
    with pytest.raises(MemoryError, match=r"^Can't read data \(memory allocation failed\)$"):
        read_model_file(b"", "m.h5")


# --- the .keras archive ------------------------------------------------------------------------------

def test_a_keras_archive_lists_what_it_holds_when_a_member_is_missing():
    weights = weights_file(("gru", arrays(), "g"))
    assert refused(zipped(metadata_json="{}", model_weights_h5=weights), "m.keras") == (
        f"the .keras archive has no config.json (it holds metadata.json, model.weights.h5). {RESAVE}")
    assert refused(zipped(config_json=json.dumps(model(gru()))), "m.keras") == (
        f"the .keras archive has no model.weights.h5 (it holds config.json). {RESAVE}")
    assert refused(zipped(), "m.keras") == f"the .keras archive has no config.json (it holds nothing). {RESAVE}"
    assert refused(zipped(config_json=json.dumps(model(gru())), model_weights_h5=b"hello"), "m.keras") == (
        f"this is not an HDF5 file. {ACCEPTED}.")


def test_a_keras_archive_that_would_inflate_is_refused_as_the_keras_archive():
    bomb = zipped(config_json=b" " * (2 * 2**20), model_weights_h5=b"")
    assert refused(bomb, "m.keras").startswith("config.json in the .keras archive would unpack to 2 MB from 0.00 MB")


def _padded_config(size: int) -> bytes:
    """A config.json of exactly `size` bytes: random hex in a field Keras ignores, so it barely compresses."""
    text = json.dumps({**model(gru()), "pad": ""})
    pad = np.random.default_rng(0).bytes((size - len(text)) // 2 + 1).hex()[: size - len(text)]
    blob = json.dumps({**model(gru()), "pad": pad}).encode()
    assert len(blob) == size
    return blob


@pytest.mark.parametrize("member", ["config.json", "metadata.json"])
def test_config_text_is_read_up_to_the_upload_limit_and_not_one_byte_more(member):
    limits = dataclasses.replace(CORE, max_file_bytes=2**20)
    weights = weights_file(("gru", arrays(), "g"))
    small = json.dumps(model(gru())) if member == "metadata.json" else json.dumps({"keras_version": "3.15.1"})
    for size, ok in ((2**20, True), (2**20 + 1, False)):
        members = {member: _padded_config(size), ({"config.json", "metadata.json"} - {member}).pop(): small}
        blob = keras_file(members["config.json"], weights, members["metadata.json"])
        if ok:
            assert [f.name for f in read(blob, "m.keras", limits)] == ["g"]
        else:
            assert refused(blob, "m.keras", limits) == f"{member} unpacks to more than 1 MB; the limit is 1 MB."


def test_a_member_that_fails_its_checksum_is_named():
    blob = bytearray(keras_file(json.dumps(model(gru())), weights_file(("gru", arrays(), "g"))))
    start = blob.index(b"config.json") + len("config.json")  # the local header's name, then the data
    blob[start + 5] ^= 0xFF
    message = refused(bytes(blob), "m.keras")
    assert message.startswith("could not unpack config.json from the .keras archive (") and message.endswith(").")


@pytest.mark.parametrize("text, where", [(b"{not json", "config.json"), (b"\xff\xfe{", "config.json")])
def test_config_that_is_not_json_quotes_the_json_error(text, where):
    with pytest.raises(ValueError) as python:
        json.loads(text)
    assert refused(keras_file(text, weights_file()), "m.keras") == (
        f"{where} is not valid JSON ({python.value}); the file may be damaged.")


def test_metadata_and_legacy_model_config_that_are_not_json_are_named():
    weights = weights_file(("gru", arrays(), "g"))
    assert refused(keras_file(model(gru()), weights, "{"), "m.keras").startswith("metadata.json is not valid JSON (")
    legacy = h5(lambda f: f.attrs.__setitem__("model_config", "{"))
    assert refused(legacy, "m.h5").startswith("the model_config in this .h5 file is not valid JSON (")


def test_config_nested_past_pythons_recursion_limit_is_refused():
    deep = "[" * 100_000 + "]" * 100_000
    assert refused(keras_file(deep, weights_file()), "m.keras") == (
        "config.json nests too deeply to be a Keras config; the file may be damaged.")


CODE = ("holds Python code (a {}); gruviz never runs code from a file and refuses files that carry it. Save the "
        "model without it, or only its weights with model.save_weights('name.weights.h5').")
UNSAFE = ("calls enable_unsafe_deserialization, which only serves to run code from a file; gruviz refuses it.")


@pytest.mark.parametrize("extra, says", [
    ({"class_name": "Lambda", "config": {"name": "l"}}, CODE.format("Lambda")),
    ({"class_name": "TFOpLambda", "config": {"name": "l"}}, CODE.format("TFOpLambda")),
    ({"class_name": "Dense", "config": {"name": "d", "kernel_initializer": [{"class_name": "__lambda__"}]}},
     CODE.format("__lambda__")),
    ({"class_name": "Dense", "config": {"name": "d", "activation": {"function_type": "lambda"}}},
     CODE.format("lambda function")),
    ({"class_name": "Dense", "config": {"name": "d", "notes": ["enable_unsafe_deserialization"]}}, UNSAFE),
    ({"class_name": "Dense", "config": {"name": "d", "enable_unsafe_deserialization": 1}}, UNSAFE),
])
def test_a_config_that_carries_code_is_refused_wherever_the_code_sits(extra, says):
    assert refused(one_gru_keras(model(gru(), extra)), "m.keras") == f"config.json {says}"


def test_code_in_metadata_or_in_a_legacy_model_config_is_refused_and_located():
    assert refused(one_gru_keras(metadata={"keras_version": "enable_unsafe_deserialization"}), "m.keras") == (
        f"metadata.json {UNSAFE}")
    lam = {"class_name": "Lambda", "config": {"name": "l"}}
    assert refused(legacy_file(model(lam, gru()), {"g": named("g/", arrays())}), "m.h5") == (
        f"the model_config in this .h5 file {CODE.format('Lambda')}")


# --- .weights.h5 -----------------------------------------------------------------------------------

ASSUMED = ("a weights-only file has no layer config: activations were assumed to be tanh and sigmoid (the Keras "
           "defaults) and could not be read; check them against your model.")
NO_BIAS = "without a bias, reset_after cannot be seen in the arrays; assumed True."


@pytest.mark.parametrize("bias, notes, reset_after", [
    ("after", (ASSUMED,), True), ("before", (ASSUMED,), False), (None, (ASSUMED, NO_BIAS), True)])
def test_a_weights_file_reads_units_and_bias_off_the_arrays_and_says_what_it_assumed(bias, notes, reset_after):
    data = arrays(D=3, H=2, bias=bias)
    [found] = read(weights_file(("gru", data, "g")), "m.weights.h5")
    assert (found.name, found.notes, found.go_backwards) == ("g", notes, False)
    config = found.weights.config
    assert (config.units, config.input_dim, config.use_bias, config.reset_after) == (2, 3, bias is not None,
                                                                                    reset_after)
    assert (config.activation, config.recurrent_activation) == ("tanh", "sigmoid")
    same(found, data)


def test_a_weights_file_finds_grus_in_keras_naming_order_forward_half_first():
    cells = [(key, arrays(seed=i), name) for i, (key, name) in enumerate(
        [("gru_10", "d"), ("gru_2", "c"), ("gru", "a"), ("gru_1", "b")])]
    found = read(weights_file(*cells), "m.weights.h5")
    assert [f.name for f in found] == ["a", "b", "c", "d"]
    same(found[0], cells[2][1])

    def bidirectional(f):
        f.create_group("layers/bidirectional/vars").attrs["name"] = "bi"
        put_cell(f, "layers/bidirectional/backward_layer", arrays(seed=1), "backward_g")
        put_cell(f, "layers/bidirectional/forward_layer", arrays(seed=2), "forward_g")

    found = read(h5(bidirectional), "m.weights.h5")
    assert [(f.name, f.go_backwards) for f in found] == [("bi/forward_g", False), ("bi/backward_g", True)]
    same(found[1], arrays(seed=1))


@pytest.mark.parametrize("chain, backwards", [
    (("backward_gru",), True), (("backward_model", "g"), False), (("outer", "backward_model", "g"), False),
    (("g",), False)])
def test_a_weights_file_reads_go_backwards_from_the_gru_layers_own_name(chain, backwards):
    def build(f):
        path = "layers"
        for i, name in enumerate(chain[:-1]):
            path += f"/m{i}"
            f.create_group(f"{path}/vars").attrs["name"] = name
            path += "/layers"
        put_cell(f, f"{path}/gru", arrays(), chain[-1])

    [found] = read(h5(build), "m.weights.h5")
    assert (found.name, found.go_backwards) == ("/".join(chain), backwards)


def test_a_weights_file_walks_past_arrays_and_looks_in_every_group_and_deep_nesting():
    def build(f):
        f.create_dataset("layers/a_note", data=1.0)  # sorts before every layer
        put_cell(f, "layers/gru", arrays(seed=1), "g")
        put_cell(f, "layers/gru/more", arrays(seed=2))  # a sibling of gru's cell, after it
        path = "layers/" + "/".join(f"n{i}" for i in range(20))
        put_cell(f, path, arrays(seed=3), "deep")
        put_cell(f, "layers/lonely/vars/inner", arrays(seed=4), "in_vars")  # inside a vars group: not a layer

    found = read(h5(build), "m.weights.h5")
    assert [f.name for f in found] == ["g", "g", "deep"]  # a group without vars adds no name
    for f, seed in zip(found, (1, 2, 3)):
        same(f, arrays(seed=seed))


def test_a_layer_without_a_name_is_called_by_its_group_and_bytes_names_are_decoded():
    def build(f):
        put_cell(f, "layers/gru", arrays())
        f.create_group("layers/gru/vars")  # the layer's group, without its name
        put_cell(f, "layers/gru_1", arrays(), np.bytes_(b"caf\xe9"))
        put_cell(f, "layers/gru_2", arrays())  # no layer group at all: no name

    assert [f.name for f in read(h5(build), "m.weights.h5")] == ["<gru>", "caf\ufffd", ""]


def test_a_weights_file_without_a_gru_lists_the_names_of_its_layers():
    def build(f):
        f.create_group("layers/extra").attrs["name"] = "not_a_layer"  # a name, but not on a vars group
        f.create_group("layers/nameless/vars")
        put_cell(f, "layers/dense", [np.ones((3, 1), "f4")], "dense")
        put_cell(f, "layers/lstm", [np.ones((3, 8), "f4"), np.ones((2, 8), "f4"), np.ones(8, "f4")], "lstm")
        f["layers/lstm/cell/vars"].attrs["name"] = "lstm_cell"
        put_cell(f, "layers/four", arrays(bias="before") + [np.ones(6, "f4")], "four")
        put_cell(f, "layers/one", arrays()[:1], "one")
        put_cell(f, "layers/cube", [np.ones((1, 3, 6), "f4"), np.ones((3, 6), "f4")], "cube")
        put_cell(f, "layers/uneven", [np.ones((3, 8), "f4"), np.ones((2, 8), "f4")], "uneven")

    assert refused(h5(build), "m.weights.h5") == (
        "no GRU layer found in this weights file; its layers are: cube, dense, four, lstm, lstm_cell, one, uneven.")
    assert refused(h5(lambda f: f.create_group("layers")), "m.weights.h5") == (
        "no GRU layer found in this weights file; its layers are: none.")


# --- legacy .h5 --------------------------------------------------------------------------------------

def missing(chain: str, top: str) -> str:
    return (f"GRU layer '{chain}' is in the model config but its weights were not found under "
            f"model_weights/{top}; the file may be damaged.")


@pytest.mark.parametrize("names, under, split", [
    (("g/kernel:0", "g/recurrent_kernel:0", "g/bias:0"), "model_weights", False),  # Keras 2
    (("sequential/g/gru_cell/kernel", "sequential/g/gru_cell/recurrent_kernel", "sequential/g/gru_cell/bias"),
     "model_weights", False),  # Keras 3
    (("g/kernel:0", "g/recurrent_kernel:0", "g/bias:0"), None, False),  # layers at the file's root
    (("g/kernel:0", "g/recurrent_kernel:0", "g/bias:0"), "model_weights", True),  # a long list, split
    (("cell/kernel:0", "cell/recurrent_kernel:0", "cell/bias:0"), "model_weights", False),  # no layer name
    (("kernel:0", "recurrent_kernel:0", "bias:0"), "model_weights", False),
])
def test_a_legacy_file_finds_a_grus_arrays_by_their_weight_names(names, under, split):
    data = arrays()
    [found] = read(legacy_file(model(gru()), {"g": list(zip(names, data))}, under=under, split=split), "m.h5")
    assert found.name == "g"
    same(found, data)


@pytest.mark.parametrize("order", [(2, 1, 0), (1, 2, 0), (0, 2, 1)])
def test_a_legacy_file_puts_the_arrays_in_keras_order_whatever_order_it_lists_them(order):
    data = arrays()
    names = ["g/z/kernel:0", "g/recurrent_kernel:0", "g/bias:0"]  # alphabetical order is not Keras order
    listed = [(names[i], data[i]) for i in order]
    same(read(legacy_file(model(gru()), {"g": listed}), "m.h5")[0], data)
    cells = [(f"s/g/gru_cell/{n}", data[i]) for i, n in enumerate(("kernel", "recurrent_kernel", "bias"))]
    same(read(legacy_file(model(gru()), {"g": [cells[i] for i in order]}), "m.h5")[0], data)


def test_a_legacy_gru_without_a_bias_has_two_arrays():
    data = arrays(bias=None)
    for names in (("g/kernel:0", "g/recurrent_kernel:0"), ("kernel:0", "recurrent_kernel:0")):
        [found] = read(legacy_file(model(gru(use_bias=False)), {"g": list(zip(names, data))}), "m.h5")
        same(found, data)


def test_a_legacy_gru_whose_arrays_are_missing_names_its_top_layer():
    data = arrays()
    ok = named("g/", data)
    assert refused(legacy_file(model(gru()), {"other": ok}), "m.h5") == missing("g", "g")
    assert refused(legacy_file(model(gru()), {"g": ok[:2] + [("g/bias:0", None)]}), "m.h5") == missing("g", "g")
    four = ok + [("g/extra:0", data[2])]
    assert refused(legacy_file(model(gru()), {"g": four}), "m.h5") == missing("g", "g")
    assert refused(legacy_file(model(gru()), {"g": four[:1]}), "m.h5") == missing("g", "g")
    nested = model(model(gru(), name="inner"), name="outer")
    assert refused(legacy_file(nested, {"inner": ok[:1]}), "m.h5") == missing("inner/g", "inner")


def bidirectional(backward=True, **forward):
    cfg = {"name": "bi", "layer": gru("forward_g", **forward)}
    if backward:
        cfg["backward_layer"] = gru("backward_other", go_backwards=True)
    return {"class_name": "Bidirectional", "config": cfg}


def half_note(role):
    return (f"the {role} half of Bidirectional layer 'bi'; with return_sequences=True Bidirectional flips the "
            "backward half's outputs back into input order.")


@pytest.mark.parametrize("backward, forward, names", [
    (True, {}, ("bi/forward_g", "bi/backward_other")),
    (False, {"go_backwards": DROP}, ("bi/forward_g", "bi/backward_forward_g")),
    (False, {"go_backwards": True}, ("bi/forward_g", "bi/backward_forward_g")),
])
def test_a_legacy_bidirectional_gru_gives_both_halves_in_order(backward, forward, names):
    fwd, bwd = arrays(seed=1), arrays(seed=2)
    listed = named("bi/forward_g/gru_cell/", fwd) + named("bi/backward_x/gru_cell/", bwd)
    found = read(legacy_file(model(bidirectional(backward, **forward)), {"bi": listed}), "m.h5")
    assert [f.name for f in found] == list(names)
    flipped = forward.get("go_backwards") is True
    assert [f.go_backwards for f in found] == [flipped, not flipped]
    assert [f.notes for f in found] == [(half_note("forward"),), (half_note("backward"),)]
    same(found[0], fwd)
    same(found[1], bwd)


def test_a_bidirectional_half_never_takes_arrays_that_do_not_name_it():
    listed = named("bi/", arrays())
    assert refused(legacy_file(model(bidirectional()), {"bi": listed}), "m.h5") == missing("bi/forward_g", "bi")


LEGACY_NOTE = ("{key} 'hard_sigmoid' in a Keras {version} file meant clip(0.2x+0.5, 0, 1); read as "
               "hard_sigmoid_legacy (Keras 3's hard_sigmoid is clip(x/6+0.5)).")


@pytest.mark.parametrize("version, legacy", [
    ("2.15.0", True), (b"2.2.4", True), ("1.2.2", True), (None, True), ("3.1.0", False), ("3.15.1", False),
    ("2", True), ("12.0", False)])
def test_hard_sigmoid_in_a_legacy_file_is_keras_2s_hard_sigmoid(version, legacy):
    layer = gru(recurrent_activation="hard_sigmoid", activation="hard_sigmoid")
    [found] = read(legacy_file(model(layer), {"g": named("g/", arrays())}, version=version), "m.h5")
    kind = "hard_sigmoid_legacy" if legacy else "hard_sigmoid"
    assert (found.weights.config.activation, found.weights.config.recurrent_activation) == (kind, kind)
    said = {None: "2", b"2.2.4": "2.2.4"}.get(version, version)
    assert found.notes == (tuple(LEGACY_NOTE.format(key=k, version=said) for k in ("activation",
                                                                                  "recurrent_activation"))
                           if legacy else ())


@pytest.mark.parametrize("metadata, legacy", [
    ({"keras_version": "2.15.0"}, True), ({"keras_version": "3.1.0"}, False), (DROP, False), ([1], False),
    ({}, False)])
def test_hard_sigmoid_in_a_keras_archive_follows_its_metadata(metadata, legacy):
    [found] = read(one_gru_keras(metadata=metadata, recurrent_activation="hard_sigmoid"), "m.keras")
    expected = "hard_sigmoid_legacy" if legacy else "hard_sigmoid"
    assert found.weights.config.recurrent_activation == expected
    assert found.notes == ((LEGACY_NOTE.format(key="recurrent_activation", version="2.15.0"),) if legacy else ())


# --- the model config ----------------------------------------------------------------------------------

def nested_in(depth: int) -> dict:
    config = gru()
    for i in range(depth):
        config = model(config, name=f"m{depth - 1 - i}")
    return model(config) if depth else model(gru())


def test_grus_inside_twenty_nested_models_are_found_and_deeper_nesting_is_refused():
    """The top model's layers are level 0; each nested model adds a level."""
    data = arrays()
    [found] = read(legacy_file(nested_in(20), {"m0": named("g/", data)}), "m.h5")
    assert found.name == "/".join(f"m{i}" for i in range(20)) + "/g"
    same(found, data)
    assert refused(legacy_file(nested_in(21), {"m0": named("g/", data)}), "m.h5") == (
        "the model_config has no list of layers where one is needed; is this a Keras model?")


@pytest.mark.parametrize("config, says", [
    ([], "config.json must be a JSON object with class_name and config."),
    ({"class_name": "Sequential"}, "config.json has no list of layers where one is needed; is this a Keras model?"),
    ({"class_name": "Sequential", "config": {"layers": {}}},
     "config.json has no list of layers where one is needed; is this a Keras model?"),
    (model("gru"), "config.json: a layer entry has no 'config' object; the file may be damaged."),
    (model({"class_name": "GRU", "config": "g"}), "config.json: a layer entry has no 'config' object; the file "
                                                  "may be damaged."),
    (model(), "no GRU layer found in this file; it holds: no layers. gruviz explains keras.layers.GRU."),
    (model({"class_name": "InputLayer", "config": {}}, {"class_name": "Dense", "config": {}},
           {"class_name": "LSTM", "config": {}}, {"class_name": "Dense", "config": {"name": "d2"}},
           {"class_name": "Bidirectional", "config": {"layer": {"class_name": "LSTM", "config": {}}}},
           {"class_name": "TimeDistributed", "config": {"layer": {"class_name": "Dense", "config": {}}}}),
     "no GRU layer found in this file; it holds: Dense, LSTM, Bidirectional(LSTM), TimeDistributed(Dense). "
     "gruviz explains keras.layers.GRU."),
])
def test_a_config_without_a_usable_gru_says_what_it_holds(config, says):
    assert refused(keras_file(config, weights_file(("gru", arrays(), "g"))), "m.keras") == says


def test_keras_2s_sequential_config_is_a_bare_list_of_layers():
    data = arrays()
    config = {"class_name": "Sequential", "config": [gru()]}
    same(read(legacy_file(config, {"g": named("g/", data)}), "m.h5")[0], data)


@pytest.mark.parametrize("layer, name", [
    ({"class_name": "GRU", "name": "outer_name", "config": {"units": 2}}, "outer_name"),
    ({"class_name": "GRU", "config": {"units": 2}}, "gru"),
    ({"class_name": "GRU", "name": "outer_name", "config": {"name": "inner_name", "units": 2}}, "inner_name"),
])
def test_a_grus_name_comes_from_its_config_then_its_entry_then_its_class(layer, name):
    data = arrays()
    [found] = read(legacy_file(model(layer), {name: named("x/", data)}), "m.h5")
    assert found.name == name
    same(found, data)


def test_a_keras_2_cudnngru_says_how_it_was_read():
    """A CuDNNGRU whose stored blocks are all zero but the bias: cuDNN's bias (6H,) is Keras's (2, 3H)."""
    H, D = 2, 3
    bias = np.arange(6 * H, dtype="f4")
    data = [np.zeros((D, 3 * H), "f4"), np.zeros((H, 3 * H), "f4"), bias]
    layer = {"class_name": "CuDNNGRU", "config": {"name": "c", "units": H}}
    [found] = read(legacy_file(model(layer), {"c": named("c/", data)}), "m.h5")
    assert found.notes == ("a Keras 2 CuDNNGRU: its gate blocks were read from cuDNN's layout into "
                           "keras.layers.GRU(reset_after=True), exactly.",)
    assert found.weights.config.reset_after and found.weights.bias.shape == (2, 3 * H)
    np.testing.assert_array_equal(found.weights.bias, bias.reshape(2, 3 * H))  # spec §3


# --- one GRU's arrays and config -------------------------------------------------------------------------

def layer_says(message: str, name="g") -> str:
    return f"GRU layer '{name}': {message}"


NOT_FLOAT = "/layers/gru/cell/vars/{} is not an array of float32/float64 numbers; save the model in float32."


@pytest.mark.parametrize("replace, says", [
    (lambda cell: cell.create_dataset("1", data=np.ones((2, 6), bool)), NOT_FLOAT.format(1)),
    (lambda cell: cell.create_dataset("1", data=np.full((2, 6), b"x")), NOT_FLOAT.format(1)),
    (lambda cell: cell.create_dataset("1", data=np.ones((2, 6), "f4")).attrs.__setitem__("dtype", "bfloat16"),
     NOT_FLOAT.format(1)),
    (lambda cell: cell.create_group("1"), NOT_FLOAT.format(1)),
])
def test_arrays_that_are_not_plain_numbers_are_refused(replace, says):
    def edit(cell):
        del cell["1"]
        replace(cell)

    buffer = io.BytesIO(weights_file(("gru", arrays(), "g")))
    with h5py.File(buffer, "r+") as f:
        edit(f["layers/gru/cell/vars"])
    assert refused(one_gru_keras_with(buffer.getvalue()), "m.keras") == layer_says(says)


def one_gru_keras_with(weights: bytes, **gru_config) -> bytes:
    return keras_file(model(gru(**gru_config)), weights)


def test_integer_arrays_are_numbers():
    data = [np.arange(6, dtype="i4").reshape(1, 6), np.arange(12, dtype="u2").reshape(2, 6), np.zeros((2, 6), "i8")]
    same(read(one_gru_keras(data=data), "m.keras")[0], data)


@pytest.mark.parametrize("limits, who", [(APP, "the app"), (dataclasses.replace(CORE, max_units=32, max_input_dim=32),
                                                             "gruviz")])
def test_units_and_input_features_are_read_up_to_the_limit_and_not_one_more(limits, who):
    beyond = "; use the command line (python -m gruviz) for larger examples" if limits is APP else ""
    for H, D in ((32, 1), (1, 32)):
        data = [np.zeros((D, 3 * H), "f4"), np.zeros((H, 3 * H), "f4"), np.zeros((2, 3 * H), "f4")]
        [found] = read(weights_file(("gru", data, "g")), "m.weights.h5", limits)
        assert (found.weights.config.units, found.weights.config.input_dim) == (H, D)
        [found] = read(one_gru_keras(data=data, units=H), "m.keras", limits)
        assert (found.weights.config.units, found.weights.config.input_dim) == (H, D)
    for H, D, what in ((33, 1, "units=33"), (1, 33, "input_dim=33")):
        data = [np.zeros((D, 3 * H), "f4"), np.zeros((H, 3 * H), "f4"), np.zeros((2, 3 * H), "f4")]
        says = layer_says(f"{what} is more than {who} shows (at most 32): save a smaller layer{beyond}.")
        assert refused(weights_file(("gru", data, "g")), "m.weights.h5", limits) == says
        assert refused(one_gru_keras(data=data, units=H), "m.keras", limits) == says


def test_the_units_limit_applies_to_what_the_config_declares():
    says = layer_says("units=33 is more than the app shows (at most 32): save a smaller layer; use the command "
                      "line (python -m gruviz) for larger examples.")
    assert refused(one_gru_keras(units=33), "m.keras", APP) == says


@pytest.mark.parametrize("data, units, limits, says", [
    ([np.zeros(6, "f4"), np.zeros((2, 6), "f4")], DROP, CORE, "kernel has shape (6,); a GRU kernel is "
                                                               "(input_dim, 3·units)."),
    ([np.zeros(6, "f4"), np.zeros((2, 6), "f4")], 2, APP, "kernel has shape (6,); a GRU kernel is "
                                                           "(input_dim, 3·units)."),
    ([np.zeros(99, "f4"), np.zeros((2, 6), "f4")], 2, APP, "kernel has shape (99,); a GRU kernel is "
                                                            "(input_dim, 3·units)."),
    ([np.zeros(6, "f4"), np.zeros((2, 6), "f4")], 2, dataclasses.replace(CORE, max_input_dim=0),
     "kernel has shape (6,); a GRU kernel is (input_dim, 3·units)."),
    ([np.float32(1), np.zeros((2, 6), "f4")], DROP, CORE, "kernel has shape (); a GRU kernel is "
                                                           "(input_dim, 3·units)."),
    ([np.float32(1), np.zeros((2, 6), "f4")], DROP, dataclasses.replace(CORE, max_units=0),
     "kernel has shape (); a GRU kernel is (input_dim, 3·units)."),
])
def test_a_kernel_that_is_not_a_matrix_is_refused_for_its_shape_not_a_limit(data, units, limits, says):
    assert refused(one_gru_keras(data=data, units=units, use_bias=False), "m.keras", limits) == layer_says(says)


@pytest.mark.parametrize("data, says", [
    ([np.zeros((5, 6)), np.zeros((2, 6)), np.zeros((2, 6))], f"kernel has 30 numbers (5, 6); the limit is 24 per "
                                                             f"array {SMALL_SAYS}."),
    ([np.zeros((3, 6)), np.zeros((5, 6)), np.zeros((2, 6))], f"recurrent_kernel has 30 numbers (5, 6); the limit "
                                                             f"is 24 per array {SMALL_SAYS}."),
    ([np.zeros((3, 6)), np.zeros((2, 6)), np.zeros(25)], f"bias has 25 numbers (25,); the limit is 24 per array "
                                                         f"{SMALL_SAYS}."),
    ([np.zeros((4, 6)), np.zeros((2, 6)), np.zeros((3, 5))], f"the layer's arrays hold 51 numbers together; the "
                                                             f"limit is 50 {SMALL_SAYS}."),
    ([np.zeros((4, 6)), np.zeros((2, 6)), np.zeros((2, 7))], "bias has shape (2, 7) but reset_after=True needs "
                                                             "(2, 6)."),
])
def test_each_array_is_checked_against_the_element_limits_by_its_name(data, says):
    assert refused(one_gru_keras(data=[a.astype("f4") for a in data]), "m.keras", SMALL) == layer_says(says)


@pytest.mark.parametrize("config, data, says", [
    ({"units": 3}, arrays(), "kernel has shape (3, 6) but input_dim=3, units=3 needs (3, 9): one row per input "
                             "feature and 3·units columns (z | r | h)."),
    ({"use_bias": True}, arrays(bias=None), "use_bias=True needs a bias of shape (2, 6); none was given."),
    ({"reset_after": False}, arrays(), "bias has shape (2, 6) but reset_after=False needs (6,) — did this model "
                                       "use reset_after=True (the Keras 3 default)?"),
])
def test_the_config_is_believed_over_the_array_shapes(config, data, says):
    assert refused(one_gru_keras(data=data, **config), "m.keras") == layer_says(says)


def test_a_gru_without_bias_built_with_reset_after_false_keeps_it():
    [found] = read(one_gru_keras(data=arrays(bias=None), use_bias=False, reset_after=False), "m.keras")
    assert (found.weights.config.use_bias, found.weights.config.reset_after) == (False, False)


@pytest.mark.parametrize("given, expected", [
    ({"go_backwards": DROP}, False), ({"go_backwards": True}, True), ({"go_backwards": False}, False),
    ({"activation": None}, ("linear", "sigmoid")), ({"recurrent_activation": None}, ("tanh", "linear")),
    ({"activation": DROP, "recurrent_activation": DROP}, ("tanh", "sigmoid")),
    ({"activation": {"module": "keras.activations", "class_name": "function", "config": "relu"}},
     ("relu", "sigmoid")),
    ({"activation": "softsign", "recurrent_activation": "hard_sigmoid"}, ("softsign", "hard_sigmoid")),
])
def test_a_grus_config_fields_are_read(given, expected):
    [found] = read(one_gru_keras(**given), "m.keras")
    config = found.weights.config
    if isinstance(expected, bool):
        assert found.go_backwards is expected
    else:
        assert (config.activation, config.recurrent_activation) == expected
    assert found.notes == ()


@pytest.mark.parametrize("given, says", [
    ({"activation": "elu"}, f"activation 'elu' is not supported; gruviz knows {KNOWN}."),
    ({"recurrent_activation": "hard_sigmoid_legacy"},
     f"recurrent_activation 'hard_sigmoid_legacy' is not supported; gruviz knows {KNOWN}."),
    ({"recurrent_activation": {"class_name": "function", "config": {"code": "..."}}},
     f"recurrent_activation (a custom function) is not supported; gruviz knows {KNOWN}."),
    ({"activation": {"class_name": "MyActivation", "config": "tanh"}},
     f"activation (a custom function) is not supported; gruviz knows {KNOWN}."),
    ({"activation": 3}, f"activation (a custom function) is not supported; gruviz knows {KNOWN}."),
])
def test_an_activation_gruviz_cannot_explain_is_refused_by_name(given, says):
    assert refused(one_gru_keras(**given), "m.keras") == layer_says(
        says + " Rebuild the layer with one of these to explain it.")


# --- pairing config and arrays in a .keras archive ------------------------------------------------------------

def test_a_keras_archive_pairs_grus_by_name_and_names_the_one_without_arrays():
    first, second = arrays(seed=1), arrays(seed=2)
    config = model(gru("a"), gru("b"))
    both = weights_file(("gru_1", second, "b"), ("gru", first, "a"))
    found = read(keras_file(config, both), "m.keras")
    assert [f.name for f in found] == ["a", "b"] and all(f.notes == () for f in found)
    same(found[0], first)
    same(found[1], second)
    assert refused(keras_file(config, weights_file(("gru", first, "a"))), "m.keras") == (
        "GRU layer 'b' is in config.json but its weights are not in model.weights.h5; the file may be damaged.")


def test_a_keras_archive_whose_names_differ_pairs_its_grus_by_position_and_says_so():
    first, second = arrays(seed=1), arrays(seed=2)
    found = read(keras_file(model(gru("a"), gru("b")), weights_file(("gru", first, "x"), ("gru_1", second, "y"))),
                 "m.keras")
    assert [(f.name, f.notes) for f in found] == [
        (n, ("matched to its weights by position, because the layer names in the weights file differ.",))
        for n in ("a", "b")]
    same(found[0], first)
    same(found[1], second)


def test_a_named_gru_whose_arrays_have_the_wrong_shape_is_refused_for_its_shape():
    data = [np.zeros((3, 6), "f4"), np.zeros((3, 6), "f4"), np.zeros((2, 6), "f4")]
    assert refused(one_gru_keras(data=data), "m.keras") == layer_says(
        "the 2nd array, recurrent_kernel, has shape (3, 6); the kernel's 6 columns mean units=2, so it should be "
        "(2, 6).")
