"""`python -m gruviz`: the parser, and `main`, which runs a command and prints its JSON.

Each command family lives in its own module of this package (listed in `__init__.py`);
`jsonout` holds what they print. Bad input exits with status 2, a conversion the math
does not allow with status 3, each with one line on stderr, never a traceback: `main`
turns even an unexpected error into one line and status 2. With no arguments it prints
a short usage.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

import numpy as np

from ..errors import InputError
from ..layouts import ConversionRefused
from ..text import LANGUAGES, _, from_environment, use
from . import classes, exercise, lstm, model, onnx, train, trace

# These always take a value, so "--h0 -0.5,0.2" must not read -0.5,0.2 as an option.
_VALUE_OPTIONS = {"--sequence", "--h0", "--mask", "--convention", "--claimed-output", "--claimed-steps", "--to", "--loss",
                  "--target", "--c0", "--token"}  # a token may start with "-" too


class _Formatter(argparse.HelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):  # "usage: " in the person's language
        super().add_usage(usage, actions, groups, _("usage: ") if prefix is None else prefix)


class _Parser(argparse.ArgumentParser):
    """A parser whose help speaks the person's language. argparse titles its own groups and -h
    through Python's gettext domain, which has no gruviz sentences, and keeps those groups in
    private attributes; so each parser adds its own -h and titled groups and files every argument
    in them (the default groups stay empty, and argparse shows no empty group)."""

    def __init__(self, **kwargs):
        super().__init__(**{**kwargs, "add_help": False, "formatter_class": _Formatter})
        self.positional_group = self.add_argument_group(_("positional arguments"))
        self.option_group = self.add_argument_group(_("options"))
        self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS,
                          help=_("show this help message and exit"))

    def add_argument(self, *names, **kwargs):
        optional = bool(names) and names[0][:1] in self.prefix_chars
        return (self.option_group if optional else self.positional_group).add_argument(*names, **kwargs)

    def add_mutually_exclusive_group(self, **kwargs):
        return self.option_group.add_mutually_exclusive_group(**kwargs)

    def error(self, message: str):  # one line, not argparse's usage block
        # argparse's own words (`message`) stay as argparse writes them
        self.exit(2, "gruviz: " + _("{message} (see {command} --help)").format(
            message=_one_line(message), command=self.prog) + "\n")


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
    parser = _Parser(prog="python -m gruviz", description=_("What a GRU computes, step by step."),
                     epilog=_("{command} shows a command's options.").format(
                         command="python -m gruviz COMMAND --help"))
    parser.add_argument("--lang", choices=list(LANGUAGES), metavar="LANG",
                        help=_("en, es or zh-Hans (default: LANGUAGE, LC_ALL, LANG)"))
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="COMMAND",
                                     title=_("commands"))
    trace_command, convert_command = trace.add_to(commands)
    lstm.add_to(commands)
    exercise.add_to(commands)
    classes.add_to(commands)
    train.add_to(commands)
    onnx.add_options(trace_command, convert_command, commands)
    model.add_to(commands)
    return parser


COMMANDS = {**trace.COMMANDS, **lstm.COMMANDS, **exercise.COMMANDS, **classes.COMMANDS,
            **model.COMMANDS, **train.COMMANDS}
onnx.wrap(COMMANDS)  # an .onnx file where trace and convert expect weights


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
        return _fail(_("cannot convert: {reason}").format(reason=refusal), 3)
    except InputError as error:
        return _fail(str(error))
    try:
        json.dump(result, sys.stdout)
        sys.stdout.write("\n")
        sys.stdout.flush()
    except BrokenPipeError:  # the reader (head, less) left early; that is not an error
        sys.stderr.close()
    return 0


def _language(argv: list[str]) -> tuple[str | None, list[str]]:
    """`--lang X` or `--lang=X` anywhere on the line, and the line without it."""
    rest, asked, i = [], None, 0
    while i < len(argv):
        if argv[i] == "--lang" and i + 1 < len(argv):
            asked, i = argv[i + 1], i + 2
        elif argv[i].startswith("--lang="):
            asked, i = argv[i].partition("=")[2], i + 1
        else:
            rest.append(argv[i])
            i += 1
    return asked, rest


def main(argv: list[str] | None = None) -> int:
    asked, argv = _language(list(sys.argv[1:] if argv is None else argv))
    if asked is not None and asked not in LANGUAGES:
        use(from_environment())  # the refusal speaks the language the environment names
        return _fail(_("--lang must be one of {languages}, got {asked}.").format(
            languages=", ".join(LANGUAGES), asked=repr(asked)))
    use(asked or from_environment())
    parser = _parser()
    if not argv:
        parser.print_help()
        return 0
    try:
        return _run(parser.parse_args(_join_values(argv)))
    except KeyboardInterrupt:
        return _fail(_("interrupted."), 130)
    except (SystemExit, BrokenPipeError):
        raise
    except BaseException as error:  # a bug, or a limit no check foresaw: still one line, never a traceback
        logging.getLogger("gruviz").debug("unexpected error", exc_info=True)
        detail = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        return _fail(_("unexpected error ({detail}); please report it with the command that caused it.").format(
            detail=detail[:200]))
