"""An aiosqlite-shaped SQLite connection that runs every call at once, on the calling thread.

Why: aiosqlite runs each connection on a thread of its own and hands every call over to it and
back (a statement is a cursor, an execute, a fetch and a close: four round trips through the event
loop). The store instead runs each whole transaction on a worker thread of its own
(`feedback.threads`), where nothing else waits: there a call can simply run. SQLAlchemy's aiosqlite
dialect is kept (its SQL, its errors, the `AsyncEngine`/`AsyncSession` API the store's operations
are written against, and PostgreSQL's path beside it); only the driver-level connection it wraps
is this one (`create_async_engine(async_creator=...)`).

Used on the event loop's own thread this blocks it, like any synchronous driver: the store never
does that (its transactions run in `feedback.threads`); tests may.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any


class InlineCursor:
    """The aiosqlite cursor calls SQLAlchemy's adapter makes, each run at once."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> InlineCursor:
        self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any] | dict[str, Any]]) -> InlineCursor:
        self._cursor.executemany(sql, parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()


class InlineConnection:
    """The aiosqlite connection calls SQLAlchemy's adapter makes, each run at once on the caller's thread.

    `_connection` is aiosqlite's name for the sqlite3 connection (the adapter checks it before a
    commit or rollback). The connection is opened with `check_same_thread=False`: the pool hands it
    to whichever worker thread runs the next transaction, one at a time."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection: sqlite3.Connection | None = connection

    @classmethod
    def open(cls, *args: Any, **options: Any) -> InlineConnection:
        """`sqlite3.connect(*args, **options)` in autocommit mode (`isolation_level=None`: the
        engine's listeners issue BEGIN themselves), usable from any thread."""
        return cls(sqlite3.connect(*args, **{**options, "check_same_thread": False, "isolation_level": None}))

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._connection is None:
            raise ValueError("no active connection")
        return self._connection

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    @property
    def in_transaction(self) -> bool:
        return self._connection is not None and self._connection.in_transaction

    async def create_function(self, name: str, num_params: int, func: Any, *, deterministic: bool = False) -> None:
        self._conn.create_function(name, num_params, func, deterministic=deterministic)

    def cursor(self) -> InlineCursor:
        return InlineCursor(self._conn.cursor())

    async def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> InlineCursor:
        return await self.cursor().execute(sql, parameters)

    async def commit(self) -> None:
        self._conn.commit()

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        """Close at once (what the pool calls to terminate a connection)."""
        if self._connection is not None:
            connection, self._connection = self._connection, None
            connection.close()
