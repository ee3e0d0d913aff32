"""Bad input gets a clear StoreError and leaves the stored data exactly as it was."""

from __future__ import annotations

import asyncio

import pytest

import feedback.db
import feedback.store
from feedback import FeedbackStore, StoreError
from feedback.transactions import RetryPolicy
from recommender.matching import MAX_QUERY_LENGTH
from tests.feedback.direct_db import WriteBlocker


async def test_unknown_message_id_is_refused(store, post, db) -> None:
    await post(1)
    await store.vote_message(message_id=1, user_id=2, value=1)
    before = db.snapshot()
    message = ("message 424242 is not a recommendation message (no recommendation was posted in "
               "it); the vote was not recorded")
    with pytest.raises(StoreError) as caught:
        await store.vote_message(message_id=424242, user_id=2, value=1)
    assert str(caught.value) == message
    with pytest.raises(StoreError, match="message 424242 is not a recommendation message"):
        await store.retract_message_vote(message_id=424242, user_id=2, value=1)
    assert db.snapshot() == before


@pytest.mark.parametrize("value", [0, 2, -2, True, "1", 1.0000001, None])
async def test_vote_value_must_be_plus_or_minus_one(store, post, db, value) -> None:
    request_id = await post(1)
    await store.vote_message(message_id=1, user_id=2, value=-1)
    before = db.snapshot()
    expected = f"a vote must be +1 (thumbs up) or -1 (thumbs down), got {value!r}"
    for attempt in (
        store.vote_message(message_id=1, user_id=2, value=value),
        store.retract_message_vote(message_id=1, user_id=2, value=value),
        store.vote_item(request_id=request_id, rank=1, user_id=2, value=value),
    ):
        with pytest.raises(StoreError) as caught:
            await attempt
        assert str(caught.value) == expected
    assert db.snapshot() == before


async def test_over_long_query_is_refused_not_truncated(store, post, db, rows) -> None:
    """The store's limit is the recommender's: one MAX_QUERY_LENGTH for the whole product."""
    from feedback.validation import MAX_QUERY_LENGTH as STORE_LIMIT

    assert STORE_LIMIT == MAX_QUERY_LENGTH  # feedback keeps its own copy: it never imports the recommender
    await post(1)
    before = db.snapshot()
    with pytest.raises(StoreError) as caught:
        await store.record_request(
            guild_id=1, channel_id=1, user_id=1, query="x" * (MAX_QUERY_LENGTH + 1), resolved_item_id=None,
            resolved_title=None, model_version="vA", latency_ms=1.0, items=[(1, "a", 0.5)],
        )
    assert str(caught.value) == (
        f"query is too long ({MAX_QUERY_LENGTH + 1} characters; the limit is {MAX_QUERY_LENGTH}); nothing was stored"
    )
    assert db.snapshot() == before
    await store.record_request(  # exactly at the limit is fine
        guild_id=1, channel_id=1, user_id=1, query="y" * MAX_QUERY_LENGTH, resolved_item_id=None,
        resolved_title=None, model_version="vA", latency_ms=1.0, items=[],
    )
    assert rows("recommendation_requests", f"length(query) = {MAX_QUERY_LENGTH}") == 1


async def test_other_bad_values(store, post) -> None:
    request_id = await post(1, n_items=3)
    with pytest.raises(StoreError, match=f"request {request_id} has no recommended item at rank 4"):
        await store.vote_item(request_id=request_id, rank=4, user_id=1, value=1)
    with pytest.raises(StoreError, match="user_id must be a non-negative 64-bit integer id, got -5"):
        await store.vote_message(message_id=1, user_id=-5, value=1)
    with pytest.raises(StoreError, match="latency_ms must be a finite number, got nan"):
        await store.record_request(
            guild_id=None, channel_id=None, user_id=1, query="q", resolved_item_id=None,
            resolved_title=None, model_version=None, latency_ms=float("nan"), items=[],
        )
    with pytest.raises(StoreError, match=r"item 2 must be \(item_id, title, score\)"):
        await store.record_request(
            guild_id=None, channel_id=None, user_id=1, query="q", resolved_item_id=None,
            resolved_title=None, model_version=None, latency_ms=1.0, items=[(1, "a", 0.1), (2, "b")],
        )
    with pytest.raises(StoreError, match="retention must be a whole number of days >= 1, got 0"):
        await store.purge_older_than(0)


async def test_a_text_file_is_not_a_database(tmp_path) -> None:
    path = tmp_path / "notes.db"
    content = b"shopping list\nmilk\n" * 100
    path.write_bytes(content)
    with pytest.raises(StoreError) as caught:
        await FeedbackStore.open(f"sqlite+aiosqlite:///{path}")
    assert str(caught.value) == (
        f"{path} is not a SQLite database (it holds other data); it was left untouched. "
        "Move it away or point DATABASE_URL at another file."
    )
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.db"]  # no -wal/-shm created


async def test_unusable_urls(tmp_path) -> None:
    with pytest.raises(StoreError, match="in-memory SQLite database cannot be used"):
        await FeedbackStore.open("sqlite+aiosqlite://")
    with pytest.raises(StoreError, match="DATABASE_URL is not a valid database URL"):
        await FeedbackStore.open("not a url")
    with pytest.raises(StoreError, match="is a directory, not a database file"):
        await FeedbackStore.open(f"sqlite+aiosqlite:///{tmp_path}")


async def test_locked_database_is_retried_then_refused_cleanly(store, post, db_url, monkeypatch, caplog) -> None:
    """SQLite: BEGIN IMMEDIATE elsewhere and busy_timeout; PostgreSQL: a lock held elsewhere and
    lock_timeout. Both wait, retry, and finally refuse without storing anything."""
    await post(1)
    await store.close()  # reconnect with a short busy timeout so the retry path is reached fast
    monkeypatch.setattr(feedback.db, "BUSY_TIMEOUT_MS", 50)
    busy_store = await FeedbackStore.open(db_url)
    blocker = WriteBlocker(db_url)
    await blocker.hold()  # another process holds the write lock for 0.3 s
    release = asyncio.get_running_loop().call_later(0.3, lambda: asyncio.ensure_future(blocker.release()))
    try:
        await busy_store.vote_message(message_id=1, user_id=5, value=1)
        assert await busy_store.message_counts(1) == (1, 0)
        assert "feedback database busy" in caplog.text

        busy_store._transactor.retry = RetryPolicy(attempts=2)
        await blocker.hold()  # now held for longer than all the attempts
        with pytest.raises(StoreError, match=r"stayed busy .* nothing was stored, try again"):
            await busy_store.vote_message(message_id=1, user_id=6, value=-1)
        await blocker.release()
        assert await busy_store.message_counts(1) == (1, 0)
    finally:
        release.cancel()
        await blocker.close()
        await busy_store.close()
