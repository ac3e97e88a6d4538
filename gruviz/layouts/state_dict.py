"""A PyTorch `nn.GRU` state dict read as data: JSON of nested lists, or a NumPy .npz.

Never a .pt/.pth file: those are pickles, and unpickling runs code from the file.
`np.load` is called with allow_pickle=False for the same reason.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
import zlib
from pathlib import PurePath
from typing import Mapping

import numpy as np

from ..errors import InputError
from ..limits import CORE, FILES, Limits
from ..math.weights import as_finite_array
from ..text import N_, _, decimal, ngettext
from .base import LayoutConfig
from .pytorch import PyTorchGRU

# Translated where it is shown, _(EXPORT_HINT); never formatted, so its braces stay single.
EXPORT_HINT = N_(
    "Export the state dict as data instead: json.dump({k: v.tolist() for k, v in gru.state_dict().items()}, "
    "open('gru.json', 'w')), or np.savez('gru.npz', **{k: v.cpu().numpy() for k, v in gru.state_dict().items()})."
)
_PICKLES = (".pt", ".pth", ".pkl", ".pickle", ".bin", ".ckpt", ".tar")
_NAMES = tuple(spec.key for spec in PyTorchGRU.SPECS)
_GRU_KEY = re.compile(r"(weight|bias)_(ih|hh)_l\d+(_reverse)?$")
_HEADERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}


def read_state_dict(data: bytes, filename: str, limits: Limits = CORE) -> tuple[PyTorchGRU, tuple[str, ...]]:
    """The first layer, forward direction, of the one nn.GRU in an exported state dict."""
    suffix = PurePath(filename).suffix.lower()
    if suffix in _PICKLES:
        raise InputError(_("{filename} is a PyTorch pickle: loading it would run whatever code it contains, so "
                           "gruviz never opens {suffix} files. {hint}").format(filename=filename, suffix=suffix,
                                                                             hint=_(EXPORT_HINT)))
    if len(data) > limits.max_file_bytes:
        raise _too_big(data, filename, limits)
    if suffix == ".npz":
        return _from_npz(data, filename, limits)
    if suffix == ".json":
        return from_state_dict(_json(data, filename), limits)
    raise InputError(_("{filename} is neither .json nor .npz. {hint}").format(filename=filename, hint=_(EXPORT_HINT)))


def _too_big(data: bytes, filename: str, limits: Limits) -> InputError:
    return InputError(_("{filename} is {size} MB; the limit is {cap} MB.").format(
        filename=filename, size=decimal(len(data) / 2**20, 1), cap=decimal(limits.max_file_bytes / 2**20, 0)))


def _not_npz(filename: str) -> InputError:
    return InputError(_("{filename} is not a .npz archive. {hint}").format(filename=filename, hint=_(EXPORT_HINT)))


def read_arrays(data: bytes, filename: str, wanted, limits: Limits = CORE) -> dict[str, np.ndarray]:
    """The entries of an exported state dict (.npz or .json) whose names pass `wanted`, as
    float64 arrays: declared shapes are checked against the limits before anything is read."""
    suffix = PurePath(filename).suffix.lower()
    if suffix in _PICKLES or suffix not in (".npz", ".json"):
        read_state_dict(data, filename, limits)  # its refusals name pickles and the formats read
    if len(data) > limits.max_file_bytes:
        raise _too_big(data, filename, limits)
    if suffix == ".json":
        parsed = _json(data, filename)
        keys = [key for key in parsed if wanted(key)]
        limits.check_arrays({key: _declared_shape(parsed[key]) for key in keys})
        return {key: as_finite_array(key, parsed[key]) for key in keys}
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise _not_npz(filename)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            FILES.check_zip(archive.infolist(), filename)
            shapes = {info.filename.removesuffix(".npy"): _npy_shape(archive, info, filename)
                      for info in archive.infolist()}
            keys = [key for key in shapes if wanted(key)]
            limits.check_arrays({key: shapes[key] for key in keys})
            return {key: as_finite_array(key, _npy_array(archive, key + ".npy")) for key in keys}
    except _UNREADABLE as e:
        if isinstance(e, (InputError, RecursionError)):  # a refusal already, or one the caller words
            raise
        raise _unreadable(e, filename) from None


def _from_npz(data: bytes, filename: str, limits: Limits) -> tuple[PyTorchGRU, tuple[str, ...]]:
    """Each member's .npy header is read first; only the GRU's arrays are ever unpacked, and
    only once their declared shapes pass the limits."""
    # np.load takes anything that is not a zip for a single .npy or a pickle: never call it here.
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise _not_npz(filename)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        with archive:
            FILES.check_zip(archive.infolist(), filename)
            shapes = {info.filename.removesuffix(".npy"): _npy_shape(archive, info, filename)
                      for info in archive.infolist()}
            return from_state_dict(shapes, limits, load=lambda key: _npy_array(archive, key + ".npy"))
    except _UNREADABLE as e:
        if isinstance(e, (InputError, RecursionError)):  # a refusal already, or one the caller words
            raise
        raise _unreadable(e, filename) from None


# What zipfile and zlib raise on an archive np.savez did not write as it is: damaged, or written by
# another tool with a zip version, compression (NotImplementedError) or encryption (RuntimeError)
# that zipfile does not unpack.
_UNREADABLE = (zipfile.BadZipFile, OSError, EOFError, ValueError, KeyError, NotImplementedError, RuntimeError,
               zlib.error)


def _unreadable(error: Exception, filename: str) -> InputError:
    detail, hint = str(error)[:80], _(EXPORT_HINT)
    if isinstance(error, NotImplementedError):
        message = _("{filename} needs a zip feature that gruviz does not unpack ({detail}); np.savez never "
                    "writes it, so the file is damaged or was made by another tool. {hint}")
    elif isinstance(error, RuntimeError):
        message = _("{filename} is encrypted ({detail}); gruviz reads archives as np.savez writes them. "
                    "{hint}")
    elif isinstance(error, zlib.error):
        message = _("{filename} is damaged: its compressed data does not unpack ({detail}). {hint}")
    else:
        message = _("{filename} is not a readable .npz archive. {hint}")
    return InputError(message.format(filename=filename, detail=detail, hint=hint))


def _npy_shape(archive: zipfile.ZipFile, info: zipfile.ZipInfo, filename: str) -> tuple[int, ...]:
    with archive.open(info) as member:
        version = np.lib.format.read_magic(member)
        if version not in _HEADERS:
            raise InputError(_("{member} in {filename} is a .npy of format {version}; gruviz reads 1.0 and "
                               "2.0.").format(member=info.filename, filename=filename, version=version))
        shape, _fortran_order, dtype = _HEADERS[version](member)
    if dtype.hasobject or dtype.kind not in "fiu":
        raise InputError(_("{filename} holds something other than plain number arrays ({member} is {dtype}; Python "
                           "objects could only be read by unpickling). Save each tensor with v.cpu().numpy().").format(
            filename=filename, member=info.filename, dtype=dtype))
    return tuple(shape)


def _npy_array(archive: zipfile.ZipFile, name: str) -> np.ndarray:
    with archive.open(name) as member:
        return np.lib.format.read_array(member, allow_pickle=False)


def _json(data: bytes, filename: str) -> dict:
    try:
        parsed = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError(_("{filename} is not text; a state dict JSON is text.").format(filename=filename)) from None
    except json.JSONDecodeError as error:
        raise InputError(_("{filename} is not valid JSON ({error}, line {line}).").format(
            filename=filename, error=error.msg, line=error.lineno)) from None
    except RecursionError:
        raise InputError(_("{filename} nests lists too deeply to be a state dict; its arrays are 1-D or "
                           "2-D.").format(filename=filename)) from None
    except ValueError:  # Python refuses to convert an integer of over 4,300 digits
        raise InputError(_("{filename} holds a number with thousands of digits; a state dict holds float32 "
                           "values.").format(filename=filename)) from None
    if not isinstance(parsed, dict):
        raise InputError(_("{filename} must be a JSON object mapping names like weight_ih_l0 to nested "
                           "lists.").format(filename=filename))
    if "format" in parsed:
        raise InputError(_("{filename} is a gruviz weights file, not a state dict; import it as gruviz "
                           "JSON.").format(filename=filename))
    return parsed


def _declared_shape(value) -> tuple[int, ...]:
    """An array's shape, or nested lists' shape read down their first elements (ragged
    lists are refused later, when they become an array)."""
    if isinstance(value, np.ndarray):
        return value.shape
    shape = []
    while isinstance(value, list) and len(shape) < 32:
        shape.append(len(value))
        value = value[0] if value else None
    return tuple(shape)


def from_state_dict(arrays: Mapping[str, object], limits: Limits = CORE,
                    load=None) -> tuple[PyTorchGRU, tuple[str, ...]]:
    """A PyTorchGRU from a state dict's entries, reading units and input_dim off
    weight_ih_l0. A prefix ("encoder.gru.") is allowed when one GRU has it. With `load`,
    `arrays` holds declared shapes and `load(key)` reads an array, after the limits pass."""
    prefixes = sorted({key[: -len("weight_ih_l0")] for key in arrays if key.endswith("weight_ih_l0")})
    if not prefixes:
        if arrays:
            message = _("no weight_ih_l0 found: an nn.GRU state dict has {names}; this one has {shown}.")
        else:
            message = _("no weight_ih_l0 found: an nn.GRU state dict has {names}; this one has none.")
        raise InputError(message.format(names=", ".join(_NAMES), shown=", ".join(list(arrays)[:6])))
    if len(prefixes) > 1:
        where = ", ".join(p or _("(top level)") for p in prefixes)
        raise InputError(ngettext("this state dict holds {n} GRU ({where}); export just the one to show, e.g. "
                                  "model.encoder.gru.state_dict().",
                                  "this state dict holds {n} GRUs ({where}); export just the one to show, e.g. "
                                  "model.encoder.gru.state_dict().", len(prefixes)).format(n=len(prefixes),
                                                                                           where=where))
    prefix = prefixes[0]
    shapes = {name: tuple(arrays[prefix + name]) if load else _declared_shape(arrays[prefix + name])
              for name in _NAMES if prefix + name in arrays}
    ih = shapes["weight_ih_l0"]
    if len(ih) != 2 or ih[0] % 3:
        raise InputError(_("weight_ih_l0 has shape {shape}; nn.GRU's is (3·hidden_size, input_size).").format(
            shape=ih))
    limits.check_layer(ih[0] // 3, ih[1])
    limits.check_arrays(shapes)
    mine = {name: load(prefix + name) if load else arrays[prefix + name] for name in shapes}
    config = LayoutConfig(units=ih[0] // 3, input_dim=ih[1])
    layout = PyTorchGRU.from_arrays(config, mine)
    notes = []
    if prefix:
        notes.append(_("Used the GRU under {prefix}.").format(prefix=repr(prefix)))
    others = sorted(k[len(prefix):] for k in arrays if k.startswith(prefix) and _GRU_KEY.match(k[len(prefix):])
                    and k[len(prefix):] not in _NAMES)
    if others:
        notes.append(_("Showing layer 0, forward direction only; also in the file: {arrays}.").format(
            arrays=", ".join(others)))
    ignored = len(arrays) - len(mine) - len(others)
    if ignored:
        notes.append(ngettext("Ignored {n} other entry of the state dict.", "Ignored {n} other entries of the state "
                              "dict.", ignored).format(n=ignored))
    return layout, tuple(notes)
