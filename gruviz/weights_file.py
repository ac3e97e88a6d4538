"""The gruviz weights JSON (`"format": "gruviz-weights/1"`), read and written.

    {"format": "gruviz-weights/1", "layout": "keras",
     "config": {"units", "input_dim", "reset_after", "use_bias", "activation", "recurrent_activation"},
     "kernel": [[...]], "recurrent_kernel": [[...]], "bias": [...]}

The bias is nested as Keras returns it and absent when use_bias is false.
"""

from __future__ import annotations

import json
from pathlib import Path

from .errors import InputError
from .weights import GRUConfig, GRUWeights

FORMAT = "gruviz-weights/1"
CONFIG_KEYS = ("units", "input_dim", "reset_after", "use_bias", "activation", "recurrent_activation")


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


def dumps(weights: GRUWeights) -> str:
    return json.dumps(to_dict(weights), indent=1)


def from_dict(data) -> GRUWeights:
    if not isinstance(data, dict):
        raise InputError("a weights file must be a JSON object with format, config, kernel and recurrent_kernel.")
    if data.get("format") != FORMAT:
        raise InputError(f'this is not a gruviz weights file: "format" must be "{FORMAT}".')
    layout = data.get("layout", "keras")
    if layout != "keras":
        raise InputError(f'layout "{layout}" is not supported; use "keras".')
    config = data.get("config")
    if not isinstance(config, dict):
        raise InputError('the weights file needs a "config" object with units and input_dim.')
    unknown = sorted(set(config) - set(CONFIG_KEYS))
    if unknown:
        raise InputError(f"unknown config key {unknown[0]!r}; known keys: {', '.join(CONFIG_KEYS)}.")
    for key in ("kernel", "recurrent_kernel"):
        if key not in data:
            raise InputError(f'the weights file has no "{key}".')
    try:
        cfg = GRUConfig(**config)
    except TypeError:
        raise InputError('the config needs at least "units" and "input_dim".') from None
    return GRUWeights.create(cfg, data["kernel"], data["recurrent_kernel"], data.get("bias"))


def loads(text: str) -> GRUWeights:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(f"the weights file is not valid JSON ({error.msg}, line {error.lineno}).") from None
    return from_dict(data)


def load(path: str | Path) -> GRUWeights:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(f"cannot read {path}: {error.strerror or error}.") from None
    except UnicodeDecodeError:
        raise InputError(f"{path} is not a text file; a weights file is JSON.") from None
    return loads(text)
