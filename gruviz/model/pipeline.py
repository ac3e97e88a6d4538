"""A whole model as a chain of layers, run on one sequence with every layer's output kept."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..io.parsing import parse_sequence
from ..limits import CLI, Limits
from ..text import _
from . import layers as L
from .recurrent import Bidirectional, Recurrent, bidirectional, recurrent


@dataclass(frozen=True, eq=False)
class Model:
    name: str
    layers: tuple  # InputLayer first, then the layers of `layers.FORWARD`, Recurrent, Bidirectional
    notes: tuple[str, ...] = ()

    @property
    def first(self):
        """The first layer that computes something: it decides what the input is."""
        return next((layer for layer in self.layers if not isinstance(layer, L.InputLayer)), None)

    @property
    def input(self) -> L.InputLayer | None:
        return next((layer for layer in self.layers if isinstance(layer, L.InputLayer)), None)

    @property
    def takes_ids(self) -> bool:
        return isinstance(self.first, L.Embedding)

    @property
    def input_dim(self) -> int:
        """Features per timestep of the input (1 for token ids)."""
        if self.takes_ids:
            return 1
        shape = self.input.shape if self.input else ()
        if shape and isinstance(shape[-1], int):
            return shape[-1]
        for layer in self.layers:
            if isinstance(layer, Recurrent):
                return layer.weights.config.input_dim
            if isinstance(layer, Bidirectional):
                return layer.forward.weights.config.input_dim
            if isinstance(layer, (L.Dense, L.TimeDistributed)):
                return (layer.layer if isinstance(layer, L.TimeDistributed) else layer).kernel.shape[0]
        raise InputError(_("this model does not say how many features each timestep has."))

    def recurrent_layers(self) -> list[int]:
        return [i for i, layer in enumerate(self.layers) if isinstance(layer, (Recurrent, Bidirectional))]


@dataclass(frozen=True, eq=False)
class Step:
    """One layer's result on this sequence."""

    layer: object
    input: np.ndarray  # what it received (T, F) or (F,)
    output: np.ndarray  # (T, F) or (F,)
    mask: np.ndarray | None  # the mask it passes on, (T,)
    runs: tuple = ()  # the cell traces of a GRU/LSTM (one) or Bidirectional (forward, backward)


@dataclass(frozen=True, eq=False)
class ModelRun:
    model: Model
    x: np.ndarray  # (T, D) floats or (T,) token ids
    steps: tuple[Step, ...]

    @property
    def output(self) -> np.ndarray:
        return self.steps[-1].output


def apply(layer, x: np.ndarray, mask) -> Step:
    """One layer on what the previous one produced."""
    if isinstance(layer, Recurrent):
        out, out_mask, run = recurrent(layer, _sequence(layer, x), mask)
        return Step(layer, x, out, out_mask, (run,))
    if isinstance(layer, Bidirectional):
        out, out_mask, runs = bidirectional(layer, _sequence(layer, x), mask)
        return Step(layer, x, out, out_mask, runs)
    if isinstance(layer, (L.GlobalAveragePooling1D, L.GlobalMaxPooling1D)) and x.ndim != 2:
        raise InputError(_("layer '{name}' pools over timesteps but receives a single vector {shape}.").format(
            name=layer.name, shape=x.shape))
    out, out_mask = L.FORWARD[type(layer)](layer, x, mask)
    return Step(layer, x, out, out_mask)


def _sequence(layer, x: np.ndarray) -> np.ndarray:
    if x.ndim != 2:
        raise InputError(_("layer '{name}' needs a sequence (timesteps, features) but receives a single vector "
                           "{shape}: does the layer before it need return_sequences=True?").format(
            name=layer.name, shape=x.shape))
    return x


def run(model: Model, x) -> ModelRun:
    """Every layer's output on x: (T, D) floats, or (T,) integer ids for an Embedding model."""
    x = np.asarray(x, dtype=np.float64)
    value, mask, steps = x, None, []
    for layer in model.layers:
        step = apply(layer, value, mask)
        steps.append(step)
        value, mask = step.output, step.mask
    return ModelRun(model, x, tuple(steps))


def parse_input(model: Model, text: str, limits: Limits = CLI) -> np.ndarray:
    """The text of a sequence, read as the first layer expects: token ids (T,) for an
    Embedding, otherwise (T, D) floats."""
    if not model.takes_ids:
        return parse_sequence(text, model.input_dim, limits)
    ids = parse_sequence(text, 1, limits)[:, 0]  # (T,)
    vocabulary = model.first.embeddings.shape[0]
    if not np.all(ids == np.round(ids)):
        bad = ids[ids != np.round(ids)][0]
        raise InputError(_("this model starts with an Embedding, so the sequence holds token ids (whole numbers "
                           "such as 3,1,4); {value} is not one.").format(value=bad))
    if ids.min() < 0 or ids.max() >= vocabulary:
        bad = ids[(ids < 0) | (ids >= vocabulary)][0]
        raise InputError(_("token id {id} is outside the Embedding's {rows} rows (ids 0 to {last}).").format(
            id=int(bad), rows=vocabulary, last=vocabulary - 1))
    return ids
