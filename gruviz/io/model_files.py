"""Read GRU weights and config out of uploaded Keras files, as data only.

An uploaded file is untrusted: nothing in it is executed or unpickled, and Keras is
never imported here (`keras.models.load_model` would run the file's config). We
read JSON with `json` and arrays with h5py, from memory, after checking sizes.

Where the arrays live (Keras 3.15; older files differ only in names):
  .keras       zip of config.json, metadata.json ({"keras_version"}) and model.weights.h5;
               a GRU's arrays are layers/<gru|gru_1|…>/cell/vars/{0,1,2}; the group
               names come from the class, the layer's own name is the `name` attribute of
               layers/<…>/vars. Nested models add layers/<model>/layers/…; a Bidirectional
               holds layers/bidirectional/{forward_layer,backward_layer}/cell/vars.
  .weights.h5  the same HDF5 tree without any config.
  .h5 (legacy) attrs model_config (JSON) and keras_version; arrays listed, in
               get_weights() order, by the `weight_names` attribute of model_weights/<layer>,
               e.g. "gru/gru_cell/kernel" (Keras 3) or "gru/kernel:0" (Keras 2).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
import zlib
from dataclasses import dataclass

import h5py
import numpy as np

from ..errors import InputError
from ..layouts import cudnn_gru_weights
from ..limits import CORE, FILES, Limits
from ..math.activations import ACTIVATIONS
from ..math.weights import GRUWeights
from .hdf5_guard import open_h5

ACCEPTED = (
    "gruviz reads a Keras model saved with model.save('name.keras'), a weights file saved with "
    "model.save_weights('name.weights.h5'), or a legacy model.save('name.h5')"
)
_DAMAGED = (OSError, RuntimeError, KeyError, ValueError, EOFError, zlib.error, zipfile.BadZipFile)


@dataclass(frozen=True)
class FoundGRU:
    name: str  # the layer's name in the file; "outer/inner" inside a nested model or Bidirectional
    weights: GRUWeights
    go_backwards: bool  # False when the file does not say
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Spec:
    """One GRU as the model config describes it."""

    chain: tuple[str, ...]  # layer names from the top model down to the GRU
    config: dict
    role: str | None = None  # "forward" or "backward" inside a Bidirectional
    notes: tuple[str, ...] = ()
    cudnn: bool = False  # Keras 2's CuDNNGRU: arrays in cuDNN's order, bias (6H,)


def read_model_file(data: bytes, filename: str, limits: Limits = CORE) -> list[FoundGRU]:
    """Every GRU layer in an uploaded Keras file, in model order. Run it in the bounded
    child process of `gruviz.io.sandbox` when the file comes from a stranger."""
    if len(data) > limits.max_file_bytes:
        raise InputError(
            f"the file is {len(data) / 2**20:.1f} MB; the limit is {limits.max_file_bytes / 2**20:.0f} MB. "
            "Upload a model with fewer or smaller layers, or save only its weights (.weights.h5)."
        )
    name = filename.lower()
    if name.endswith(".keras"):
        read = _read_keras_zip
    elif name.endswith(".weights.h5"):
        read = _read_weights_h5
    elif name.endswith((".h5", ".hdf5")):
        read = _read_legacy_h5
    else:
        raise InputError(f"{filename!r} has an unknown suffix. {ACCEPTED}.")
    try:
        return read(bytes(data), limits)
    except InputError:
        raise
    except _DAMAGED as e:  # what h5py, zipfile and zlib raise on a damaged file
        if "memory allocation failed" in str(e):
            raise MemoryError(str(e)) from None
        raise InputError(f"this file is damaged ({type(e).__name__}: {str(e)[:160]}). "
                         "Save the model again with Keras and upload the new file.") from None


# --- .keras --------------------------------------------------------------------------------


def _read_keras_zip(data: bytes, limits: Limits) -> list[FoundGRU]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        hint = " This file is HDF5: rename it to end in .h5." if data.startswith(b"\x89HDF") else ""
        raise InputError(f"this is not a .keras file (a zip archive).{hint} {ACCEPTED}.") from None
    with archive:
        members = {info.filename: info for info in archive.infolist()}
        FILES.check_zip(members.values(), "the .keras archive")
        for needed in ("config.json", "model.weights.h5"):
            if needed not in members:
                raise InputError(
                    f"the .keras archive has no {needed} (it holds {', '.join(members) or 'nothing'}). "
                    "Save the model again with model.save('name.keras')."
                )
        text_cap = limits.max_file_bytes  # a model's config is text; no bigger than a whole upload
        config = _json(_unzip(archive, "config.json", text_cap), "config.json")
        meta = _json(_unzip(archive, "metadata.json", text_cap), "metadata.json") if "metadata.json" in members else {}
        weights_h5 = _unzip(archive, "model.weights.h5", FILES.max_unpacked_bytes)
    version = str(meta.get("keras_version", "3")) if isinstance(meta, dict) else "3"
    specs = _gru_specs(config, "config.json")
    with open_h5(weights_h5, ACCEPTED) as f:
        cells = _keras3_cells(f, gru_shaped_only=False)
        pairs, notes = _match(specs, cells)
        return [_found(s, c[1], version, notes.get(s.chain, ()), limits) for s, c in pairs]


def _unzip(archive: zipfile.ZipFile, name: str, cap: int) -> bytes:
    try:
        with archive.open(name) as member:
            blob = member.read(cap + 1)  # bounded even if the header lied
    except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, EOFError, zlib.error) as e:
        raise InputError(f"could not unpack {name} from the .keras archive ({e}).") from None
    if len(blob) > cap:
        raise InputError(f"{name} unpacks to more than {cap / 2**20:.0f} MB; the limit is {cap / 2**20:.0f} MB.")
    return blob


def _json(text, where: str):
    try:
        config = json.loads(text)
    except RecursionError:
        raise InputError(f"{where} nests too deeply to be a Keras config; the file may be damaged.") from None
    except ValueError as e:  # UnicodeDecodeError is a ValueError
        raise InputError(f"{where} is not valid JSON ({str(e)[:120]}); the file may be damaged.") from None
    _refuse_code(config, where)
    return config


def _refuse_code(config, where: str) -> None:
    """Refuse a config that carries code: Keras runs it only with safe_mode off, gruviz never,
    but such a file is an attack or a model gruviz cannot explain."""
    stack = [config]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            kind = node.get("class_name")
            if kind in ("Lambda", "__lambda__", "TFOpLambda") or "function_type" in node:
                raise InputError(f"{where} holds Python code (a {kind or 'lambda function'}); gruviz never runs "
                                 "code from a file and refuses files that carry it. Save the model without it, "
                                 "or only its weights with model.save_weights('name.weights.h5').")
            stack.extend(node.values())
            stack.extend(node)
        elif node == "enable_unsafe_deserialization":
            raise InputError(f"{where} calls enable_unsafe_deserialization, which only serves to run code "
                             "from a file; gruviz refuses it.")


# --- .weights.h5 -------------------------------------------------------------------------


def _read_weights_h5(data: bytes, limits: Limits) -> list[FoundGRU]:
    with open_h5(data, ACCEPTED) as f:
        if "layers" not in f:
            raise InputError(
                "this .weights.h5 file has no 'layers' group, so it was not written by Keras 3 "
                f"save_weights. {ACCEPTED}."
            )
        cells = _keras3_cells(f, gru_shaped_only=True)
        if not cells:
            groups: list = []
            f["layers"].visititems(lambda path, obj: groups.append(obj) if path.endswith("vars") else None)
            names = ", ".join(sorted({_text(g.attrs.get("name", "")) for g in groups} - {""})) or "none"
            raise InputError(f"no GRU layer found in this weights file; its layers are: {names}.")
        found = []
        for chain, datasets in cells:
            backward = any("backward" in name for name in chain[-1:])
            notes = ["A weights-only file has no layer config: activations were assumed to be tanh and "
                     "sigmoid (the Keras defaults) and could not be read; check them against your model.",
                     "The file does not record go_backwards either: " + (
                         "this layer is named like a Bidirectional's backward half, so it runs backwards; if it "
                         "ran forwards, untick go_backwards beside the input sequence." if backward else
                         "the layer runs forwards; if it was built with go_backwards=True, tick go_backwards "
                         "beside the input sequence.")]
            if len(datasets) == 2:
                notes.append("Without a bias, reset_after cannot be seen in the arrays; assumed True.")
            spec = _Spec(chain, {"go_backwards": backward}, None, tuple(notes))
            found.append(_found(spec, datasets, "3", (), limits))
        return found


# --- legacy .h5 --------------------------------------------------------------------------


def _read_legacy_h5(data: bytes, limits: Limits) -> list[FoundGRU]:
    with open_h5(data, ACCEPTED) as f:
        if "model_config" not in f.attrs:
            kind = "a Keras 3 weights file: rename it to end in .weights.h5" if "layers" in f else \
                "weights only (save_weights), without the layer config"
            raise InputError(f"this .h5 file has no model_config; it holds {kind}. {ACCEPTED}.")
        config = _json(f.attrs["model_config"], "the model_config in this .h5 file")
        version = _text(f.attrs.get("keras_version", "2"))
        specs = _gru_specs(config, "the model_config")
        root = f["model_weights"] if isinstance(f.get("model_weights"), h5py.Group) else f
        return [_found(s, _legacy_datasets(root, s), version, (), limits) for s in specs]


def _legacy_datasets(root: h5py.Group, spec: _Spec) -> list[h5py.Dataset]:
    """The arrays named by model_weights/<top layer>.attrs['weight_names'] that belong to this GRU."""
    group = root.get(spec.chain[0])
    names = _attr_strings(group, "weight_names") if isinstance(group, h5py.Group) else []

    def ours(path: str) -> bool:
        parts = path.split("/")
        if spec.role:
            return any(p.startswith(spec.role + "_") for p in parts)
        return spec.chain[-1] in parts

    picked = [n for n in names if ours(n)] or (names if not spec.role and len(names) in (2, 3) else [])
    order = {"kernel": 0, "recurrent_kernel": 1, "bias": 2}
    keys = [order.get(n.rsplit("/", 1)[-1].split(":")[0]) for n in picked]
    if None not in keys:
        picked = [n for _, n in sorted(zip(keys, picked))]
    if len(picked) not in (2, 3) or any(not isinstance(group.get(n), h5py.Dataset) for n in picked):
        raise InputError(f"GRU layer '{'/'.join(spec.chain)}' is in the model config but its weights "
                         f"were not found under model_weights/{spec.chain[0]}; the file may be damaged.")
    return [group[n] for n in picked]


def _attr_strings(group: h5py.Group, name: str) -> list[str]:
    """A list attribute, which Keras splits into name0, name1, … when it is large."""
    values = list(np.atleast_1d(group.attrs[name]).ravel()) if name in group.attrs else []
    for i in range(1000):
        if f"{name}{i}" not in group.attrs:
            break
        values += list(np.atleast_1d(group.attrs[f"{name}{i}"]).ravel())
    return [_text(v) for v in values]


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


# --- the model config --------------------------------------------------------------------


def _gru_specs(config, where: str) -> list[_Spec]:
    """Every GRU in a model config (Sequential, Functional, nested, Bidirectional) in model
    order; when there is none, the message lists the class names of the other layers."""
    specs: list[_Spec] = []
    others: list[str] = []

    def visit(layers, chain: tuple[str, ...], depth: int) -> None:
        if depth > 20:
            raise InputError(f"{where} nests models more than 20 deep; gruviz reads at most 20 levels.")
        if not isinstance(layers, list):
            raise InputError(f"{where} has no list of layers where one is needed; is this a Keras model?")
        for layer in layers:
            if not isinstance(layer, dict) or not isinstance(layer.get("config"), dict):
                raise InputError(f"{where}: a layer entry has no 'config' object; the file may be damaged.")
            kind, cfg = str(layer.get("class_name")), layer["config"]
            name = str(cfg.get("name", layer.get("name", kind.lower())))
            inner = cfg.get("layer") if isinstance(cfg.get("layer"), dict) else {}
            if kind in ("GRU", "CuDNNGRU"):
                cudnn = kind == "CuDNNGRU"
                note = ("a Keras 2 CuDNNGRU: its gate blocks were read from cuDNN's layout into "
                        "keras.layers.GRU(reset_after=True), exactly.",) if cudnn else ()
                specs.append(_Spec(chain + (name,), cfg, notes=note, cudnn=cudnn))
            elif kind == "Bidirectional" and inner.get("class_name") == "GRU":
                forward = inner.get("config") or {}
                backward = (cfg.get("backward_layer") or {}).get("config") or {
                    **forward, "name": "backward_" + str(forward.get("name")),
                    "go_backwards": not forward.get("go_backwards", False)}
                for role, sub in (("forward", forward), ("backward", backward)):
                    note = (f"the {role} half of Bidirectional layer '{name}'; with return_sequences=True "
                            "Bidirectional flips the backward half's outputs back into input order.")
                    specs.append(_Spec(chain + (name, str(sub.get("name"))), sub, role, (note,)))
            elif isinstance(cfg.get("layers"), list):
                visit(cfg["layers"], chain + (name,), depth + 1)
            elif kind != "InputLayer":
                others.append(kind + (f"({inner.get('class_name')})" if inner else ""))

    if not isinstance(config, dict):
        raise InputError(f"{where} must be a JSON object with class_name and config.")
    top = config.get("config")
    visit(top if isinstance(top, list) else (top or {}).get("layers"), (), 0)
    if not specs:
        held = ", ".join(dict.fromkeys(others)) or "no layers"
        raise InputError(f"no GRU layer found in this file; it holds: {held}."
                         " gruviz explains keras.layers.GRU.")
    return specs


def _found(spec: _Spec, datasets: list, version: str, extra: tuple[str, ...], limits: Limits) -> FoundGRU:
    """Check one GRU's declared sizes, then read and validate its arrays; every message names the layer."""
    cfg, name = spec.config, "/".join(spec.chain)
    notes = [*spec.notes, *extra]
    try:
        for d in datasets:
            if not isinstance(d, h5py.Dataset) or d.dtype.kind not in "fiu" or \
                    _text(d.attrs.get("dtype", "")) == "bfloat16":
                raise InputError(f"{getattr(d, 'name', '?')} is not an array of float32/float64 numbers; "
                                 "save the model in float32.")
        kernel = datasets[0].shape  # (D, 3H) as declared: checked before a number is read
        units = cfg.get("units") if isinstance(cfg.get("units"), int) else (kernel[-1] // 3 if kernel else 0)
        limits.check_layer(units, kernel[0] if len(kernel) == 2 else 0)
        limits.check_arrays({n: d.shape for n, d in zip(("kernel", "recurrent_kernel", "bias"), datasets)})
        arrays = [np.asarray(d[()], dtype=np.float64) for d in datasets]
        options = {k: cfg[k] for k in ("units", "reset_after", "use_bias") if k in cfg}
        for key, default in (("activation", "tanh"), ("recurrent_activation", "sigmoid")):
            options[key] = _activation(cfg.get(key, default), key, version, notes)
        weights = (cudnn_gru_weights(*arrays) if spec.cudnn  # tanh and sigmoid: cuDNN has no others
                   else GRUWeights.from_keras_arrays(arrays, **options))
    except InputError as e:
        raise InputError(f"GRU layer '{name}': {e}") from None
    return FoundGRU(name, weights, bool(cfg.get("go_backwards", False)), tuple(notes))


def _activation(value, key: str, version: str, notes: list[str]) -> str:
    if value is None:
        return "linear"
    if isinstance(value, dict) and value.get("class_name") == "function":
        value = value.get("config")  # how some Keras versions serialise a built-in function
    if not isinstance(value, str) or value not in ACTIVATIONS or value == "hard_sigmoid_legacy":
        shown = repr(value) if isinstance(value, str) else "(a custom function)"
        known = ", ".join(name for name in ACTIVATIONS if name != "hard_sigmoid_legacy")  # Keras's names
        raise InputError(f"{key} {shown} is not supported; gruviz knows {known}. "
                         "Rebuild the layer with one of these to explain it.")
    if value == "hard_sigmoid" and version.split(".")[0] in ("1", "2"):
        notes.append(f"{key} 'hard_sigmoid' in a Keras {version} file meant clip(0.2x+0.5, 0, 1); "
                     "read as hard_sigmoid_legacy (Keras 3's hard_sigmoid is clip(x/6+0.5)).")
        return "hard_sigmoid_legacy"
    return value


# --- the Keras 3 HDF5 tree ----------------------------------------------------------


def _keras3_cells(root: h5py.Group, gru_shaped_only: bool) -> list[tuple[tuple[str, ...], list]]:
    """(layer-name chain, [kernel, recurrent_kernel, bias?] datasets) for every `cell` group."""
    found = []

    def visit(group: h5py.Group, chain: tuple[str, ...], depth: int) -> None:
        for key in sorted(group, key=lambda k: (k != "forward_layer", _natural(k))):
            child = group[key]
            if not isinstance(child, h5py.Group) or key == "vars" or depth > 32:
                continue
            if key == "cell" and isinstance(child.get("vars"), h5py.Group):
                items = sorted(child["vars"].items(), key=lambda kv: _natural(kv[0]))
                datasets = [d for _, d in items]
                if not gru_shaped_only or _gru_shaped(datasets):
                    found.append((chain, datasets))
                continue
            own = child.get("vars")  # a layer's group; its `name` attribute is the layer's name
            name = _text(own.attrs.get("name", f"<{key}>")) if isinstance(own, h5py.Group) else None
            visit(child, chain + (name,) if name else chain, depth + 1)

    visit(root, (), 0)
    return found


def _gru_shaped(datasets) -> bool:
    """kernel (D, 3H) and recurrent_kernel (H, 3H): a GRU's, never an LSTM's (4H) or SimpleRNN's."""
    if len(datasets) not in (2, 3) or not all(isinstance(d, h5py.Dataset) for d in datasets):
        return False
    k, u = datasets[0].shape, datasets[1].shape
    return len(k) == 2 and len(u) == 2 and k[1] % 3 == 0 and u == (k[1] // 3, k[1])


def _match(specs: list[_Spec], cells: list) -> tuple[list, dict]:
    """Pair each configured GRU with its cell by layer names; if the names in the weights
    do not line up (older Keras 3 files lack them), pair by order."""
    by_chain = {chain: (chain, ds) for chain, ds in cells}
    pairs = [(s, by_chain.get(s.chain)) for s in specs]
    if all(c is not None for _, c in pairs):
        return pairs, {}
    cells = [c for c in cells if _gru_shaped(c[1])]
    if len(cells) != len(specs):
        missing = next(s for s, c in pairs if c is None)
        raise InputError(f"GRU layer '{'/'.join(missing.chain)}' is in config.json but its weights are "
                         "not in model.weights.h5; the file may be damaged.")
    note = ("matched to its weights by position, because the layer names in the weights file differ.",)
    return list(zip(specs, cells)), {s.chain: note for s in specs}


def _natural(key: str):
    """gru, gru_1, gru_2, gru_10: the order Keras named them in."""
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", key)]
