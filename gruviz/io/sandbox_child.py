"""The child side of `gruviz.io.sandbox`: read one untrusted file under resource limits.

    python -m gruviz.io.sandbox_child KIND FILENAME LIMITS_JSON OUT_DIR  < file bytes

It caps its own address space, CPU time and file writes, reads the file from stdin
with the reader for KIND, and writes OUT_DIR/result.npz: plain number arrays plus a
JSON header (uint8) saying what they are, or why the file was refused. Nothing but
numbers, strings and booleans leaves this process.
"""

from __future__ import annotations

import json
import math
import os
import resource
import sys
from dataclasses import asdict
from typing import Callable

import numpy as np

from ..errors import InputError
from .. import text
from ..text import _, decimal
from ..limits import FILES, Limits

RESULT = "result.npz"
KINDS = ("keras", "state_dict", "weights_json", "onnx", "model", "lstm_state_dict")

Items = list[tuple[dict, list[np.ndarray]]]  # (plain metadata, arrays) for each thing found
Reader = Callable[[bytes, str, Limits], Items]


# Each reader is imported when its kind is asked for: a child imports only the reader it runs,
# before its address space is capped, and the readers know nothing of this process.

def _keras() -> Reader:
    from .model_files import read_model_file

    def items(data: bytes, filename: str, limits: Limits) -> Items:
        return [({"name": f.name, "go_backwards": f.go_backwards, "notes": list(f.notes),
                  "config": asdict(f.weights.config)}, f.weights.keras_arrays())
                for f in read_model_file(data, filename, limits)]
    return items


def _state_dict() -> Reader:
    from ..layouts.state_dict import read_state_dict

    def items(data: bytes, filename: str, limits: Limits) -> Items:
        layout, notes = read_state_dict(data, filename, limits)
        arrays = layout.arrays()
        return [({"config": asdict(layout.config), "notes": list(notes), "keys": list(arrays)},
                 list(arrays.values()))]
    return items


def _weights_json() -> Reader:
    from . import weights_file

    def items(data: bytes, filename: str, limits: Limits) -> Items:
        if len(data) > limits.max_file_bytes:
            raise InputError(_("{filename} is {size} MB; the limit is {cap} MB.").format(
                filename=filename, size=decimal(len(data) / 2**20, 1), cap=decimal(limits.max_file_bytes / 2**20, 0)))
        try:
            content = data.decode("utf-8", errors="strict")
        except UnicodeDecodeError:
            raise InputError(_("this file is not text; a gruviz weights file is JSON.")) from None
        weights = weights_file.loads(content, limits)
        return [({"config": asdict(weights.config)}, weights.keras_arrays())]
    return items


def _onnx() -> Reader:
    from .onnx_file import sandbox_items

    return sandbox_items


def _model() -> Reader:
    from .model_arrays import sandbox_items

    return sandbox_items


def _lstm_state_dict() -> Reader:
    from ..layouts.lstm import read_state_dict

    def items(data: bytes, filename: str, limits: Limits) -> Items:
        return [({}, read_state_dict(data, filename, limits).keras_arrays())]
    return items


READERS: dict[str, Callable[[], Reader]] = {
    "keras": _keras, "state_dict": _state_dict, "weights_json": _weights_json, "onnx": _onnx, "model": _model,
    "lstm_state_dict": _lstm_state_dict}


def _status_bytes(field: str) -> int:
    """VmSize (address space now) or VmHWM (peak resident memory since exec, unlike
    ru_maxrss, which remembers the server this process was forked from)."""
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith(field + ":"))
    return int(line.split()[1]) * 1024


def bound_self() -> None:
    """Address space: what the interpreter holds now plus FILES.memory_bytes. CPU: the
    parent's wall-clock limit plus a margin, so a child outliving its parent still stops."""
    budget = _status_bytes("VmSize") + FILES.memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (budget, budget))
    cpu = math.ceil(FILES.seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILES.max_unpacked_bytes, FILES.max_unpacked_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def read(kind: str, data: bytes, filename: str, limits: Limits) -> tuple[dict, dict[str, np.ndarray]]:
    """The header and arrays to send back; every outcome, refusals included, is a header."""
    arrays: dict[str, np.ndarray] = {}
    try:
        items = READERS[kind]()(data, filename, limits)
        header = {"status": "ok", "items": [meta for meta, _values in items]}
        json.dumps(header)  # write() sends it as JSON: metadata that is not plain data is a bug, not a crash
        for i, (_meta, values) in enumerate(items):
            arrays.update({f"{i}.{j}": np.asarray(v, dtype=np.float64) for j, v in enumerate(values)})
    except InputError as e:
        header = {"status": "refused", "message": str(e)}
    except MemoryError:
        header, arrays = {"status": "memory"}, {}
    except RecursionError:
        header = {"status": "refused", "message": _("this file is nested too deeply to be a model or a state dict.")}
    except Exception as e:  # a reader bug: the parent says so without a traceback
        header = {"status": "bug", "error": type(e).__name__}
    header["peak_bytes"] = _status_bytes("VmHWM")
    return header, arrays


def write(out_dir: str, header: dict, arrays: dict[str, np.ndarray]) -> None:
    partial = os.path.join(out_dir, "partial.npz")
    meta = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    with open(partial, "wb") as out:
        np.savez(out, meta=meta, **arrays)
    os.replace(partial, os.path.join(out_dir, RESULT))  # the parent sees a whole file or none


def main(argv: list[str]) -> int:
    kind, filename, limits_json, out_dir, language = argv
    text.use(language)  # the refusal is written in the language of the person who sent the file
    limits = Limits(**json.loads(limits_json))
    READERS[kind]()  # imports the reader before the address space is capped
    bound_self()
    data = sys.stdin.buffer.read(limits.max_file_bytes + 1)
    header, arrays = read(kind, data, filename, limits)
    try:
        write(out_dir, header, arrays)
    except MemoryError:
        write(out_dir, {"status": "memory"}, {})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
