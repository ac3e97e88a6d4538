"""Read an untrusted file in a bounded child process, and rebuild what it found here.

A damaged or hostile file can make libhdf5 spin for minutes, allocate gigabytes, or
crash. So the server never parses an upload itself: `python -m gruviz.io.sandbox_child`
does, started with `subprocess` (never fork), with the bytes on its stdin, its address
space and CPU time capped by `resource.setrlimit`, and a wall-clock limit enforced
here (`FILES.seconds`, then SIGKILL). Waiting on the child releases the GIL, so every
other session keeps running. Only plain arrays and config come back; GRUWeights,
FoundGRU, PyTorchGRU and OnnxGRU are rebuilt and validated in this process. The readers
know nothing of this module: it and its child depend on them, never the other way.

Every outcome that is not a result is an `InputError` (a `FileRefused`) with a message
for a person: the reader's own refusal, a timeout, the memory cap, or a crash.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..layouts.base import LayoutConfig
from ..layouts.onnx import OnnxGRU
from ..layouts.pytorch import PyTorchGRU
from .. import text
from ..text import N_, _, count, decimal
from ..limits import APP, FILES, Limits
from ..math.weights import GRUConfig, GRUWeights
from .model_files import FoundGRU
from .sandbox_child import RESULT

_ROOT = Path(__file__).resolve().parents[2]  # the folder holding the gruviz package
_AGAIN = N_("Save it again (Keras: model.save) and upload the new file.")
# Few children at once: each may use FILES.memory_bytes, and the machine has few cores.
_SLOTS = threading.BoundedSemaphore(max(2, (os.cpu_count() or 1) * 2))


class FileRefused(InputError):
    """A file the sandboxed reader did not turn into weights; `reason` is one of refused,
    timeout, memory, crash, bug or busy, for tests and logs."""

    def __init__(self, message: str, reason: str, seconds: float = 0.0, peak_bytes: int = 0):
        super().__init__(message)
        self.reason, self.seconds, self.peak_bytes = reason, seconds, peak_bytes


def read_keras_file(data: bytes, filename: str, limits: Limits = APP) -> list[FoundGRU]:
    """`model_files.read_model_file`, run in the bounded child."""
    header, arrays = run_child("keras", data, filename, limits)
    with rebuilding():
        found = []
        for i, item in enumerate(header["items"]):
            weights = _keras_weights(item["config"], [arrays[f"{i}.{j}"] for j in range(_count(arrays, i))], limits)
            found.append(FoundGRU(str(item["name"]), weights, item["go_backwards"] is True,
                                  tuple(str(n) for n in item["notes"])))
    if not found:
        raise FileRefused(_("no GRU layer found in this file."), "refused")
    return found


def read_state_dict_file(data: bytes, filename: str,
                         limits: Limits = APP) -> tuple[PyTorchGRU, tuple[str, ...]]:
    """`layouts.state_dict.read_state_dict`, run in the bounded child."""
    header, arrays = run_child("state_dict", data, filename, limits)
    with rebuilding():
        [item] = header["items"]
        config = LayoutConfig(**item["config"])
        limits.check_layer(config.units, config.input_dim)
        named = {str(key): arrays[f"0.{j}"] for j, key in enumerate(item["keys"])}
        limits.check_arrays({key: a.shape for key, a in named.items()})
        return PyTorchGRU.from_arrays(config, named), tuple(str(n) for n in item["notes"])


def read_weights_json(data: bytes, filename: str, limits: Limits = APP) -> GRUWeights:
    """`weights_file.loads` on the file's text, run in the bounded child."""
    header, arrays = run_child("weights_json", data, filename, limits)
    with rebuilding():
        [item] = header["items"]
        return _keras_weights(item["config"], [arrays[f"0.{j}"] for j in range(_count(arrays, 0))], limits)


def read_lstm_state_dict_file(data: bytes, filename: str, limits: Limits = APP):
    """`layouts.lstm.read_state_dict` (an nn.LSTM's exported state dict), run in the bounded child."""
    from ..math.lstm_weights import LSTMWeights

    header, arrays = run_child("lstm_state_dict", data, filename, limits)
    with rebuilding():
        values = [arrays[f"0.{j}"] for j in range(_count(arrays, 0))]
        limits.check_arrays({_array(j): v.shape for j, v in enumerate(values)})
        weights = LSTMWeights.from_keras_arrays(values)
        limits.check_layer(weights.config.units, weights.config.input_dim)
        return weights


def read_onnx_upload(data: bytes, filename: str, limits: Limits = APP):
    """`onnx_file.read_onnx` in the bounded child, rebuilt and validated here from the plain
    arrays it sends back (an `OnnxFile`)."""
    from .onnx_file import FoundNode, OnnxFile  # imports onnx: paid by the first .onnx upload only

    header, arrays = run_child("onnx", data, filename, limits)
    with rebuilding():
        nodes = []
        for i, item in enumerate(header["items"]):
            config = LayoutConfig(**item["config"])
            limits.check_layer(config.units, config.input_dim)
            named = {str(key): arrays[f"{i}.{j}"] for j, key in enumerate(item["keys"])}
            limits.check_arrays({key: a.shape for key, a in named.items()})
            weights = OnnxGRU.from_arrays(config, {**named, **item["attributes"]})
            nodes.append(FoundNode(str(item["name"]), weights, tuple(str(n) for n in item["notes"])))
    if not nodes:
        raise FileRefused(_("no GRU node found in this file."), "refused")
    return OnnxFile(tuple(nodes))


