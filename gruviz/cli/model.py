"""`python -m gruviz model FILE --sequence SEQ [--keras] [--config model_config.json]`:
every layer's output of a whole Keras model on one sequence, as JSON."""

from __future__ import annotations

import argparse

from ..math import lstm_trace
from ..model.compare import compare
from ..model.counts import count
from ..model.files import read_model_path
from ..model.mistakes import TITLES, diagnose_model
from ..model.pipeline import ModelRun, parse_input, run
from ..model.recurrent import Bidirectional, Recurrent
from ..text import _
from .jsonout import trace_json


def add_to(commands) -> None:
    model = commands.add_parser("model", help=_("a whole Keras model, layer by layer, beside model.predict"))
    model.add_argument("file", help=_("a .keras, legacy .h5, or .weights.h5 file (with --config)"))
    model.add_argument("--sequence", required=True,
                       help=_("'1,2,9,8', '1 2; 3 4' or [[1],[2]]; token ids for an Embedding model"))
    model.add_argument("--config",
                       help=_("model_config.json (model.to_json()), needed with a .weights.h5 file"))
    model.add_argument("--keras", action="store_true",
                       help=_("also rebuild the model in Keras and run predict"))
    model.add_argument("--claimed-output",
                       help=_("the final output you got; the detective names whole-model mistakes"))


def _trace(cell: Recurrent, run_) -> dict:
    if cell.kind == "LSTM":
        return lstm_trace.trace_json(run_)
    return trace_json(run_)


def layer_json(step, steps: int) -> dict:
    layer, c = step.layer, count(step.layer, steps)
    kind = type(layer).__name__
    if kind == "Recurrent":
        kind = layer.kind
    elif kind == "Bidirectional":
        kind = f"Bidirectional({layer.forward.kind})"
    elif kind == "Identity":
        kind = layer.kind
    elif kind == "TimeDistributed":
        kind = "TimeDistributed(Dense)"
    out = {"name": layer.name, "class": kind, "output": step.output.tolist(), "params": c.params,
           "params_formula": c.filled}
    if c.note:
        out["params_note"] = c.note
    if step.mask is not None:
        out["mask"] = step.mask.astype(int).tolist()
    if isinstance(layer, Recurrent):
        out["trace"] = _trace(layer, step.runs[0])
    elif isinstance(layer, Bidirectional):
        out["trace"] = {"forward": _trace(layer.forward, step.runs[0]),
                        "backward": _trace(layer.backward, step.runs[1])}
    return out


def run_json(result: ModelRun, with_keras: bool = False) -> dict:
    steps = len(result.x)
    out = {"layers": [layer_json(step, steps) for step in result.steps], "output": result.output.tolist(),
           "total_params": sum(count(step.layer, steps).params for step in result.steps)}
    if result.model.notes:
        out["notes"] = list(result.model.notes)
    if with_keras:
        comparison = compare(result)
        out["keras_output"] = comparison.keras_output.tolist()
        out["max_abs_diff"] = comparison.max_abs_diff
    return out


def _model(args: argparse.Namespace) -> dict:
    model = read_model_path(args.file, args.config)
    result = run(model, parse_input(model, args.sequence))
    out = run_json(result, args.keras)
    if args.claimed_output is not None:
        diagnosis = diagnose_model(result, args.claimed_output)
        out["diagnosis"] = {"matches": diagnosis.matches, "explanations": [
            # the title is a sentence: in the reader's language once gruviz/model/mistakes.py marks it
            {"mistake": e.mistake, "title": _(TITLES[e.mistake]), "detail": e.detail,
             "max_abs_error": e.max_abs_error}
            for e in diagnosis.explanations]}
    return out


COMMANDS = {"model": _model}
