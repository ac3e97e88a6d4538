"""The gruviz weights JSON (`"format": "gruviz-weights/1"`), read and written.

    {"format": "gruviz-weights/1", "layout": "keras",
     "config": {"units", "input_dim", "reset_after", "use_bias", "activation", "recurrent_activation"},
     "kernel": [[...]], "recurrent_kernel": [[...]], "bias": [...]}

The bias is nested as Keras returns it and absent when use_bias is false. Other
layouts ("pytorch", "tf1", "dl4mt", "epynn", "wikipedia") hold their arrays under
the framework's own names, e.g. "weight_ih_l0" or "gates/kernel", beside a config
of units, input_dim, activation and recurrent_activation ("pytorch" adds "bias").

`loads`/`load`/`from_dict` return Keras weights for any layout (converted exactly);
`loads_any`/`load_any`/`from_dict_any` keep the file's own layout.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..math.cell import Convention
from ..errors import InputError
from ..limits import CLI, Limits
from ..layouts import LAYOUT_NAMES, LAYOUTS, LayoutConfig, LayoutWeights, PyTorchGRU, convert, title
from ..layouts.exact import ConversionRefused
from ..math.weights import GRUConfig, GRUWeights
from ..text import _, ngettext
from .untrusted import loads as load_json, read_text, shown

FORMAT = "gruviz-weights/1"
CONFIG_KEYS = ("units", "input_dim", "reset_after", "use_bias", "activation", "recurrent_activation")
LAYOUT_CONFIG_KEYS = ("units", "input_dim", "activation", "recurrent_activation")
_EXTRA_CONFIG = {"pytorch": ("bias",)}  # nn.GRU(bias=False) has no bias arrays
_HEADER = ("format", "layout", "config")


def to_dict(weights: GRUWeights) -> dict:
    cfg = weights.config
    data = {
        "format": FORMAT,
        "layout": "keras",
        "config": {key: getattr(cfg, key) for key in CONFIG_KEYS},
        "kernel": weights.kernel.tolist(),
        "recurrent_kernel": weights.recurrent_kernel.tolist(),
    }
    if weights.bias is not None:
        data["bias"] = weights.bias.tolist()
    return data


def to_dict_any(weights: LayoutWeights) -> dict:
    """Any layout as JSON data, its arrays under the framework's names."""
    if isinstance(weights, GRUWeights):
        return to_dict(weights)
    config = {key: getattr(weights.config, key) for key in LAYOUT_CONFIG_KEYS}
    if isinstance(weights, PyTorchGRU):
        config["bias"] = weights.bias
    data = {"format": FORMAT, "layout": weights.NAME, "config": config}
    data.update({key: array.tolist() for key, array in weights.arrays().items()})
    data.update(getattr(weights, "attributes", dict)())  # an ONNX node's linear_before_reset, direction, layout
    return data


def dumps(weights: GRUWeights) -> str:
    return json.dumps(to_dict(weights), indent=1)


def dumps_any(weights: LayoutWeights) -> str:
    return json.dumps(to_dict_any(weights), indent=1)


def from_dict_any(data) -> LayoutWeights:
    """Weights in the file's own layout, validated."""
    if not isinstance(data, dict):
        raise InputError(_("a weights file must be a JSON object with format, layout, config and the arrays."))
    if data.get("format") != FORMAT:
        raise InputError(_('this is not a gruviz weights file: "format" must be "{format}".').format(format=FORMAT))
    if data.get("cell", "gru") != "gru":  # LSTMs are read by gruviz.io.lstm_file
        raise InputError(_('this weights file holds an LSTM ("cell": "lstm"); only trace reads LSTM weights, '
                           'the other commands explain GRUs.') if data.get("cell") == "lstm" else
                         _('"cell" must be "gru" (the default) or "lstm".'))
    layout = data.get("layout", "keras")
    if layout not in LAYOUT_NAMES:
        raise InputError(_("layout {layout} is unknown; use one of {names}.").format(
            layout=shown(json.dumps(layout)), names=", ".join(LAYOUT_NAMES)))
    config = data.get("config")
    if not isinstance(config, dict):
        raise InputError(_('the weights file needs a "config" object with units and input_dim.'))
    for key in ("activation", "recurrent_activation"):
        if key in config and not isinstance(config[key], str):
            raise InputError(_('config {key} must be a name like "tanh", got {value}.').format(
                key=key, value=shown(json.dumps(config[key]))))
    if layout == "keras":
        return _keras_from_dict(data, config)
    known = LAYOUT_CONFIG_KEYS + _EXTRA_CONFIG.get(layout, ())
    unknown = sorted(set(config) - set(known))
    if unknown:
        raise InputError(_('unknown config key {key} for layout "{layout}"; known keys: {known}.').format(
            key=shown(unknown[0]), layout=layout, known=", ".join(known)))
    try:
        cfg = LayoutConfig(**{key: config[key] for key in LAYOUT_CONFIG_KEYS if key in config})
    except TypeError:
        raise InputError(_('the config needs at least "units" and "input_dim".')) from None
    arrays = {key: value for key, value in data.items() if key not in _HEADER}
    if layout == "pytorch":
        _check_pytorch_bias(config, arrays)
    return LAYOUTS[layout].from_arrays(cfg, arrays)


