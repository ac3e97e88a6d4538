"""gruviz.io.model_files in detail, on files written here with h5py and zipfile in the layouts
Keras writes (see the module's docstring): every limit at its boundary, every config field the
readers take, every refusal word for word. Expected arrays are the ones written into the file;
expected messages are the product's wording, written out."""

import dataclasses
import io
import json
import tracemalloc

import h5py
import numpy as np
import pytest

from conftest import zipped
from gruviz import InputError
from gruviz.io import model_files
from gruviz.io.model_files import read_model_file
from gruviz.limits import CORE

ACCEPTED = ("gruviz reads a Keras model saved with model.save('name.keras'), a weights file saved with "
            "model.save_weights('name.weights.h5'), or a legacy model.save('name.h5')")
RESAVE = "Save the model again with model.save('name.keras')."
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
    cfg = {"name": name, "units": 2, "activation": "tanh", "recurrent_activation": "sigmoid",
           "use_bias": True, "reset_after": True, "go_backwards": False, "return_sequences": False, **config}
    return {"class_name": "GRU", "config": {k: v for k, v in cfg.items() if v is not DROP}}


def model(*layers, name="sequential", kind="Sequential") -> dict:
    return {"class_name": kind, "config": {"name": name, "layers": list(layers)}}




def keras_file(config, weights: bytes, metadata=DROP) -> bytes:
    members = {"config_json": config if isinstance(config, (str, bytes)) else json.dumps(config)}
    if metadata is not DROP:
        members["metadata_json"] = metadata if isinstance(metadata, (str, bytes)) else json.dumps(metadata)
    return zipped(**members, model_weights_h5=weights)


def one_gru_keras(config=None, data=None, metadata=DROP, **gru_config) -> bytes:
    layer = gru(**gru_config)
    weights = weights_file(("gru", data or arrays(), layer["config"]["name"]))
    return keras_file(config or model(layer), weights, metadata)


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
    assert refused(bytes(3 * 2**20), "m.keras", limits) == (
        f"this is not a .keras file (a zip archive). {ACCEPTED}.")
    assert refused(bytes(3 * 2**20 + 1), "m.keras", limits) == (
        "the file is 3.0 MB; the limit is 3 MB. Upload a model with fewer or smaller layers, or save only "
        "its weights (.weights.h5).")


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
        "this .h5 file has no model_config; it holds a Keras 3 weights file: rename it to end in "
        f".weights.h5. {ACCEPTED}.")
    assert refused(h5(lambda f: f.create_group("model_weights")), "m.h5") == (
        f"this .h5 file has no model_config; it holds weights only (save_weights), without the layer config. "
        f"{ACCEPTED}.")
    assert refused(b"hello", "m.weights.h5") == f"this is not an HDF5 file. {ACCEPTED}."
    assert refused(one_gru_keras(), "m.h5") == (
        f"this is not an HDF5 file. This file is a zip: rename it to end in .keras. {ACCEPTED}.")


def test_what_h5py_or_zipfile_raises_becomes_a_damaged_file_message_or_a_memory_error(monkeypatch):
    def failing(error):
        def reader(data, limits):
            raise error
        return reader

    monkeypatch.setattr(model_files, "_read_weights_h5", failing(ValueError("v" * 200)))
    assert refused(b"", "m.weights.h5") == (
        f"this file is damaged (ValueError: {'v' * 160}). Save the model again with Keras and upload the "
        "new file.")
    out_of_memory = OSError("Can't read data (memory allocation failed)")
    monkeypatch.setattr(model_files, "read_legacy_h5", failing(out_of_memory))
    with pytest.raises(MemoryError, match=r"^Can't read data \(memory allocation failed\)$"):
        read_model_file(b"", "m.h5")


# --- the .keras archive ------------------------------------------------------------------------------

def test_a_keras_archive_lists_what_it_holds_when_a_member_is_missing():
    weights = weights_file(("gru", arrays(), "g"))
    assert refused(zipped(metadata_json="{}", model_weights_h5=weights), "m.keras") == (
        f"the .keras archive has no config.json (it holds metadata.json, model.weights.h5). {RESAVE}")
    assert refused(zipped(config_json=json.dumps(model(gru()))), "m.keras") == (
        f"the .keras archive has no model.weights.h5 (it holds config.json). {RESAVE}")
    assert refused(zipped(), "m.keras") == (
        f"the .keras archive has no config.json (it holds nothing). {RESAVE}")
    assert refused(zipped(config_json=json.dumps(model(gru())), model_weights_h5=b"hello"), "m.keras") == (
        f"this is not an HDF5 file. {ACCEPTED}.")


def test_a_keras_archive_that_would_inflate_is_refused_as_the_keras_archive():
    bomb = zipped(config_json=b" " * (2 * 2**20), model_weights_h5=b"")
    assert refused(bomb, "m.keras").startswith(
        "config.json in the .keras archive would unpack to 2 MB from 0.00 MB")


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
            assert refused(blob, "m.keras", limits) == (
                f"{member} unpacks to more than 1 MB; the limit is 1 MB.")


