"""The command line's LSTM side: `trace` of an LSTM weights file, and `params`.

    python -m gruviz trace LSTM.json --sequence SEQ [--h0 V] [--c0 V] [--go-backwards] [--mask M] [--keras]
    python -m gruviz params --units H --input-dim D [--no-bias]

`main` registers these; bad input raises InputError like every other command."""

from __future__ import annotations

import argparse

import numpy as np

from ..errors import InputError
from ..io import lstm_file
from ..io.parsing import parse_mask, parse_sequence, parse_vector
from ..math.lstm_trace import run, trace_json
from ..math.params import Counts
from ..text import _


def holds_lstm(args) -> bool:
    """Whether `trace` was given LSTM weights (then `trace` below answers, not the GRU's)."""
    return lstm_file.holds_lstm(args.weights)


def refuse_c0(args) -> None:
    """A GRU has no cell state: --c0 with GRU weights is a mistake worth naming."""
    if getattr(args, "c0", None) is not None:
        raise InputError(_("--c0 is the LSTM's initial cell state; a GRU has only h, so use --h0."))


def trace(args) -> dict:
    weights = lstm_file.load(args.weights)
    cfg = weights.config
    if getattr(args, "convention", "keras") != "keras":
        raise InputError(_("--convention chooses a GRU's update rule; an LSTM has one rule, leave it out."))
    x = parse_sequence(args.sequence, cfg.input_dim)
    h0 = parse_vector(args.h0, "--h0", cfg.units) if args.h0 is not None else None
    c0 = parse_vector(args.c0, "--c0", cfg.units) if getattr(args, "c0", None) is not None else None
    mask = parse_mask(args.mask, len(x)) if args.mask is not None else None
    lstm = run(weights, x, h0, c0, args.go_backwards, mask)
    result = trace_json(lstm)
    if args.keras:
        from ..io.keras_bridge import run_keras_lstm

        keras_run = run_keras_lstm(weights, x, h0, c0, args.go_backwards, mask)
        result["keras"] = {
            "output": keras_run.output.tolist(),
            "sequence_output": keras_run.sequence_output.tolist(),
            "max_abs_diff": float(np.abs(keras_run.sequence_output - lstm.sequence_output).max()),
            "keras_version": keras_run.version,
        }
    return result


def params(args) -> dict:
    for name in ("units", "input_dim"):
        if getattr(args, name) < 1:
            raise InputError(_("{option} must be at least 1, got {value}.").format(
                option="--" + name.replace("_", "-"), value=getattr(args, name)))
    return Counts.of(args.units, args.input_dim, not args.no_bias).as_json()


def add_to(commands) -> None:
    p = commands.add_parser("params",
                            help=_("parameter counts of a GRU (both resets) and an LSTM, as Keras counts"))
    p.add_argument("--units", type=int, required=True, help=_("H, the state size"))
    p.add_argument("--input-dim", type=int, required=True, help=_("D, input features per step"))
    p.add_argument("--no-bias", action="store_true", help=_("count without biases (use_bias=False)"))


COMMANDS = {"params": params}
