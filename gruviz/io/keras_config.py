"""What a Keras model config says about its GRU layers, shared by the readers of
`.keras`/`.weights.h5` files (`model_files`) and of legacy `.h5` files (`legacy_h5`):
the config's JSON read without running anything, each GRU found in it, and one GRU's
arrays checked against its config and the limits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import h5py
import numpy as np

from ..errors import InputError
from ..layouts import cudnn_gru_weights
from ..limits import Limits
from ..math.activations import ACTIVATIONS
from ..math.weights import GRUWeights
from ..text import N_, _, count, ngettext
from .untrusted import cut

# Said after a refusal, as "{accepted}."; translate where it is used: _(ACCEPTED).
ACCEPTED = N_(
    "gruviz reads a Keras model saved with model.save('name.keras'), a weights file saved with "
    "model.save_weights('name.weights.h5'), or a legacy model.save('name.h5')"
)

# The note beside each half of a Bidirectional GRU, by its role.
HALVES = {
    "forward": N_("the forward half of Bidirectional layer '{name}'; with return_sequences=True Bidirectional "
                  "flips the backward half's outputs back into input order."),
    "backward": N_("the backward half of Bidirectional layer '{name}'; with return_sequences=True Bidirectional "
                   "flips the backward half's outputs back into input order."),
}


@dataclass(frozen=True)
class FoundGRU:
    name: str  # the layer's name in the file; "outer/inner" inside a nested model or Bidirectional
    weights: GRUWeights
    go_backwards: bool  # False when the file does not say
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class GRUSpec:
    """One GRU as the model config describes it."""

    chain: tuple[str, ...]  # layer names from the top model down to the GRU
    config: dict
    role: str | None = None  # "forward" or "backward" inside a Bidirectional
    notes: tuple[str, ...] = ()
    cudnn: bool = False  # Keras 2's CuDNNGRU: arrays in cuDNN's order, bias (6H,)


def config_json(text, where: str):
    try:
        config = json.loads(text)
    except RecursionError:
        raise InputError(_("{where} nests too deeply to be a Keras config; the file may be damaged.").format(
            where=where)) from None
    except ValueError as e:  # UnicodeDecodeError is a ValueError
        raise InputError(_("{where} is not valid JSON ({error}); the file may be damaged.").format(
            where=where, error=str(e)[:120])) from None
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
                raise InputError(_("{where} holds Python code (a {kind}); gruviz never runs code from a file and "
                                   "refuses files that carry it. Save the model without it, or only its weights "
                                   "with model.save_weights('name.weights.h5').").format(
                    where=where, kind=kind or _("lambda function")))
            stack.extend(node.values())
            stack.extend(node)
        elif node == "enable_unsafe_deserialization":
            raise InputError(_("{where} calls enable_unsafe_deserialization, which only serves to run code "
                               "from a file; gruviz refuses it.").format(where=where))


def as_text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


# --- the model config --------------------------------------------------------------------


def gru_specs(config, where: str) -> list[GRUSpec]:
    """Every GRU in a model config (Sequential, Functional, nested, Bidirectional) in model
    order; when there is none, the message lists the class names of the other layers."""
    specs: list[GRUSpec] = []
    others: list[str] = []

    def visit(layers, chain: tuple[str, ...], depth: int) -> None:
        if depth > 20:
            raise InputError(_("{where} nests models more than 20 deep; gruviz reads at most 20 levels.").format(
                where=where))
        if not isinstance(layers, list):
            raise InputError(_("{where} has no list of layers where one is needed; is this a Keras model?").format(
                where=where))
        for layer in layers:
            if not isinstance(layer, dict) or not isinstance(layer.get("config"), dict):
                raise InputError(_("{where}: a layer entry has no 'config' object; the file may be damaged.").format(
                    where=where))
            kind, cfg = str(layer.get("class_name")), layer["config"]
            name = str(cfg.get("name", layer.get("name", kind.lower())))
            inner = cfg.get("layer") if isinstance(cfg.get("layer"), dict) else {}
            if kind in ("GRU", "CuDNNGRU"):
                cudnn = kind == "CuDNNGRU"
                note = (_("a Keras 2 CuDNNGRU: its gate blocks were read from cuDNN's layout into "
                          "keras.layers.GRU(reset_after=True), exactly."),) if cudnn else ()
                specs.append(GRUSpec(chain + (name,), cfg, notes=note, cudnn=cudnn))
            elif kind == "Bidirectional" and inner.get("class_name") == "GRU":
                forward = inner.get("config") or {}
                backward = (cfg.get("backward_layer") or {}).get("config") or {
                    **forward, "name": "backward_" + str(forward.get("name")),
                    "go_backwards": not forward.get("go_backwards", False)}
                for role, sub in (("forward", forward), ("backward", backward)):
                    note = _(HALVES[role]).format(name=cut(name))
                    specs.append(GRUSpec(chain + (name, str(sub.get("name"))), sub, role, (note,)))
            elif isinstance(cfg.get("layers"), list):
                visit(cfg["layers"], chain + (name,), depth + 1)
            elif kind != "InputLayer":
                others.append(cut(kind, 40) + (f"({cut(str(inner.get('class_name')), 40)})" if inner else ""))

    if not isinstance(config, dict):
        raise InputError(_("{where} must be a JSON object with class_name and config.").format(where=where))
    top = config.get("config")
    visit(top if isinstance(top, list) else (top or {}).get("layers"), (), 0)
    if not specs:
        kinds = list(dict.fromkeys(others))
        rest = len(kinds) - 12
        more = ngettext(" and {count} other kind", " and {count} other kinds", rest).format(
            count=count(rest)) if rest > 0 else ""
        held = ", ".join(kinds[:12]) + more or _("no layers")
        raise InputError(_("no GRU layer found in this file; it holds: {held}. gruviz explains "
                           "keras.layers.GRU.").format(held=held))
    return specs


def found_gru(spec: GRUSpec, datasets: list, version: str, extra: tuple[str, ...], limits: Limits) -> FoundGRU:
    """Check one GRU's declared sizes, then read and validate its arrays; every message names the layer."""
    cfg, name = spec.config, "/".join(spec.chain)
    notes = [*spec.notes, *extra]
    try:
        for d in datasets:
            if not isinstance(d, h5py.Dataset) or d.dtype.kind not in "fiu" or \
                    as_text(d.attrs.get("dtype", "")) == "bfloat16":
                raise InputError(_("{name} is not an array of float32/float64 numbers; save the model in "
                                   "float32.").format(name=getattr(d, "name", "?")))
        kernel = datasets[0].shape  # (D, 3H) as declared: checked before a number is read
        units = cfg.get("units") if isinstance(cfg.get("units"), int) else (kernel[-1] // 3 if kernel else 0)
        limits.check_layer(units, kernel[0] if len(kernel) == 2 else 0)
        limits.check_arrays({n: d.shape for n, d in zip(("kernel", "recurrent_kernel", "bias"), datasets)})
        arrays = [np.asarray(d[()], dtype=np.float64) for d in datasets]
        options = {k: cfg[k] for k in ("units", "reset_after", "use_bias") if k in cfg}
        for key, default in (("activation", "tanh"), ("recurrent_activation", "sigmoid")):
            options[key] = activation_name(cfg.get(key, default), key, version, notes)
        weights = (cudnn_gru_weights(*arrays) if spec.cudnn  # tanh and sigmoid: cuDNN has no others
                   else GRUWeights.from_keras_arrays(arrays, **options))
    except InputError as e:
        raise InputError(_("GRU layer '{name}': {error}").format(name=cut(name), error=e)) from None
    return FoundGRU(name, weights, bool(cfg.get("go_backwards", False)), tuple(notes))


def activation_name(value, key: str, version: str, notes: list[str]) -> str:
    if value is None:
        return "linear"
    if isinstance(value, dict) and value.get("class_name") == "function":
        value = value.get("config")  # how some Keras versions serialise a built-in function
    if not isinstance(value, str) or value not in ACTIVATIONS or value == "hard_sigmoid_legacy":
        shown = repr(cut(value, 40)) if isinstance(value, str) else _("(a custom function)")
        known = ", ".join(name for name in ACTIVATIONS if name != "hard_sigmoid_legacy")  # Keras's names
        raise InputError(_("{key} {value} is not supported; gruviz knows {known}. Rebuild the layer with one of "
                           "these to explain it.").format(key=key, value=shown, known=known))
    if value == "hard_sigmoid" and version.split(".")[0] in ("1", "2"):
        notes.append(_("{key} 'hard_sigmoid' in a Keras {version} file meant clip(0.2x+0.5, 0, 1); read as "
                       "hard_sigmoid_legacy (Keras 3's hard_sigmoid is clip(x/6+0.5)).").format(
            key=key, version=cut(version, 20)))
        return "hard_sigmoid_legacy"
    return value
