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
from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry, PoolResetState
from sqlalchemy.util import queue as sqla_queue

from feedback.errors import StoreError
from feedback.sqlite_inline import InlineConnection

BUSY_TIMEOUT_MS = 5000
WRITE_OPTION = "reelmate_write"  # execution option: this transaction will write
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


def runs_inline(engine: AsyncEngine) -> bool:
    """Whether the engine's connections are the inline driver's (`create_store_engine` on a SQLite
    file): its transactions must then run on worker threads, never on the event loop."""
    return isinstance(engine.sync_engine.pool, ThreadedQueuePool)


def install_sqlite_listeners(engine: Engine, *, foreign_keys: bool = True, busy_ms: int | None = None) -> None:
    """PRAGMAs on every new connection, explicit transaction control, and a rollback on return
    only when a transaction is still open.

    - WAL: readers never block the writer and a killed process cannot corrupt the file.
    - synchronous=NORMAL (the WAL recommendation): a commit that returned survives the process
      being killed; only an OS crash or power cut may roll back the last few commits, and the file
      is never corrupted. FULL would fsync every vote and cost about 3x the write throughput.
    - busy_timeout: a second process (bot + console) waits for the lock instead of failing.
      Set once per connection: a write that must not wait long (the record of a /recommend) has
      an engine of its own with a short one (`create_store_engine(busy_ms=...)`), so that no
      transaction pays a PRAGMA to switch it.
    - foreign_keys: SQLite ignores them unless asked, and the purge relies on ON DELETE CASCADE.
    - isolation_level=None + our own BEGIN: pysqlite's implicit transactions would run our reads
      outside any transaction and start writes too late; writers use BEGIN IMMEDIATE so they take
      the write lock up front and queue on busy_timeout, never failing half-way on a lock upgrade.
    - reset on return: SQLAlchemy's default rolls back every connection handed back to the pool,
      though a committed transaction left nothing to undo (each a round trip to aiosqlite's thread).
      The pool is told not to (`pool_reset_on_return=None`, see `create_store_engine`) and this
      listener rolls back only a connection that is still inside a transaction.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        if dbapi_connection.isolation_level is not None:  # the inline driver opens it so already
            dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_MS if busy_ms is None else busy_ms)}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        writes = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")

    @event.listens_for(engine, "reset")
    def _on_reset(dbapi_connection: Any, record: Any, state: PoolResetState) -> None:
        if state.asyncio_safe and record.driver_connection.in_transaction:
            dbapi_connection.rollback()


class ThreadedQueuePool(AsyncAdaptedQueuePool):
    """The async engine's pool with QueuePool's thread-safe queue: the inline driver's connections
    are checked out and returned by several worker threads at once (`feedback.threads`), and the
    asyncio queue of `AsyncAdaptedQueuePool` is not thread-safe."""

    _queue_class: type[sqla_queue.QueueCommon[ConnectionPoolEntry]] = sqla_queue.Queue


def postgres_connect_args(url: URL) -> dict[str, Any]:
    """Session settings for asyncpg connections: the lock wait, and a name in pg_stat_activity."""
    if url.drivername != "postgresql+asyncpg":
        return {}
    return {"server_settings": {"lock_timeout": str(BUSY_TIMEOUT_MS), "application_name": "reelmate"}}


def create_store_engine(url: str | URL, *, busy_ms: int | None = None, pool_size: int = 10) -> AsyncEngine:
    """The async engine the store uses; SQLite gets the listeners above, with `busy_ms` as its
    connections' busy_timeout (default BUSY_TIMEOUT_MS). Ten pooled connections: a busy server
    reads many members' histories at once, and each connection opened beyond the pool and closed
    again costs four PRAGMAs.

    A SQLite file gets the inline driver (`feedback.sqlite_inline`): each call runs at once on the
    calling thread, which is a worker thread of `feedback.threads` for every store transaction."""
    target = async_url(url)
    if target.get_backend_name() == "sqlite":
        inline: dict[str, Any] = {}
        if sqlite_path(target) is not None:  # a file: what the dialect would pass to sqlite3.connect
            args, options = target.get_dialect()().create_connect_args(target)

            async def connect() -> InlineConnection:
                return InlineConnection.open(*args, **options)
            inline = {"async_creator": connect, "poolclass": ThreadedQueuePool}
        engine = create_async_engine(target, pool_size=pool_size, max_overflow=5, pool_timeout=60,
                                     pool_reset_on_return=None, **inline)
        install_sqlite_listeners(engine.sync_engine, busy_ms=busy_ms)
    else:
        # Several bot processes share one server: a small pool each (the server's default
        # max_connections is 100), checked before use so a restarted server is survived.
        engine = create_async_engine(
            target, pool_size=5, max_overflow=5, pool_timeout=60, pool_pre_ping=True,
            connect_args=postgres_connect_args(target),
        )
    return engine
