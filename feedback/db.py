"""Database URLs and engines: where the SQLite-specific settings live, and nowhere else.

Why here: the data layer must run unchanged on PostgreSQL, so every SQLite-only statement (the
PRAGMAs and the `BEGIN IMMEDIATE` that makes writers queue instead of deadlocking) is applied by
engine event listeners that are only installed when the URL is SQLite. PostgreSQL gets the
equivalent of SQLite's busy timeout as `lock_timeout` (a writer waits that long for a lock, then
fails with SQLSTATE 55P03 and `feedback.transactions` retries it, as it retries "database is locked").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from feedback.errors import StoreError

BUSY_TIMEOUT_MS = 5000
WRITE_OPTION = "reelmate_write"  # execution option: this transaction will write
BUSY_OPTION = "reelmate_busy_ms"  # execution option: wait at most this long for the write lock (SQLite)
SQLITE_HEADER = b"SQLite format 3\x00"

_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}


def parse_url(url: str | URL) -> URL:
    try:
        return make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"DATABASE_URL is not a valid database URL: {exc}") from None


def async_url(url: str | URL) -> URL:
    """The same database through an async driver (`sqlite:///x.db` -> `sqlite+aiosqlite:///x.db`)."""
    parsed = parse_url(url)
    if parsed.drivername in _ASYNC_DRIVERS:
        parsed = parsed.set(drivername=_ASYNC_DRIVERS[parsed.drivername])
    return parsed


def is_sqlite(url: str | URL) -> bool:
    return parse_url(url).get_backend_name() == "sqlite"


def sqlite_path(url: str | URL) -> Path | None:
    """The database file of a SQLite URL, or None for in-memory databases."""
    database = parse_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def prepare_sqlite_file(url: str | URL) -> Path:
    """Create the file's directory and refuse a file that is not a SQLite database.

    Checking the header ourselves (instead of letting SQLite fail later) means the refusal happens
    before anything could write to the file, and the message can name the path.
    """
    path = sqlite_path(url)
    if path is None:
        raise StoreError(
            "an in-memory SQLite database cannot be used: feedback must survive restarts; "
            "set DATABASE_URL to a file, e.g. sqlite+aiosqlite:///var/reelmate.db"
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the data directory {path.parent}: {exc.strerror}") from None
    if path.is_dir():
        raise StoreError(f"{path} is a directory, not a database file; check DATABASE_URL")
    if path.exists() and path.stat().st_size > 0:
        try:
            with path.open("rb") as fh:
                header = fh.read(len(SQLITE_HEADER))
        except OSError as exc:
            raise StoreError(f"cannot read the database file {path}: {exc.strerror}") from None
        if header != SQLITE_HEADER:
            raise StoreError(
                f"{path} is not a SQLite database (it holds other data); it was left untouched. "
                "Move it away or point DATABASE_URL at another file."
            )
    return path


def install_sqlite_listeners(engine: Engine, *, foreign_keys: bool = True) -> None:
    """PRAGMAs on every new connection, and explicit transaction control.

    - WAL: readers never block the writer and a killed process cannot corrupt the file.
    - synchronous=NORMAL (the WAL recommendation): a commit that returned survives the process
      being killed; only an OS crash or power cut may roll back the last few commits, and the file
      is never corrupted. FULL would fsync every vote and cost about 3x the write throughput.
    - busy_timeout: a second process (bot + console) waits for the lock instead of failing.
    - foreign_keys: SQLite ignores them unless asked, and the purge relies on ON DELETE CASCADE.
    - isolation_level=None + our own BEGIN: pysqlite's implicit transactions would run our reads
      outside any transaction and start writes too late; writers use BEGIN IMMEDIATE so they take
      the write lock up front and queue on busy_timeout, never failing half-way on a lock upgrade.
      A transaction may ask for a shorter wait (BUSY_OPTION, e.g. a request record that must not
      hold up a reply): the connection's busy_timeout is set for it and put back for the next one.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        options = conn.get_execution_options()
        writes = options.get(WRITE_OPTION, False)
        busy_ms = int(options.get(BUSY_OPTION, BUSY_TIMEOUT_MS))
        if conn.info.get(BUSY_OPTION, BUSY_TIMEOUT_MS) != busy_ms:
            conn.exec_driver_sql(f"PRAGMA busy_timeout = {busy_ms}")
            conn.info[BUSY_OPTION] = busy_ms
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


def postgres_connect_args(url: URL) -> dict[str, Any]:
    """Session settings for asyncpg connections: the lock wait, and a name in pg_stat_activity."""
    if url.drivername != "postgresql+asyncpg":
        return {}
    return {"server_settings": {"lock_timeout": str(BUSY_TIMEOUT_MS), "application_name": "reelmate"}}


def create_store_engine(url: str | URL) -> AsyncEngine:
    """The async engine the store uses; SQLite gets the listeners above."""
    target = async_url(url)
    if target.get_backend_name() == "sqlite":
        engine = create_async_engine(target, pool_size=5, max_overflow=5, pool_timeout=60)
        install_sqlite_listeners(engine.sync_engine)
    else:
        # Several bot processes share one server: a small pool each (the server's default
        # max_connections is 100), checked before use so a restarted server is survived.
        engine = create_async_engine(
            target, pool_size=5, max_overflow=5, pool_timeout=60, pool_pre_ping=True,
            connect_args=postgres_connect_args(target),
        )
    return engine
