"""Hostile files and texts that once escaped a reader as a stray exception, or were refused in the
wrong words: each is crafted here byte by byte and must come back as a refusal (InputError) that
says what is wrong with it, never as "the reader stopped with …" or "the file reader crashed".

The files are read as the bounded child reads them (`sandbox_child.read`, in this process), and
where the child itself once failed, through the real child (`gruviz.io.sandbox`).
"""

from __future__ import annotations

import base64
import io
import json
import random
import struct
import zipfile
import zlib

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from gruviz.errors import InputError
from gruviz.io import sandbox, sandbox_child
from gruviz.io.model_files import read_model_file
from gruviz.io.onnx_file import read_onnx
from gruviz.limits import APP, CLI, CORE
from test_model_files_details import arrays, gru, legacy_file, model, named, one_gru_keras, weights_file

SHORT = 600  # characters: a refusal a person reads whole


def child_refusal(kind: str, data: bytes, filename: str) -> str:
    """The child's refusal of `data`, read as the child reads it; anything else fails the test."""
    header, _ = sandbox_child.read(kind, data, filename, APP)
    assert header["status"] == "refused", header
    return header["message"]


# --- 1. HDF5: an address past any file (h5py's OverflowError), a string type h5py cannot map -------

def far_address(h5: bytes) -> bytes:
    """Superblock v0 (h5py's default): bytes 48-55 hold the driver-information block's address,
    'undefined' (all ones). Made defined and huge, libhdf5 asks h5py to read at an offset past
    what a C ssize_t holds: OverflowError."""
    data = bytearray(h5)
    assert data[:8] == b"\x89HDF\r\n\x1a\n" and data[8] == 0 and data[48:56] == b"\xff" * 8
    data[50] = 0x4D
    return bytes(data)


def unknown_charset(h5: bytes, attribute: bytes) -> bytes:
    """The attribute's variable-length string type says character set 4 (HDF5 knows 0, ASCII,
    and 1, UTF-8): its name is padded to 16 bytes, then the type's class byte and two bit-field
    bytes, the second holding the character set."""
    data = bytearray(h5)
    at = data.index(attribute + b"\x00") + 16 + 2
    assert data[at - 2] == 0x19 and data[at] == 1  # version 1, variable length; UTF-8
    data[at] = 4
    return bytes(data)


@pytest.mark.parametrize("kind", ["keras", "model"])
@pytest.mark.parametrize("filename", ["m.weights.h5", "m.h5"])
def test_an_hdf5_address_past_any_file_is_refused_as_damaged(kind, filename):
    source = weights_file(("gru", arrays(), "gru")) if filename == "m.weights.h5" else \
        legacy_file(model(gru()), {"g": named("g/", arrays())})
    message = child_refusal(kind, far_address(source), filename)
    assert "this HDF5 file is damaged" in message and "Save the model again with Keras" in message
    with pytest.raises(InputError, match="addresses points far beyond the end"):
        read_model_file(far_address(source), filename, CORE)


def test_a_keras_file_holding_such_an_hdf5_file_is_refused_the_same_way():
    blob = one_gru_keras()
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["model.weights.h5"] = far_address(members["model.weights.h5"])
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, member in members.items():
            archive.writestr(name, member)
    assert "this HDF5 file is damaged" in child_refusal("keras", out.getvalue(), "m.keras")


@pytest.mark.parametrize("kind", ["keras", "model"])
def test_a_string_attribute_in_an_unknown_character_set_is_refused_naming_it(kind):
    data = unknown_charset(legacy_file(model(gru()), {"g": named("g/", arrays())}), b"keras_version")
    message = child_refusal(kind, data, "m.h5")
    assert message.startswith("the HDF5 attribute /@keras_version has a type that cannot be read")
    assert "damaged" in message


# --- 2. .npz: zip features zipfile does not unpack, compressed data that does not inflate ------------

def npz(compressed: bool = False) -> bytes:
    rng = np.random.default_rng(0)
    H, D = 4, 3
    out = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(
        out, weight_ih_l0=rng.normal(size=(3 * H, D)), weight_hh_l0=rng.normal(size=(3 * H, H)),
        bias_ih_l0=rng.normal(size=3 * H), bias_hh_l0=rng.normal(size=3 * H))
    return out.getvalue()


def central_field(data: bytes, offset: int, value: int) -> bytes:
    """The first central-directory entry's 2-byte field at `offset` set to `value`."""
    blob = bytearray(data)
    at = blob.index(b"PK\x01\x02") + offset
    blob[at:at + 2] = struct.pack("<H", value)
    return bytes(blob)


