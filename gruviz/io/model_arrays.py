"""A whole Keras model file as plain data: its config (JSON) and each layer's arrays in
`get_weights()` order, by layer name. Run in the bounded child of `gruviz.io.sandbox`
(kind "model"); nothing in the file is executed, and Keras is never imported.

Where a layer's arrays live:
  .keras / .weights.h5  layers/<group>/…/vars/{0,1,…}; the layer's name is the `name`
                        attribute of layers/<group>/vars; a Bidirectional keeps
                        forward_layer before backward_layer, a GRU its cell/vars.
  legacy .h5            model_weights/<layer name>, listed by its `weight_names` attribute.
"""

from __future__ import annotations

import zipfile

import h5py
import numpy as np

from ..errors import InputError
from ..limits import FILES, Limits
from ..text import _, decimal
from .hdf5_guard import open_h5
from .keras_config import ACCEPTED, config_json, as_text
from .legacy_h5 import attr_strings
from .model_files import DAMAGED, damaged, natural_order, unzip
from .untrusted import cut

import io


def read_model_arrays(data: bytes, filename: str, limits: Limits) -> tuple[dict | None, dict[str, list[np.ndarray]]]:
    """(config or None for a weights-only file, {layer name: [arrays]}). The config carries
    "keras_version" when the file says which Keras wrote it."""
    if len(data) > limits.max_file_bytes:
        raise InputError(_("the file is {size} MB; the limit is {limit} MB.").format(
            size=decimal(len(data) / 2**20, 1), limit=decimal(limits.max_file_bytes / 2**20, 0)))
    name = filename.lower()
    try:
        if name.endswith(".keras"):
            return _keras_zip(bytes(data), limits)
        if name.endswith(".weights.h5"):
            with open_h5(bytes(data), _(ACCEPTED)) as f:
                return None, _keras3_layers(f, limits)
        if name.endswith((".h5", ".hdf5")):
            return _legacy(bytes(data), limits)
    except InputError:
        raise
    except DAMAGED as e:
        raise InputError(damaged(e)) from None
    raise InputError(_("{filename} has an unknown suffix. {accepted}.").format(
        filename=repr(filename), accepted=_(ACCEPTED)))


def _keras_zip(data: bytes, limits: Limits):
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise InputError(_("this is not a .keras file (a zip archive). {accepted}.").format(
            accepted=_(ACCEPTED))) from None
    with archive:
        members = {info.filename: info for info in archive.infolist()}
        FILES.check_zip(members.values(), _("the .keras archive"))
        for needed in ("config.json", "model.weights.h5"):
            if needed not in members:
                raise InputError(_("the .keras archive has no {name}. Save the model again with "
                                   "model.save('name.keras').").format(name=needed))
        config = config_json(unzip(archive, "config.json", limits.max_file_bytes), "config.json")
        if "metadata.json" in members and isinstance(config, dict):
            meta = config_json(unzip(archive, "metadata.json", limits.max_file_bytes), "metadata.json")
            config["keras_version"] = str(meta.get("keras_version", "3")) if isinstance(meta, dict) else "3"
        weights_h5 = unzip(archive, "model.weights.h5", FILES.max_unpacked_bytes)
    with open_h5(weights_h5, _(ACCEPTED)) as f:
        return config, _keras3_layers(f, limits)


def _keras3_layers(f: h5py.Group, limits: Limits) -> dict[str, list[np.ndarray]]:
    top = f.get("layers")
    if not isinstance(top, h5py.Group):
        raise InputError(_("this weights file has no 'layers' group, so Keras 3 did not write it. "
                           "{accepted}.").format(accepted=_(ACCEPTED)))
    found = {}
    for key in sorted(top, key=natural_order):
        group = top[key]
        if not isinstance(group, h5py.Group):
            continue
        own = group.get("vars")
        name = as_text(own.attrs.get("name", key)) if isinstance(own, h5py.Group) else key
        found[name] = _read(_datasets(group, 0), name, limits)
    return found


def _datasets(group: h5py.Group, depth: int) -> list[h5py.Dataset]:
    """The arrays under one layer's group in get_weights() order: its own vars, then its
    sublayers (forward_layer before backward_layer)."""
    if depth > FILES.max_depth:
        raise InputError(_("the weights file nests its groups too deeply; the file may be damaged."))
    found = []
    own = group.get("vars")
    if isinstance(own, h5py.Group):
        found += [d for _, d in sorted(own.items(), key=lambda kv: natural_order(kv[0]))]
    for key in sorted(group, key=lambda k: (k != "forward_layer", natural_order(k))):
        if key != "vars" and isinstance(group[key], h5py.Group):
            found += _datasets(group[key], depth + 1)
    return found


def _legacy(data: bytes, limits: Limits):
    with open_h5(data, _(ACCEPTED)) as f:
        if "model_config" not in f.attrs:
            raise InputError(_("this .h5 file has no model_config; it holds weights only. {accepted}.").format(
                accepted=_(ACCEPTED)))
        config = config_json(f.attrs["model_config"], _("the model_config in this .h5 file"))
        if isinstance(config, dict):
            config["keras_version"] = as_text(f.attrs.get("keras_version", "2"))
        root = f["model_weights"] if isinstance(f.get("model_weights"), h5py.Group) else f
        found = {}
        for key in root:
            group = root[key]
            if isinstance(group, h5py.Group) and "weight_names" in group.attrs:
                found[key] = _read([group.get(n) for n in attr_strings(group, "weight_names")], key, limits)
        return config, found


def _read(datasets: list, name: str, limits: Limits) -> list[np.ndarray]:
    for d in datasets:
        if not isinstance(d, h5py.Dataset) or d.dtype.kind not in "fiu":
            raise InputError(_("layer '{name}': {array} is not an array of numbers; the file may be damaged.").format(
                name=cut(name), array=cut(getattr(d, "name", None) or _("an array"))))
    limits.check_arrays({_("layer '{name}' array {i}").format(name=cut(name), i=i): d.shape
                         for i, d in enumerate(datasets)})
    return [np.asarray(d[()], dtype=np.float64) for d in datasets]


def sandbox_items(data: bytes, filename: str, limits: Limits) -> list[tuple[dict, list[np.ndarray]]]:
    """What the child sends back: item 0 holds the config, then one item per layer."""
    config, arrays = read_model_arrays(data, filename, limits)
    return [({"config": config}, [])] + [({"name": name}, values) for name, values in arrays.items()]
