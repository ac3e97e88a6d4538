"""A Keras model config (JSON data) and its arrays by layer name → a `Model`.

Only the classes below are read, and of each only the config keys that change what the
layer computes at inference; any other class is refused by name before anything runs.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..io.keras_config import activation_name
from ..math.lstm_weights import from_layer as lstm_from_layer
from ..math.weights import GRUWeights, as_finite_array
from ..text import _, ngettext
from . import layers as L
from .pipeline import Model
from .recurrent import MERGE_MODES, Bidirectional, Recurrent

SIMPLE = ("InputLayer", "Masking", "Embedding", "Dense", "TimeDistributed", "GlobalAveragePooling1D",
          "GlobalMaxPooling1D", "Flatten", "Activation", *L.IDENTITIES)
RECURRENT = ("GRU", "LSTM")
SUPPORTED = (*SIMPLE[:4], *RECURRENT, "Bidirectional(GRU)", "Bidirectional(LSTM)", "TimeDistributed(Dense)",
             *SIMPLE[5:])


class LayerRefused(InputError):
    """A layer gruviz does not compute; the message already names the layer."""


def refuse(name: str, kind: str) -> LayerRefused:
    return LayerRefused(_("layer '{name}' is a {kind}, which gruviz does not compute, so it did not read this "
                          "model and ran nothing from it. gruviz computes: {supported}.").format(
        name=name, kind=kind, supported=", ".join(SUPPORTED)))


def model_from_config(config, arrays: dict[str, list[np.ndarray]], version: str = "3") -> Model:
    """Parse a `model.to_json()` / `get_config()` description with each layer's arrays."""
    if not isinstance(config, dict):
        raise InputError(_("the model config must be a JSON object (what model.to_json() writes)."))
    kind = str(config.get("class_name", "Sequential"))
    body = config.get("config", config) if "class_name" in config else config
    if kind not in ("Sequential", "Functional", "Model") or not isinstance(body, dict):
        raise refuse(str(body.get("name", kind)) if isinstance(body, dict) else kind, kind)
    entries = body.get("layers")
    if not isinstance(entries, list) or not entries:
        raise InputError(_("the model config has no list of layers; is this a Keras model's config?"))
    if kind != "Sequential":
        entries = [e for e in entries if not _embedding_mask_op(e, entries)]
        _check_chain(entries, body)
    notes: list[str] = []
    layers = [_layer(entry, arrays, version, notes) for entry in entries]
    if not isinstance(layers[0], L.InputLayer):
        first = entries[0].get("config", {})
        shape = first.get("batch_input_shape") or first.get("batch_shape") or body.get("build_input_shape")
        layers.insert(0, L.InputLayer("input", _shape(shape), str(first.get("dtype", "float32"))
                                      if isinstance(first.get("dtype"), str) else "float32"))
    return Model(str(body.get("name", "model")), tuple(layers), tuple(notes))


def _shape(batch_shape) -> tuple:
    if not isinstance(batch_shape, list):
        return ()
    return tuple(s if isinstance(s, int) and not isinstance(s, bool) else None for s in batch_shape[1:])


def _names_in(node, found: list[str]) -> list[str]:
    """The layer names an inbound node refers to, in Keras 3 ("keras_history") or Keras 2 form."""
    if isinstance(node, dict):
        history = node.get("keras_history")
        if isinstance(history, list) and history and isinstance(history[0], str):
            found.append(history[0])
            return found
        for value in node.values():
            _names_in(value, found)
    elif isinstance(node, list):
        if len(node) >= 3 and isinstance(node[0], str) and isinstance(node[1], int):
            found.append(node[0])
        else:
            for value in node:
                _names_in(value, found)
    return found


def _embedding_mask_op(entry, entries: list) -> bool:
    """The `input != 0` node Keras 3 writes into a Functional config beside an
    Embedding(mask_zero=True): the mask that Embedding computes itself."""
    if not isinstance(entry, dict) or entry.get("class_name") != "NotEqual":
        return False
    nodes = entry.get("inbound_nodes")
    args = nodes[0].get("args") if isinstance(nodes, list) and nodes and isinstance(nodes[0], dict) else None
    return isinstance(args, list) and len(args) == 2 and args[1] == 0 and any(
        isinstance(e, dict) and e.get("class_name") == "Embedding" and (e.get("config") or {}).get("mask_zero")
        for e in entries)


