"""gruviz.store on real databases: SQLite and a PostgreSQL server started for the tests.

Every test runs on both (the `class_store` / `class_url` fixtures in conftest.py).
"""

import hashlib
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from class_db import BACKENDS, assert_for_a_person, rows, unreachable_url
from gruviz.classroom import room
from gruviz.errors import InputError
from gruviz.store import Answer, Store, StoreUnavailable, Taken, now
from gruviz.store import engine as store_engine
from gruviz.store.schema import Base

REPO = Path(__file__).resolve().parents[2]
# The migration's docstring: classes, students, typed numbers, reveals, failed joins and settings.
TABLES = {"classes", "students", "answers", "reveals", "failed_joins", "settings"}


def head() -> str:
    config = Config()
    config.set_main_option("script_location", str(store_engine.MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


def versions(store) -> list[str]:
    return [row["version_num"] for row in rows(store, "alembic_version")]


def sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def a_class(store, students=("Ana", "Bo")):
    """A class with students, each with a typed number and a reveal."""
    info = store.create_class(room.new_code(), sha(room.new_token()), 7, False)
    people = [store.add_student(info.id, name, name.casefold(), sha(room.new_token())) for name in students]
    store.add_answers([Answer(p.id, "z.0.0", "0.5", "wrong", "", now()) for p in people])
    for p in people:
        store.add_reveal(p.id, "h.0.0")
    return info, people


def test_a_fresh_database_gets_every_table_at_the_newest_migration(class_store):
    tables = set(inspect(class_store.engine).get_table_names())
    assert tables == TABLES | {"alembic_version"}
    assert versions(class_store) == [head()]
    with class_store.engine.connect() as connection:  # the migration builds exactly what the code maps
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_migrating_again_changes_nothing(class_url):
    store = Store(class_url)
    info, _ = a_class(store)
    store_engine.migrate(store.engine)
    store_engine.migrate(store.engine)
    store_engine.forget(class_url)
    again = Store(class_url)  # a new process's first open: migrates once more
    assert versions(again) == [head()]
    assert again.class_by_code(info.code) == info
    assert len(again.students(info.id)) == 2


def test_threads_opening_a_fresh_database_at_once_all_succeed(class_url):
    barrier, results = threading.Barrier(4), []

    def open_it():
        barrier.wait()
        try:
            results.append(Store(class_url))
        except Exception as error:  # noqa: BLE001 - the test reports what went wrong
            results.append(error)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert all(isinstance(r, Store) for r in results) and len(results) == 4, results
    assert set(inspect(results[0].engine).get_table_names()) >= TABLES


OPENER = """
import sys, time
from gruviz.store import Store, StoreUnavailable
start, urls = float(sys.argv[1]), sys.argv[2:]
for i, url in enumerate(urls):
    at = start + 0.7 * i  # round i: every process opens the same fresh database at once
    time.sleep(max(0.0, at - time.time() - 0.01))
    while time.time() < at:  # only the last 10 ms spin: sleep wakes too late to start together
        pass
    try:
        Store(url)
    except StoreUnavailable as error:
        print("unavailable:", error, flush=True)
    else:
        print("ok", flush=True)
"""
ROUNDS, PROCESSES = 5, 4


def test_processes_opening_a_fresh_database_at_once_all_succeed(class_url, backend, request, tmp_path):
    if backend == "sqlite":
        urls = [class_url] + [f"sqlite:///{tmp_path / f'round{i}.sqlite3'}" for i in range(1, ROUNDS)]
    else:
        server = request.getfixturevalue("postgres_server")
        urls = [class_url] + [server.url(server.create_database()) for _ in range(1, ROUNDS)]
    start = time.time() + 3  # every process has imported gruviz by then
    procs = [subprocess.Popen([sys.executable, "-c", OPENER, str(start), *urls], cwd=REPO,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(PROCESSES)]
    outputs = [p.communicate(timeout=180) for p in procs]
    assert [out.split("\n")[:-1] for out, _ in outputs] == [["ok"] * ROUNDS] * PROCESSES, outputs
    assert [p.returncode for p in procs] == [0] * PROCESSES
    for url in urls:
        assert versions(Store(url)) == [head()]
        store_engine.forget(url)


def test_deleting_a_class_deletes_its_students_answers_and_reveals(class_store):
    info, people = a_class(class_store)
    other, others = a_class(class_store, ("Cy",))
    class_store.delete_class(info.id)
    assert [c["code"] for c in rows(class_store, "classes")] == [other.code]
    assert {s["class_id"] for s in rows(class_store, "students")} == {other.id}
    assert {a["student_id"] for a in rows(class_store, "answers")} == {others[0].id}
    assert {r["student_id"] for r in rows(class_store, "reveals")} == {others[0].id}


def test_a_name_is_unique_in_a_class_whatever_its_case(class_store):
    info = class_store.create_class("ABCDEF", sha("t1" * 12), 7, False)
    class_store.add_student(info.id, "Ana", "ana", sha("s1" * 12))
    with pytest.raises(Taken):
        class_store.add_student(info.id, "ANA", "ana", sha("s2" * 12))
    elsewhere = class_store.create_class("BCDEFG", sha("t2" * 12), 7, False)
    class_store.add_student(elsewhere.id, "ANA", "ana", sha("s3" * 12))  # another class: the name is free
    assert [s.name for s in class_store.students(info.id)] == ["Ana"]
    assert [s.name for s in class_store.students(elsewhere.id)] == ["ANA"]


@pytest.mark.parametrize("first, again", [("Ana", "ANA"), ("Straße", "STRASSE"), ("Ana", " ana ")])
def test_joining_with_a_taken_name_is_refused_in_one_sentence(class_store, first, again):
    info = room.create(class_store).info
    room.join(class_store, info, first)
    with pytest.raises(InputError) as refused:  # "ß".casefold() is "ss"; spaces around a name fold away
        room.join(class_store, info, again)
    assert_for_a_person(refused.value)
    assert again.strip() in str(refused.value)
    assert [s.name for s in class_store.students(info.id)] == [first]


def test_a_code_and_a_teacher_hash_are_unique(class_store):
    class_store.create_class("ABCDEF", sha("a"), 7, False)
    with pytest.raises(Taken):
        class_store.create_class("ABCDEF", sha("b"), 7, False)
    with pytest.raises(Taken):
        class_store.create_class("BCDEFG", sha("a"), 7, False)
    assert len(rows(class_store, "classes")) == 1


def test_a_setting_is_made_once_and_kept(class_url):
    store = Store(class_url)
    calls = []

    def make(value):
        return lambda: calls.append(value) or value

    assert store.setting("secret", make("first")) == "first"
    assert store.setting("secret", make("second")) == "first"
    assert calls == ["first"]
    store_engine.forget(class_url)
    assert Store(class_url).setting("secret", make("third")) == "first"
    assert rows(store, "settings") == [{"key": "secret", "value": "first"}]


def test_racing_threads_agree_on_one_setting(class_store):
    barrier, seen = threading.Barrier(6), []

    def ask(i):
        barrier.wait()
        seen.append(class_store.setting("race", lambda: f"value {i}"))

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(seen) == 6 and len(set(seen)) == 1
    assert [r["value"] for r in rows(class_store, "settings")] == seen[:1]


def test_times_come_back_aware_and_in_utc(class_store):
    before = datetime.now(timezone.utc)
    info, people = a_class(class_store)
    after = datetime.now(timezone.utc)
    times = [class_store.class_by_code(info.code).created_at, *(s.joined_at for s in class_store.students(info.id)),
             *(a.at for a in class_store.answers(info.id)), *(r.at for r in class_store.reveals(info.id))]
    assert len(times) == 1 + 2 + 2 + 2
    for moment in times:
        assert moment.tzinfo is not None and moment.utcoffset() == timedelta(0)
        assert before - timedelta(seconds=1) <= moment <= after + timedelta(seconds=1)


def test_a_time_with_another_offset_is_the_same_instant(class_store, backend, request):
    info, people = a_class(class_store, ("Ana",))
    at = datetime(2024, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=5)))
    class_store.add_answers([Answer(people[0].id, "r.0.0", "0.25", "wrong", "", at)])
    stored = next(a for a in class_store.answers(info.id) if a.cell == "r.0.0")
    assert stored.at == datetime(2024, 3, 1, 7, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_database_that_does_not_answer_says_so_in_a_line(backend, tmp_path):
    url = unreachable_url(backend, tmp_path)
    started = time.monotonic()
    with pytest.raises(StoreUnavailable) as raised:
        Store(url)
    assert time.monotonic() - started < 15
    assert_for_a_person(raised.value)
    assert url not in str(raised.value) and "127.0.0.1" not in str(raised.value)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__  # no driver traceback chained
    store_engine.forget(url)


def test_a_database_that_goes_away_after_opening_says_so(class_store, class_url, backend, request):
    info, _ = a_class(class_store)
    if backend == "postgresql":  # the server drops the database and every connection to it
        request.getfixturevalue("postgres_server").drop_database(class_url.rsplit("/", 1)[1])
        with pytest.raises(StoreUnavailable) as raised:
            class_store.class_by_code(info.code)
    else:  # the file is overwritten with something that is not a database
        store_engine.forget(class_url)
        Path(class_url.removeprefix("sqlite:///")).write_bytes(b"not a database " * 1000)
        with pytest.raises(StoreUnavailable) as raised:
            Store(class_url)
    assert_for_a_person(raised.value)


@pytest.mark.parametrize("url, says", [("mysql://root@localhost/db", "SQLite or PostgreSQL"),
                                       ("not a url", "not a URL")])
def test_a_database_gruviz_cannot_use_is_refused(url, says):
    with pytest.raises(InputError, match=says):
        Store(url)


def test_raw_sql_sees_what_the_store_wrote(class_store):
    info, people = a_class(class_store, ("Ana",))
    (row,) = rows(class_store, "students")
    assert (row["class_id"], row["name"], row["name_key"], row["number"]) == (info.id, "Ana", "ana", 1)
    with class_store.engine.connect() as connection:
        assert connection.execute(text("SELECT typed FROM answers")).scalar_one() == "0.5"


def test_without_postgresql_the_class_tests_fail_saying_make_test_installs_it(monkeypatch):
    import class_db

    monkeypatch.setattr(class_db, "glob", lambda pattern: [])  # as on a machine without Debian's postgresql
    with pytest.raises(pytest.fail.Exception, match=r"`make test` installs Debian's postgresql"):
        class_db.bin_dir()
