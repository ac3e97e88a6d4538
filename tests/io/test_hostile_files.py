"""Hostile uploads, made here from real Keras files, read through the sandboxed readers.

Each must come back as a refusal (`FileRefused`, an InputError) with a message, within
the reader's time limit, and nothing in a file may run: payloads write a canary file
that must never appear. One crafted file per reader limit trips exactly that limit.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import struct
import zipfile
import zlib

import h5py
import numpy as np
import pytest

from gruviz.io import sandbox
from gruviz.io.model_files import read_model_file
from gruviz.limits import APP, CORE, FILES, READ_SECONDS_ENV, read_seconds
import reader_batch
from hostile_bytes import spinning_model_config

T, D, H = 5, 3, 4
READERS = {"keras": sandbox.read_keras_file, "state_dict": sandbox.read_state_dict_file,
           "json": sandbox.read_weights_json}
SLACK = 5.0  # child start and kill, on a busy machine


@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import keras

    return keras


@pytest.fixture(scope="module")
def canary(tmp_path_factory):
    return tmp_path_factory.mktemp("canary") / "ran.txt"


@pytest.fixture(scope="module")
def saved(keras, tmp_path_factory):
    """A Keras GRU model with random weights, as .h5, .keras and .weights.h5 bytes."""
    folder = tmp_path_factory.mktemp("saved")
    model = keras.Sequential([keras.Input((T, D)), keras.layers.GRU(H)])
    rng = np.random.default_rng(0)
    model.set_weights([rng.normal(0, 0.7, w.shape).astype("float32") for w in model.get_weights()])
    files = {}
    for suffix in (".h5", ".keras", ".weights.h5"):
        (model.save_weights if suffix == ".weights.h5" else model.save)(folder / f"m{suffix}")
        files[suffix] = (folder / f"m{suffix}").read_bytes()
    return files


# --- making hostile files ------------------------------------------------------------------

def edited_h5(data: bytes, edit, libver=None) -> bytes:
    buffer = io.BytesIO(data)
    with h5py.File(buffer, "r+", libver=libver) as f:
        edit(f)
    return buffer.getvalue()


def huge_weight_names(h5: bytes) -> bytes:
    """The first weight_names string claims 3.75 GiB: libhdf5 allocates it, then fails."""
    data = bytearray(h5)
    name = data.index(b"weight_names\x00")
    values = name + 16 + 24 + 24  # after the padded name, datatype and dataspace messages
    data[values:values + 4] = struct.pack("<I", 0xF0000000)
    return bytes(data)


def stored(name: str, data: bytes) -> tuple:
    return name, 0, zlib.crc32(data), data, len(data)


def bomb(name: str, head: bytes, zeros: int) -> tuple:
    """A zip member that is `head` then `zeros` zero bytes, deflated as one compressed
    64 MiB block repeated: a 2 GiB member costs a second to make and 2 MB to store."""
    chunk = bytes(64 * 2**20)
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = packer.compress(head) + packer.flush(zlib.Z_FULL_FLUSH)
    block = packer.compress(chunk) + packer.flush(zlib.Z_FULL_FLUSH)
    crc = zlib.crc32(head)
    for _ in range(zeros // len(chunk)):
        crc = zlib.crc32(chunk, crc)
    return name, 8, crc, start + block * (zeros // len(chunk)) + packer.flush(), len(head) + zeros


def hand_zip(*members: tuple) -> bytes:
    """A zip written field by field, so a member can be stored already compressed."""
    body, central = b"", b""
    for name, method, crc, blob, size in members:
        raw = name.encode()
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0, crc, len(blob), size,
                               len(raw), 0, 0, 0, 0, 0, len(body)) + raw
        body += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0, crc, len(blob), size, len(raw), 0)
        body += raw + blob
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), len(body), 0)
    return body + central + end


def members_of(archive: bytes) -> list[tuple]:
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        return [stored(info.filename, z.read(info)) for info in z.infolist()]


def npy_header(shape, dtype="<f8") -> bytes:
    out = io.BytesIO()
    np.lib.format.write_array_header_1_0(out, {"descr": dtype, "fortran_order": False, "shape": shape})
    return out.getvalue()


def npz(**arrays) -> bytes:
    out = io.BytesIO()
    np.savez_compressed(out, **arrays)
    return out.getvalue()


def state_dict(rng, units=H, input_dim=D) -> dict[str, np.ndarray]:
    return {"weight_ih_l0": rng.normal(size=(3 * units, input_dim)), "weight_hh_l0": rng.normal(size=(3 * units, units)),
            "bias_ih_l0": rng.normal(size=3 * units), "bias_hh_l0": rng.normal(size=3 * units)}


class Payload:
    """Unpickling this writes the canary: what a pickled .npz could do to a careless reader."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return exec, (f"open({self.path!r}, 'w').write('ran')",)


