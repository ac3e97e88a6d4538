"""`python -m gruviz`: the core from a shell, printing JSON.

    python -m gruviz trace WEIGHTS.json --sequence SEQ [--h0 V] [--convention keras|bahdanau]
                                        [--go-backwards] [--mask M] [--keras]

Bad input exits with status 2 and one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from . import weights_file
from .cell import Convention
from .errors import InputError
from .parsing import parse_mask, parse_sequence, parse_vector
from .trace import Trace, run

# These always take a value, so "--h0 -0.5,0.2" must not read -0.5,0.2 as an option.
_VALUE_OPTIONS = {"--sequence", "--h0", "--mask", "--convention"}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not argparse's usage block
        self.exit(2, f"gruviz: {message} (see python -m gruviz {self.prog.split()[-1]} --help)\n")


def _join_values(argv: list[str]) -> list[str]:
    joined, i = [], 0
    while i < len(argv):
        if argv[i] in _VALUE_OPTIONS and i + 1 < len(argv):
            joined.append(f"{argv[i]}={argv[i + 1]}")
            i += 2
        else:
            joined.append(argv[i])
            i += 1
    return joined


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="gruviz", description="What a GRU computes, step by step.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    trace = commands.add_parser("trace", help="every intermediate value of a forward pass, as JSON")
    trace.add_argument("weights", help="a gruviz-weights/1 JSON file")
    trace.add_argument("--sequence", required=True, help="'1,2,9,8', '1 2; 3 4' or [[1],[2]]")
    trace.add_argument("--h0", help="initial state, one value per unit (default zeros)")
    trace.add_argument("--convention", choices=[c.value for c in Convention], default="keras")
    trace.add_argument("--go-backwards", action="store_true")
    trace.add_argument("--mask", help="one 1/0 per timestep; 0 skips the step")
    trace.add_argument("--keras", action="store_true", help="also run a real keras.layers.GRU")
    return parser


def _rows(array: np.ndarray) -> list:
    return array.tolist()


def trace_json(trace: Trace) -> dict:
    steps = [
        {
            "t": t,
            "input_index": int(trace.order[t]),
            "masked": not bool(trace.mask[t]),
            "x": _rows(trace.x[t]),
            "z_pre": _rows(trace.z_pre[t]),
            "r_pre": _rows(trace.r_pre[t]),
            "h_tilde_pre": _rows(trace.h_tilde_pre[t]),
            "z": _rows(trace.z[t]),
            "r": _rows(trace.r[t]),
            "h_tilde": _rows(trace.h_tilde[t]),
            "h": _rows(trace.h[t]),
        }
        for t in range(trace.steps)
    ]
    return {
        "config": weights_file.to_dict(trace.weights)["config"],
        "convention": trace.convention.value,
        "go_backwards": trace.go_backwards,
        "h0": _rows(trace.h0),
        "steps": steps,
        "output": _rows(trace.output),
        "sequence_output": _rows(trace.sequence_output),
    }


def _trace(args) -> dict:
    weights = weights_file.load(args.weights)
    cfg = weights.config
    x = parse_sequence(args.sequence, cfg.input_dim)
    h0 = parse_vector(args.h0, "--h0", cfg.units) if args.h0 is not None else None
    mask = parse_mask(args.mask, len(x)) if args.mask is not None else None
    trace = run(weights, x, h0, args.convention, args.go_backwards, mask)
    result = trace_json(trace)
    if args.keras:
        from .keras_bridge import run_keras

        keras_run = run_keras(weights, x, h0, args.go_backwards, mask)
        result["keras"] = {
            "output": _rows(keras_run.output),
            "sequence_output": _rows(keras_run.sequence_output),
            "max_abs_diff": float(np.abs(keras_run.sequence_output - trace.sequence_output).max()),
            "keras_version": keras_run.version,
        }
    return result


COMMANDS = {"trace": _trace}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(_join_values(list(sys.argv[1:] if argv is None else argv)))
    try:
        result = COMMANDS[args.command](args)
    except InputError as error:
        print(f"gruviz: {error}", file=sys.stderr)
        return 2
    try:
        json.dump(result, sys.stdout)
        sys.stdout.write("\n")
        sys.stdout.flush()
    except BrokenPipeError:  # the reader (head, less) left early; that is not an error
        sys.stderr.close()
    return 0
