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
import re
import zipfile
import zlib

import h5py

from ..errors import InputError
from ..limits import CORE, FILES, Limits
from ..text import _, count, decimal
from .hdf5_guard import open_h5
from .keras_config import ACCEPTED, FoundGRU, GRUSpec, found_gru, gru_specs, config_json, as_text
from .legacy_h5 import read_legacy_h5
from .untrusted import cut

# what h5py, zipfile and zlib raise on a damaged file; h5py's OverflowError is an offset past any file
DAMAGED = (OSError, RuntimeError, KeyError, ValueError, EOFError, OverflowError, zlib.error,
            zipfile.BadZipFile)


def read_model_file(data: bytes, filename: str, limits: Limits = CORE) -> list[FoundGRU]:
    """Every GRU layer in an uploaded Keras file, in model order. Run it in the bounded
    child process of `gruviz.io.sandbox` when the file comes from a stranger."""
    if len(data) > limits.max_file_bytes:
        raise InputError(_(
            "the file is {size} MB; the limit is {limit} MB. Upload a model with fewer or smaller layers, or save "
            "only its weights (.weights.h5)."
        ).format(size=decimal(len(data) / 2**20, 1), limit=decimal(limits.max_file_bytes / 2**20, 0)))
    name = filename.lower()
    if name.endswith(".keras"):
        read = _read_keras_zip
    elif name.endswith(".weights.h5"):
        read = _read_weights_h5
    elif name.endswith((".h5", ".hdf5")):
        read = read_legacy_h5
    else:
        raise InputError(_("{filename} has an unknown suffix. {accepted}.").format(
            filename=repr(filename), accepted=_(ACCEPTED)))
    try:
        return read(bytes(data), limits)
    except InputError:
        raise
    except DAMAGED as e:  # what h5py, zipfile and zlib raise on a damaged file
        if "memory allocation failed" in str(e):
            raise MemoryError(str(e)) from None
        raise InputError(damaged(e)) from None


def damaged(error: Exception) -> str:
    return _("this file is damaged ({error}). Save the model again with Keras and upload the new file.").format(
        error=f"{type(error).__name__}: {str(error)[:160]}")


# --- .keras --------------------------------------------------------------------------------


def _read_keras_zip(data: bytes, limits: Limits) -> list[FoundGRU]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        if data.startswith(b"\x89HDF"):
            message = _("this is not a .keras file (a zip archive). This file is HDF5: rename it to end in .h5. "
                        "{accepted}.")
        else:
            message = _("this is not a .keras file (a zip archive). {accepted}.")
        raise InputError(message.format(accepted=_(ACCEPTED))) from None
    with archive:
        members = {info.filename: info for info in archive.infolist()}
        FILES.check_zip(members.values(), _("the .keras archive"))
        for needed in ("config.json", "model.weights.h5"):
            if needed not in members:
                raise InputError(_(
                    "the .keras archive has no {name} (it holds {members}). Save the model again with "
                    "model.save('name.keras')."
                ).format(name=needed, members=_listed(members) or _("nothing")))
        text_cap = limits.max_file_bytes  # a model's config is text; no bigger than a whole upload
        config = config_json(unzip(archive, "config.json", text_cap), "config.json")
        meta = config_json(unzip(archive, "metadata.json", text_cap), "metadata.json") if "metadata.json" in members else {}
        weights_h5 = unzip(archive, "model.weights.h5", FILES.max_unpacked_bytes)
    version = str(meta.get("keras_version", "3")) if isinstance(meta, dict) else "3"
    specs = gru_specs(config, "config.json")
    with open_h5(weights_h5, _(ACCEPTED)) as f:
        cells = _keras3_cells(f, gru_shaped_only=False)
        pairs, notes = _match(specs, cells)
        return [found_gru(s, c[1], version, notes.get(s.chain, ()), limits) for s, c in pairs]


def unzip(archive: zipfile.ZipFile, name: str, cap: int) -> bytes:
    try:
        with archive.open(name) as member:
            blob = member.read(cap + 1)  # bounded even if the header lied
    except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, EOFError, zlib.error) as e:
        raise InputError(_("could not unpack {name} from the .keras archive ({error}).").format(
            name=name, error=cut(str(e), 120))) from None
    if len(blob) > cap:
        raise InputError(_("{name} unpacks to more than {limit} MB; the limit is {limit} MB.").format(
            name=name, limit=decimal(cap / 2**20, 0)))
    return blob


# --- .weights.h5 -------------------------------------------------------------------------