def deep_json(depth: int) -> str:
    return "[" * depth + "1" + "]" * depth


def _replace_vars(f, index: str, **create) -> None:
    del f[f"layers/gru/cell/vars/{index}"]
    f.create_dataset(f"layers/gru/cell/vars/{index}", **create)


def with_unknown_filter(f) -> None:
    """The kernel stored behind filter 307 (bzip2), which this libhdf5 does not have."""
    plist = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    plist.set_chunk((D, 3 * H))
    plist.set_filter(307, h5py.h5z.FLAG_OPTIONAL)
    del f["layers/gru/cell/vars/0"]
    space = h5py.h5s.create_simple((D, 3 * H))
    h5py.h5d.create(f["layers/gru/cell/vars"].id, b"0", h5py.h5t.IEEE_F32LE, space, dcpl=plist)


def nested(f, depth: int) -> None:
    group = f["layers"]
    for i in range(depth):
        group = group.create_group(f"g{i}")


def keras_json_with(saved_keras: bytes, change) -> bytes:
    archive = zipfile.ZipFile(io.BytesIO(saved_keras))
    config = json.loads(archive.read("config.json"))
    change(config)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("config.json", json.dumps(config))
        z.writestr("metadata.json", archive.read("metadata.json"))
        z.writestr("model.weights.h5", archive.read("model.weights.h5"))
    return out.getvalue()


def add_unsafe_call(config) -> None:
    layer = config["config"]["layers"][-1]["config"]
    layer["activation"] = {"module": "keras.config", "class_name": "function",
                           "config": "enable_unsafe_deserialization", "registered_name": "function"}


def lambda_model_files(keras, canary, folder) -> dict[str, bytes]:
    """A model whose Lambda layer writes the canary whenever it runs (Keras runs it once
    while building; the canary is removed before any file is read)."""
    run = eval(f"lambda x: (open({str(canary)!r}, 'w').write('ran'), x)[1]")  # no closure to serialise
    model = keras.Sequential([keras.Input((T, D)), keras.layers.Lambda(run), keras.layers.GRU(H)])
    files = {}
    for suffix in (".keras", ".h5"):
        model.save(folder / f"lambda{suffix}")
        files[suffix] = (folder / f"lambda{suffix}").read_bytes()
    canary.unlink(missing_ok=True)
    return files