def broken_deflate(data: bytes) -> bytes:
    """The first member's deflate stream starts with block type 3, which does not exist."""
    blob = bytearray(data)
    name_length, extra_length = struct.unpack("<HH", blob[26:30])
    blob[30 + name_length + extra_length] = 0xFF
    return bytes(blob)


@pytest.mark.parametrize("kind", ["state_dict", "lstm_state_dict"])
def test_an_npz_needing_zip_version_25_5_is_refused_naming_the_zip_feature(kind):
    data = central_field(npz(), 6, 255)  # "version needed to extract": 25.5; np.savez writes 2.0
    message = child_refusal(kind, data, "gru.npz")
    assert message.startswith("gru.npz needs a zip feature that gruviz does not unpack (zip file version 25.5)")
    assert "np.savez never writes it" in message


@pytest.mark.parametrize("kind", ["state_dict", "lstm_state_dict"])
def test_an_encrypted_npz_is_refused_as_encrypted(kind):
    data = central_field(npz(), 8, 1)  # general purpose flag bit 0: encrypted
    assert child_refusal(kind, data, "gru.npz").startswith("gru.npz is encrypted")


@pytest.mark.parametrize("kind", ["state_dict", "lstm_state_dict"])
def test_compressed_data_that_does_not_inflate_is_refused_as_damaged(kind):
    message = child_refusal(kind, broken_deflate(npz(compressed=True)), "gru.npz")
    assert message.startswith("gru.npz is damaged: its compressed data does not unpack")


# --- 3, 4, 5. ONNX: names that are not UTF-8, names of 4 MB, 9,000 GRU nodes -----------------------

def onnx_model(nodes, initializers=(), inputs=("X",)) -> bytes:
    graph = helper.make_graph(list(nodes), "g", [helper.make_tensor_value_info(name, TensorProto.FLOAT, [1, 1, 1])
                                                 for name in inputs], [], list(initializers))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)]).SerializeToString()


def gru_weights(H=1, D=1):
    rng = np.random.default_rng(1)
    return [numpy_helper.from_array(rng.normal(size=(1, 3 * H, D)).astype("f4"), "W"),
            numpy_helper.from_array(rng.normal(size=(1, 3 * H, H)).astype("f4"), "R")]


def gru_node(name="gru", inputs=("X", "W", "R"), **attributes):
    return helper.make_node("GRU", list(inputs), ["Y"], name=name, hidden_size=1, **attributes)


