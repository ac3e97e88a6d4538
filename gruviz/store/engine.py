"""Where class data lives: one SQLAlchemy engine per database URL and process.

`GRUVIZ_DATABASE_URL` names the database (`postgresql+psycopg://user@host/db` for several
processes or machines); without it, SQLite in WAL mode in `GRUVIZ_DATA_DIR` (default
`data/` beside the app), so `make run` needs no server. The schema is brought up to
date by Alembic the first time a process opens a database.
"""

from __future__ import annotations

import fcntl
import os
import threading
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from ..errors import InputError
from ..text import _

REPO = Path(__file__).resolve().parents[2]
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_MIGRATION_LOCK = 73019  # any fixed number: PostgreSQL's advisory lock that serialises migrations
_engines: dict[str, Engine] = {}
_lock = threading.Lock()


class StoreUnavailable(RuntimeError):
    """The database did not answer. str(error) is written for a person."""


def default_url() -> str:
    url = os.environ.get("GRUVIZ_DATABASE_URL", "").strip()
    if url:
        return url
    folder = Path(os.environ.get("GRUVIZ_DATA_DIR", "") or REPO / "data")
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'gruviz.sqlite3'}"


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the one writer
    cursor.execute("PRAGMA foreign_keys=ON")  # so deleting a class deletes its students
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _create(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise InputError(_("the database URL is not a URL SQLAlchemy reads; use sqlite:///path or "
                           "postgresql+psycopg://user@host/db.")) from None
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(parsed, connect_args={"timeout": 5, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
    elif parsed.get_backend_name() == "postgresql":
        # connect_timeout: an unreachable server is told within seconds, not after TCP's minutes.
        engine = create_engine(parsed, pool_pre_ping=True, pool_size=5, max_overflow=10,
                               connect_args={"connect_timeout": 3})
    else:
        raise InputError(_("gruviz keeps classes in SQLite or PostgreSQL, not {backend}.").format(
            backend=parsed.get_backend_name()))
    return engine


@contextmanager
def _one_migration_at_a_time(engine: Engine):
    """SQLite runs Alembic's DDL outside a transaction, so two processes opening a fresh file
    would both create the tables: a lock file beside the database lets one migrate at a time.
    (PostgreSQL serialises with an advisory lock inside the migration's transaction.)"""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate-lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration; safe when several processes start at once."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with _one_migration_at_a_time(engine), engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def engine_for(url: str | None = None) -> Engine:
    """The process's engine for `url`, migrated once; StoreUnavailable if the database is down."""
    url = url or default_url()
    with _lock:
        if url in _engines:
            return _engines[url]
        engine = _create(url)
        try:
            migrate(engine)
        except (SQLAlchemyError, OSError) as error:  # OSError: the lock file's folder is gone
            engine.dispose()
            raise StoreUnavailable(unavailable_message(error)) from None
        _engines[url] = engine
        return engine


def unavailable_message(_error: Exception) -> str:
    return _("The class database is not answering right now. Your numbers are kept on this page and saved "
             "when it is back; solo practice and the rest of the page keep working.")


def forget(url: str) -> None:
    """Drop a process's engine (tests that delete a database, a server that moved)."""
    with _lock:
        engine = _engines.pop(url, None)
    if engine is not None:
        engine.dispose()
