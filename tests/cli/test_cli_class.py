"""`python -m gruviz class create|results` against SQLite and a real PostgreSQL server
(`class_url`): the links printed, the class stored, the report printed, and every refusal
one line on stderr with status 2. Commands run in this process (tests/cli_run.py); the
first test, the refusals and an unreachable database run as real processes.
"""

import csv
import io
import json
import string
import subprocess
import urllib.parse

import numpy as np
import pytest

import cli_run
from class_db import BACKENDS, rows, unreachable_url
from gruviz.classroom import exercises, live, presets, room
from gruviz.io import share
from gruviz.store import Store

ALPHABET = set(string.ascii_uppercase + string.digits) - set("0O1IL")
EXERCISE = exercises.generate(room.DEFAULT_SEED)


def _environment(tmp_path, env=None) -> dict:
    return {"GRUVIZ_DATABASE_URL": None, "GRUVIZ_DATA_DIR": str(tmp_path / "data"), **(env or {})}


def gruviz(tmp_path, *args, env=None, process=False) -> subprocess.CompletedProcess:
    return cli_run.gruviz(*args, cwd=tmp_path, env=_environment(tmp_path, env), process=process)


def gruviz_all(tmp_path, runs, process=False) -> list[subprocess.CompletedProcess]:
    return cli_run.gruviz_all(runs, cwd=tmp_path, env=_environment(tmp_path), process=process)


def created(tmp_path, url, *args, process=False) -> dict:
    done = gruviz(tmp_path, "class", "create", "--db", url, *args, process=process)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    return json.loads(done.stdout)


def params(link: str) -> dict:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(link).query, keep_blank_values=True))