@pytest.fixture(scope="module")
def corpus(saved, keras, canary, tmp_path_factory):
    """name -> (reader, file name, bytes, words the refusal must contain)."""
    rng = np.random.default_rng(1)
    h5, weights, kzip = saved[".h5"], saved[".weights.h5"], saved[".keras"]
    lambdas = lambda_model_files(keras, canary, tmp_path_factory.mktemp("lambda"))
    pickled = io.BytesIO()
    np.savez(pickled, weight_ih_l0=np.array([Payload(canary)], dtype=object))
    good = state_dict(rng)
    gruviz_json = {"format": "gruviz-weights/1", "layout": "keras", "config": {"units": 1, "input_dim": 1},
                   "kernel": [[0.1, 0.2, 0.3]], "recurrent_kernel": [[0.1, 0.2, 0.3]], "bias": [[0] * 3] * 2}
    return {
        # Whether libhdf5 spins (a timeout) or reads past the heap (damaged) depends on the model's
        # auto-generated names, i.e. on what ran before in this process: either is a refusal in time.
        "legacy h5, model_config heap object resized": ("keras", "m.h5", spinning_model_config(h5), []),
        "legacy h5, weight_names claims 3.75 GiB": ("keras", "m.h5", huge_weight_names(h5), ["MB of memory"]),
        "huge attribute": ("keras", "m.weights.h5", edited_h5(
            weights, lambda f: f.create_group("extra").attrs.__setitem__("notes", np.zeros(300_000, "S8")), libver="latest"),
            ["attribute", "2 MB", "limit is 1 MB"]),
        "soft link": ("keras", "m.weights.h5", edited_h5(weights, lambda f: (
            f["layers/gru/cell/vars"].__delitem__("0"),
            f["layers/gru/cell/vars"].__setitem__("0", h5py.SoftLink("/layers/gru/cell/vars/1")))), ["SoftLink"]),
        "external link": ("keras", "m.weights.h5", edited_h5(weights, lambda f: (
            f["layers/gru/cell/vars"].__delitem__("0"),
            f["layers/gru/cell/vars"].__setitem__("0", h5py.ExternalLink("/etc/passwd", "/x")))), ["ExternalLink"]),
        "unknown filter": ("keras", "m.weights.h5", edited_h5(weights, with_unknown_filter), ["filter 307"]),
        "deep nesting": ("keras", "m.weights.h5", edited_h5(weights, lambda f: nested(f, 200)), ["deep"]),
        "link cycle": ("keras", "m.weights.h5", edited_h5(
            weights, lambda f: f["layers/gru/cell"].__setitem__("again", f["layers/gru"])), ["link cycle"]),
        "zip bomb .keras": ("keras", "bomb.keras", hand_zip(
            stored("config.json", b"{}"), bomb("model.weights.h5", b"", 2**31)), ["zip bomb", "2,048 MB"]),
        "zip bomb .npz": ("state_dict", "bomb.npz", hand_zip(
            *members_of(npz(**good)), bomb("decoder.embedding.npy", npy_header((2**28,)), 2**31)), ["2,048 MB"]),
        ".npz with a pickled payload": ("state_dict", "gru.npz", pickled.getvalue(), ["plain number arrays"]),
        ".npz of units=3000 (zeros, 100 KB)": ("state_dict", "gru.npz", npz(
            weight_ih_l0=np.zeros((9000, 1)), weight_hh_l0=np.zeros((9000, 3000))), ["would unpack to 206 MB"]),
        "state dict JSON 1,000 deep": ("state_dict", "gru.json", json.dumps(
            {"weight_ih_l0": "@"}).replace('"@"', deep_json(1000)).encode(), ["gru.json"]),
        "state dict JSON, 5,000 digits": ("state_dict", "gru.json",
                                          b'{"weight_ih_l0": [[' + b"9" * 5000 + b"]]}", ["gru.json"]),
        "state dict JSON, 1e999": ("state_dict", "gru.json", json.dumps(
            {k: v.tolist() for k, v in good.items()} | {"bias_ih_l0": ["@"] * 3 * H}).replace(
            '"@"', "1e999").encode(), ["bias_ih_l0 contains inf"]),
        "gruviz JSON 1,000 deep": ("json", "w.json", json.dumps(gruviz_json).replace(
            "[[0.1, 0.2, 0.3]]", deep_json(1000), 1).encode(), []),
        "gruviz JSON, 5,000 digits": ("json", "w.json", json.dumps(gruviz_json).replace(
            "0.1", "9" * 5000, 1).encode(), []),
        "gruviz JSON, 1e999": ("json", "w.json", json.dumps(gruviz_json).replace("0.1", "1e999", 1).encode(), []),
        ".keras config 1,000 deep": ("keras", "m.keras", hand_zip(
            stored("config.json", deep_json(1000).encode()), stored("model.weights.h5", weights)), ["config.json"]),
        ".keras with a Lambda layer": ("keras", "m.keras", lambdas[".keras"], ["Python code"]),
        "legacy h5 with a Lambda layer": ("keras", "m.h5", lambdas[".h5"], ["Python code"]),
        "enable_unsafe_deserialization": ("keras", "m.keras", keras_json_with(kzip, add_unsafe_call),
                                          ["enable_unsafe_deserialization"]),
    }


