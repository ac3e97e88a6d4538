"""The command line's ONNX paths: trace an .onnx file's GRU node, convert from one, write one.

    python -m gruviz trace model.onnx --sequence SEQ [--node NAME] [--h0 V]
    python -m gruviz convert WEIGHTS.json --to onnx --out model.onnx [--sequence SEQ]
    python -m gruviz convert model.onnx --to pytorch [--node NAME]
    python -m gruviz check-export SOURCE model.onnx [--node NAME] [--sequence SEQ]

`main` registers these with `add_options` and `wrap`; every other path is its own.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..io import weights_file
from ..io.parsing import parse_sequence, parse_vector
from ..layouts import OnnxGRU, convert, onnx_outputs, prove
from ..limits import CLI
from ..text import _, count
from .jsonout import proved, trace_json


def _onnx_file():
    """The ONNX reader and writer, imported by the commands that use them: importing the onnx
    package takes longer than everything else `python -m gruviz` imports."""
    from ..io import onnx_file

    return onnx_file


def add_options(trace, convert_command, commands) -> None:
    check = commands.add_parser("check-export", help=_("does an .onnx GRU compute what its source computes?"))
    check.add_argument("source",
                       help=_("the exported network: a state_dict .json/.npz or a gruviz weights JSON"))
    check.add_argument("model", help=_("the .onnx file"))
    check.add_argument("--node", help=_("the GRU node to check (default: the first)"))
    check.add_argument("--sequence", help=_("the input to compare on (default: 10 random steps)"))
    trace.add_argument("--node", help=_("an .onnx file's GRU node to trace (default: the first)"))
    convert_command.add_argument("--node", help=_("an .onnx source's GRU node (default: the first)"))
    convert_command.add_argument("--out", help=_("with --to onnx: write a .onnx model here"))


def wrap(commands: dict) -> None:
    """Route .onnx sources and --to onnx --out to this module; the rest to the original handlers."""
    trace, converting = commands["trace"], commands["convert"]
    commands["check-export"] = _check_export
    for name in ("diagnose", "backward"):
        commands[name] = _not_for_onnx(name, commands[name])
    commands["trace"] = lambda args: _trace(args) if _is_onnx(args.weights) else trace(args)
    commands["convert"] = lambda args: (_convert(args) if _is_onnx(args.weights) or getattr(args, "out", None)
                                        else converting(args))


def _not_for_onnx(name: str, handler):
    def run(args):
        if _is_onnx(args.weights):
            raise InputError(_("{command} reads a gruviz weights JSON; for an .onnx file, trace it (python -m "
                               "gruviz trace model.onnx) or convert a node to JSON first (convert model.onnx --to "
                               "keras).").format(command=name))
        return handler(args)

    return run


def _is_onnx(path: str) -> bool:
    return Path(path).suffix.lower() == ".onnx"


def _trace(args) -> dict:
    if args.mask is not None or args.go_backwards or args.convention != "keras":
        raise InputError(_("an ONNX node sets its own reading order (direction) and update rule, and has no "
                           "mask (sequence_lens cuts the sequence); leave out --mask, --go-backwards and "
                           "--convention."))
    found, shown = _onnx_file().read_onnx_path(args.weights, args.node, CLI)
    node = found.weights
    H, dirs = node.config.units, node.num_directions
    x = parse_sequence(args.sequence, node.config.input_dim)
    what = _("--h0 ({directions} × {units} values, direction by direction)").format(directions=dirs, units=H)
    h0 = parse_vector(args.h0, what, dirs * H) if args.h0 is not None else None
    result = onnx_outputs(node, x, h0)
    print(f"gruviz: {shown}", file=sys.stderr)
    for note in found.notes:
        print(f"gruviz: {note}", file=sys.stderr)
    names = [one.direction for one in node.directions()]
    return {
        "node": found.name,
        "attributes": {"linear_before_reset": node.linear_before_reset, "direction": node.direction,
                       "layout": node.layout, "activations": [node.config.recurrent_activation,
                                                              node.config.activation]},
        "directions": [{"direction": name, **trace_json(trace)} for name, trace in zip(names, result.traces)],
        "Y": result.Y.tolist(),
        "Y_h": result.Y_h.tolist(),
        "Y_shape": list(result.Y.shape),
        "Y_h_shape": list(result.Y_h.shape),
    }


def _check_export(args) -> dict:
    """The detective with the node's outputs as the claim and the source as the truth."""
    from ..explain.detective import diagnosis_json
    from ..explain.export_check import compare_export
    from ..layouts.state_dict import read_state_dict

    if Path(args.source).suffix.lower() in (".npz",) or _is_state_dict(args.source):
        try:
            data = Path(args.source).read_bytes()
        except OSError as error:
            raise InputError(_("cannot read {file}: {reason}.").format(file=args.source,
                                                                      reason=error.strerror or error)) from None
        source = read_state_dict(data, args.source, CLI)[0]
    else:
        source = weights_file.load_any(args.source)
    found, shown = _onnx_file().read_onnx_path(args.model, args.node, CLI)
    print(f"gruviz: {shown}", file=sys.stderr)
    D = found.weights.config.input_dim
    x = (np.random.default_rng(0).normal(size=(10, D)) if args.sequence is None
         else parse_sequence(args.sequence, D))
    result = diagnosis_json(compare_export(source, found.weights, x))
    if result["verdict"] == "matches":
        result["message"] = _("The ONNX node computes what the source computes, to within 1e-6 at every step.")
    return result


