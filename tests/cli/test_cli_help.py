"""`python -m gruviz --help` and every command's --help: each command the CLI runs is listed, one
line each, in the top-level help and in the package's docstring, so a newcomer finds them all in
one place; and every sentence of every help (argparse's own words too: "usage: ", the section
headings, -h's line) is in the language `--lang` or the environment names. Option names,
metavars, choices and command names are an interface and stay English.

Expected values: the English help as argparse lays it out, and the translators' catalogues
(gruviz/locale/*/LC_MESSAGES/gruviz.po)."""

from __future__ import annotations

import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

import gruviz.cli as cli
from cli_run import gruviz
from gruviz import text
from gruviz.cli.main import _parser as the_clis_parser

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


# --- every help in the person's language ----------------------------------------------------------

TRANSLATED = [language for language in text.LANGUAGES if language != text.ENGLISH]
WIDE = {"COLUMNS": "10000"}  # argparse wraps at the terminal's width: this way no sentence is cut
# What a line of help starts with that is not a sentence: "-h, --help", "--to {keras,pytorch}",
# "--exercise SEED", a positional or command name ("weights", "check-export"), "COMMAND".
OPTION = r"-{1,2}[\w-]+(?: [A-Z][A-Z0-9_]*| \{[^}]*\})?"
INVOCATION = re.compile(rf"{OPTION}(?:, {OPTION})*|[a-z][\w-]*|[A-Z][A-Z_]*")
PLACEHOLDER = re.compile(r"(\{[A-Za-z_]\w*\})")


def command_lines(parser=None, words: tuple[str, ...] = ()):
    """Every command line with a --help of its own ([], [trace], …, [class, create]), from the parser."""
    parser = parser or the_clis_parser()
    yield words
    for action in parser._actions:  # argparse lists a parser's arguments nowhere public
        if isinstance(action.choices, dict):  # the subcommands: name → their parser
            for name, command in action.choices.items():
                yield from command_lines(command, (*words, name))


COMMAND_LINES = list(command_lines())


@cache
def help_of(words: tuple[str, ...], language: str) -> str:
    done = gruviz("--lang", language, *words, "--help", env=WIDE)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    return done.stdout


def sentences(shown: str) -> list[str]:
    """What a person reads in a --help: the usage line's prefix, the description and epilog, the
    section headings and each argument's help; not the options, metavars, choices and commands."""
    lines = shown.splitlines()
    found = [lines[0][:lines[0].index("python -m gruviz")]]  # "usage: "
    for line in lines[1:]:
        if line and not line[0].isspace():
            found.append(line[:-1] if line.endswith(":") else line)  # a heading, or the description
        else:
            parts = re.split(r"\s{2,}", line.strip())
            found += [part for part in parts if part and not INVOCATION.fullmatch(part)]
    return found


@cache
def catalogue(language: str) -> dict[str, str]:
    with open(text.LOCALES / text.FOLDERS[language] / "LC_MESSAGES" / "gruviz.po", "rb") as f:
        return {m.id: m.string for m in read_po(f) if m.id and isinstance(m.id, str)}


def translations(sentence: str, language: str) -> list[str]:
    """What the catalogue says for an English sentence as shown: its entry, or the entry whose
    placeholders, filled with the values shown, give the sentence (then filled the same way)."""
    entries = catalogue(language)
    if sentence in entries:
        return [entries[sentence]]
    found = []
    for msgid, msgstr in entries.items():
        parts = PLACEHOLDER.split(msgid)
        if len(parts) == 1:
            continue
        seen, pattern = set(), ""
        for i, part in enumerate(parts):
            if i % 2 == 0:
                pattern += re.escape(part)
            else:
                pattern += f"(?P={part[1:-1]})" if part in seen else f"(?P<{part[1:-1]}>.+?)"
                seen.add(part)
        if match := re.fullmatch(pattern, sentence):
            for name, value in match.groupdict().items():
                msgstr = msgstr.replace("{" + name + "}", value)
            found.append(msgstr)
    return found


def test_the_walk_finds_every_command():
    assert {words[0] for words in COMMAND_LINES if words} == set(cli.COMMANDS)
    assert ("class", "create") in COMMAND_LINES and ("class", "results") in COMMAND_LINES


def test_the_sentences_of_a_help_leave_out_the_interface():
    english = sentences(help_of(("class", "create"), "en"))
    assert english[:3] == ["usage: ", "options", "show this help message and exit"]
    assert "the exercise's seed (default 7)" in english
    assert not [s for s in english if re.search(r"--|SEED|per-student}", s)]
    assert catalogue("es")["the exercise's seed (default {seed})"].replace("{seed}", "7") in translations(
        "the exercise's seed (default 7)", "es")


@pytest.mark.parametrize("language", TRANSLATED)
@pytest.mark.parametrize("words", COMMAND_LINES, ids=lambda words: " ".join(words) or "gruviz")
def test_every_help_is_in_the_persons_language(words, language):
    english = sentences(help_of(words, "en"))
    shown = sentences(help_of(words, language))
    assert len(english) >= 3
    left_in_english = [s for s in english if s in shown]
    not_translated = [s for s in english if not set(translations(s, language)) & set(shown)]
    assert left_in_english == [] and not_translated == []


def test_the_environment_names_the_help_language_and_lang_wins():
    """As gettext programs: LANGUAGE, else LC_ALL, else LANG; --lang anywhere on the line over all."""
    bare = {"LANGUAGE": None, "LC_ALL": None, "LANG": None, **WIDE}
    runs = {
        "es": gruviz("trace", "--help", env={**bare, "LANGUAGE": "es"}, process=True),
        "zh-Hans": gruviz("trace", "--help", env={**bare, "LANG": "zh_CN.UTF-8"}),
        "en": gruviz("trace", "--help", env=bare),
        "--lang es": gruviz("--lang", "es", "trace", "--help", env={**bare, "LANGUAGE": "zh_CN"}),
        "--lang=en": gruviz("trace", "--help", "--lang=en", env={**bare, "LANGUAGE": "es", "LANG": "es_ES.UTF-8"}),
    }
    spoken = {run: next((language for language in text.LANGUAGES
                         if sentences(done.stdout) == sentences(help_of(("trace",), language))), done.stderr)
              for run, done in runs.items()}
    assert spoken == {"es": "es", "zh-Hans": "zh-Hans", "en": "en", "--lang es": "es", "--lang=en": "en"}