def not_utf8(data: bytes, placeholder: bytes) -> bytes:
    """`placeholder` replaced by as many bytes that are not UTF-8: protobuf's framing is untouched."""
    assert data.count(placeholder) == 1
    return data.replace(placeholder, b"\xff\xfe" * (len(placeholder) // 2))


@pytest.mark.parametrize("field, placeholder, build", [
    ("the name of node 1", b"NAMENAME", lambda: [gru_node("NAMENAME")]),
    ("the operator (op_type) of node 1", b"OPOPOPOP", lambda: [helper.make_node("OPOPOPOP", ["X"], ["Z"]),
                                                              gru_node()]),
    ("the input of node 1", b"XXXXXXXX", lambda: [gru_node(inputs=("X", "W", "R", "", "", "XXXXXXXX"))]),
])
def test_a_name_that_is_not_utf8_is_refused_naming_where_it_is(field, placeholder, build):
    data = not_utf8(onnx_model(build(), gru_weights()), placeholder)
    message = child_refusal("onnx", data, "m.onnx")
    assert message.startswith(f"{field} in the graph is not UTF-8 text (b'\\xff\\xfe")
    assert "the file is damaged" in message and "torch.onnx.export" in message


def test_a_direction_that_is_not_utf8_is_refused_naming_the_node():
    data = not_utf8(onnx_model([gru_node(direction="DIRDIRDI")], gru_weights()), b"DIRDIRDI")
    assert child_refusal("onnx", data, "m.onnx").startswith("the direction of GRU node 'gru' is not UTF-8 text")


def test_a_node_name_that_is_not_utf8_is_refused_by_the_real_child_not_a_crash():
    """The child once wrote the name's bytes into its JSON header, outside its error handling,
    and exited 1: 'the file reader crashed'."""
    data = not_utf8(onnx_model([gru_node("NAMENAME")], gru_weights()), b"NAMENAME")
    with pytest.raises(sandbox.FileRefused) as refused:
        sandbox.read_onnx_upload(data, "m.onnx")
    assert refused.value.reason == "refused", str(refused.value)
    assert "not UTF-8 text" in str(refused.value)


def test_metadata_the_child_cannot_send_is_a_reader_bug_in_its_header(monkeypatch, tmp_path):
    """The guard behind the readers' own checks: a header that is not JSON never reaches write()."""
    monkeypatch.setitem(sandbox_child.READERS, "onnx", lambda: lambda data, filename, limits: [({"name": b"\xff"}, [])])
    header, arrays_out = sandbox_child.read("onnx", b"", "m.onnx", APP)
    assert header["status"] == "bug" and header["error"] == "TypeError"
    sandbox_child.write(str(tmp_path), header, arrays_out)
    assert (tmp_path / sandbox_child.RESULT).exists()


FOUR_MB = "n" * 4_000_000


@pytest.mark.parametrize("build, start", [
    (lambda: onnx_model([gru_node(FOUR_MB, inputs=("X", "", "R"))], gru_weights()),
     "GRU node 'nnnnnnnn"),
    (lambda: onnx_model([helper.make_node("Identity", ["W"], ["Wc"], name=FOUR_MB),
                         gru_node(inputs=("X", "Wc", "R"))], gru_weights()),
     "GRU node 'gru' takes W from node 'nnnn"),
    (lambda: onnx_model([gru_node(activations=[FOUR_MB[:100_000], "Tanh"])], gru_weights()),
     "the ONNX activation 'nnnn"),
])
def test_a_4_mb_name_is_quoted_short(build, start):
    with pytest.raises(InputError) as refused:
        read_onnx(build(), "m.onnx", CORE)
    message = str(refused.value)
    assert message.startswith(start) and len(message) < SHORT, (len(message), message[:200])


def test_choosing_among_nodes_with_4_mb_names_quotes_them_short():
    found = read_onnx(onnx_model([gru_node(FOUR_MB), gru_node(FOUR_MB + "2")], gru_weights()), "m.onnx", CORE)
    _, sentence = found.choose()
    assert sentence.startswith("Showing GRU node 'nnnn") and "(4,000,000 characters)" in sentence
    assert len(sentence) < SHORT
    with pytest.raises(InputError) as refused:
        found.choose("other")
    assert len(str(refused.value)) < SHORT


def test_a_keras_layer_name_of_100_000_characters_is_quoted_short():
    name = "g" * 100_000
    with pytest.raises(InputError) as refused:
        read_model_file(one_gru_keras(name=name, activation="bogus"), "m.keras", CORE)
    message = str(refused.value)
    assert message.startswith("GRU layer 'gggg") and "(100,000 characters)" in message
    assert "activation 'bogus' is not supported" in message and len(message) < SHORT


def many_grus(count: int) -> bytes:
    return onnx_model([gru_node(f"g{i}") for i in range(count)], gru_weights())


def test_9000_gru_nodes_are_refused_as_too_many_saying_how_many_are_read():
    from gruviz.io.onnx_file import MAX_GRU_NODES

    with pytest.raises(sandbox.FileRefused) as refused:
        sandbox.read_onnx_upload(many_grus(9000), "m.onnx")
    assert refused.value.reason == "refused", str(refused.value)
    assert str(refused.value).startswith(f"m.onnx has 9,000 GRU nodes; gruviz reads at most {MAX_GRU_NODES}")
    assert len(read_onnx(many_grus(MAX_GRU_NODES), "m.onnx", CORE).nodes) == MAX_GRU_NODES
    with pytest.raises(InputError, match=f"has {MAX_GRU_NODES + 1} GRU nodes"):
        read_onnx(many_grus(MAX_GRU_NODES + 1), "m.onnx", CORE)


# --- the fuzz that found these: byte mutations of .npz and .onnx files, read as the child reads ------

def mutants(data: bytes, seed: int, count: int):
    rng = random.Random(seed)
    for _ in range(count):
        blob = bytearray(data)
        for _ in range(rng.randrange(1, 4)):
            blob[rng.randrange(len(blob))] = rng.randrange(256)
        yield bytes(blob)


@pytest.mark.parametrize("kind, filename, source", [
    ("state_dict", "gru.npz", lambda: npz()), ("state_dict", "gru.npz", lambda: npz(compressed=True)),
    ("lstm_state_dict", "gru.npz", lambda: npz(compressed=True)),
    ("onnx", "m.onnx", lambda: onnx_model([gru_node(direction="forward", activations=["Sigmoid", "Tanh"])],
                                          gru_weights())),
], ids=["npz", "npz-compressed", "lstm-npz-compressed", "onnx"])
def test_mutated_files_give_weights_or_a_short_refusal(kind, filename, source):
    """libhdf5 can crash the process reading a mutated HDF5 file, so those are fuzzed through the
    real child (test_hostile_files.py); these readers are Python and protobuf, read here."""
    outcomes: dict[str, int] = {}
    for blob in mutants(source(), seed=23, count=400):
        header, _ = sandbox_child.read(kind, blob, filename, APP)
        outcome = header["status"] if header["status"] != "bug" else f"bug: {header['error']}"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        assert len(header.get("message", "")) < SHORT + len(filename), header["message"][:200]
    assert set(outcomes) <= {"ok", "refused"}, outcomes


# --- 6. One nesting limit for every box ---------------------------------------------------------------

def boxes():
    from gruviz.explain.claims import parse_output_claim, parse_step_claims
    from gruviz.io.parsing import parse_keras_printout, parse_mask, parse_sequence, parse_vector

    return {"the sequence": lambda text: parse_sequence(text, 1), "h0": lambda text: parse_vector(text, "h0", 1),
            "the mask": lambda text: parse_mask(text, 1), "the claimed output": lambda text: parse_output_claim(text, 1),
            "the printout": parse_keras_printout, "the claimed steps": lambda text: parse_step_claims(text, 1, 1)}


@pytest.mark.parametrize("box", ["the sequence", "h0", "the mask", "the claimed output", "the printout",
                                 "the claimed steps"])
@pytest.mark.parametrize("depth", [17, 5000])
def test_every_box_refuses_brackets_nested_past_16_in_the_same_words(box, depth):
    with pytest.raises(InputError) as refused:
        boxes()[box]("[" * depth + "1" + "]" * depth)
    assert str(refused.value) == (f"{box} nests brackets {depth:,} levels deep; gruviz reads at most 16 "
                                  "(a sequence needs 2, a weights file 3).")


def test_the_claimed_output_and_the_mask_still_take_brackets_a_person_types():
    from gruviz.explain.claims import parse_output_claim
    from gruviz.io.parsing import parse_mask

    assert parse_output_claim("[-0.7069]", 1)[0].typed.values.tolist() == [-0.7069]
    assert parse_output_claim("[" * 16 + "0.5" + "]" * 16, 1)[0].typed.values.tolist() == [0.5]
    assert parse_mask("[1, 0]", 2).tolist() == [True, False]


# --- 7. A link too big for a link ----------------------------------------------------------------------

def link_of_zeros(units: int) -> str:
    """A gruviz link's weights for a layer of zeros: a few KB of link, megabytes of JSON."""
    text = json.dumps({"format": "gruviz-weights/1", "layout": "keras",
                       "config": {"units": units, "input_dim": 1},
                       "kernel": [[0.0] * 3 * units], "recurrent_kernel": [[0.0] * 3 * units] * units,
                       "bias": [[0.0] * 3 * units] * 2}, separators=(",", ":"))
    return base64.urlsafe_b64encode(zlib.compress(text.encode(), 9)).decode().rstrip("=")


def test_a_400_unit_link_is_too_big_not_damaged():
    from gruviz.io import share

    packed = link_of_zeros(400)
    assert len(packed) < share.MAX_PARAM_CHARS
    with pytest.raises(InputError) as app:
        share.decode({"w": packed, "seq": "1"}, limits=APP)
    assert str(app.value).startswith("units=400 is more than the app shows (at most 32)")
    with pytest.raises(InputError) as cli:
        share.decode({"w": packed, "seq": "1"}, limits=CLI)
    assert str(cli.value).startswith("the link's weights are too big for a link: they unpack to more than "
                                     "1,000,000 characters")
    with pytest.raises(InputError, match="the link's weights are damaged; copy the whole link again"):
        share.decode({"w": packed[:len(packed) // 2], "seq": "1"}, limits=CLI)


def test_a_link_longer_than_a_link_says_its_length_and_the_limit():
    from gruviz.io import share

    with pytest.raises(InputError) as refused:
        share.decode({"w": "A" * 7000, "seq": "1"})
    assert str(refused.value).startswith("the link's weights are 7,000 characters long; a gruviz link carries at "
                                         "most 6,000.")
