"""Run the Alembic migrations from code, without an ini file.

Why: the bot and the console upgrade the schema on start, also from an installed copy where no
alembic.ini sits in the working directory. `alembic_config()` points script_location at the
`migrations` package directory and passes the URL through `Config.attributes` (not the ini string,
so a password containing `%` needs no escaping). These functions are synchronous and do file and
database I/O: the store calls them through `asyncio.to_thread`.

Command line (same as `alembic` at the repo root; DATABASE_URL, else DATA_DIR/reelmate.db, read from
the environment and `.env` by `FeedbackSettings`, as the bot reads them):
    python -m feedback upgrade [REV] | downgrade REV | current | heads
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, create_engine, pool
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import create_async_engine

import migrations
from feedback.db import parse_url
from feedback.settings import database_url_from_env

MIGRATIONS_DIR = Path(migrations.__file__).resolve().parent


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config for `url` (default: DATABASE_URL, else the default SQLite file)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
    cfg.attributes["database_url"] = str(url) if url else database_url_from_env()
    cfg.attributes["skip_logging_config"] = True
    return cfg


def head_revisions() -> tuple[str, ...]:
    return tuple(ScriptDirectory.from_config(alembic_config()).get_heads())


def upgrade(url: str | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def current_revisions_sync(connection: Connection) -> tuple[str, ...]:
    """Revisions stamped in the database (empty for a database never migrated)."""
    return tuple(MigrationContext.configure(connection).get_current_heads())


def current_revisions(url: str | None = None) -> tuple[str, ...]:
    """Revisions stamped in the database at `url` (blocking; not for a running event loop)."""
    target = parse_url(url or database_url_from_env())
    if target.drivername == "sqlite+aiosqlite":
        target = target.set(drivername="sqlite")
    if target.get_dialect().is_async:
        return asyncio.run(_current_revisions_async(target))
    engine = create_engine(target, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            return current_revisions_sync(connection)
    finally:
        engine.dispose()


async def _current_revisions_async(target: URL) -> tuple[str, ...]:
    engine = create_async_engine(target, poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(current_revisions_sync)
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in {"upgrade", "downgrade", "current", "heads"}:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    action = args[0]
    if action == "upgrade":
        upgrade(None, args[1] if len(args) > 1 else "head")
    elif action == "downgrade":
        if len(args) < 2:
            print("downgrade needs a target revision, e.g. -1 or base", file=sys.stderr)
            return 2
        downgrade(database_url_from_env(), args[1])
    elif action == "current":
        print(" ".join(current_revisions()) or "(empty database)")
    else:
        print(" ".join(head_revisions()))
    return 0

