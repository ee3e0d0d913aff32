"""Fixtures for the feedback store tests: real databases, real migrations, on both engines.

Every test that takes `db_url` (or `store`, `post`, `db`, `rows`) runs twice: on a SQLite file in
tmp_path and on its own database in a real PostgreSQL server (see `pg_cluster`). A test of
something only SQLite has (the file header, PRAGMAs) is marked `sqlite_only`; a test of the
several-processes-on-one-server configuration, `postgresql_only`.

Without PostgreSQL binaries the PostgreSQL half is skipped with the reason shown; CI sets
REELMATE_REQUIRE_POSTGRES=1, which turns that into a failure instead.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from feedback import FeedbackStore
from feedback import migrate as migrations_api
from tests.feedback.direct_db import DirectDatabase
from tests.feedback.pg_cluster import REQUIRE_VARIABLE, PostgresCluster, PostgresUnavailable

ENGINES = ("sqlite", "postgresql")
TEMPLATE = "reelmate_template"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only(reason): the test is about something only SQLite has")
    config.addinivalue_line("markers", "postgresql_only(reason): the test is about PostgreSQL's configuration")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "engine" in metafunc.fixturenames:
        engines = [e for e in ENGINES if not metafunc.definition.get_closest_marker(
            "postgresql_only" if e == "sqlite" else "sqlite_only")]
        metafunc.parametrize("engine", engines)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    """One PostgreSQL server for the session, with a migrated template database."""
    try:
        cluster = PostgresCluster.start()
    except PostgresUnavailable as exc:
        if os.environ.get(REQUIRE_VARIABLE):
            pytest.fail(f"{REQUIRE_VARIABLE} is set but PostgreSQL cannot run: {exc}", pytrace=False)
        pytest.skip(f"PostgreSQL not available: {exc}")
    try:
        cluster.admin(f"CREATE DATABASE {TEMPLATE}")
        migrations_api.upgrade(cluster.url(TEMPLATE))
        yield cluster
    finally:
        cluster.stop()


def fresh_pg_database(cluster: PostgresCluster, *, migrated: bool = True) -> str:
    """A new database: a copy of the migrated template (milliseconds), or empty (for the
    migration tests)."""
    return cluster.create_database(TEMPLATE if migrated else None)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """The SQLite file (on PostgreSQL: only where the vote outbox journal goes, beside it)."""
    return tmp_path / "data" / "reelmate.db"


@pytest.fixture
def db_url(engine: str, db_path: Path, request: pytest.FixtureRequest) -> str:
    if engine == "sqlite":
        return f"sqlite+aiosqlite:///{db_path}"
    return fresh_pg_database(request.getfixturevalue("pg_cluster"))


@pytest.fixture
def empty_db_url(engine: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A database that exists but was never migrated (for the migration and start-up tests)."""
    if engine == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    return fresh_pg_database(request.getfixturevalue("pg_cluster"), migrated=False)


@pytest.fixture
def db(db_url: str) -> DirectDatabase:
    """The test's database, read and written without the store (see direct_db)."""
    return DirectDatabase(db_url)


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[FeedbackStore]:
    opened = await FeedbackStore.open(db_url)
    try:
        yield opened
    finally:
        await opened.close()


PostedRequest = Callable[..., Awaitable[int]]


@pytest.fixture
def post(store: FeedbackStore) -> PostedRequest:
    """Record a request with `n_items` items, attach it to `message_id`, return the request id."""

    async def _post(message_id: int, *, user_id: int = 1, version: str | None = "vA",
                    n_items: int = 5, query: str = "dark") -> int:
        request_id = await store.record_request(
            guild_id=10, channel_id=20, user_id=user_id, query=query, resolved_item_id=7,
            resolved_title="Dark", model_version=version, latency_ms=12.5,
            items=[(100 + r, f"Title {r}", 1.0 - r / 10) for r in range(1, n_items + 1)],
        )
        await store.attach_message(request_id, message_id)
        return request_id

    return _post


@pytest.fixture
def rows(db: DirectDatabase) -> Callable[..., int]:
    """`rows(table, where)`: how many rows match, counted independently of the store."""
    return db.rows
