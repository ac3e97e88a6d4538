"""Databases for the class tests: a SQLite file, and a real PostgreSQL server the tests start.

The server is Debian's PostgreSQL (`make test` installs the `postgresql` package): one per
pytest process, so every pytest-xdist worker has its own data directory and port. It listens
on 127.0.0.1 with trust authentication, keeps nothing on disk past the session (fsync off,
a temporary directory) and hands each test a database of its own. PostgreSQL refuses to run
as root, so as root its programs run as the `postgres` system user.
"""

from __future__ import annotations

import atexit
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from glob import glob
from pathlib import Path

import pytest

BACKENDS = ("sqlite", "postgresql")
INSTALL = ("the class tests start their own PostgreSQL server from Debian's binaries "
           "(/usr/lib/postgresql/*/bin/initdb), and none is installed: `make test` installs Debian's "
           "postgresql package, or run `apt-get install postgresql`.")
SERVER_USER = "postgres"


def bin_dir() -> Path:
    """The newest installed PostgreSQL's programs; fails the test with how to install them."""
    found = [Path(p).parent for p in glob("/usr/lib/postgresql/*/bin/initdb")]
    found = [d for d in found if (d / "pg_ctl").exists()]
    if not found:
        pytest.fail(INSTALL, pytrace=False)
    return max(found, key=lambda d: int(d.parent.name) if d.parent.name.isdigit() else 0)


def free_port() -> int:
    """A TCP port nothing listens on right now (closed again, so also a port that refuses)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgresServer:
    """A throwaway PostgreSQL cluster: started by `start`, removed with its files by `stop`."""

    def __init__(self, programs: Path):
        self.programs = programs
        self.as_root = os.geteuid() == 0
        self.folder = Path(tempfile.mkdtemp(prefix="gruviz-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self.port = 0
        self.running = False
        self._names = itertools.count(1)
        if self.as_root:
            try:
                user = pwd.getpwnam(SERVER_USER)
            except KeyError:
                pytest.fail(f"PostgreSQL refuses to run as root and there is no '{SERVER_USER}' user; "
                            "`make test` installs Debian's postgresql package, which adds it.", pytrace=False)
            os.chown(self.folder, user.pw_uid, user.pw_gid)

    def _run(self, program: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.programs / program), *args]
        if self.as_root:
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        done = subprocess.run(command, cwd=self.folder, capture_output=True, text=True, timeout=120,
                              env={**os.environ, "LC_ALL": "C", "LANG": "C"})
        if check and done.returncode:
            pytest.fail(f"{program} {' '.join(args[:2])} failed: {done.stderr.strip() or done.stdout.strip()}\n"
                        f"{self._log_tail()}", pytrace=False)
        return done

    def _log_tail(self) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-15:])
        except OSError:
            return ""

    def start(self) -> PostgresServer:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", SERVER_USER, "-E", "UTF8",
                  "--locale=C", "--no-sync")
        for _attempt in range(5):  # another worker may take the free port first
            self.port = free_port()
            options = (f"-h 127.0.0.1 -p {self.port} -k {self.folder} -F -c fsync=off "
                       "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
            done = self._run("pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data), "-l", str(self.log),
                             "-o", options, check=False)
            if done.returncode == 0:
                self.running = True
                atexit.register(self.stop)
                return self
            if "could not bind" not in self._log_tail() and "in use" not in self._log_tail():
                break
        self.stop()
        pytest.fail(f"PostgreSQL did not start: {done.stderr.strip()}\n{self._log_tail()}", pytrace=False)

    def url(self, database: str = "postgres", port: int | None = None) -> str:
        return f"postgresql+psycopg://{SERVER_USER}@127.0.0.1:{port or self.port}/{database}"

    def _admin(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user=SERVER_USER, dbname="postgres",
                             autocommit=True) as connection:
            connection.execute(statement)

    def create_database(self) -> str:
        """A new empty database (no tables, not even Alembic's); its name."""
        name = f"gruviz_test_{next(self._names)}"
        self._admin(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        """Gone, with every connection still open to it."""
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if self.running:
            self._run("pg_ctl", "stop", "-m", "immediate", "-w", "-D", str(self.data), check=False)
            self.running = False
        shutil.rmtree(self.folder, ignore_errors=True)


def sqlite_url(folder: Path, name: str = "classes.sqlite3") -> str:
    return f"sqlite:///{folder / name}"


def unreachable_url(backend: str, folder: Path) -> str:
    """A database that cannot answer: a closed port, or a SQLite file in a folder that does not exist."""
    if backend == "sqlite":
        return sqlite_url(folder / "no such folder")
    return f"postgresql+psycopg://{SERVER_USER}@127.0.0.1:{free_port()}/gruviz"


# What the class tests share.
INTERNALS = ("Traceback", 'File "', "sqlalchemy", "psycopg", "sqlite3", "OperationalError", "Error:", "\n")


def assert_for_a_person(message: str) -> None:
    """One line written for a person: a capital, a full stop, no traceback or driver text."""
    text = str(message)
    assert text and text[0].isupper() and text.endswith("."), text
    for internal in INTERNALS:
        assert internal not in text, (internal, text)


def rows(store, table: str) -> list[dict]:
    """Every row of a table, read with SQL past the Store, as the database holds it."""
    from sqlalchemy import text

    with store.engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(text(f"SELECT * FROM {table}"))]


def known_bug(request, backend: str, on: str, reason: str) -> None:
    """Mark this run an expected failure on one backend (or "both"); strict, so once the bug is
    fixed the test fails until the mark is removed."""
    if on in (backend, "both"):
        request.applymarker(pytest.mark.xfail(strict=True, reason=reason))