def refused(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stdout == ""
    line = done.stderr
    assert line.startswith("gruviz: ") and line.endswith("\n") and line.count("\n") == 1, line
    assert "Traceback" not in line and "unexpected error" not in line and "Error" not in line, line
    return line


def test_create_prints_a_code_and_both_links(tmp_path, class_url):
    printed = created(tmp_path, class_url, process=True)
    assert set(printed) == {"code", "teacher_link", "student_link"}
    code = printed["code"]
    assert len(code) == 6 and set(code) <= ALPHABET
    assert printed["student_link"] == f"http://localhost:8501/?class={code}"
    assert printed["teacher_link"].startswith(f"http://localhost:8501/?class={code}&teacher=")
    token = params(printed["teacher_link"])["teacher"]
    store = Store(class_url)
    info = room.teacher_class(store, token)  # the printed token opens the stored class
    assert (info.code, info.exercise_seed, info.per_student, info.lesson) == (code, room.DEFAULT_SEED, False, "")
    assert token not in json.dumps([str(v) for v in info.__dict__.values()])


def test_create_takes_the_seed_the_variants_the_lesson_and_the_address(tmp_path, class_url):
    printed = created(tmp_path, class_url, "--exercise", "12", "--variants", "per-student",
                      "--lesson", "stack_exchange", "--base-url", "https://gru.example.org/")
    code = printed["code"]
    assert printed["student_link"] == f"https://gru.example.org/?class={code}"
    info = room.teacher_class(Store(class_url), params(printed["teacher_link"])["teacher"])
    assert (info.exercise_seed, info.per_student) == (12, True)
    lesson = share.decode(dict(urllib.parse.parse_qsl(info.lesson)))
    np.testing.assert_array_equal(lesson.weights.kernel, presets.BY_KEY["stack_exchange"].weights.kernel)
    bare = created(tmp_path, class_url, "--base-url", "")
    assert bare["student_link"] == f"?class={bare['code']}"
    assert bare["teacher_link"].startswith(f"?class={bare['code']}&teacher=")


def test_create_refuses_bad_options_in_one_line(tmp_path, class_url):
    bad = {"seed": ["--exercise", "-1"], "example": ["--lesson", "https://x.org/?a=1"],
           "variants": ["--variants", "some"], "base-url": ["--base-url", "http://x/?a=1"]}
    done = gruviz_all(tmp_path, [["class", "create", "--db", class_url, *args] for args in bad.values()],
                      process=True)
    for says, run in zip(bad, done):
        assert says in refused(run)
    assert _classes(class_url) == []


def _classes(url):
    return rows(Store(url), "classes")


def test_create_uses_gruviz_database_url_without_db(tmp_path, class_url):
    done = gruviz(tmp_path, "class", "create", env={"GRUVIZ_DATABASE_URL": class_url})
    assert done.returncode == 0, done.stderr
    assert [c["code"] for c in _classes(class_url)] == [json.loads(done.stdout)["code"]]


def a_class_at_work(url):
    """A class; three students (one named like a formula) typed numbers, one of them replaced."""
    store = Store(url)
    made = room.create(store)
    info, token = made.info, made.teacher_token
    people = [room.join(store, info, name)[1] for name in ("=cmd|' /C calc'!A0", "Ana", "Bo")]
    first, second = EXERCISE.cells()[:2]
    right = f"{EXERCISE.answer(*first):.{EXERCISE.answer_decimals}f}"
    live.save(store, info, people[0], {first: "0.5"})
    live.save(store, info, people[0], {first: right, second: "-0.25"})
    live.save(store, info, people[1], {first: "=1+1"})
    return info.code, token, right


def test_results_print_every_student_as_csv(tmp_path, class_url):
    code, token, right = a_class_at_work(class_url)
    done = gruviz(tmp_path, "class", "results", code.lower(), f"--token={token}", "--db", class_url)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    records = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [r["student"] for r in records] == ["'=cmd|' /C calc'!A0", "Ana", "Bo"]
    assert [r["z1[1]"] for r in records] == [right, "'=1+1", ""]
    assert [r["z1[1] result"] for r in records] == ["right", "invalid", "blank"]
    assert EXERCISE.units == 2 and records[0]["z1[2]"] == "-0.25"  # the second number: z of step 1, unit 2
    history = records[0]["every number typed"]
    assert history.index("z.0.0=0.5@") < history.index(f"z.0.0={right}@")


def test_results_print_json_and_anonymize(tmp_path, class_url):
    code, token, right = a_class_at_work(class_url)
    done = gruviz(tmp_path, "class", "results", code, f"--token={token}", "--format", "json", "--db", class_url)
    assert done.returncode == 0, done.stderr
    records = json.loads(done.stdout)
    assert [r["student"] for r in records] == ["=cmd|' /C calc'!A0", "Ana", "Bo"]  # JSON runs no formula
    assert [r["z1[1]"] for r in records] == [right, "=1+1", ""] and records[0]["score"] == 1
    link = f"http://localhost:8501/?class={code}&teacher={token}"  # the whole teacher link also works
    anonymous = gruviz(tmp_path, "class", "results", code, f"--token={link}", "--anonymize", "--db", class_url)
    assert anonymous.returncode == 0, anonymous.stderr
    assert [r["student"] for r in csv.DictReader(io.StringIO(anonymous.stdout))] == [
        "Student 1", "Student 2", "Student 3"]
    assert "Ana" not in anonymous.stdout and "cmd" not in anonymous.stdout


def test_results_refuse_a_wrong_or_foreign_token_in_one_line(tmp_path, class_url):
    code, token, _ = a_class_at_work(class_url)
    other = room.create(Store(class_url))
    wrong = token[:-1] + ("A" if token[-1] != "A" else "B")
    runs = {"opens no class": [code, f"--token={wrong}"], "another class": [code, f"--token={other.teacher_token}"],
            "teacher link": [code, "--token=x"], "not ZZZZZZ": ["ZZZZZZ", f"--token={token}"],
            "mistyped, or the class was deleted": [code, "--token", "-" + token]}  # a token may start with -
    done = gruviz_all(tmp_path, [["class", "results", *args, "--db", class_url] for args in runs.values()])
    for says, run in zip(runs, done):
        line = refused(run)
        assert says in line and token not in line and other.teacher_token not in line, line


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_database_that_does_not_answer_is_one_line(tmp_path, backend):
    url = unreachable_url(backend, tmp_path)
    done = gruviz_all(tmp_path, [["class", "create", "--db", url],
                                 ["class", "results", "ABCDEF", f"--token={room.new_token()}", "--db", url]],
                      process=True)
    assert all("not answering" in refused(run) for run in done)


def test_a_url_no_database_reads_is_one_line(tmp_path):
    assert "not a URL" in refused(gruviz(tmp_path, "class", "create", "--db", "::"))
