"""Alembic environment: which database, and how to migrate it safely.

The URL comes from (first that is set) the programmatic config (`feedback.migrate` passes the URL
the store was opened with), `sqlalchemy.url` in alembic.ini, then `FeedbackSettings` (DATABASE_URL,
else DATA_DIR/reelmate.db, from the environment and `.env`) - so `alembic upgrade head` at the repo
root, `python -m feedback upgrade` and the bot's start-up upgrade act on the same database.

On SQLite the migration runs through the stdlib driver in one `BEGIN IMMEDIATE` transaction (two
processes starting at once queue instead of both creating tables), with foreign keys OFF because
batch operations recreate tables and a DROP TABLE with foreign keys ON would cascade-delete
children; `PRAGMA foreign_key_check` then verifies nothing dangles before the commit.
On PostgreSQL (transactional DDL) the upgrade is one transaction too, and it first takes a
transaction-scoped advisory lock, so bot processes starting at once on an empty database queue
instead of racing to create the same tables.
"""

from __future__ import annotations

import asyncio
from logging.config import fileConfig
from typing import Any

from alembic import context
from sqlalchemy import Connection, create_engine, pool
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import create_async_engine

from feedback.db import WRITE_OPTION, install_sqlite_listeners, parse_url, prepare_sqlite_file
from feedback.models import Base
from feedback.settings import database_url_from_env

config = context.config
if config.config_file_name is not None and not config.attributes.get("skip_logging_config"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def _url() -> URL:
    raw = (
        config.attributes.get("database_url")
        or config.get_main_option("sqlalchemy.url")
        or database_url_from_env()
    )
    url = parse_url(raw)
    if url.drivername == "sqlite+aiosqlite":
        url = url.set(drivername="sqlite")  # same file, stdlib driver: no event loop needed
    return url


def _configure(connection: Connection | None = None, **kwargs: Any) -> None:
    sqlite = _url().get_backend_name() == "sqlite"
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=sqlite,
        compare_type=True,
        **kwargs,
    )


def run_migrations_offline() -> None:
    """`alembic upgrade head --sql`: print the DDL instead of running it."""
    _configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


MIGRATION_LOCK_KEY = 0x5265656C6D617465  # "Reelmate": the advisory lock concurrent upgraders share


def _do_run_migrations(connection: Connection) -> None:
    if connection.dialect.name != "sqlite":
        _configure(connection, transaction_per_migration=False)
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")
            context.run_migrations()
        return
    # Alembic treats SQLite DDL as non-transactional and would commit revision by revision; a
    # transaction opened before configure() (BEGIN IMMEDIATE via the listener) is "external" to
    # Alembic, so the whole upgrade is all-or-nothing and concurrent upgraders queue on it.
    with connection.begin():
        _configure(connection)
        context.run_migrations()
        dangling = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if dangling:
            raise RuntimeError(f"migration left rows with dangling foreign keys: {dangling[:5]}")


async def _run_async(url: URL) -> None:
    engine = create_async_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_do_run_migrations)
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    shared = config.attributes.get("connection")
    if shared is not None:  # the caller owns the connection (cookbook "connection sharing")
        _do_run_migrations(shared)
        return
    url = _url()
    if url.get_backend_name() == "sqlite":
        prepare_sqlite_file(url)
    if url.get_dialect().is_async:
        asyncio.run(_run_async(url))
        return
    engine = create_engine(url, poolclass=pool.NullPool)
    if url.get_backend_name() == "sqlite":
        install_sqlite_listeners(engine, foreign_keys=False)
        engine = engine.execution_options(**{WRITE_OPTION: True})
    try:
        with engine.connect() as connection:
            _do_run_migrations(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
