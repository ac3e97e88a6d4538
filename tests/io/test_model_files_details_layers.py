"""gruviz.io.model_files in detail, continued: legacy .h5 weight names, the model config, and each
GRU's limits, arrays and config fields, on files written here in the layouts Keras writes. Expected
arrays are the ones written into the file; expected messages are the product's wording, written out."""

import dataclasses
import io
import json

import h5py
import numpy as np
import pytest

from gruviz.limits import APP, CORE, Limits
from test_model_files_details import (DROP, arrays, gru, h5, keras_file, legacy_file, model, named,
                                      one_gru_keras, read, refused, same, weights_file)

KNOWN = "tanh, sigmoid, hard_sigmoid, linear, relu, softsign"  # Keras's names: the legacy one is ours
SMALL = Limits(max_units=4, max_input_dim=8, max_steps=10, max_text_chars=1000, max_array_elements=24,
               max_total_elements=50, max_file_bytes=2**20)
SMALL_SAYS = "(units ≤ 4, input features ≤ 8, timesteps ≤ 10)"


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


def test_a_gru_in_a_nested_model_takes_only_its_own_arrays_from_the_models_group():
    data = arrays()
    dense = [("inner/dense/kernel", np.ones((3, 1), "f4")), ("inner/dense/bias", np.ones(1, "f4"))]
    own = named("inner/g/gru_cell/", data)
    config = model(model({"class_name": "Dense", "config": {"name": "dense"}}, gru(), name="inner"))
    for listed in (dense + own, own + dense):
        [found] = read(legacy_file(config, {"inner": listed}), "m.h5")
        assert found.name == "inner/g"
        same(found, data)


def test_a_weight_list_is_read_from_at_most_a_thousand_chunks():
    """Keras splits a long weight_names attribute into weight_names0, weight_names1, …"""
    data = arrays()

    def build(f):
        f.attrs["model_config"] = json.dumps(model(gru()))
        group = f.create_group("model_weights/g")
        names = [f"other/x{i}" for i in range(998)] + ["g/kernel:0", "g/recurrent_kernel:0", "g/bias:0"]
        for i, n in enumerate(names):
            group.attrs[f"weight_names{i}"] = [n.encode()]
        for (n, _), a in zip(named("g/", data, ("kernel:0", "recurrent_kernel:0", "bias:0")), data):
            group.create_dataset(n, data=a)

    assert refused(h5(build, libver="latest"), "m.h5") == layer_says(
        "use_bias=True needs a bias of shape (2, 6); none was given.")  # chunk 1000, the bias, is not read


def test_a_legacy_gru_without_a_bias_has_two_arrays():
    data = arrays(bias=None)
    for names in (("g/kernel:0", "g/recurrent_kernel:0"), ("kernel:0", "recurrent_kernel:0")):
        [found] = read(legacy_file(model(gru(use_bias=False)), {"g": list(zip(names, data))}), "m.h5")
        same(found, data)


def test_a_legacy_gru_whose_arrays_are_missing_names_its_top_layer():
    data = arrays()
    ok = named("g/", data)
    assert refused(legacy_file(model(gru()), {"other": ok}), "m.h5") == missing("g", "g")
    no_bias_array = ok[:2] + [("g/bias:0", None)]
    assert refused(legacy_file(model(gru()), {"g": no_bias_array}), "m.h5") == missing("g", "g")
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
    return (f"the {role} half of Bidirectional layer 'bi'; with return_sequences=True Bidirectional flips "
            "the backward half's outputs back into input order.")


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
    assert refused(legacy_file(model(bidirectional()), {"bi": listed}), "m.h5") == (
        missing("bi/forward_g", "bi"))


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
    note = LEGACY_NOTE.format(key="recurrent_activation", version="2.15.0")
    assert found.notes == ((note,) if legacy else ())


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
        "the model_config nests models more than 20 deep; gruviz reads at most 20 levels.")