def _is_state_dict(path: str) -> bool:
    """A JSON without gruviz's "format" key is read as a state dict."""
    try:
        head = Path(path).read_text(encoding="utf-8", errors="replace")[:4096]
    except OSError:
        return False
    return Path(path).suffix.lower() == ".json" and '"format"' not in head


def _source(args):
    if _is_onnx(args.weights):
        found, shown = _onnx_file().read_onnx_path(args.weights, args.node, CLI)
        print(f"gruviz: {shown}", file=sys.stderr)
        return found.weights
    return weights_file.load_any(args.weights)


def _convert(args) -> dict:
    source = _source(args)
    keep_rule = True if args.keep_rule else False if args.negate_z else None
    out = getattr(args, "out", None)
    if out and args.to != "onnx":
        raise InputError(_("--out writes a .onnx model; use it with --to onnx."))
    parts = source.directions() if isinstance(source, OnnxGRU) and args.to != "onnx" else (source,)
    input_dim = source.config.input_dim
    x = (np.random.default_rng(0).normal(size=(10, input_dim)) if args.sequence is None
         else parse_sequence(args.sequence, input_dim))
    results = []
    for part in parts:
        converted = convert(part, args.to, keep_rule)
        if isinstance(source, OnnxGRU) and args.to == "onnx":
            converted = _keep_node_inputs(source, converted)
        difference = prove(part, converted, x) if not _bidirectional(part) else _prove_node(part, converted, x)
        label = f"{part.direction}: " if len(parts) > 1 else ""
        for note in converted.notes:
            print(f"gruviz: {label}{note}", file=sys.stderr)
        print(f"gruviz: {label}{proved(len(x), difference)}", file=sys.stderr)
        results.append(converted)
    if out:
        return _write(results[0].weights, source, x, out)
    if len(results) == 1:
        return weights_file.to_dict_any(results[0].weights)
    return {part.direction: weights_file.to_dict_any(r.weights) for part, r in zip(parts, results)}


def _bidirectional(weights) -> bool:
    return isinstance(weights, OnnxGRU) and weights.direction == "bidirectional"


def _keep_node_inputs(source: OnnxGRU, converted):
    """ONNX → ONNX keeps the node as it is (direction, initial_h, sequence_lens, layout)."""
    return replace(converted, weights=source, notes=(), go_backwards=False)


def _prove_node(source: OnnxGRU, converted, x) -> float:
    return float(np.max(np.abs(onnx_outputs(source, x).Y - onnx_outputs(converted.weights, x).Y)))


def _write(node: OnnxGRU, source, x, out: str) -> dict:
    data = _onnx_file().write_onnx(node)
    try:
        Path(out).write_bytes(data)
    except OSError as error:
        raise InputError(_("cannot write {file}: {reason}.").format(file=out, reason=error.strerror or error)) \
            from None
    written = _onnx_file().read_onnx(data).nodes[0].weights  # what the file now holds: float32
    before = onnx_outputs(node, x).Y
    rounding = float(np.max(np.abs(onnx_outputs(written, x).Y - before)))
    print("gruviz: " + _("wrote {file} ({bytes} bytes, one GRU node, opset 14, onnx.checker passed); weights "
                         "stored as float32, which moves the outputs by at most {rounding} on the proof "
                         "sequence").format(file=out, bytes=count(len(data)), rounding=f"{rounding:.1e}"),
          file=sys.stderr)
    return {"written": out, "bytes": len(data), "node": "gru", "linear_before_reset": node.linear_before_reset,
            "direction": node.direction, "float32_rounding": rounding}

