"""A PyTorch `nn.GRU` state dict read as data: JSON of nested lists, or a NumPy .npz.

Never a .pt/.pth file: those are pickles, and unpickling runs code from the file.
`np.load` is called with allow_pickle=False for the same reason.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import PurePath
from typing import Mapping

import numpy as np

from ..errors import InputError
from ..math.weights import as_finite_array
from .base import LayoutConfig
from .pytorch import PyTorchGRU

EXPORT_HINT = (
    "Export the state dict as data instead: json.dump({k: v.tolist() for k, v in gru.state_dict().items()}, "
    "open('gru.json', 'w')), or np.savez('gru.npz', **{k: v.cpu().numpy() for k, v in gru.state_dict().items()})."
)
_PICKLES = (".pt", ".pth", ".pkl", ".pickle", ".bin", ".ckpt", ".tar")
_NAMES = tuple(spec.key for spec in PyTorchGRU.SPECS)
_GRU_KEY = re.compile(r"(weight|bias)_(ih|hh)_l\d+(_reverse)?$")


def read_state_dict(data: bytes, filename: str) -> tuple[PyTorchGRU, tuple[str, ...]]:
    """The first layer, forward direction, of the one nn.GRU in an exported state dict."""
    suffix = PurePath(filename).suffix.lower()
    if suffix in _PICKLES:
        raise InputError(
            f"{filename} is a PyTorch pickle: loading it would run whatever code it contains, so gruviz never "
            f"opens {suffix} files. {EXPORT_HINT}"
        )
    if suffix == ".npz":
        arrays = _npz(data, filename)
    elif suffix == ".json":
        arrays = _json(data, filename)
    else:
        raise InputError(f"{filename} is neither .json nor .npz. {EXPORT_HINT}")
    return from_state_dict(arrays)


def _npz(data: bytes, filename: str) -> dict[str, np.ndarray]:
    # np.load takes anything that is not a zip for a single .npy or a pickle: check first.
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise InputError(f"{filename} is not a .npz archive. {EXPORT_HINT}")
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            return {key: archive[key] for key in archive.files}
    except (zipfile.BadZipFile, OSError, EOFError):
        raise InputError(f"{filename} is not a readable .npz archive. {EXPORT_HINT}") from None
    except ValueError:  # object arrays need pickle, which stays off
        raise InputError(f"{filename} holds something other than plain number arrays (Python objects, which only "
                         "unpickling could read). Save each tensor with v.cpu().numpy().") from None


def _json(data: bytes, filename: str) -> dict:
    try:
        parsed = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError(f"{filename} is not text; a state dict JSON is text.") from None
    except json.JSONDecodeError as error:
        raise InputError(f"{filename} is not valid JSON ({error.msg}, line {error.lineno}).") from None
    if not isinstance(parsed, dict):
        raise InputError(f"{filename} must be a JSON object mapping names like weight_ih_l0 to nested lists.")
    if "format" in parsed:
        raise InputError(f"{filename} is a gruviz weights file, not a state dict; import it as gruviz JSON.")
    return parsed


def from_state_dict(arrays: Mapping[str, object]) -> tuple[PyTorchGRU, tuple[str, ...]]:
    """A PyTorchGRU from a state dict's entries, reading units and input_dim off
    weight_ih_l0. A prefix ("encoder.gru.") is allowed when one GRU has it."""
    prefixes = sorted({key[: -len("weight_ih_l0")] for key in arrays if key.endswith("weight_ih_l0")})
    if not prefixes:
        shown = ", ".join(list(arrays)[:6]) or "none"
        raise InputError(f"no weight_ih_l0 found: an nn.GRU state dict has {', '.join(_NAMES)}; "
                         f"this one has {shown}.")
    if len(prefixes) > 1:
        where = ", ".join(p or "(top level)" for p in prefixes)
        raise InputError(f"this state dict holds {len(prefixes)} GRUs ({where}); export just the one to show, "
                         "e.g. model.encoder.gru.state_dict().")
    prefix = prefixes[0]
    weight_ih = as_finite_array("weight_ih_l0", arrays[prefix + "weight_ih_l0"])
    if weight_ih.ndim != 2 or weight_ih.shape[0] % 3:
        raise InputError(f"weight_ih_l0 has shape {weight_ih.shape}; nn.GRU's is (3·hidden_size, input_size).")
    config = LayoutConfig(units=weight_ih.shape[0] // 3, input_dim=weight_ih.shape[1])
    mine = {name: arrays[prefix + name] for name in _NAMES if prefix + name in arrays}
    layout = PyTorchGRU.from_arrays(config, mine)
    notes = []
    if prefix:
        notes.append(f"Used the GRU under {prefix!r}.")
    others = sorted(k[len(prefix):] for k in arrays if k.startswith(prefix) and _GRU_KEY.match(k[len(prefix):])
                    and k[len(prefix):] not in _NAMES)
    if others:
        notes.append(f"Showing layer 0, forward direction only; also in the file: {', '.join(others)}.")
    ignored = len(arrays) - len(mine) - len(others)
    if ignored:
        notes.append(f"Ignored {ignored} other entr{'y' if ignored == 1 else 'ies'} of the state dict.")
    return layout, tuple(notes)