def _inbound(entry: dict) -> set[str]:
    """The layers feeding an entry's input; a `mask=` argument is not an input."""
    nodes = entry.get("inbound_nodes")
    nodes = [n.get("args") if isinstance(n, dict) and "args" in n else n for n in nodes] \
        if isinstance(nodes, list) else nodes
    return set(_names_in(nodes, []))


def _check_chain(entries: list, body: dict) -> None:
    """A Functional model gruviz reads is one chain: one input, one output, each layer fed by the one before."""
    names = [str(e.get("config", {}).get("name", e.get("name"))) if isinstance(e, dict) else "?" for e in entries]
    ins, outs = _names_in(body.get("input_layers"), []), _names_in(body.get("output_layers"), [])
    if len(ins) != 1 or len(outs) != 1 or outs[0] != names[-1]:
        raise InputError(_("this model has {inputs} input(s) and {outputs} output(s); gruviz reads a model that is "
                           "one chain of layers from one input to one output.").format(
            inputs=len(ins), outputs=len(outs)))
    for previous, entry, name in zip(names, entries[1:], names[1:]):
        inbound = _inbound(entry)
        if inbound != {previous}:
            raise InputError(_("layer '{name}' takes its input from {inbound}, not from the layer before it "
                               "('{previous}'); gruviz reads a model that is one chain of layers.").format(
                name=name, inbound=sorted(inbound) or _("nothing"), previous=previous))


def _layer(entry, arrays: dict, version: str, notes: list[str]):
    if not isinstance(entry, dict) or not isinstance(entry.get("config"), dict):
        raise InputError(_("a layer entry in the model config has no 'config' object; the file may be damaged."))
    kind, cfg = str(entry.get("class_name")), entry["config"]
    name = str(cfg.get("name", kind.lower()))
    try:
        return _build(kind, name, cfg, arrays.get(name, []), version, notes)
    except LayerRefused:
        raise
    except InputError as e:
        raise InputError(_("layer '{name}' ({kind}): {error}").format(name=name, kind=kind, error=e)) from None


def _build(kind: str, name: str, cfg: dict, values: list, version: str, notes: list[str]):
    if kind == "InputLayer":
        dtype = cfg.get("dtype")
        return L.InputLayer(name, _shape(cfg.get("batch_shape") or cfg.get("batch_input_shape")),
                            dtype if isinstance(dtype, str) else "float32")
    if kind == "Masking":
        return L.Masking(name, float(cfg.get("mask_value", 0.0)))
    if kind == "Embedding":
        [table] = _arrays(values, 1, kind)
        return L.Embedding(name, table, bool(cfg.get("mask_zero", False)))
    if kind == "Dense":
        return _dense(name, cfg, values, version, notes)
    if kind == "TimeDistributed":
        inner = cfg.get("layer") if isinstance(cfg.get("layer"), dict) else {}
        if inner.get("class_name") != "Dense":
            raise refuse(name, f"TimeDistributed({inner.get('class_name', '?')})")
        return L.TimeDistributed(name, _dense(name, inner.get("config") or {}, values, version, notes))
    if kind in ("GlobalAveragePooling1D", "GlobalMaxPooling1D"):
        if cfg.get("data_format", "channels_last") != "channels_last" or cfg.get("keepdims", False):
            raise InputError(_("gruviz reads pooling with data_format='channels_last' and keepdims=False only."))
        return getattr(L, kind)(name)
    if kind == "Flatten":
        return L.Flatten(name)
    if kind == "Activation":
        return L.Activation(name, _head_activation(cfg.get("activation"), version, notes))
    if kind in L.IDENTITIES:
        return L.Identity(name, kind)
    if kind in RECURRENT:
        return _recurrent(kind, name, cfg, values, version, notes)
    if kind == "Bidirectional":
        return _bidirectional(name, cfg, values, version, notes)
    raise refuse(name, kind)


