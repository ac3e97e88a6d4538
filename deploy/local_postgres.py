"""A PostgreSQL server of gruviz's own on this machine, for several `streamlit run` processes
that share one class database (deploy/serve.py --postgres, the class benchmark and tests).

    .venv/bin/python deploy/local_postgres.py [--dir DIR]

Debian's programs (/usr/lib/postgresql/*/bin) run a cluster from a folder of its own:
`initdb` the first time, trust authentication, listening on 127.0.0.1 only at a free port,
no Unix socket. Without a folder the cluster is a throwaway one (a temporary folder, no
fsync, removed on stop); with one it is kept and started again from it next time.
PostgreSQL refuses to run as root, so as root its programs run as the `postgres` user.
Every failure is a RuntimeError whose message is one sentence for a person.
"""

from __future__ import annotations

import argparse
import atexit
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from glob import glob
from pathlib import Path

SERVER_USER = "postgres"
DATABASE = "gruviz"
INSTALL = ("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): "
           "install Debian's package with `apt-get install postgresql`.")
START_ATTEMPTS = 5  # another program may take the free port between the probe and the bind
TIMEOUT_S = 120
THROWAWAY_OPTIONS = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"


def bin_dir() -> Path:
    """The newest installed PostgreSQL's programs."""
    found = [Path(p).parent for p in glob("/usr/lib/postgresql/*/bin/initdb")]
    found = [d for d in found if (d / "pg_ctl").exists()]
    if found:
        return max(found, key=lambda d: int(d.parent.name) if d.parent.name.isdigit() else 0)
    on_path = shutil.which("initdb"), shutil.which("pg_ctl")
    if all(on_path):
        return Path(on_path[0]).parent
    raise RuntimeError(INSTALL)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LocalPostgres:
    """One cluster: `start()` it, hand `url` to the processes, `stop()` it (also at exit)."""

    def __init__(self, folder: Path | None = None, keep: bool | None = None, database: str = DATABASE):
        self.programs = bin_dir()
        self.keep = folder is not None if keep is None else keep
        self.folder = Path(folder).resolve() if folder else Path(tempfile.mkdtemp(prefix="gruviz-pg-"))
        self.data, self.log = self.folder / "data", self.folder / "server.log"
        self.database = database
        self.port = 0
        self.running = False
        self.user = None
        if os.geteuid() == 0:
            try:
                self.user = pwd.getpwnam(SERVER_USER)
            except KeyError:
                raise RuntimeError(f"PostgreSQL refuses to run as root and there is no '{SERVER_USER}' user: "
                                   "install Debian's postgresql package, which adds it.") from None

    @property
    def url(self) -> str:
        """The SQLAlchemy URL gruviz reads from GRUVIZ_DATABASE_URL."""
        return f"postgresql+psycopg://{SERVER_USER}@127.0.0.1:{self.port}/{self.database}"

    def _run(self, program: str, *args: str) -> subprocess.CompletedProcess:
        """One of PostgreSQL's programs (or an absolute path), as the postgres user when root."""
        command = [program if program.startswith("/") else str(self.programs / program), *args]
        if self.user is not None:
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        try:
            return subprocess.run(command, cwd=self.folder, capture_output=True, text=True, timeout=TIMEOUT_S,
                                  env={**os.environ, "LC_ALL": "C", "LANG": "C"})
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"PostgreSQL's {program} did not finish within {TIMEOUT_S} s; "
                               f"see {self.log}.") from None

    def _log_since(self, offset: int) -> str:
        try:
            with open(self.log, errors="replace") as log:
                log.seek(offset)
                return log.read()
        except OSError:
            return ""

    def _prepare_folder(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.user is None:
            return
        os.chown(self.folder, self.user.pw_uid, self.user.pw_gid)
        if self._run("/usr/bin/test", "-w", str(self.folder)).returncode:
            raise RuntimeError(f"The '{SERVER_USER}' user cannot reach {self.folder}: choose a folder whose "
                               "parents everyone may enter (chmod o+x), such as one under /tmp or /var/lib.")

    def start(self) -> LocalPostgres:
        if self.running:
            return self
        self._prepare_folder()
        if self.keep and (self.data / "postmaster.pid").exists() \
                and self._run("pg_ctl", "status", "-D", str(self.data)).returncode == 0:
            raise RuntimeError(f"A PostgreSQL server already runs from {self.data}: stop it first "
                               f"(pg_ctl stop -D {self.data}) or choose another folder.")
        if not (self.data / "PG_VERSION").exists():
            done = self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", SERVER_USER, "-E", "UTF8",
                             "--locale=C", *(() if self.keep else ("--no-sync",)))
            if done.returncode:
                raise RuntimeError(f"initdb could not create a cluster in {self.data}: "
                                   f"{_last_line(done.stderr or done.stdout)}")
        extra = "" if self.keep else f" {THROWAWAY_OPTIONS}"
        for _attempt in range(START_ATTEMPTS):
            self.port = free_port()
            offset = self.log.stat().st_size if self.log.exists() else 0
            options = (f"-h 127.0.0.1 -p {self.port} -c unix_socket_directories='' "
                       f"-c max_connections=200{extra}")
            done = self._run("pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data), "-l", str(self.log),
                             "-o", options)
            if done.returncode == 0:
                self.running = True
                atexit.register(self.stop)
                break
            said = self._log_since(offset)
            if "could not bind" not in said and "in use" not in said:
                break
        if not self.running:
            self._forget()
            raise RuntimeError(f"PostgreSQL did not start: {_last_line(said or done.stderr)} "
                               f"(see {self.log}).")
        try:
            self._create_database()
        except BaseException:
            self.stop()
            raise
        return self

    def _create_database(self) -> None:
        try:
            import psycopg
        except ImportError:
            raise RuntimeError("psycopg is missing: `make setup` installs it (requirements.txt).") from None
        try:
            with psycopg.connect(host="127.0.0.1", port=self.port, user=SERVER_USER, dbname="postgres",
                                 autocommit=True, connect_timeout=10) as connection:
                if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                      (self.database,)).fetchone() is None:
                    connection.execute(f'CREATE DATABASE "{self.database}"')
        except psycopg.Error as error:
            raise RuntimeError(f"PostgreSQL started but the database {self.database} could not be "
                               f"created: {_last_line(str(error))}") from None

    def stop(self) -> None:
        """Stop the server; a throwaway cluster's folder goes with it. Safe to call twice."""
        if self.running:
            mode = "fast" if self.keep else "immediate"  # a throwaway cluster needs no checkpoint
            self._run("pg_ctl", "stop", "-m", mode, "-w", "-D", str(self.data))
            self.running = False
        self._forget()

    def _forget(self) -> None:
        if not self.keep:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> LocalPostgres:
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.stop()


