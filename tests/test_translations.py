"""The translations (gruviz/text.py and gruviz/locale): every catalogue is complete and its
placeholders match the English; the catalogues hold every sentence the code marks now (`make
i18n` was run) and the compiled .mo files say what the .po files say; no sentence is translated
at import time, where no person's language is known yet; the language is chosen as gettext
programs and browsers name it, per person, and the CLI follows `--lang` over the environment.

Expected values: the catalogues as written by translators, Babel's own extractor over the
source, and the rules of gettext's LANGUAGE / LC_ALL / LANG.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from gruviz import text
from test_package_imports import REPO

LOCALE = REPO / "gruviz" / "locale"
CATALOGUES = {language: LOCALE / folder / "LC_MESSAGES" / "gruviz.po"
              for language, folder in text.FOLDERS.items() if language != text.ENGLISH}
PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")


def catalogue(language: str):
    with open(CATALOGUES[language], "rb") as f:
        return read_po(f)


def entries(language: str):
    return [m for m in catalogue(language) if m.id]


@pytest.mark.parametrize("language", list(CATALOGUES))
def test_every_sentence_is_translated_and_none_is_fuzzy(language):
    missing = [m.id for m in entries(language)
               if m.fuzzy or not (all(m.string) if isinstance(m.string, (tuple, list)) else m.string)]
    assert missing == []


@pytest.mark.parametrize("language", list(CATALOGUES))
def test_placeholders_are_the_englishs(language):
    wrong = []
    for m in entries(language):
        if isinstance(m.id, (tuple, list)):
            wanted = set(PLACEHOLDER.findall(m.id[1])) | set(PLACEHOLDER.findall(m.id[0]))
            wrong += [(m.id[0], s) for s in m.string if not set(PLACEHOLDER.findall(s)) <= wanted]
            wrong += [(m.id[0], s) for s in m.string[-1:] if set(PLACEHOLDER.findall(s)) != set(PLACEHOLDER.findall(m.id[1]))]
        elif set(PLACEHOLDER.findall(m.string)) != set(PLACEHOLDER.findall(m.id)):
            wrong.append((m.id, m.string))
    assert wrong == []


def test_plural_forms_follow_the_language():
    assert catalogue("es").num_plurals == 2 and catalogue("zh-Hans").num_plurals == 1
    for language in CATALOGUES:
        plurals = [m for m in entries(language) if isinstance(m.id, (tuple, list))]
        assert plurals and all(len(m.string) == catalogue(language).num_plurals for m in plurals)


def marked_now() -> set:
    """Every sentence the source marks today, with its context (gettext's msgctxt, or None), found by
    Babel's extractor (as `make i18n` runs it)."""
    found = set()
    for folder in (REPO / "gruviz",):
        for _file, _line, message, _comments, context in extract_from_dir(
                folder, method_map=[("**.py", "python")],
                keywords={"_": None, "N_": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}):
            found.add((context, message if isinstance(message, str) else message[0]))
    app = REPO / "app.py"
    with open(app, "rb") as f:
        from babel.messages.extract import extract
        found |= {(x, m if isinstance(m, str) else m[0]) for _l, m, _c, x in extract("python", f)}
    return found


@pytest.mark.parametrize("language", list(CATALOGUES))
def test_the_catalogues_hold_every_sentence_marked_in_the_code(language):
    held = {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in entries(language)}
    assert sorted(marked_now() - held) == [], "run `make i18n` and translate the new sentences"


@pytest.mark.parametrize("language", list(CATALOGUES))
def test_the_compiled_catalogue_says_what_the_po_file_says(language):
    """The .mo files are built by make from the .po files; a stale one would show old words."""
    compiled = text.translation(language)
    assert type(compiled).__name__ == "GNUTranslations", "no .mo file: make setup compiles them"
    for m in entries(language):
        if isinstance(m.id, str):
            assert (compiled.pgettext(m.context, m.id) if m.context else compiled.gettext(m.id)) == m.string


def import_time_calls(source: str) -> list[str]:
    """`_()`, `ngettext()` and `pgettext()` calls outside any function: they run once, in no person's language."""
    found = []

    def walk(node, in_function):
        for child in ast.iter_child_nodes(node):
            inside = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if (not in_function and isinstance(child, ast.Call) and isinstance(child.func, ast.Name)
                    and child.func.id in ("_", "ngettext", "pgettext")):
                found.append(ast.unparse(child)[:60])
            walk(child, inside)

    walk(ast.parse(source), False)
    return found


def test_the_import_time_check_finds_a_planted_call():
    assert import_time_calls('TITLE = _("Hello")\ndef f():\n    return _("inside")\nX = N_("marked")\n') == [
        "_('Hello')"]


def test_no_sentence_is_translated_at_import_time():
    found = {str(p.relative_to(REPO)): calls for p in sorted((REPO / "gruviz").rglob("*.py"))
             if (calls := import_time_calls(p.read_text(encoding="utf-8")))}
    assert found == {}


@pytest.mark.parametrize("tag, expected", [
    ("es", "es"), ("es-MX", "es"), ("es_ES.UTF-8", "es"), ("ES", "es"), ("zh-Hans", "zh-Hans"),
    ("zh-CN", "zh-Hans"), ("zh_CN.UTF-8", "zh-Hans"), ("zh", "zh-Hans"), ("zh-Hans-CN", "zh-Hans"),
    ("zh-TW", None), ("zh-Hant", None), ("en-GB", "en"), ("fr-FR", None), ("", None), (None, None),
    ("C", None), ("de_DE@euro", None),
])
def test_a_language_tag_names_a_language_gruviz_has(tag, expected):
    assert text.chosen(tag) == expected


@pytest.mark.parametrize("environ, expected", [
    ({}, "en"), ({"LANG": "es_ES.UTF-8"}, "es"), ({"LANG": "zh_CN.UTF-8"}, "zh-Hans"),
    ({"LC_ALL": "C", "LANG": "es_ES.UTF-8"}, "en"),  # LC_ALL set wins over LANG, as in gettext
    ({"LC_ALL": "es_MX.UTF-8", "LANG": "en_US.UTF-8"}, "es"),
    ({"LANGUAGE": "fr:zh_CN:es", "LANG": "en_US.UTF-8"}, "zh-Hans"),  # the first it has, in order
    ({"LANGUAGE": "fr", "LANG": "es_ES.UTF-8"}, "es"), ({"LANG": "fr_FR.UTF-8"}, "en"),
])
def test_the_environment_names_the_language_as_gettext_reads_it(environ, expected):
    assert text.from_environment(environ) == expected


def test_each_thread_keeps_its_own_language():
    """Two people's page runs are two threads of one server: one's choice never reaches the other."""
    title = "Update rule flipped"
    seen = {}

    def run(language: str) -> None:
        text.use(language)
        barrier.wait()
        seen[language] = text._(title)

    barrier = threading.Barrier(3)
    threads = [threading.Thread(target=run, args=(language,)) for language in ("es", "zh-Hans", "en")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == {"es": catalogue("es")[title].string, "zh-Hans": catalogue("zh-Hans")[title].string,
                    "en": title} and len(set(seen.values())) == 3


def diagnose(tmp_path: Path, *args: str, **environ: str) -> subprocess.CompletedProcess:
    from gruviz.io import weights_file
    from gruviz.classroom.presets import BY_KEY

    weights = tmp_path / "w.json"
    weights.write_text(weights_file.dumps(BY_KEY["stack_exchange"].weights))
    env = {k: v for k, v in os.environ.items() if k not in ("LANGUAGE", "LC_ALL", "LANG")} | environ
    return subprocess.run([sys.executable, "-m", "gruviz", "diagnose", str(weights), "--sequence", "1,2,9,8",
                           "--claimed-output", "-0.7069", *args], capture_output=True, text=True, timeout=120,
                          cwd=REPO, env=env)


def explanation(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["explanations"][0]["explanation"]


def test_the_cli_follows_lang_over_the_environment(tmp_path):
    english = explanation(diagnose(tmp_path))
    spanish = catalogue("es")[english].string
    chinese = catalogue("zh-Hans")[english].string
    assert explanation(diagnose(tmp_path, LANG="es_ES.UTF-8")) == spanish
    assert explanation(diagnose(tmp_path, LANGUAGE="zh_CN", LANG="es_ES.UTF-8")) == chinese
    assert explanation(diagnose(tmp_path, "--lang", "en", LANG="es_ES.UTF-8")) == english
    assert explanation(diagnose(tmp_path, "--lang=zh-Hans")) == chinese
    refused = diagnose(tmp_path, "--lang", "fr")
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1 and "--lang" in refused.stderr
    assert json.loads(diagnose(tmp_path, "--lang", "es").stdout)["explanations"][0]["mistake"] == (
        "sequence_summed_into_one_step")  # ids and keys stay English


def test_code_that_runs_before_the_page_sets_the_language_reads_the_persons():
    """A widget's callback runs in a new thread before the page's `use`: it asks `follow`'s source."""
    title = "Update rule flipped"
    seen = []
    try:
        text.follow(lambda: "es")
        worker = threading.Thread(target=lambda: seen.append(text._(title)))
        worker.start()
        worker.join()
        text.follow(lambda: "fr")  # a language gruviz does not have: English
        worker = threading.Thread(target=lambda: seen.append(text._(title)))
        worker.start()
        worker.join()
    finally:
        text.follow(lambda: None)
    assert seen == [catalogue("es")[title].string, title]
