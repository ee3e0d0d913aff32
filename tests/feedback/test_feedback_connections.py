"""The SQLite connection pool: a connection handed back inside a transaction is rolled back (the
pool no longer rolls back every connection on return), and the impatient writer's short busy
timeout lives on connections of its own, so the other transactions keep the long one."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from sqlalchemy import event, text

from feedback import FeedbackStore
from feedback.db import BUSY_TIMEOUT_MS, create_store_engine

_BUSY_TIMEOUT = text("PRAGMA busy_timeout")
pytestmark = pytest.mark.sqlite_only(reason="the pool's reset and busy_timeout are SQLite settings")


def _write_lock_is_free(db_path) -> bool:
    other = sqlite3.connect(db_path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        other.close()


async def test_a_connection_returned_inside_a_transaction_is_rolled_back(store, db_url, db_path) -> None:
    engine = create_store_engine(db_url)
    try:
        async with engine.connect() as conn:
            driver = (await conn.get_raw_connection()).driver_connection
            assert driver is not None
            await driver.execute("BEGIN IMMEDIATE")  # behind SQLAlchemy's back
            assert not _write_lock_is_free(db_path)
        assert _write_lock_is_free(db_path)  # returned to the pool: rolled back, lock released
        async with engine.connect() as conn:
            driver = (await conn.get_raw_connection()).driver_connection
            assert driver is not None and not driver.in_transaction
    finally:
        await engine.dispose()


async def test_the_impatient_writer_has_its_own_busy_timeout(store: FeedbackStore, rows) -> None:
    quick = store.impatient(0.5)
    request_id = await quick.record_request(
        guild_id=None, channel_id=None, user_id=5, query="dune", resolved_item_id=None, resolved_title=None,
        model_version=None, latency_ms=1.0, items=[(11, "A", 0.9)],
    )
    assert rows("recommendation_requests", f"id = {request_id}") == 1
    writer = quick._transactor._writer
    async with writer() as session:
        assert (await session.execute(_BUSY_TIMEOUT)).scalar() == 500
    async with store._transactor._writer() as session:
        assert (await session.execute(_BUSY_TIMEOUT)).scalar() == BUSY_TIMEOUT_MS
    same_pool = store.impatient(0.5)._transactor._writer.kw["bind"].sync_engine.pool
    assert same_pool is writer.kw["bind"].sync_engine.pool  # one engine per patience


async def test_a_vote_and_a_recorded_request_cost_no_extra_statements(store: FeedbackStore) -> None:
    """Every statement is a round trip to the driver's thread: a vote is one upsert, and switching
    between the impatient writer and the others sets no PRAGMA."""
    quick = store.impatient(0.5)
    await quick.record_request(  # the impatient writer's connection is open before counting
        guild_id=None, channel_id=None, user_id=5, query="dune", resolved_item_id=None, resolved_title=None,
        model_version=None, latency_ms=1.0, items=[(11, "A", 0.9)],
    )
    statements: list[str] = []
    for engine in {store._engine.sync_engine, quick._transactor._writer.kw["bind"].sync_engine}:
        event.listen(engine, "before_cursor_execute",
                     lambda _c, _cur, sql, *_rest: statements.append(" ".join(sql.split())[:40]))
    for _ in range(2):
        request_id = await quick.record_request(
            guild_id=None, channel_id=None, user_id=5, query="dune", resolved_item_id=None, resolved_title=None,
            model_version=None, latency_ms=1.0, items=[(11, "A", 0.9), (12, "B", 0.8)],
        )
        statements.clear()
        await store.vote_item(request_id=request_id, rank=2, user_id=7, value=1)
        assert statements == ["BEGIN IMMEDIATE", "INSERT INTO item_votes (recommended_item"]


async def test_each_transaction_runs_whole_on_a_worker_thread(store: FeedbackStore) -> None:
    """A statement through aiosqlite was four round trips between the event loop and the driver's
    thread; now the loop hands a whole transaction to a worker thread once. Every statement of a
    write runs on the one writer thread, every statement of a read on a reader thread, none on the
    event loop's thread."""
    threads: list[str] = []
    event.listen(store._engine.sync_engine, "before_cursor_execute",
                 lambda *_args: threads.append(threading.current_thread().name))
    request_id = await store.record_request(
        guild_id=None, channel_id=None, user_id=5, query="dune", resolved_item_id=3, resolved_title="Dune",
        model_version=None, latency_ms=1.0, items=[(11, "A", 0.9), (12, "B", 0.8)],
    )
    await store.vote_item(request_id=request_id, rank=2, user_id=5, value=1)
    writes, threads[:] = set(threads), []
    seen, history = await store.personal_history(user_id=5, resolved_item_id=3)
    assert history.upvoted == (12,) and not seen
    assert len(writes) == 1 and next(iter(writes)).startswith("feedback-writer")
    assert threads and all(name.startswith("feedback-reader") for name in threads)
