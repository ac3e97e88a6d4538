"""The model as gruviz read it, handed to Keras as plain recipes (never the file), and
Keras's `model.predict` beside gruviz's output."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import layers as L
from .pipeline import Model, ModelRun
from .recurrent import Bidirectional, Recurrent


@dataclass(frozen=True, eq=False)
class KerasComparison:
    keras_output: np.ndarray
    max_abs_diff: float
    max_rel_diff: float


def _cell(layer: Recurrent) -> tuple:
    cfg = layer.weights.config
    kwargs = dict(units=cfg.units, activation=cfg.activation, recurrent_activation=cfg.recurrent_activation,
                  use_bias=cfg.use_bias, return_sequences=layer.return_sequences, go_backwards=layer.go_backwards,
                  zero_output_for_mask=layer.zero_output_for_mask)
    if layer.kind == "GRU":
        kwargs["reset_after"] = cfg.reset_after
    return layer.kind, kwargs, None


def _dense(layer: L.Dense) -> tuple:
    return "Dense", dict(units=layer.kernel.shape[1], activation=layer.activation,
                         use_bias=layer.bias is not None), None


def recipe(layer) -> tuple:
    """(Keras class name, the config keys gruviz understands, wrapped recipe)."""
    if isinstance(layer, Recurrent):
        return _cell(layer)
    if isinstance(layer, Bidirectional):
        return "Bidirectional", dict(merge_mode=layer.merge_mode), (_cell(layer.forward), _cell(layer.backward))
    if isinstance(layer, L.Dense):
        return _dense(layer)
    if isinstance(layer, L.TimeDistributed):
        return "TimeDistributed", {}, _dense(layer.layer)
    if isinstance(layer, L.Embedding):
        V, d = layer.embeddings.shape
        return "Embedding", dict(input_dim=V, output_dim=d, mask_zero=layer.mask_zero), None
    if isinstance(layer, L.Masking):
        return "Masking", dict(mask_value=layer.mask_value), None
    if isinstance(layer, L.Activation):
        return "Activation", dict(activation=layer.activation), None
    if isinstance(layer, L.Identity):
        rate = {"GaussianNoise": "stddev"}.get(layer.kind, "rate")
        return layer.kind, {rate: 0.1}, None
    return type(layer).__name__, {}, None


def weights(layer) -> list[np.ndarray]:
    """The layer's arrays in get_weights() order."""
    if isinstance(layer, Recurrent):
        return layer.weights.keras_arrays()
    if isinstance(layer, Bidirectional):
        return weights(layer.forward) + weights(layer.backward)
    if isinstance(layer, L.TimeDistributed):
        return weights(layer.layer)
    if isinstance(layer, L.Dense):
        return [layer.kernel] + ([] if layer.bias is None else [layer.bias])
    if isinstance(layer, L.Embedding):
        return [layer.embeddings]
    return []


def keras_predict(model: Model, x: np.ndarray) -> np.ndarray:
    from ..io.keras_model_bridge import predict

    body = [layer for layer in model.layers if not isinstance(layer, L.InputLayer)]
    dtype = "int32" if model.takes_ids else "float32"
    shape = (None,) if model.takes_ids else (None, model.input_dim)
    if model.input is not None and len(model.input.shape) == len(shape):
        shape = model.input.shape  # a fixed length matters to a Flatten
    arrays = [a for layer in body for a in weights(layer)]
    return predict(shape, dtype, [recipe(layer) for layer in body], arrays, x)


def compare(run: ModelRun) -> KerasComparison:
    theirs = keras_predict(run.model, run.x)
    ours = run.output
    diff = np.abs(theirs - ours)
    return KerasComparison(theirs, float(diff.max()), float((diff / np.maximum(np.abs(theirs), 1e-6)).max()))