@contextmanager
def rebuilding():
    """What the child sent is plain data; anything malformed in it is refused, never raised."""
    try:
        yield
    except InputError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as e:
        raise FileRefused(_("gruviz could not read this file (its reader returned {error}). {again}").format(
            error=type(e).__name__, again=_(_AGAIN)), "bug") from None


def _array(j: int) -> str:
    return _("array {number}").format(number=j)


def _count(arrays: dict, item: int) -> int:
    return sum(1 for key in arrays if key.split(".")[0] == str(item))


def _keras_weights(config: dict, values: list[np.ndarray], limits: Limits) -> GRUWeights:
    cfg = GRUConfig(**config)
    limits.check_layer(cfg.units, cfg.input_dim)
    limits.check_arrays({_array(j): v.shape for j, v in enumerate(values)})
    return GRUWeights.create(cfg, *values)


def run_child(kind: str, data: bytes, filename: str, limits: Limits) -> tuple[dict, dict[str, np.ndarray]]:
    """Run the child on `data`; its header (status "ok") and arrays, or a FileRefused."""
    if len(data) > limits.max_file_bytes:
        raise FileRefused(_("the file is {size} MB; gruviz reads files up to {cap} MB here.").format(
            size=decimal(len(data) / 2**20, 1), cap=decimal(limits.max_file_bytes / 2**20, 0)), "refused")
    busy = FileRefused(_("the server is busy reading other files; try again in a moment."), "busy")
    if not _SLOTS.acquire(timeout=FILES.seconds):
        raise busy
    out_dir = None
    try:
        out_dir = tempfile.mkdtemp(prefix="gruviz-read-")
        start = time.monotonic()
        returncode = _run(kind, data, _safe_name(filename), limits, out_dir)
        seconds = time.monotonic() - start
        header, arrays = _result(out_dir, returncode, seconds)
    except OSError:  # no process or temporary folder to be had: the machine, not the file
        raise busy from None
    finally:
        _SLOTS.release()
        if out_dir:
            shutil.rmtree(out_dir, ignore_errors=True)
    if header.get("status") == "ok":
        return header, arrays
    raise _refusal(header, seconds)


def _safe_name(filename: str) -> str:
    """The upload's name as an argument: printable, and short from the front, since the
    readers look at its suffix."""
    name = "".join(c for c in os.path.basename(str(filename)) if c.isprintable())
    return name[-200:] or "upload"


def _run(kind: str, data: bytes, filename: str, limits: Limits, out_dir: str) -> int | None:
    """The child's exit code, or None when it ran out of time and was killed."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    with open(os.path.join(out_dir, "stderr"), "wb") as stderr:
        child = subprocess.Popen(
            [sys.executable, "-m", "gruviz.io.sandbox_child", kind, filename,
             json.dumps(asdict(limits)), out_dir, text.language()],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=stderr, cwd=_ROOT, env=env, close_fds=True)
    try:
        child.communicate(input=bytes(data), timeout=FILES.seconds)
    except subprocess.TimeoutExpired:
        child.kill()  # SIGKILL: a process stuck inside libhdf5 ignores anything gentler
        threading.Thread(target=child.wait, daemon=True).start()  # reap it without waiting here
        return None
    return child.returncode


def _result(out_dir: str, returncode: int | None, seconds: float) -> tuple[dict, dict[str, np.ndarray]]:
    path = os.path.join(out_dir, RESULT)
    if returncode is None:
        return {"status": "timeout"}, {}
    if returncode != 0 or not os.path.exists(path):
        return {"status": "crash", "code": returncode}, {}
    try:
        with zipfile.ZipFile(path) as archive:
            FILES.check_zip(archive.infolist(), "the reader's result")
        with np.load(path, allow_pickle=False) as result:
            arrays = {key: result[key] for key in result.files}
        header = json.loads(arrays.pop("meta").tobytes())
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as e:
        return {"status": "bug", "error": type(e).__name__}, {}
    return header, arrays


def _refusal(header: dict, seconds: float) -> FileRefused:
    status, peak = header.get("status"), int(header.get("peak_bytes") or 0)
    again, limit = _(_AGAIN), decimal(FILES.seconds, 0 if FILES.seconds.is_integer() else 1)
    if status == "refused":  # the child wrote it in the reader's language
        return FileRefused(str(header.get("message")), "refused", seconds, peak)
    if status == "timeout":
        return FileRefused(_("this file took longer than {seconds} s to read, so gruviz stopped reading it. It is "
                             "damaged or built to stall a reader. {again}").format(seconds=limit, again=again),
                           "timeout", seconds)
    if status == "memory":
        return FileRefused(_("this file needed more than {size} MB of memory to read, so gruviz stopped reading it; a "
                             "GRU that fits on screen needs a few MB. It is damaged or built to exhaust the server. "
                             "{again}").format(size=count(FILES.memory_bytes // 2**20), again=again),
                           "memory", seconds, peak)
    if status == "crash":
        code = header.get("code")
        if code == -signal.SIGXCPU:
            return FileRefused(_("this file took more than {seconds} s of computing to read, so gruviz stopped "
                                 "reading it. {again}").format(seconds=limit, again=again), "timeout", seconds)
        if isinstance(code, int) and -code in signal.valid_signals():
            message = _("the file reader crashed on this file ({signal}); the file is damaged. {again}").format(
                signal=signal.Signals(-code).name, again=again)
        else:
            message = _("the file reader crashed on this file; the file is damaged. {again}").format(again=again)
        return FileRefused(message, "crash", seconds)
    error = header["error"] if "error" in header else _("an error")
    return FileRefused(_("gruviz could not read this file (the reader stopped with {error}); it may be damaged. "
                         "{again}").format(error=error, again=again), "bug", seconds, peak)