# --- the corpus ------------------------------------------------------------------------------

def refusal(kind: str, name: str, data: bytes, limits=APP) -> sandbox.FileRefused:
    with pytest.raises(sandbox.FileRefused) as caught:
        READERS[kind](data, name, limits)
    return caught.value


def test_every_hostile_file_is_refused_in_time_and_nothing_runs(corpus, canary):
    assert len(corpus) >= 20
    canary.unlink(missing_ok=True)
    results = {}
    for title, (kind, name, data, words) in corpus.items():
        assert len(data) <= APP.max_file_bytes, title
        problem = refusal(kind, name, data)
        results[title] = problem
        message = str(problem)
        assert message and "Traceback" not in message, title
        for word in words:
            assert word in message, (title, message)
        assert problem.seconds < FILES.seconds + SLACK, (title, problem.seconds)
        assert problem.reason in ("refused", "timeout", "memory"), (title, problem.reason, message)
    assert not canary.exists(), "a payload ran"
    worst = max(results.items(), key=lambda kv: kv[1].seconds)
    for title, problem in results.items():
        print(f"\n{title:45} {problem.reason:8} {problem.seconds:5.1f} s {problem.peak_bytes / 2**20:4.0f} MB  "
              f"{str(problem)[:70]}", end="")
    print(f"\n{len(corpus)} hostile files, {len(results)} refused; slowest {worst[0]!r} "
          f"{worst[1].seconds:.1f} s; largest child peak {max(p.peak_bytes for p in results.values()) / 2**20:.0f} MB")


def test_the_payloads_are_live(corpus, canary):
    """The canary check could fail: unpickled carelessly, the .npz payload does run."""
    canary.unlink(missing_ok=True)
    data = corpus[".npz with a pickled payload"][2]
    with np.load(io.BytesIO(data), allow_pickle=True) as archive:
        archive["weight_ih_l0"]
    assert canary.exists()
    canary.unlink()
    assert b"__lambda__" in zipfile.ZipFile(io.BytesIO(corpus[".keras with a Lambda layer"][2])).read("config.json")


def test_the_readers_would_take_the_unmutated_files(saved):
    for suffix, data in saved.items():
        [found] = sandbox.read_keras_file(data, f"m{suffix}")
        assert found.weights.config.units == H
    layout, _ = sandbox.read_state_dict_file(npz(**state_dict(np.random.default_rng(2))), "gru.npz")
    assert layout.config.units == H


# --- one file per limit, each tripping exactly that limit --------------------------------------

def _weights_with(weights: bytes, edit, libver=None) -> bytes:
    return edited_h5(weights, edit, libver)


def test_limit_object_count(saved):
    def edit(f):
        many = f.create_group("many")
        target = many.create_dataset("x", data=0.0)
        for i in range(FILES.max_objects + 1):
            many[f"l{i}"] = target  # hard links to one scalar: small, flat and acyclic

    data = _weights_with(saved[".weights.h5"], edit, libver="latest")
    assert len(data) < APP.max_file_bytes
    assert f"more than {FILES.max_objects:,} objects" in str(refusal("keras", "m.weights.h5", data))