def for_processes(env: dict[str, str], run_dir: Path, keep: bool) -> LocalPostgres | None:
    """serve.py --postgres: a server in RUN_DIR/postgres whose URL `env` passes to the processes,
    unless `env` already names a database in GRUVIZ_DATABASE_URL (then that one is used)."""
    if env.get("GRUVIZ_DATABASE_URL", "").strip():
        return None
    if os.geteuid() == 0:
        run_dir.chmod(0o711)  # the postgres user enters the run directory to reach its cluster
    server = LocalPostgres(run_dir / "postgres", keep=keep).start()
    env["GRUVIZ_DATABASE_URL"] = server.url
    return server


def describe(env: dict[str, str]) -> str:
    """Where the processes keep classes, for a person (never a password)."""
    url = env.get("GRUVIZ_DATABASE_URL", "").strip()
    if url:
        return url.split("://", 1)[0] + "://" + url.rpartition("@")[2]
    return "SQLite under " + (env.get("GRUVIZ_DATA_DIR") or "data/")


def _last_line(text: str) -> str:
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return (lines[-1] if lines else "no message").rstrip(".") + "."


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, help="keep the cluster in this folder (default: a throwaway one)")
    args = parser.parse_args(argv)
    stopping: list[int] = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda number, _frame: stopping.append(number))
    try:
        server = LocalPostgres(args.dir).start()
    except RuntimeError as problem:
        print(f"local_postgres: {problem}", file=sys.stderr)
        return 1
    print(f"GRUVIZ_DATABASE_URL={server.url}\n(data in {server.data}; Ctrl-C stops it"
          f"{'' if server.keep else ' and deletes it'})", flush=True)
    try:
        while not stopping:
            signal.pause()
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
