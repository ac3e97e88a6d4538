"""Whole-model mistakes: when a claimed final output is not the model's, rerun the model
the way a person who made a known mistake would have, through the same layer functions,
and name the runs that reproduce the claim."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterator

import numpy as np

from ..errors import InputError
from ..explain.claims import Typed
from ..io.untrusted import check_length
from ..limits import CLI
from ..text import N_, _
from . import layers as L
from .pipeline import ModelRun, apply, run
from .recurrent import Bidirectional, Recurrent, merge

# Shown in the reader's language with _(TITLES[mistake]).
TITLES = {
    "head_forgotten": N_("the Dense head forgotten: a recurrent layer's h reported as the prediction"),
    "first_step_pooled": N_("only the first step's output pooled (the Theano scan `rval[0]` bug)"),
    "last_step_instead_of_pooling": N_("the last step taken where the model pools"),
    "pooled_instead_of_last_step": N_("the steps averaged where the model takes the last one"),
    "bidirectional_order_swapped": N_("the Bidirectional halves concatenated as [backward, forward]"),
    "backward_not_flipped": N_("the Bidirectional backward half not flipped back into input order"),
    "return_sequences_confused": N_("return_sequences confused"),
    "embedding_off_by_one": N_("Embedding rows off by one"),
}


@dataclass(frozen=True)
class ModelExplanation:
    mistake: str
    detail: str
    max_abs_error: float


@dataclass(frozen=True, eq=False)
class ModelDiagnosis:
    matches: bool
    expected: np.ndarray
    explanations: tuple[ModelExplanation, ...]  # the variants that reproduce the claim


def _continue(run_: ModelRun, start: int, value: np.ndarray, mask) -> np.ndarray:
    """The model's remaining layers (from index `start`) on a replaced value."""
    for layer in run_.model.layers[start:]:
        step = apply(layer, value, mask)
        value, mask = step.output, step.mask
    return value


def _variants(r: ModelRun) -> Iterator[tuple[str, str, np.ndarray]]:
    layers = r.model.layers
    last = len(layers) - 1
    for i, (layer, step) in enumerate(zip(layers, r.steps)):
        if isinstance(layer, (Recurrent, Bidirectional)) and i < last:
            yield "head_forgotten", _("reported the output of '{name}'").format(name=layer.name), step.output
            if step.output.ndim == 2:
                yield ("head_forgotten", _("reported the last step of '{name}'").format(name=layer.name),
                       step.output[-1])
        if isinstance(layer, (L.GlobalAveragePooling1D, L.GlobalMaxPooling1D)):
            seq = step.input  # (T, F)
            yield ("first_step_pooled", _("'{name}' given only step 0").format(name=layer.name),
                   _continue(r, i + 1, seq[0], None))
            yield ("last_step_instead_of_pooling", _("took the last step instead of '{name}'").format(name=layer.name),
                   _continue(r, i + 1, seq[-1], None))
        if isinstance(layer, (Recurrent, Bidirectional)):
            yield from _recurrent_variants(r, i, layer, step)
        if isinstance(layer, L.Embedding):
            for shift in (1, -1):
                ids = r.x.astype(int) + shift
                if ids.min() >= 0 and ids.max() < len(layer.embeddings):
                    yield ("embedding_off_by_one", _("read row {row} of '{name}'").format(
                               row=f"id{shift:+d}", name=layer.name),
                           run(r.model, ids).output)


def _recurrent_variants(r: ModelRun, i: int, layer, step) -> Iterator[tuple[str, str, np.ndarray]]:
    mask_in = r.steps[i - 1].mask if i else None
    if not layer.return_sequences:
        # pooled where the model takes the last step: average its whole sequence instead
        seq = apply(_with_sequences(layer, True), step.input, mask_in).output  # (T, H)
        yield ("pooled_instead_of_last_step", _("averaged the steps of '{name}'").format(name=layer.name),
               _continue(r, i + 1, seq.mean(axis=0), None))
    toggled = _with_sequences(layer, not layer.return_sequences)
    try:
        s = apply(toggled, step.input, mask_in)
        yield ("return_sequences_confused", _("'{name}' with {setting}").format(
                   name=layer.name, setting=f"return_sequences={toggled.return_sequences}"),
               _continue(r, i + 1, s.output, s.mask))
    except (InputError, ValueError, IndexError):
        pass  # the rest of the model cannot take it: not a mistake that yields a number
    if isinstance(layer, Bidirectional):
        forward, backward = (run_.sequence_output if layer.return_sequences else run_.output for run_ in step.runs)
        aligned = backward[::-1] if layer.return_sequences else backward
        if layer.merge_mode == "concat":
            yield ("bidirectional_order_swapped", _("'{name}' as [backward, forward]").format(name=layer.name),
                   _continue(r, i + 1, merge("concat", aligned, forward), step.mask))
        if layer.return_sequences:
            yield ("backward_not_flipped",
                   _("'{name}' merged without flipping the backward half").format(name=layer.name),
                   _continue(r, i + 1, merge(layer.merge_mode, forward, backward), step.mask))


def _with_sequences(layer, on: bool):
    if isinstance(layer, Bidirectional):
        return replace(layer, forward=replace(layer.forward, return_sequences=on, zero_output_for_mask=on),
                       backward=replace(layer.backward, return_sequences=on, zero_output_for_mask=on))
    return replace(layer, return_sequences=on)


def diagnose_model(r: ModelRun, claimed: str) -> ModelDiagnosis:
    """Does the claimed final output match, and if not, which whole-model mistakes reproduce it?"""
    check_length(claimed, _("the claimed output"), CLI)
    words = claimed.translate(str.maketrans(",;[]", "    ")).split()  # a vector or a sequence, flattened
    if not words:
        raise InputError(_("the claimed output is empty; type the numbers your model printed."))
    typed = Typed.parse(words, _("the claimed output"))  # every word checked as a number, with its precision
    expected = r.output.reshape(-1)
    if typed.values.shape == expected.shape and typed.matches(expected):
        return ModelDiagnosis(True, expected, ())
    found = []
    with np.errstate(all="ignore"):
        for mistake, detail, output in _variants(r):
            output = np.asarray(output, dtype=float).reshape(-1)
            if output.shape == typed.values.shape and typed.matches(output):
                found.append(ModelExplanation(mistake, detail, typed.error(output)))
    return ModelDiagnosis(False, expected, tuple(found))