def test_an_oversized_config_is_refused_after_reading_only_the_limit():
    """30 MB of config text that deflates 77:1 (not a zip bomb by ratio) in a 0.4 MB upload."""
    rng = np.random.default_rng(0)
    text = b"".join(rng.bytes(8).hex().encode() + b" " * 1008 for _ in range(30_000))
    blob = keras_file(text, weights_file(("gru", arrays(), "g")))
    limits = dataclasses.replace(CORE, max_file_bytes=2**20)
    tracemalloc.start()
    try:
        message = refused(blob, "m.keras", limits)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert message == "config.json unpacks to more than 1 MB; the limit is 1 MB."
    assert peak < 8 * 2**20, f"{peak / 2**20:.0f} MB held to refuse a config over 1 MB"


def test_a_member_that_fails_its_checksum_is_named():
    blob = bytearray(keras_file(json.dumps(model(gru())), weights_file(("gru", arrays(), "g"))))
    start = blob.index(b"config.json") + len("config.json")  # the local header's name, then the data
    blob[start + 5] ^= 0xFF
    message = refused(bytes(blob), "m.keras")
    assert message.startswith("could not unpack config.json from the .keras archive (")
    assert message.endswith(").")


@pytest.mark.parametrize("text, where", [(b"{not json", "config.json"), (b"\xff\xfe{", "config.json")])
def test_config_that_is_not_json_quotes_the_json_error(text, where):
    with pytest.raises(ValueError) as python:
        json.loads(text)
    assert refused(keras_file(text, weights_file()), "m.keras") == (
        f"{where} is not valid JSON ({python.value}); the file may be damaged.")


def test_a_long_json_error_is_cut_at_120_characters():
    text = b'{"units": ' + b"1" * 5000 + b"}"
    with pytest.raises(ValueError) as python:
        json.loads(text)
    assert len(str(python.value)) > 121
    assert refused(keras_file(text, weights_file()), "m.keras") == (
        f"config.json is not valid JSON ({str(python.value)[:120]}); the file may be damaged.")


def test_metadata_and_legacy_model_config_that_are_not_json_are_named():
    weights = weights_file(("gru", arrays(), "g"))
    assert refused(keras_file(model(gru()), weights, "{"), "m.keras").startswith(
        "metadata.json is not valid JSON (")
    legacy = h5(lambda f: f.attrs.__setitem__("model_config", "{"))
    assert refused(legacy, "m.h5").startswith("the model_config in this .h5 file is not valid JSON (")


def test_config_nested_past_pythons_recursion_limit_is_refused():
    deep = "[" * 100_000 + "]" * 100_000
    assert refused(keras_file(deep, weights_file()), "m.keras") == (
        "config.json nests too deeply to be a Keras config; the file may be damaged.")


CODE = ("holds Python code (a {}); gruviz never runs code from a file and refuses files that carry it. "
        "Save the model without it, or only its weights with model.save_weights('name.weights.h5').")
UNSAFE = "calls enable_unsafe_deserialization, which only serves to run code from a file; gruviz refuses it."


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

ASSUMED = ("A weights-only file has no layer config: activations were assumed to be tanh and sigmoid "
           "(the Keras defaults) and could not be read; check them against your model.")
FORWARDS = ("The file does not record go_backwards either: the layer runs forwards; if it was built with "
            "go_backwards=True, tick go_backwards beside the input sequence.")
BACKWARDS = ("The file does not record go_backwards either: this layer is named like a Bidirectional's backward "
             "half, so it runs backwards; if it ran forwards, untick go_backwards beside the input sequence.")
NO_BIAS = "Without a bias, reset_after cannot be seen in the arrays; assumed True."


@pytest.mark.parametrize("bias, notes, reset_after", [
    ("after", (ASSUMED, FORWARDS), True), ("before", (ASSUMED, FORWARDS), False),
    (None, (ASSUMED, FORWARDS, NO_BIAS), True)])
def test_a_weights_file_reads_shapes_off_its_arrays_and_says_what_it_assumed(bias, notes, reset_after):
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
    assert found.notes[1] == (BACKWARDS if backwards else FORWARDS)  # the guess is said, either way


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


@pytest.mark.parametrize("suffix", [".weights.h5", ".keras"])
def test_a_cells_arrays_are_taken_in_natural_order_of_their_names(suffix):
    data = arrays()

    def build(f):
        cell = f.create_group("layers/gru/cell/vars")
        f.create_group("layers/gru/vars").attrs["name"] = "g"
        for key, a in zip(("0", "2", "10"), data):  # as text, "10" sorts before "2"
            cell.create_dataset(key, data=a)

    blob = h5(build) if suffix == ".weights.h5" else keras_file(model(gru()), h5(build))
    same(read(blob, "m" + suffix)[0], data)


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
        put_cell(f, "layers/skew", [np.ones((3, 9), "f4"), np.ones((2, 6), "f4")], "skew")

    assert refused(h5(build), "m.weights.h5") == (
        "no GRU layer found in this weights file; its layers are: cube, dense, four, lstm, lstm_cell, one, "
        "skew, uneven.")
    assert refused(h5(lambda f: f.create_group("layers")), "m.weights.h5") == (
        "no GRU layer found in this weights file; its layers are: none.")
