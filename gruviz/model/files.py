"""A whole model from an uploaded or named file: the arrays and config are read in the
bounded child (`gruviz.io.sandbox`, kind "model"), then parsed here as data."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import InputError
from ..io.keras_config import config_json
from ..io.sandbox import FileRefused, rebuilding, run_child
from ..io.untrusted import read_text
from ..limits import CLI, Limits
from ..text import N_, _
from .parse import model_from_config
from .pipeline import Model
from .recurrent import Bidirectional, Recurrent

NEEDS_CONFIG = N_("a .weights.h5 file holds the arrays only: give the model's config too, the JSON of "
                  "model.to_json() (--config model_config.json).")  # said with _(NEEDS_CONFIG)


def read_model(data: bytes, filename: str, config_text: str | None = None, limits: Limits = CLI) -> Model:
    """The model in `data` (.keras, legacy .h5, or .weights.h5 with `config_text`)."""
    header, arrays = run_child("model", data, filename, limits)
    with rebuilding():
        items = header["items"]
        config = items[0]["config"]
        by_name = {}
        for i, item in enumerate(items[1:], start=1):
            count = sum(1 for key in arrays if key.split(".")[0] == str(i))
            by_name[str(item["name"])] = [np.asarray(arrays[f"{i}.{j}"]) for j in range(count)]
    if config_text is not None:
        config = config_json(config_text, _("the model config"))
    if config is None:
        raise FileRefused(_(NEEDS_CONFIG), "refused")
    version = str(config.pop("keras_version", "3")) if isinstance(config, dict) else "3"
    model = model_from_config(config, by_name, version)
    check_limits(model, limits)
    return model


def read_model_path(path: str, config_path: str | None = None, limits: Limits = CLI) -> Model:
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise InputError(_("cannot read {path}: {error}.").format(path=path, error=e.strerror or e)) from None
    config_text = None if config_path is None else read_text(config_path, _("the model config"),
                                                             limits.max_file_bytes)
    return read_model(data, Path(path).name, config_text, limits)


def check_limits(model: Model, limits: Limits) -> None:
    for layer in model.layers:
        halves = (layer.forward, layer.backward) if isinstance(layer, Bidirectional) else \
            (layer,) if isinstance(layer, Recurrent) else ()
        for cell in halves:
            try:
                limits.check_layer(cell.weights.config.units, cell.weights.config.input_dim)
            except InputError as e:
                raise InputError(_("layer '{name}': {error}").format(name=cell.name, error=e)) from None
