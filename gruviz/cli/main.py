"""`python -m gruviz`: the core from a shell, printing JSON.

    python -m gruviz trace WEIGHTS.json --sequence SEQ [--h0 V] [--convention keras|bahdanau]
                                        [--go-backwards] [--mask M] [--keras]
    python -m gruviz diagnose WEIGHTS.json --sequence SEQ (--claimed-output V | --claimed-steps FILE.json)
    python -m gruviz convert WEIGHTS.json --to LAYOUT [--keep-rule | --negate-z] [--sequence SEQ]
    python -m gruviz backward WEIGHTS.json --sequence SEQ [--loss sum|mse|mse_all] [--target V] [...]
    python -m gruviz class create [--exercise SEED] [...] | class results CODE --token T [--format csv|json]

Bad input exits with status 2, a conversion the math does not allow with status 3,
each with one line on stderr, never a traceback: `main` turns even an unexpected
error into one line and status 2. With no arguments it prints a short usage.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import numpy as np

from ..io import weights_file
from ..math.cell import Convention
from ..errors import InputError
from ..io.parsing import parse_mask, parse_sequence, parse_target, parse_vector
from ..io.untrusted import read_text
from ..limits import CLI
from ..math.backward import LOSSES, backward, backward_json
from ..layouts import LAYOUT_NAMES, ConversionRefused, convert, prove, to_keras
from ..explain.detective import diagnose, diagnosis_json, parse_output_claim, parse_step_claims
from ..explain.mistakes import Setup
from ..math.trace import Trace
from . import lstm as cli_lstm
from . import exercise as classroom
from ..classroom import class_commands
from . import onnx as cli_onnx
from . import model as cli_model
from . import train as cli_train

# These always take a value, so "--h0 -0.5,0.2" must not read -0.5,0.2 as an option.
_VALUE_OPTIONS = {"--sequence", "--h0", "--mask", "--convention", "--claimed-output", "--claimed-steps", "--to", "--loss",
                  "--target", "--c0", "--token"}  # a token may start with "-" too


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not argparse's usage block
        self.exit(2, f"gruviz: {_one_line(message)} (see {self.prog} --help)\n")


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
    parser = _Parser(prog="python -m gruviz", description="What a GRU computes, step by step.",
                     epilog="python -m gruviz COMMAND --help shows a command's options.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="COMMAND",
                                     title="commands")
    trace = _run_options(commands.add_parser("trace", help="every intermediate value of a forward pass"))
    trace.add_argument("--keras", action="store_true", help="also run a real keras.layers.GRU (or LSTM)")
    trace.add_argument("--c0", help="LSTM weights only: initial cell state, one value per unit (default zeros)")
    diagnose = _run_options(commands.add_parser("diagnose", help="why a hand calculation disagrees"))
    claimed = diagnose.add_mutually_exclusive_group(required=True)
    claimed.add_argument("--claimed-output", help="the final output you got, one value per unit")
    claimed.add_argument("--claimed-steps", help='a JSON file: [{"t": 0, "z": [...], "h": [...]}, ...]')
    backward = _run_options(commands.add_parser("backward", help="BPTT gradients, step by step"))
    backward.add_argument("--loss", choices=list(LOSSES), default="sum")
    backward.add_argument("--target", help="mse: one value per unit; mse_all: a sequence of units-wide steps")
    convert = commands.add_parser("convert", help="the same GRU in another framework's layout")
    convert.add_argument("weights", help="a gruviz-weights/1 JSON file in any layout")
    convert.add_argument("--to", required=True, choices=LAYOUT_NAMES)
    rule = convert.add_mutually_exclusive_group()
    rule.add_argument("--keep-rule", action="store_true", help="Wikipedia <-> others: keep the arrays and the rule")
    rule.add_argument("--negate-z", action="store_true", help="Wikipedia <-> others: negate z's parameters")
    convert.add_argument("--sequence", help="the input the conversion is proved on (default: 10 random steps)")
    cli_lstm.add_to(commands)
    classroom.add_to(commands)
    class_commands.add_to(commands)
    cli_train.add_to(commands)
    cli_onnx.add_options(trace, convert, commands)
    cli_model.add_to(commands)
    return parser


def _run_options(command: argparse.ArgumentParser) -> argparse.ArgumentParser:
    command.add_argument("weights", help="a gruviz-weights/1 JSON file")
    command.add_argument("--sequence", required=True, help="'1,2,9,8', '1 2; 3 4' or [[1],[2]]")
    command.add_argument("--h0", help="initial state, one value per unit (default zeros)")
    command.add_argument("--convention", choices=[c.value for c in Convention], default="keras")
    command.add_argument("--go-backwards", action="store_true")
    command.add_argument("--mask", help="one 1/0 per timestep; 0 skips the step")
    return command


def _setup(args) -> Setup:
    weights = weights_file.load(args.weights)
    cfg = weights.config
    x = parse_sequence(args.sequence, cfg.input_dim)
    h0 = parse_vector(args.h0, "--h0", cfg.units) if args.h0 is not None else None
    mask = parse_mask(args.mask, len(x)) if args.mask is not None else None
    return Setup(weights, x, h0, Convention(args.convention), args.go_backwards, mask)


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
    if cli_lstm.holds_lstm(args):
        return cli_lstm.trace(args)
    cli_lstm.refuse_c0(args)
    setup = _setup(args)
    trace = setup.run()
    result = trace_json(trace)
    if args.keras:
        from ..io.keras_bridge import run_keras

        keras_run = run_keras(setup.weights, setup.x, setup.h0, setup.go_backwards, setup.mask)
        result["keras"] = {
            "output": _rows(keras_run.output),
            "sequence_output": _rows(keras_run.sequence_output),
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
        text = read_text(Path(args.claimed_steps), "the claimed steps", CLI.max_file_bytes)
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
    print(f"gruviz: proved on {len(x)} steps: largest difference {difference:.1e}", file=sys.stderr)
    return weights_file.to_dict_any(converted.weights)


def _backward(args) -> dict:
    setup = _setup(args)
    target = parse_target(args.target, args.loss, setup.weights.config.units, len(setup.x))
    grads = backward(setup.run(), args.loss, target)
    if not grads.finite:
        raise InputError("the values grew past float64's range, so the gradients are not numbers; "
                         "use smaller weights or bounded activations.")
    return backward_json(grads)


COMMANDS = {"trace": _trace, "diagnose": _diagnose, "convert": _convert, "backward": _backward}
COMMANDS.update(cli_lstm.COMMANDS)
COMMANDS.update(classroom.COMMANDS)
COMMANDS.update(class_commands.COMMANDS)
COMMANDS.update(cli_model.COMMANDS)
COMMANDS.update(cli_train.COMMANDS)
cli_onnx.wrap(COMMANDS)


def _one_line(message: str) -> str:
    return " ".join(str(message).split())


def _fail(message: str, status: int = 2) -> int:
    print(f"gruviz: {_one_line(message)}", file=sys.stderr)
    return status


def _run(args) -> int:
    try:
        with np.errstate(all="ignore"):  # non-finite results are reported as such, not as warnings
            result = COMMANDS[args.command](args)
    except ConversionRefused as refusal:
        return _fail(f"cannot convert: {refusal}", 3)
    except InputError as error:
        return _fail(str(error))
    try:
        json.dump(result, sys.stdout)
        sys.stdout.write("\n")
        sys.stdout.flush()
    except BrokenPipeError:  # the reader (head, less) left early; that is not an error
        sys.stderr.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    if not argv:
        parser.print_help()
        return 0
    try:
        return _run(parser.parse_args(_join_values(argv)))
    except KeyboardInterrupt:
        return _fail("interrupted.", 130)
    except (SystemExit, BrokenPipeError):
        raise
    except BaseException as error:  # a bug, or a limit no check foresaw: still one line, never a traceback
        logging.getLogger("gruviz").debug("unexpected error", exc_info=True)
        detail = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        return _fail(f"unexpected error ({detail[:200]}); please report it with the command that caused it.")
