"""The legacy Keras `.h5` file (`model.save('name.h5')`), read as data.

The root's attrs hold model_config (JSON) and keras_version; the arrays are listed, in
get_weights() order, by the `weight_names` attribute of model_weights/<layer>, e.g.
"gru/gru_cell/kernel" (Keras 3) or "gru/kernel:0" (Keras 2).
"""

from __future__ import annotations

import h5py
import numpy as np

from ..errors import InputError
from ..limits import Limits
from .hdf5_guard import open_h5
from .keras_config import ACCEPTED, FoundGRU, GRUSpec, found_gru, gru_specs, config_json, as_text
from ..text import _
from .untrusted import cut


def read_legacy_h5(data: bytes, limits: Limits) -> list[FoundGRU]:
    with open_h5(data, _(ACCEPTED)) as f:
        if "model_config" not in f.attrs:
            if "layers" in f:
                message = _("this .h5 file has no model_config; it holds a Keras 3 weights file: rename it to end "
                            "in .weights.h5. {accepted}.")
            else:
                message = _("this .h5 file has no model_config; it holds weights only (save_weights), without the "
                            "layer config. {accepted}.")
            raise InputError(message.format(accepted=_(ACCEPTED)))
        config = config_json(f.attrs["model_config"], _("the model_config in this .h5 file"))
        version = as_text(f.attrs.get("keras_version", "2"))
        specs = gru_specs(config, _("the model_config"))
        root = f["model_weights"] if isinstance(f.get("model_weights"), h5py.Group) else f
        return [found_gru(s, _legacy_datasets(root, s), version, (), limits) for s in specs]


def _legacy_datasets(root: h5py.Group, spec: GRUSpec) -> list[h5py.Dataset]:
    """The arrays named by model_weights/<top layer>.attrs['weight_names'] that belong to this GRU."""
    group = root.get(spec.chain[0])
    names = attr_strings(group, "weight_names") if isinstance(group, h5py.Group) else []

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
        raise InputError(_("GRU layer '{name}' is in the model config but its weights were not found under "
                           "model_weights/{group}; the file may be damaged.").format(
            name=cut("/".join(spec.chain)), group=cut(spec.chain[0])))
    return [group[n] for n in picked]


def attr_strings(group: h5py.Group, name: str) -> list[str]:
    """A list attribute, which Keras splits into name0, name1, … when it is large."""
    values = list(np.atleast_1d(group.attrs[name]).ravel()) if name in group.attrs else []
    for i in range(1000):
        if f"{name}{i}" not in group.attrs:
            break
        values += list(np.atleast_1d(group.attrs[f"{name}{i}"]).ravel())
    return [as_text(v) for v in values]