def test_limit_depth(saved):
    ok = _weights_with(saved[".weights.h5"], lambda f: nested(f, FILES.max_depth - 2))
    [found] = sandbox.read_keras_file(ok, "m.weights.h5")
    data = _weights_with(saved[".weights.h5"], lambda f: nested(f, FILES.max_depth))
    assert f"more than {FILES.max_depth} deep" in str(refusal("keras", "m.weights.h5", data))


def test_limit_link_cycle(saved):
    data = _weights_with(saved[".weights.h5"], lambda f: f["layers"].__setitem__("loop", f["layers"]))
    assert "link cycle" in str(refusal("keras", "m.weights.h5", data))


@pytest.mark.parametrize("limits", [APP, CORE], ids=["app", "core"])
def test_limit_units(saved, limits):
    units = limits.max_units + 1  # kernel (1, 3·units) and recurrent kernel (units, 3·units): under the element caps

    def edit(f):
        _replace_vars(f, "0", shape=(1, 3 * units), dtype="f4", compression="gzip")
        _replace_vars(f, "1", shape=(units, 3 * units), dtype="f4", compression="gzip")
        _replace_vars(f, "2", shape=(2, 3 * units), dtype="f4", compression="gzip")

    data = _weights_with(saved[".weights.h5"], edit)
    message = str(refusal("keras", "m.weights.h5", data, limits))
    assert f"units={units:,} is more than {limits.who} shows (at most {limits.max_units:,})" in message


@pytest.mark.parametrize("limits", [APP, CORE], ids=["app", "core"])
def test_limit_elements_per_array(saved, limits):
    size = limits.max_array_elements + 1

    data = _weights_with(saved[".weights.h5"], lambda f: _replace_vars(f, "2", shape=(size,), dtype="f4",
                                                                       compression="gzip"))
    message = str(refusal("keras", "m.weights.h5", data, limits))
    assert f"bias has {size:,} numbers" in message and f"limit is {limits.max_array_elements:,} per array" in message


def test_limit_total_elements():
    """Four arrays each at the per-array cap: only their sum is over."""
    per = APP.max_array_elements
    units = 32
    data = npz(weight_ih_l0=np.zeros((3 * units, 32)), weight_hh_l0=np.zeros((3 * units, units)),
               bias_ih_l0=np.zeros(per), bias_hh_l0=np.zeros(per))
    message = str(refusal("state_dict", "gru.npz", data))
    assert f"limit is {APP.max_total_elements:,}" in message and "together" in message


def test_limit_unpacked_bytes():
    """A state dict whose extra member inflates to 2 GiB: its header alone passes every
    other check, and it would never be loaded; the archive is refused for its size."""
    good = members_of(npz(**state_dict(np.random.default_rng(3))))
    blown = hand_zip(*good, bomb("decoder.embedding.npy", npy_header((2**28,)), 2**31))
    message = str(refusal("state_dict", "gru.npz", blown))
    assert f"gruviz unpacks at most {FILES.max_unpacked_bytes // 2**20} MB" in message
    layout, notes = sandbox.read_state_dict_file(hand_zip(*good, stored("decoder.embedding.npy", npy_header(
        (2**16,)) + bytes(2**19))), "gru.npz")  # the same extra member at a harmless size is ignored
    assert layout.config.units == H and "Ignored 1 other entry" in notes[-1]


def test_limit_file_size():
    problem = refusal("keras", "big.keras", bytes(APP.max_file_bytes + 1))
    assert "5.0 MB" in str(problem) and "up to 5 MB" in str(problem)


def test_memory_and_time_limits_name_their_numbers(saved):
    assert f"more than {FILES.memory_bytes // 2**20} MB of memory" in str(
        refusal("keras", "m.h5", huge_weight_names(saved[".h5"])))


# --- fuzz --------------------------------------------------------------------------------------

def _mutants(data: bytes, seed: int, count: int):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        blob = bytearray(data)
        for _ in range(int(rng.integers(1, 4))):
            # most of a small Keras file is metadata; aim at the first 4 KB half the time
            end = min(len(blob), 4096) if rng.random() < 0.5 else len(blob)
            blob[int(rng.integers(0, end))] = int(rng.integers(0, 256))
        yield bytes(blob)


