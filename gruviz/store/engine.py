"""Where class data lives: one SQLAlchemy engine per database URL and process.

`GRUVIZ_DATABASE_URL` names the database (`postgresql+psycopg://user@host/db` for several
processes or machines); without it, SQLite in WAL mode in `GRUVIZ_DATA_DIR` (default
`data/` beside the app), so `make run` needs no server. The schema is brought up to
date by Alembic the first time a process opens a database.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from ..errors import InputError

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
        raise InputError("the database URL is not a URL SQLAlchemy reads; use sqlite:///path or "
                         "postgresql+psycopg://user@host/db.") from None
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(parsed, connect_args={"timeout": 5, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
    elif parsed.get_backend_name() == "postgresql":
        # connect_timeout: an unreachable server is told within seconds, not after TCP's minutes.
        engine = create_engine(parsed, pool_pre_ping=True, pool_size=5, max_overflow=10,
                               connect_args={"connect_timeout": 3})
    else:
        raise InputError(f"gruviz keeps classes in SQLite or PostgreSQL, not {parsed.get_backend_name()}.")
    return engine


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration; safe when several processes start at once."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
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
        except SQLAlchemyError as error:
            engine.dispose()
            raise StoreUnavailable(unavailable_message(error)) from None
        _engines[url] = engine
        return engine


def unavailable_message(_error: Exception) -> str:
    return ("The class database is not answering right now. Your numbers are kept on this page and saved "
            "when it is back; solo practice and the rest of the page keep working.")


def forget(url: str) -> None:
    """Drop a process's engine (tests that delete a database, a server that moved)."""
    with _lock:
        engine = _engines.pop(url, None)
    if engine is not None:
        engine.dispose()
