"""The GRU weights file's commands: trace, diagnose, backward, convert.

    python -m gruviz trace WEIGHTS.json --sequence SEQ [--h0 V] [--convention keras|bahdanau]
                                        [--go-backwards] [--mask M] [--keras]
    python -m gruviz diagnose WEIGHTS.json --sequence SEQ (--claimed-output V | --claimed-steps FILE.json)
    python -m gruviz backward WEIGHTS.json --sequence SEQ [--loss sum|mse|mse_all] [--target V] [...]
    python -m gruviz convert WEIGHTS.json --to LAYOUT [--keep-rule | --negate-z] [--sequence SEQ]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..explain.claims import parse_output_claim, parse_step_claims
from ..explain.detective import diagnose, diagnosis_json
from ..explain.mistakes import Setup
from ..io import weights_file
from ..io.parsing import parse_mask, parse_sequence, parse_target, parse_vector
from ..io.untrusted import read_text
from ..layouts import LAYOUT_NAMES, convert, prove, to_keras
from ..limits import CLI
from ..math.backward import LOSSES, backward, backward_json
from ..math.cell import Convention
from ..text import _
from . import lstm
from .jsonout import proved, rows, trace_json


def add_to(commands) -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    """The four commands' options; returns `trace` and `convert`, which the ONNX paths extend."""
    trace = _run_options(commands.add_parser("trace", help=_("every intermediate value of a forward pass")))
    trace.add_argument("--keras", action="store_true", help=_("also run a real keras.layers.GRU (or LSTM)"))
    trace.add_argument("--c0",
                       help=_("LSTM weights only: initial cell state, one value per unit (default zeros)"))
    diagnosing = _run_options(commands.add_parser("diagnose", help=_("why a hand calculation disagrees")))
    claimed = diagnosing.add_mutually_exclusive_group(required=True)
    claimed.add_argument("--claimed-output", help=_("the final output you got, one value per unit"))
    claimed.add_argument("--claimed-steps", help=_('a JSON file: [{"t": 0, "z": [...], "h": [...]}, ...]'))
    backwards = _run_options(commands.add_parser("backward", help=_("BPTT gradients, step by step")))
    backwards.add_argument("--loss", choices=list(LOSSES), default="sum")
    backwards.add_argument("--target",
                           help=_("mse: one value per unit; mse_all: a sequence of units-wide steps"))
    converting = commands.add_parser("convert", help=_("the same GRU in another framework's layout"))
    converting.add_argument("weights", help=_("a gruviz-weights/1 JSON file in any layout"))
    converting.add_argument("--to", required=True, choices=LAYOUT_NAMES)
    rule = converting.add_mutually_exclusive_group()
    rule.add_argument("--keep-rule", action="store_true",
                      help=_("Wikipedia <-> others: keep the arrays and the rule"))
    rule.add_argument("--negate-z", action="store_true", help=_("Wikipedia <-> others: negate z's parameters"))
    converting.add_argument("--sequence",
                            help=_("the input the conversion is proved on (default: 10 random steps)"))
    return trace, converting


def _run_options(command: argparse.ArgumentParser) -> argparse.ArgumentParser:
    command.add_argument("weights", help=_("a gruviz-weights/1 JSON file"))
    command.add_argument("--sequence", required=True, help=_("'1,2,9,8', '1 2; 3 4' or [[1],[2]]"))
    command.add_argument("--h0", help=_("initial state, one value per unit (default zeros)"))
    command.add_argument("--convention", choices=[c.value for c in Convention], default="keras")
    command.add_argument("--go-backwards", action="store_true")
    command.add_argument("--mask", help=_("one 1/0 per timestep; 0 skips the step"))
    return command


def _setup(args) -> Setup:
    weights = weights_file.load(args.weights)
    cfg = weights.config
    x = parse_sequence(args.sequence, cfg.input_dim)
    h0 = parse_vector(args.h0, "--h0", cfg.units) if args.h0 is not None else None
    mask = parse_mask(args.mask, len(x)) if args.mask is not None else None
    return Setup(weights, x, h0, Convention(args.convention), args.go_backwards, mask)


def _trace(args) -> dict:
    if lstm.holds_lstm(args):
        return lstm.trace(args)
    lstm.refuse_c0(args)
    setup = _setup(args)
    trace = setup.run()
    result = trace_json(trace)
    if args.keras:
        from ..io.keras_bridge import run_keras

        keras_run = run_keras(setup.weights, setup.x, setup.h0, setup.go_backwards, setup.mask)
        result["keras"] = {
            "output": rows(keras_run.output),
            "sequence_output": rows(keras_run.sequence_output),
            "max_abs_diff": float(np.abs(keras_run.sequence_output - trace.sequence_output).max()),
            "keras_version": keras_run.version,
        }
    return result


def _diagnose(args) -> dict:
    setup = _setup(args)
    units, steps = setup.weights.config.units, len(setup.x)
    if args.claimed_output is not None:
        claims = parse_output_claim(args.claimed_output, units)
    else:
        text = read_text(Path(args.claimed_steps), _("the claimed steps"), CLI.max_file_bytes)
        claims = parse_step_claims(text, units, steps)
    return diagnosis_json(diagnose(setup, claims))


def _convert(args) -> dict:
    """The converted weights file on stdout; how it was done and its proof on stderr."""
    source = weights_file.load_any(args.weights)
    keep_rule = True if args.keep_rule else False if args.negate_z else None
    converted = convert(source, args.to, keep_rule)
    input_dim = to_keras(source)[0].config.input_dim
    if args.sequence is None:
        x = np.random.default_rng(0).normal(size=(10, input_dim))
    else:
        x = parse_sequence(args.sequence, input_dim)
    difference = prove(source, converted, x)
    for note in converted.notes:
        print(f"gruviz: {note}", file=sys.stderr)
    print(f"gruviz: {proved(len(x), difference)}", file=sys.stderr)
    return weights_file.to_dict_any(converted.weights)


def _backward(args) -> dict:
    setup = _setup(args)
    target = parse_target(args.target, args.loss, setup.weights.config.units, len(setup.x))
    grads = backward(setup.run(), args.loss, target)
    if not grads.finite:
        raise InputError(_("the values grew past float64's range, so the gradients are not numbers; "
                           "use smaller weights or bounded activations."))
    return backward_json(grads)


COMMANDS = {"trace": _trace, "diagnose": _diagnose, "convert": _convert, "backward": _backward}