def _arrays(values: list, counts, kind: str) -> list[np.ndarray]:
    counts = (counts,) if isinstance(counts, int) else counts
    if len(values) not in counts:
        expected = str(counts[0]) if len(counts) == 1 else \
            _("{first} or {second}").format(first=counts[0], second=counts[1])
        raise InputError(ngettext("a {kind} has {expected} array but the file holds {found} for it; the file may be "
                                  "damaged, or its layer names differ from the config's.",
                                  "a {kind} has {expected} arrays but the file holds {found} for it; the file may be "
                                  "damaged, or its layer names differ from the config's.", counts[-1]).format(
            kind=kind, expected=expected, found=len(values)))
    return [as_finite_array(_("array {name}").format(name=i), v) for i, v in enumerate(values)]


def _head_activation(value, version: str, notes: list[str]) -> str:
    if value == "softmax" or (isinstance(value, dict) and value.get("config") == "softmax"):
        return "softmax"
    return activation_name(value, "activation", version, notes)


def _dense(name: str, cfg: dict, values: list, version: str, notes: list[str]) -> L.Dense:
    use_bias = cfg.get("use_bias", True) is not False
    parts = _arrays(values, 2 if use_bias else 1, "Dense")
    kernel = parts[0]
    bias = parts[1] if use_bias else None
    if kernel.ndim != 2 or (bias is not None and bias.shape != (kernel.shape[1],)):
        raise InputError(_("a Dense kernel is (in, out) with a bias (out,); the file holds {kernel} and "
                           "{bias}.").format(kernel=kernel.shape, bias=None if bias is None else bias.shape))
    return L.Dense(name, kernel, bias, _head_activation(cfg.get("activation", "linear"), version, notes))


def _recurrent(kind: str, name: str, cfg: dict, values: list, version: str, notes: list[str],
               zero_output_for_mask=None) -> Recurrent:
    if cfg.get("return_state"):
        raise InputError(_("return_state=True returns several tensors; gruviz reads a chain of single outputs."))
    options = {k: cfg[k] for k in ("units", "use_bias", "reset_after") if k in cfg and (kind == "GRU" or k != "reset_after")}
    for key, default in (("activation", "tanh"), ("recurrent_activation", "sigmoid")):
        options[key] = activation_name(cfg.get(key, default), key, version, notes)
    arrays = _arrays(values, (2, 3), kind)
    weights = GRUWeights.from_keras_arrays(arrays, **options) if kind == "GRU" else lstm_from_layer(arrays, options)
    zero = bool(cfg.get("zero_output_for_mask", False)) if zero_output_for_mask is None else zero_output_for_mask
    return Recurrent(name, kind, weights, bool(cfg.get("return_sequences", False)),
                     bool(cfg.get("go_backwards", False)), zero)


def _bidirectional(name: str, cfg: dict, values: list, version: str, notes: list[str]) -> Bidirectional:
    inner = cfg.get("layer") if isinstance(cfg.get("layer"), dict) else {}
    kind = inner.get("class_name")
    if kind not in RECURRENT:
        raise refuse(name, f"Bidirectional({kind or '?'})")
    merge_mode = cfg.get("merge_mode", "concat")
    if merge_mode not in MERGE_MODES:
        raise InputError(_("merge_mode {mode} is not one gruviz computes; it knows {known}.").format(
            mode=repr(merge_mode), known=", ".join(MERGE_MODES)))
    forward_cfg = inner.get("config") or {}
    backward = cfg.get("backward_layer") if isinstance(cfg.get("backward_layer"), dict) else None
    if backward is not None and backward.get("class_name") != kind:
        raise refuse(name, _("Bidirectional with a {kind} backward layer").format(kind=backward.get("class_name")))
    backward_cfg = (backward or {}).get("config") or {**forward_cfg, "go_backwards": not forward_cfg.get("go_backwards", False)}
    half = len(values) // 2
    # Keras forces zero_output_for_mask = return_sequences on both halves.
    zero = bool(forward_cfg.get("return_sequences", False))
    forward = _recurrent(kind, f"{name}/forward", forward_cfg, values[:half], version, notes, zero)
    backward_layer = _recurrent(kind, f"{name}/backward", backward_cfg, values[half:], version, notes, zero)
    return Bidirectional(name, forward, backward_layer, merge_mode)
