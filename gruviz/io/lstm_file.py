"""LSTM weights in the gruviz weights JSON: `"cell": "lstm"` beside the usual header.

    {"format": "gruviz-weights/1", "cell": "lstm", "layout": "keras",
     "config": {"units", "input_dim", "use_bias", "activation", "recurrent_activation"},
     "kernel": [[...]] (D, 4H), "recurrent_kernel": [[...]] (H, 4H), "bias": [...] (4H,)}

    {"format": "gruviz-weights/1", "cell": "lstm", "layout": "pytorch",
     "config": {"units", "input_dim", "activation", "recurrent_activation", "bias"},
     "weight_ih_l0": (4H, D), "weight_hh_l0": (4H, H), "bias_ih_l0": (4H,), "bias_hh_l0": (4H,)}

Column blocks i | f | c | o in Keras, rows i | f | g | o in PyTorch (`gruviz.layouts.lstm`).
A file without "cell" is a GRU and goes to `weights_file`.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import InputError
from ..limits import CLI, Limits
from ..layouts.lstm import PyTorchLSTM
from ..math.lstm_weights import LSTMConfig, LSTMWeights
from ..text import _
from . import weights_file
from .untrusted import loads as load_json, read_text

CELL = "lstm"
KERAS_CONFIG = ("units", "input_dim", "use_bias", "activation", "recurrent_activation")
PYTORCH_CONFIG = ("units", "input_dim", "activation", "recurrent_activation", "bias")
_HEADER = ("format", "cell", "layout", "config")


def is_lstm(data) -> bool:
    return isinstance(data, dict) and data.get("cell") == CELL


def from_dict(data) -> LSTMWeights:
    """Keras-layout LSTM weights from either layout, validated (PyTorch's biases folded exactly)."""
    if not isinstance(data, dict) or data.get("format") != weights_file.FORMAT:
        raise InputError(_('this is not a gruviz weights file: "format" must be "{format}".').format(
            format=weights_file.FORMAT))
    if data.get("cell") != CELL:
        raise InputError(_('this weights file holds no LSTM: "cell" must be "lstm".'))
    layout, config = data.get("layout", "keras"), data.get("config")
    if layout not in ("keras", "pytorch"):
        raise InputError(_('layout "{layout}" is unknown for an LSTM; use keras or pytorch.').format(layout=layout))
    if not isinstance(config, dict):
        raise InputError(_('the weights file needs a "config" object with units and input_dim.'))
    known = KERAS_CONFIG if layout == "keras" else PYTORCH_CONFIG
    unknown = sorted(set(config) - set(known))
    if unknown:
        raise InputError(_('unknown config key {key} for an LSTM in layout "{layout}"; known keys: {known}.').format(
            key=repr(unknown[0]), layout=layout, known=", ".join(known)))
    arrays = {k: v for k, v in data.items() if k not in _HEADER}
    options = dict(config)
    if layout == "pytorch":
        bias = options.pop("bias", "bias_ih_l0" in arrays or "bias_hh_l0" in arrays)
        options["use_bias"] = bias
    try:
        cfg = LSTMConfig(**options)
    except TypeError:
        raise InputError(_('the config needs at least "units" and "input_dim".')) from None
    if layout == "pytorch":
        return PyTorchLSTM.create(cfg, arrays).to_keras()
    unknown = sorted(set(arrays) - {"kernel", "recurrent_kernel", "bias"})
    if unknown:
        raise InputError(_("{key} is not an array of a Keras LSTM; its arrays are kernel, recurrent_kernel and "
                           "bias.").format(key=repr(unknown[0])))
    for key in ("kernel", "recurrent_kernel"):
        if key not in arrays:
            raise InputError(_('the weights file has no "{key}".').format(key=key))
    return LSTMWeights.create(cfg, arrays["kernel"], arrays["recurrent_kernel"], arrays.get("bias"))


def to_dict(weights: LSTMWeights, layout: str = "keras") -> dict:
    cfg = weights.config
    head = {"format": weights_file.FORMAT, "cell": CELL, "layout": layout}
    if layout == "pytorch":
        torch_layout = PyTorchLSTM.from_keras(weights)
        config = {k: getattr(cfg, k) for k in PYTORCH_CONFIG[:-1]} | {"bias": cfg.use_bias}
        return head | {"config": config} | {k: v.tolist() for k, v in torch_layout.arrays().items()}
    data = head | {"config": {k: getattr(cfg, k) for k in KERAS_CONFIG}}
    return data | {k: a.tolist() for k, a in zip(("kernel", "recurrent_kernel", "bias"), weights.keras_arrays())}


def dumps(weights: LSTMWeights, layout: str = "keras") -> str:
    return json.dumps(to_dict(weights, layout), indent=1)


def read(path: str | Path, limits: Limits = CLI):
    """The parsed JSON of a weights file, through the same guarded reader as a GRU's."""
    return load_json(read_text(path, _("a weights file"), limits.max_file_bytes), _("the weights file"), limits,
                     cap=limits.max_file_bytes)


def holds_lstm(path: str | Path) -> bool:
    """Whether a weights file says "cell": "lstm"; unreadable files are left to the GRU reader's messages."""
    try:
        return is_lstm(read(path))
    except InputError:
        return False


def load(path: str | Path, limits: Limits = CLI) -> LSTMWeights:
    weights = from_dict(read(path, limits))
    limits.check_layer(weights.config.units, weights.config.input_dim)
    return weights
