"""The Alembic migrations and the SQLAlchemy models describe the same schema, and migrate both ways.

The schema tests run on a fresh, never-migrated database of each engine (`empty_url`); the entry
point tests (alembic command line, .env) are about where the SQLite file goes.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, create_engine
from sqlalchemy.ext.asyncio import create_async_engine

from bot.settings import BotSettings
from feedback import FeedbackStore, StoreError, migrate
from feedback.db import async_url
from feedback.models import Base
from tests.feedback.direct_db import DirectDatabase

REPO_ROOT = Path(__file__).resolve().parents[2]
HEAD = "0005"


@pytest.fixture
def empty_url(empty_db_url: str) -> str:
    return empty_db_url


def schema_diff(path: Path, metadata: MetaData = Base.metadata) -> list:
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return compare_metadata(context, metadata)
    finally:
        engine.dispose()


async def schema_diff_of(url: str, metadata: MetaData = Base.metadata) -> list:
    """What autogenerate would change to make the database at `url` match `metadata`."""
    engine = create_async_engine(async_url(url))
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync, opts={"compare_type": True}), metadata))
    finally:
        await engine.dispose()


def revisions(url: str) -> tuple[str, ...]:
    return tuple(r[0] for r in DirectDatabase(url).query("SELECT version_num FROM alembic_version"))


def store_tables(url: str) -> set[str]:
    return set(DirectDatabase(url).snapshot())


async def test_models_and_migrations_describe_the_same_schema(empty_url) -> None:
    await asyncio.to_thread(migrate.upgrade, empty_url)
    assert revisions(empty_url) == migrate.head_revisions()
    assert await schema_diff_of(empty_url) == []

    # The comparison is live: a model the migrations do not know about is reported.
    drifted = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.tables.values():
        table.to_metadata(drifted)
    drifted.tables["message_votes"].append_column(Column("weight", Integer, nullable=True))
    assert [d[0] for d in await schema_diff_of(empty_url, drifted)] == ["add_column"]


async def test_upgrade_downgrade_upgrade_on_an_empty_database(empty_url) -> None:
    await asyncio.to_thread(migrate.upgrade, empty_url)
    assert "message_votes" in store_tables(empty_url)
    await asyncio.to_thread(migrate.downgrade, empty_url, "base")
    assert store_tables(empty_url) == {"alembic_version"}
    assert revisions(empty_url) == ()
    await asyncio.to_thread(migrate.upgrade, empty_url)
    assert await schema_diff_of(empty_url) == []


async def test_downgrade_and_upgrade_keep_the_data(empty_url) -> None:
    url = empty_url
    db = DirectDatabase(url)
    store = await FeedbackStore.open(url)
    request_id = await store.record_request(
        guild_id=1, channel_id=2, user_id=3, query="dark", resolved_item_id=4, resolved_title="Dark",
        model_version="vA", latency_ms=5.0, items=[(10, "a", 0.9), (11, "b", 0.8)],
    )
    await store.attach_message(request_id, 99)
    await store.vote_message(message_id=99, user_id=7, value=1)
    await store.vote_message(message_id=99, user_id=8, value=1)
    await store.vote_message(message_id=99, user_id=8, value=-1)  # sets updated_at
    await store.vote_item(request_id=request_id, rank=2, user_id=7, value=-1)
    await store.register_model("vA", {"hit_rate": 0.4}, active=True)
    await store.close()

    await asyncio.to_thread(migrate.downgrade, url, "0001")  # batch mode recreates both vote tables on SQLite
    assert "model_versions" not in store_tables(url)
    assert (db.rows("message_votes"), db.rows("item_votes"), db.rows("recommended_items")) == (2, 1, 2)
    assert db.integrity_ok()

    with pytest.raises(StoreError, match=f"has schema revision 0001 but this Reelmate expects {HEAD}"):
        await FeedbackStore.open(url, migrate=False)

    store = await FeedbackStore.open(url)  # upgrades 0001 -> head with the data in place
    try:
        assert await schema_diff_of(url) == []
        assert await store.message_counts(99) == (1, 1)
        await store.vote_item(request_id=request_id, rank=2, user_id=7, value=1)
        assert (await store.item_precision("vA")).precision == 1.0
        # Request ids are never reused after a delete (AUTOINCREMENT on SQLite, a sequence on PostgreSQL).
        asked = dict(guild_id=1, channel_id=2, query="q", resolved_item_id=None, resolved_title=None,
                     model_version="vA", latency_ms=1.0, items=[])
        newest = await store.record_request(user_id=5, **asked)
        await store.delete_user(5)  # nobody voted on it: deleted outright
        assert await store.record_request(user_id=6, **asked) > newest
    finally:
        await store.close()

    await asyncio.to_thread(migrate.downgrade, url, "base")
    await asyncio.to_thread(migrate.upgrade, url)
    assert await schema_diff_of(url) == [] and db.rows("recommendation_requests") == 0


async def test_a_database_from_a_newer_release_is_refused(empty_url) -> None:
    url = empty_url
    await asyncio.to_thread(migrate.upgrade, url)
    DirectDatabase(url).execute("UPDATE alembic_version SET version_num = '0099'")
    with pytest.raises(StoreError, match=r"was migrated by a newer Reelmate .*upgrade Reelmate or restore a backup"):
        await FeedbackStore.open(url)
    with pytest.raises(StoreError, match=f"has schema revision 0099 but this Reelmate expects {HEAD}"):
        await FeedbackStore.open(url, migrate=False)


def test_alembic_command_line_reads_database_url(tmp_path) -> None:
    path = tmp_path / "cli" / "reelmate.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{path}"}
    done = subprocess.run(
        [sys.executable, "-m", "alembic", "-c", str(REPO_ROOT / "alembic.ini"), "upgrade", "head"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert schema_diff(path) == []


def test_every_entry_point_uses_the_database_under_data_dir_from_dotenv(tmp_path, monkeypatch) -> None:
    """`python -m feedback upgrade`, `alembic upgrade head` and the bot's settings agree on the file
    when only DATA_DIR is set, in `.env` (the issue: they used to migrate ./var/reelmate.db)."""
    (tmp_path / ".env").write_text("DATA_DIR=state\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DATA_DIR"}}
    env["PYTHONPATH"] = str(REPO_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    expected = tmp_path / "state" / "reelmate.db"
    for command in ([sys.executable, "-m", "feedback", "upgrade"],
                    [sys.executable, "-m", "alembic", "-c", str(REPO_ROOT / "alembic.ini"), "upgrade", "head"]):
        done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert migrate.current_revisions(f"sqlite:///{expected}") == (HEAD,)
        expected.unlink()
    assert not (tmp_path / "var").exists()
    monkeypatch.chdir(tmp_path)
    for name in ("DATABASE_URL", "DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    assert BotSettings().resolved_database_url == "sqlite+aiosqlite:///state/reelmate.db"
    assert BotSettings().outbox_path == Path("state/reelmate.db-outbox")


async def test_a_failed_upgrade_is_refused_and_rolled_back_entirely(empty_url) -> None:
    """The whole upgrade is one transaction on both engines (PostgreSQL has transactional DDL)."""
    url = empty_url
    db = DirectDatabase(url)
    await asyncio.to_thread(migrate.upgrade, url, "0001")
    db.execute("INSERT INTO recommendation_requests (created_at, user_id, query, latency_ms) "
               "VALUES ('2026-01-01 00:00:00', 1, 'kept', 1.0)",
               "CREATE TABLE retrain_jobs (x INTEGER)")  # makes 0002 fail half-way
    refused = r"cannot upgrade the database schema at .*: .*retrain_jobs.* already exists"
    with pytest.raises(StoreError, match=refused):
        await FeedbackStore.open(url)
    # 0002 created model_versions before failing: the single transaction took it back out.
    assert "model_versions" not in store_tables(url)
    assert revisions(url) == ("0001",)
    assert db.rows("recommendation_requests") == 1
