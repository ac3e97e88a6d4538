"""`python -m gruviz exercise` and `python -m gruviz worksheet`.

    python -m gruviz exercise --seed N [--units U] [--input-dim D] [--steps T] [--decimals K]
                              [--convention keras|bahdanau] [--answers]
    python -m gruviz worksheet WEIGHTS.json --sequence SEQ --out FILE [--answers]
                               [--convention keras|bahdanau] [--format pdf|tex] [--h0 V]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import InputError
from ..explain.mistakes import Setup
from ..io import weights_file
from ..io.parsing import parse_sequence, parse_vector
from ..math.cell import Convention
from ..classroom import exercises, worksheet
from ..text import N_, _

# Worksheets are worked by hand: past these a page cannot hold the boxes.
WORKSHEET_MAX = {"units": 3, "input_dim": 4, "steps": 6}
TOO_BIG = {  # translated where said, with _()
    "units": N_("a worksheet is worked by hand: units must be at most {most}, got {got}."),
    "input_dim": N_("a worksheet is worked by hand: input dim must be at most {most}, got {got}."),
    "steps": N_("a worksheet is worked by hand: steps must be at most {most}, got {got}."),
}


def add_to(commands) -> None:
    """Register both commands on the CLI's subparsers."""
    exercise = commands.add_parser("exercise", help=_("a seeded GRU to work by hand, every mistake visible"))
    exercise.add_argument("--seed", type=int, required=True)
    exercise.add_argument("--units", type=int, choices=exercises.UNITS)
    exercise.add_argument("--input-dim", type=int, choices=exercises.INPUT_DIMS)
    exercise.add_argument("--steps", type=int, choices=exercises.STEPS)
    exercise.add_argument("--decimals", type=int, choices=exercises.DECIMALS,
                          help=_("of the weights and inputs"))
    exercise.add_argument("--convention", choices=[c.value for c in Convention])
    exercise.add_argument("--answers", action="store_true", help=_("add the answers and every mistake's h"))
    sheet = commands.add_parser("worksheet", help=_("a printable worksheet (PDF or LaTeX) for these weights"))
    sheet.add_argument("weights", help=_("a gruviz-weights/1 JSON file"))
    sheet.add_argument("--sequence", required=True, help=_("'1,2,9,8', '1 2; 3 4' or [[1],[2]]"))
    sheet.add_argument("--h0", help=_("initial state, one value per unit (default zeros)"))
    sheet.add_argument("--out", required=True, help=_("where to write the worksheet"))
    sheet.add_argument("--answers", action="store_true", help=_("add the answer key and the mistakes' table"))
    sheet.add_argument("--convention", choices=[c.value for c in Convention], default="keras")
    sheet.add_argument("--format", choices=("pdf", "tex"), help=_("default: from --out's suffix, else pdf"))


def options(args: argparse.Namespace) -> exercises.Options:
    return exercises.Options(args.units, args.input_dim, args.steps, args.decimals,
                             None if args.convention is None else Convention(args.convention))


def run_exercise(args: argparse.Namespace) -> dict:
    return exercises.to_json(exercises.generate(args.seed, options(args)), args.answers)


def sheet_exercise(weights, sequence: str, h0: str | None, convention: str) -> exercises.Exercise:
    """An exercise on a teacher's own weights, checked to be small enough to work by hand."""
    cfg = weights.config
    x = parse_sequence(sequence, cfg.input_dim)
    sizes = {"units": cfg.units, "input_dim": cfg.input_dim, "steps": len(x)}
    for what, most in WORKSHEET_MAX.items():
        if sizes[what] > most:
            raise InputError(_(TOO_BIG[what]).format(most=most, got=sizes[what]))
    h0_vector = parse_vector(h0, "--h0", cfg.units) if h0 is not None else None
    return exercises.from_setup(Setup(weights, x, h0_vector, Convention(convention)))


def run_worksheet(args: argparse.Namespace) -> dict:
    exercise = sheet_exercise(weights_file.load(args.weights), args.sequence, args.h0, args.convention)
    out = Path(args.out)
    kind = args.format or ("tex" if out.suffix.lower() == ".tex" else "pdf")
    content = worksheet.pdf(exercise, args.answers) if kind == "pdf" else worksheet.tex(exercise, args.answers).encode()
    try:
        out.write_bytes(content)
    except OSError as error:
        raise InputError(_("cannot write {file}: {reason}.").format(file=out, reason=error.strerror or error)) \
            from None
    summary = {"out": str(out), "format": kind, "bytes": len(content), "answers": args.answers}
    if kind == "pdf":
        summary["pages"] = worksheet.page_count(content)
    return summary


COMMANDS = {"exercise": run_exercise, "worksheet": run_worksheet}
