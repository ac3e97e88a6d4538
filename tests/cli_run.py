"""`python -m gruviz ARGS` for the command-line tests.

By default the command runs inside the test process: the same `gruviz.cli.main`, its exit
status and both streams, without a new interpreter's start (0.3 s a command, and 3 s more
for TensorFlow with --keras). `process=True` starts a real process instead; each command
family keeps a few tests that way, so the entry point, the exit status the shell sees and
the streams of a real process stay tested too.
"""

from __future__ import annotations

import contextlib
import contextvars
import io
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def gruviz(*args: str, cwd=None, env: dict[str, str | None] | None = None,
           process: bool = False) -> subprocess.CompletedProcess:
    """`env` adds variables to the environment, or removes those given as None."""
    if process:
        return _process([list(args)], cwd, env)[0]
    # The language `main` chooses (a context variable) stays inside this one command.
    return contextvars.copy_context().run(_in_this_process, list(args), cwd, env or {})


def gruviz_all(runs: list[list[str]], cwd=None, env: dict[str, str | None] | None = None,
               process: bool = False) -> list[subprocess.CompletedProcess]:
    """Several commands: real processes run at once, in-process ones one after another."""
    if process:
        return _process(runs, cwd, env)
    return [gruviz(*args, cwd=cwd, env=env) for args in runs]


def _process(runs, cwd, env) -> list[subprocess.CompletedProcess]:
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    _set_environment(environment, env or {})
    commands = [[sys.executable, "-m", "gruviz", *args] for args in runs]
    procs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd,
                              env=environment) for command in commands]
    outputs = [proc.communicate(timeout=300) for proc in procs]
    return [subprocess.CompletedProcess(command, proc.returncode, out, err)
            for command, proc, (out, err) in zip(commands, procs, outputs)]


def _in_this_process(argv: list[str], cwd, env: dict[str, str | None]) -> subprocess.CompletedProcess:
    from gruviz.cli import main

    out, err = io.StringIO(), io.StringIO()
    saved = {name: os.environ.get(name) for name in env}
    here = os.getcwd()
    try:
        _set_environment(os.environ, env)
        if cwd is not None:
            os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                status = main(argv)
            except SystemExit as exit_:  # argparse's --help and its refusals
                status = exit_.code if isinstance(exit_.code, int) else int(exit_.code is not None)
    finally:
        os.chdir(here)
        _set_environment(os.environ, saved)
    return subprocess.CompletedProcess(["python", "-m", "gruviz", *argv], status, out.getvalue(), err.getvalue())


def _set_environment(environment, values: dict[str, str | None]) -> None:
    for name, value in values.items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