def _read_weights_h5(data: bytes, limits: Limits) -> list[FoundGRU]:
    with open_h5(data, _(ACCEPTED)) as f:
        if "layers" not in f:
            raise InputError(_(
                "this .weights.h5 file has no 'layers' group, so it was not written by Keras 3 save_weights. "
                "{accepted}."
            ).format(accepted=_(ACCEPTED)))
        cells = _keras3_cells(f, gru_shaped_only=True)
        if not cells:
            groups: list = []
            f["layers"].visititems(lambda path, obj: groups.append(obj) if path.endswith("vars") else None)
            names = _listed(sorted({as_text(g.attrs.get("name", "")) for g in groups} - {""})) or _("none")
            raise InputError(_("no GRU layer found in this weights file; its layers are: {names}.").format(
                names=names))
        found = []
        for chain, datasets in cells:
            backward = any("backward" in name for name in chain[-1:])
            notes = [_("A weights-only file has no layer config: activations were assumed to be tanh and "
                       "sigmoid (the Keras defaults) and could not be read; check them against your model."),
                     _("The file does not record go_backwards either: this layer is named like a Bidirectional's "
                       "backward half, so it runs backwards; if it ran forwards, untick go_backwards beside the "
                       "input sequence.") if backward else
                     _("The file does not record go_backwards either: the layer runs forwards; if it was built "
                       "with go_backwards=True, tick go_backwards beside the input sequence.")]
            if len(datasets) == 2:
                notes.append(_("Without a bias, reset_after cannot be seen in the arrays; assumed True."))
            spec = GRUSpec(chain, {"go_backwards": backward}, None, tuple(notes))
            found.append(found_gru(spec, datasets, "3", (), limits))
        return found


# --- the Keras 3 HDF5 tree ----------------------------------------------------------


def _keras3_cells(root: h5py.Group, gru_shaped_only: bool) -> list[tuple[tuple[str, ...], list]]:
    """(layer-name chain, [kernel, recurrent_kernel, bias?] datasets) for every `cell` group."""
    found = []

    def visit(group: h5py.Group, chain: tuple[str, ...], depth: int) -> None:
        for key in sorted(group, key=lambda k: (k != "forward_layer", natural_order(k))):
            child = group[key]
            if not isinstance(child, h5py.Group) or key == "vars" or depth > 32:
                continue
            if key == "cell" and isinstance(child.get("vars"), h5py.Group):
                items = sorted(child["vars"].items(), key=lambda kv: natural_order(kv[0]))
                datasets = [d for _, d in items]
                if not gru_shaped_only or _gru_shaped(datasets):
                    found.append((chain, datasets))
                continue
            own = child.get("vars")  # a layer's group; its `name` attribute is the layer's name
            name = as_text(own.attrs.get("name", f"<{key}>")) if isinstance(own, h5py.Group) else None
            visit(child, chain + (name,) if name else chain, depth + 1)

    visit(root, (), 0)
    return found


def _gru_shaped(datasets) -> bool:
    """kernel (D, 3H) and recurrent_kernel (H, 3H): a GRU's, never an LSTM's (4H) or SimpleRNN's."""
    if len(datasets) not in (2, 3) or not all(isinstance(d, h5py.Dataset) for d in datasets):
        return False
    k, u = datasets[0].shape, datasets[1].shape
    return len(k) == 2 and len(u) == 2 and k[1] % 3 == 0 and u == (k[1] // 3, k[1])


def _match(specs: list[GRUSpec], cells: list) -> tuple[list, dict]:
    """Pair each configured GRU with its cell by layer names; if the names in the weights
    do not line up (older Keras 3 files lack them), pair by order."""
    by_chain = {chain: (chain, ds) for chain, ds in cells}
    pairs = [(s, by_chain.get(s.chain)) for s in specs]
    if all(c is not None for _, c in pairs):
        return pairs, {}
    cells = [c for c in cells if _gru_shaped(c[1])]
    if len(cells) != len(specs):
        missing = next(s for s, c in pairs if c is None)
        raise InputError(_("GRU layer '{name}' is in config.json but its weights are not in model.weights.h5; "
                           "the file may be damaged.").format(name=cut("/".join(missing.chain))))
    note = (_("matched to its weights by position, because the layer names in the weights file differ."),)
    return list(zip(specs, cells)), {s.chain: note for s in specs}


def _listed(names) -> str:
    """Names from a file for a message: each cut short, and at most twelve of them."""
    names = list(names)
    more = _(" and {count} more").format(count=count(len(names) - 12)) if len(names) > 12 else ""
    return ", ".join(cut(n, 40) for n in names[:12]) + more


def natural_order(key: str):
    """gru, gru_1, gru_2, gru_10: the order Keras named them in."""
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", key)]