def test_mutated_files_give_weights_or_a_refusal(saved, tmp_path, monkeypatch):
    """Seeded byte mutations of real files: only InputError ever leaves the sandboxed reader,
    and no reader bug (an unexpected exception inside the child) shows up. The files are read
    by one child process in turn, each as the sandbox's child reads it and within its time
    limit (tests/reader_batch.py), and judged by the sandbox's own parent side."""
    cases = [(f"m{suffix}", blob) for i, (suffix, data) in enumerate(saved.items())
             for blob in _mutants(data, seed=100 + i, count=70)]
    monkeypatch.setattr(sandbox, "_run", reader_batch.replay(tmp_path, reader_batch.read_all("keras", cases, tmp_path)))
    outcomes: dict[str, int] = {}
    for name, blob in cases:
        try:
            sandbox.read_keras_file(blob, name)
            outcome = "read"
        except sandbox.FileRefused as problem:
            assert str(problem)
            outcome = problem.reason
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    print(f"\n{len(cases)} mutated files: {outcomes}")
    assert sum(outcomes.values()) == len(cases) == 210
    assert "bug" not in outcomes, outcomes


# --- the app's upload boundary -----------------------------------------------------------------

def _sources_script() -> None:
    from gruviz.ui.sidebar import sources
    from gruviz.ui.kit import state

    state.init()
    sources.panel()


def test_the_app_turns_any_reader_failure_into_a_message_once(monkeypatch):
    """A reader that raises something unexpected shows a message, the weights stay, and a
    refused file is not read again on the next rerun (a stalling file costs its 10 s once)."""
    from streamlit.testing.v1 import AppTest

    calls = []

    def broken(data, filename, limits):
        calls.append(filename)
        raise RuntimeError("a reader bug")

    monkeypatch.setattr(sandbox, "read_keras_file", broken)
    at = AppTest.from_function(_sources_script, default_timeout=30)
    at.run()
    before = at.session_state.weights
    at.radio(key="source").set_value("Upload a Keras file").run()
    at.file_uploader(key="model_upload").set_value(("m.keras", b"PK\x03\x04", "application/zip")).run()
    assert not at.exception, at.exception
    assert "could not read this file" in at.error[0].value
    assert at.session_state.weights is before
    at.run()
    assert calls == ["m.keras"] and "could not read this file" in at.error[0].value


def test_the_app_refuses_a_file_over_its_size_limit_without_reading_it(monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setattr(sandbox, "read_state_dict_file", lambda *a: pytest.fail("the reader was started"))
    at = AppTest.from_function(_sources_script, default_timeout=30)
    at.run()
    at.radio(key="source").set_value("PyTorch state_dict (JSON or .npz)").run()
    big = bytes(APP.max_file_bytes + 1)
    at.file_uploader(key="state_dict_upload").set_value(("gru.npz", big, "application/octet-stream")).run()
    assert not at.exception, at.exception
    assert "the app reads files up to 5 MB" in at.error[0].value


@pytest.mark.parametrize("setting, seconds", [(None, 10.0), ("30", 30.0), ("2.5", 2.5), ("600", 600.0),
                                              ("0", 10.0), ("0.5", 10.0), ("601", 10.0), ("-5", 10.0),
                                              ("1e999", 10.0), ("nan", 10.0), ("ten", 10.0), ("", 10.0)])
def test_an_operator_may_give_a_file_more_or_less_time_to_be_read(monkeypatch, setting, seconds):
    """GRUVIZ_READ_SECONDS, from 1 to 600; anything else keeps the 10 s default."""
    if setting is None:
        monkeypatch.delenv(READ_SECONDS_ENV, raising=False)
    else:
        monkeypatch.setenv(READ_SECONDS_ENV, setting)
    assert read_seconds() == seconds
