"""Every command the CLI runs is listed, one line each, in `python -m gruviz --help` and in
the package's docstring, so a newcomer finds them all in one place."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import gruviz.cli as cli

REPO = Path(__file__).resolve().parents[2]


def listed_in_help() -> list[str]:
    done = subprocess.run([sys.executable, "-m", "gruviz", "--help"], capture_output=True, text=True,
                          cwd=REPO, check=True)
    return re.findall(r"^    ([a-z][a-z-]*)\b", done.stdout, re.MULTILINE)


def listed_in_docstring() -> list[str]:
    return re.findall(r"^    ([a-z][a-z-]*)  +\S", cli.__doc__, re.MULTILINE)


def test_help_lists_every_command_once():
    shown = listed_in_help()
    assert sorted(shown) == sorted(cli.COMMANDS) and len(shown) == len(set(shown))


def test_the_package_docstring_lists_every_command_once():
    shown = listed_in_docstring()
    assert sorted(shown) == sorted(cli.COMMANDS) and len(shown) == len(set(shown))
