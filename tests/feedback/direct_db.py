"""Reads, writes and locks that bypass the store under test, on SQLite or PostgreSQL.

Why a separate path: a test that checks what the store wrote must not read it back through the
store's own code. SQLite goes through the stdlib `sqlite3` driver; PostgreSQL through `asyncpg`
directly (no SQLAlchemy), run on a private event loop in a worker thread so the synchronous helpers
read the same way on both engines. SQL here uses literals only, so one statement runs on both.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path
from typing import Any, TypeVar

import asyncpg

from feedback.db import parse_url, sqlite_path

T = TypeVar("T")
# Tables every test compares before/after: the store's own, not Alembic's bookkeeping.
_TABLES_SQL = {
    "sqlite": "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'",
    "postgresql": "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
}


def _on_own_loop(make: Callable[[], Awaitable[T]]) -> T:
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()  # type: ignore[arg-type]


def asyncpg_dsn(url: str) -> str:
    """`postgresql+asyncpg://...` as asyncpg spells it."""
    return parse_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class DirectDatabase:
    """The database behind a DATABASE_URL, reached without the store."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = parse_url(url).get_backend_name()
        path = sqlite_path(url) if self.engine == "sqlite" else None
        self._path: Path | None = path

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        if self._path is not None:
            with closing(sqlite3.connect(self._path)) as con:
                return [tuple(r) for r in con.execute(sql).fetchall()]

        async def fetch() -> list[tuple[Any, ...]]:
            con = await asyncpg.connect(asyncpg_dsn(self.url))
            try:
                return [tuple(r) for r in await con.fetch(sql)]
            finally:
                await con.close()

        return _on_own_loop(fetch)

    def execute(self, *statements: str) -> None:
        """Run statements in one transaction (SQLite with foreign keys on, as the store runs)."""
        if self._path is not None:
            with closing(sqlite3.connect(self._path)) as con:
                con.execute("PRAGMA foreign_keys = ON")
                with con:
                    for sql in statements:
                        con.execute(sql)
            return

        async def run() -> None:
            con = await asyncpg.connect(asyncpg_dsn(self.url))
            try:
                async with con.transaction():
                    for sql in statements:
                        await con.execute(sql)
            finally:
                await con.close()

        _on_own_loop(run)

    def rows(self, table: str, where: str = "1=1") -> int:
        return int(self.query(f"SELECT COUNT(*) FROM {table} WHERE {where}")[0][0])

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        tables = [r[0] for r in self.query(_TABLES_SQL[self.engine])]
        return {t: sorted(self.query(f"SELECT * FROM {t}"), key=repr) for t in tables}

    def integrity_ok(self) -> bool:
        """SQLite: the file's own check and no dangling foreign key. PostgreSQL enforces foreign
        keys on every statement; the check there is that every table can be read end to end."""
        if self._path is not None:
            return (self.query("PRAGMA integrity_check") == [("ok",)]
                    and self.query("PRAGMA foreign_key_check") == [])
        tables = [r[0] for r in self.query(_TABLES_SQL[self.engine])]
        return all(self.rows(t) >= 0 for t in tables)


class WriteBlocker:
    """Another process holding the write lock: SQLite `BEGIN IMMEDIATE`; on PostgreSQL a
    transaction holding SHARE locks on the vote tables (reads pass, every vote write waits)."""

    def __init__(self, url: str) -> None:
        self._db = DirectDatabase(url)
        self._sqlite: sqlite3.Connection | None = None
        self._pg: asyncpg.Connection | None = None

    async def hold(self) -> None:
        if self._db._path is not None:
            if self._sqlite is None:
                self._sqlite = sqlite3.connect(self._db._path, isolation_level=None)
            self._sqlite.execute("BEGIN IMMEDIATE")
            return
        if self._pg is None:
            self._pg = await asyncpg.connect(asyncpg_dsn(self._db.url))
        await self._pg.execute("BEGIN; LOCK TABLE message_votes, item_votes IN SHARE MODE")

    async def release(self) -> None:
        if self._sqlite is not None:
            self._sqlite.execute("COMMIT")
        elif self._pg is not None:
            await self._pg.execute("COMMIT")

    async def close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
        if self._pg is not None:
            await self._pg.close()