NO_LIST = "config.json has no list of layers where one is needed; is this a Keras model?"
NO_CONFIG = "config.json: a layer entry has no 'config' object; the file may be damaged."


@pytest.mark.parametrize("config, says", [
    ([], "config.json must be a JSON object with class_name and config."),
    ({"class_name": "Sequential"}, NO_LIST),
    ({"class_name": "Sequential", "config": {"layers": {}}}, NO_LIST),
    (model("gru"), NO_CONFIG),
    (model({"class_name": "GRU", "config": "g"}), NO_CONFIG),
    (model(), "no GRU layer found in this file; it holds: no layers. gruviz explains keras.layers.GRU."),
    (model({"class_name": "InputLayer", "config": {}}, {"class_name": "Dense", "config": {}},
           {"class_name": "LSTM", "config": {}}, {"class_name": "Dense", "config": {"name": "d2"}},
           {"class_name": "Bidirectional", "config": {"layer": {"class_name": "LSTM", "config": {}}}},
           {"class_name": "TimeDistributed", "config": {"layer": {"class_name": "Dense", "config": {}}}}),
     "no GRU layer found in this file; it holds: Dense, LSTM, Bidirectional(LSTM), TimeDistributed(Dense). "
     "gruviz explains keras.layers.GRU."),
    (model({"class_name": "Bidirectional", "config": {"name": "b"}},
           {"class_name": "Wrap", "config": {"layer": "x"}}),
     "no GRU layer found in this file; it holds: Bidirectional, Wrap. gruviz explains keras.layers.GRU."),
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


NOT_FLOAT = "/layers/gru/cell/vars/1 is not an array of float32/float64 numbers; save the model in float32."


@pytest.mark.parametrize("replace", [
    lambda cell: cell.create_dataset("1", data=np.ones((2, 6), bool)),
    lambda cell: cell.create_dataset("1", data=np.full((2, 6), b"x")),
    lambda cell: cell.create_dataset("1", data=np.ones((2, 6), "f4")).attrs.__setitem__("dtype", "bfloat16"),
    lambda cell: cell.create_group("1"),
], ids=["bool", "bytes", "bfloat16", "group"])
def test_arrays_that_are_not_plain_numbers_are_refused(replace):
    buffer = io.BytesIO(weights_file(("gru", arrays(), "g")))
    with h5py.File(buffer, "r+") as f:
        del f["layers/gru/cell/vars/1"]
        replace(f["layers/gru/cell/vars"])
    assert refused(keras_file(model(gru()), buffer.getvalue()), "m.keras") == layer_says(NOT_FLOAT)


def test_integer_arrays_are_numbers():
    data = [np.arange(6, dtype="i4").reshape(1, 6), np.arange(12, dtype="u2").reshape(2, 6),
            np.zeros((2, 6), "i8")]
    same(read(one_gru_keras(data=data), "m.keras")[0], data)


@pytest.mark.parametrize("limits, who", [
    (APP, "the app"), (dataclasses.replace(CORE, max_units=32, max_input_dim=32), "gruviz")])
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
    says = layer_says("units=33 is more than the app shows (at most 32): save a smaller layer; use the "
                      "command line (python -m gruviz) for larger examples.")
    assert refused(one_gru_keras(units=33), "m.keras", APP) == says


def zeros(*shapes):
    return [np.zeros(shape, "f4") for shape in shapes]


@pytest.mark.parametrize("kernel, units, limits", [
    ((6,), DROP, CORE), ((6,), 2, APP), ((99,), 2, APP),
    ((6,), 2, dataclasses.replace(CORE, max_input_dim=0)),
    ((), DROP, CORE), ((), DROP, dataclasses.replace(CORE, max_units=0))])
def test_a_kernel_that_is_not_a_matrix_is_refused_for_its_shape_not_a_limit(kernel, units, limits):
    blob = one_gru_keras(data=zeros(kernel, (2, 6)), units=units, use_bias=False)
    assert refused(blob, "m.keras", limits) == layer_says(
        f"kernel has shape {kernel}; a GRU kernel is (input_dim, 3·units).")


@pytest.mark.parametrize("shapes, says", [
    (((5, 6), (2, 6), (2, 6)), f"kernel has 30 numbers (5, 6); the limit is 24 per array {SMALL_SAYS}."),
    (((3, 6), (5, 6), (2, 6)),
     f"recurrent_kernel has 30 numbers (5, 6); the limit is 24 per array {SMALL_SAYS}."),
    (((3, 6), (2, 6), (25,)), f"bias has 25 numbers (25,); the limit is 24 per array {SMALL_SAYS}."),
    (((4, 6), (2, 6), (3, 5)), f"the layer's arrays hold 51 numbers together; the limit is 50 {SMALL_SAYS}."),
    (((4, 6), (2, 6), (2, 7)), "bias has shape (2, 7) but reset_after=True needs (2, 6)."),  # 50: within
])
def test_each_array_is_checked_against_the_element_limits_by_its_name(shapes, says):
    assert refused(one_gru_keras(data=zeros(*shapes)), "m.keras", SMALL) == layer_says(says)


@pytest.mark.parametrize("config, data, says", [
    ({"units": 3}, arrays(), "kernel has shape (3, 6) but input_dim=3, units=3 needs (3, 9): one row per "
                             "input feature and 3·units columns (z | r | h)."),
    ({"use_bias": True}, arrays(bias=None), "use_bias=True needs a bias of shape (2, 6); none was given."),
    ({"reset_after": False}, arrays(), "bias has shape (2, 6) but reset_after=False needs (6,) — did this "
                                       "model use reset_after=True (the Keras 3 default)?"),
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


# --- pairing config and arrays in a .keras archive ---------------------------------------------------

def test_a_keras_archive_pairs_grus_by_name_and_names_the_one_without_arrays():
    first, second = arrays(seed=1), arrays(seed=2)
    config = model(gru("a"), gru("b"))
    both = weights_file(("gru_1", second, "b"), ("gru", first, "a"))
    found = read(keras_file(config, both), "m.keras")
    assert [f.name for f in found] == ["a", "b"] and all(f.notes == () for f in found)
    same(found[0], first)
    same(found[1], second)
    assert refused(keras_file(config, weights_file(("gru", first, "a"))), "m.keras") == (
        "GRU layer 'b' is in config.json but its weights are not in model.weights.h5; the file may be "
        "damaged.")
    nested = model(gru("a"), model(gru("b"), name="inner"))
    assert refused(keras_file(nested, weights_file(("gru", first, "a"))), "m.keras") == (
        "GRU layer 'inner/b' is in config.json but its weights are not in model.weights.h5; the file may be "
        "damaged.")


def test_a_keras_archive_whose_names_differ_pairs_its_grus_by_position_and_says_so():
    first, second = arrays(seed=1), arrays(seed=2)
    weights = weights_file(("gru", first, "x"), ("gru_1", second, "y"))
    found = read(keras_file(model(gru("a"), gru("b")), weights), "m.keras")
    assert [(f.name, f.notes) for f in found] == [
        (n, ("matched to its weights by position, because the layer names in the weights file differ.",))
        for n in ("a", "b")]
    same(found[0], first)
    same(found[1], second)


def test_a_named_gru_whose_arrays_have_the_wrong_shape_is_refused_for_its_shape():
    data = [np.zeros((3, 6), "f4"), np.zeros((3, 6), "f4"), np.zeros((2, 6), "f4")]
    assert refused(one_gru_keras(data=data), "m.keras") == layer_says(
        "the 2nd array, recurrent_kernel, has shape (3, 6); the kernel's 6 columns mean units=2, so it "
        "should be (2, 6).")