def _check_pytorch_bias(config: dict, arrays: dict) -> None:
    bias = config.get("bias", "bias_ih_l0" in arrays or "bias_hh_l0" in arrays)
    if not isinstance(bias, bool):
        raise InputError(_("config bias must be true or false, got {value}.").format(value=shown(json.dumps(bias))))
    names = [key for key in ("bias_ih_l0", "bias_hh_l0") if (key in arrays) != bias]
    if not names:
        return
    listed = names[0] if len(names) == 1 else _("{first} and {second}").format(first=names[0], second=names[1])
    if bias:
        raise InputError(ngettext("config bias is true but {names} is missing: nn.GRU(bias=True) has bias_ih_l0 "
                                  "and bias_hh_l0, each (3·units,).",
                                  "config bias is true but {names} are missing: nn.GRU(bias=True) has bias_ih_l0 "
                                  "and bias_hh_l0, each (3·units,).", len(names)).format(names=listed))
    raise InputError(ngettext("config bias is false but the file has {names}; remove it or set bias to true.",
                              "config bias is false but the file has {names}; remove them or set bias to true.",
                              len(names)).format(names=listed))


def _keras_from_dict(data: dict, config: dict) -> GRUWeights:
    unknown = sorted(set(config) - set(CONFIG_KEYS))
    if unknown:
        raise InputError(_("unknown config key {key}; known keys: {known}.").format(
            key=shown(unknown[0]), known=", ".join(CONFIG_KEYS)))
    for key in ("kernel", "recurrent_kernel"):
        if key not in data:
            raise InputError(_('the weights file has no "{key}".').format(key=key))
    try:
        cfg = GRUConfig(**config)
    except TypeError:
        raise InputError(_('the config needs at least "units" and "input_dim".')) from None
    return GRUWeights.create(cfg, data["kernel"], data["recurrent_kernel"], data.get("bias"))


def as_keras(weights: LayoutWeights) -> GRUWeights:
    """Keras weights computing exactly what `weights` compute under Keras's update rule."""
    if isinstance(weights, GRUWeights):
        return weights
    converted = convert(weights, "keras")
    if converted.convention is not Convention.KERAS:
        raise ConversionRefused(_(
            "this {framework} file's gates use {activation}, for which no Keras weights compute its update rule "
            "h = (1−z)⊙h' + z⊙h~ under Keras's; convert it with --to keras --keep-rule and trace the result with "
            "--convention bahdanau.").format(framework=title(weights.NAME),
                                             activation=weights.config.recurrent_activation))
    return converted.weights


def from_dict(data) -> GRUWeights:
    return as_keras(from_dict_any(data))


def _parse(text: str, limits: Limits):
    return load_json(text, _("the weights file"), limits, cap=limits.max_file_bytes)


def _read(path: str | Path, limits: Limits) -> str:
    return read_text(path, _("a weights file"), limits.max_file_bytes)


def _within(weights: LayoutWeights, limits: Limits) -> LayoutWeights:
    """The core caps hold for every config; `limits` may be tighter (the app's)."""
    limits.check_layer(weights.config.units, weights.config.input_dim)
    return weights


def loads(text: str, limits: Limits = CLI) -> GRUWeights:
    return _within(from_dict(_parse(text, limits)), limits)


def loads_any(text: str, limits: Limits = CLI) -> LayoutWeights:
    return _within(from_dict_any(_parse(text, limits)), limits)


def load(path: str | Path, limits: Limits = CLI) -> GRUWeights:
    return loads(_read(path, limits), limits)


def load_any(path: str | Path, limits: Limits = CLI) -> LayoutWeights:
    return loads_any(_read(path, limits), limits)
