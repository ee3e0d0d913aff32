"""Seen marks and A/B experiments on real databases migrated by Alembic (0004), both ways."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from feedback import FeedbackStore, StoreError, UnknownTarget, migrate
from feedback.experiments import CHALLENGER, CONTROL, arm_for
from tests.feedback.conftest import PostedRequest
from tests.feedback.direct_db import DirectDatabase


async def test_marks_are_idempotent_per_member_and_title(store: FeedbackStore, post: PostedRequest,
                                                         rows: Callable[..., int]) -> None:
    request_id = await post(500, user_id=1, n_items=3)
    assert await store.mark_seen(user_id=1, item_id=101, title="Title 1") is True
    assert await store.mark_seen(user_id=1, item_id=101, title="Title 1") is False
    assert await store.mark_seen_item(request_id=request_id, rank=2, user_id=1) is True
    assert await store.mark_seen_message(message_id=500, user_id=1) == 1  # 101, 102 already marked
    assert await store.mark_seen_message(message_id=500, user_id=2) == 3  # another member, own marks
    assert await store.seen_item_ids(1) == {101, 102, 103}
    assert rows("seen_marks") == 6
    # Removing 👀 unmarks only what the reaction marked; /seen and the button marks stay.
    assert await store.unmark_seen_message(message_id=500, user_id=1) == 1
    assert await store.seen_item_ids(1) == {101, 102}
    assert await store.unmark_seen(user_id=1, item_id=101) is True
    assert await store.seen_item_ids(1) == {102}
    with pytest.raises(UnknownTarget):
        await store.mark_seen_message(message_id=999, user_id=1)
    with pytest.raises(UnknownTarget):
        await store.mark_seen_item(request_id=request_id, rank=9, user_id=1)
    with pytest.raises(StoreError, match="reaction, a button or a command"):
        await store.mark_seen(user_id=1, item_id=5, title="x", source="telepathy")


async def test_history_lists_what_was_shown_and_upvoted_for_that_query(store: FeedbackStore,
                                                                       post: PostedRequest) -> None:
    first = await post(600, user_id=1, n_items=4)
    await store.vote_item(request_id=first, rank=3, user_id=1, value=1)
    await store.vote_item(request_id=first, rank=1, user_id=1, value=-1)
    await store.vote_item(request_id=first, rank=2, user_id=9, value=1)  # someone else's 👍 is not theirs
    await post(601, user_id=2, n_items=6)  # another member's request for the same title
    history = await store.query_history(user_id=1, resolved_item_id=7)
    assert history.shown == {101, 102, 103, 104}
    assert history.upvoted == (103,)
    assert (await store.query_history(user_id=1, resolved_item_id=8)).shown == frozenset()


async def test_history_forgets_older_lists_but_keeps_every_upvote(store: FeedbackStore) -> None:
    """A repeat asker's lists rotate: only the last two lists count as shown; a 👍 counts for good."""
    requests = []
    for n in range(4):  # four asks for the same title, two titles each: (1, 2), (3, 4), (5, 6), (7, 8)
        requests.append(await store.record_request(
            guild_id=10, channel_id=20, user_id=1, query="dark", resolved_item_id=7, resolved_title="Dark",
            model_version="vA", latency_ms=1.0, items=[(2 * n + 1, f"T{2 * n + 1}", 0.9), (2 * n + 2, "x", 0.8)]))
    await store.vote_item(request_id=requests[0], rank=1, user_id=1, value=1)
    history = await store.query_history(user_id=1, resolved_item_id=7)
    assert history.shown == {5, 6, 7, 8}
    assert history.upvoted == (1,)


async def test_one_experiment_at_a_time_and_arms_recorded(store: FeedbackStore, post: PostedRequest) -> None:
    started = await store.start_experiment(version="vB", share=50, started_by=42)
    assert started.running and (await store.running_experiment()) == started
    with pytest.raises(StoreError, match="still running"):
        await store.start_experiment(version="vC", share=10, started_by=42)
    with pytest.raises(StoreError, match="1 to 99"):
        await store.start_experiment(version="vC", share=100, started_by=42)
    request_id = await store.record_request(
        guild_id=1, channel_id=2, user_id=3, query="dark", resolved_item_id=7, resolved_title="Dark",
        model_version="vB", latency_ms=1.0, items=[(101, "a", 0.5), (102, "b", 0.4)],
        experiment_id=started.id, arm=CHALLENGER,
    )
    await store.attach_message(request_id, 700)
    await store.vote_message(message_id=700, user_id=3, value=1)
    await store.vote_item(request_id=request_id, rank=2, user_id=3, value=-1)
    await post(701, user_id=4)  # outside the experiment: not counted
    votes = await store.experiment_votes(started.id)
    assert [(v.arm, v.kind, v.value, v.model_version) for v in votes] == [
        (CHALLENGER, "reaction", 1, "vB"), (CHALLENGER, "item", -1, "vB")]
    with pytest.raises(StoreError, match="'control' or 'challenger'"):
        await store.record_request(guild_id=1, channel_id=2, user_id=3, query="q", resolved_item_id=7,
                                   resolved_title="Dark", model_version="vB", latency_ms=1.0, items=[],
                                   experiment_id=started.id, arm="treatment")
    stopped = await store.stop_experiment()
    assert stopped is not None and not stopped.running
    assert await store.running_experiment() is None and await store.stop_experiment() is None
    assert (await store.latest_experiment()) == stopped == (await store.get_experiment(started.id))


def test_arm_assignment_is_deterministic_and_follows_the_share() -> None:
    arms = Counter(arm_for(user, 1, 20) for user in range(5000))
    assert 0.17 < arms[CHALLENGER] / 5000 < 0.23
    assert [arm_for(u, 1, 20) for u in range(50)] == [arm_for(u, 1, 20) for u in range(50)]
    # Another experiment reshuffles members: arms are not tied to the user id alone.
    assert [arm_for(u, 1, 50) for u in range(200)] != [arm_for(u, 2, 50) for u in range(200)]
    assert {arm_for(u, 3, 1) for u in range(200)} <= {CONTROL, CHALLENGER}


async def test_privacy_exports_and_forgets_seen_marks(store: FeedbackStore, post: PostedRequest) -> None:
    await post(800, user_id=1, n_items=2)
    await store.mark_seen_message(message_id=800, user_id=1)
    await store.mark_seen(user_id=2, item_id=101, title="Title 1")
    await store.start_experiment(version="vB", share=30, started_by=1)
    exported = await store.export_user(1)
    assert [m["title"] for m in exported["seen_marks"]] == ["Title 1", "Title 2"]
    summary = await store.summarise_user(1)
    assert summary["counts"]["seen_marks"] == 2 and set(summary["latest_seen"]) == {"Title 1", "Title 2"}
    assert await store.delete_user(1) == 3  # two marks and one request
    assert await store.seen_item_ids(1) == frozenset()
    assert await store.seen_item_ids(2) == {101}  # another member's mark stays
    running = await store.running_experiment()
    assert running is not None and running.started_by is None  # kept for the record, without the admin


async def test_0004_downgrades_and_upgrades_with_data(tmp_path: Path) -> None:
    """SQLite only: the downgrade copies the table there, and AUTOINCREMENT must survive the copy."""
    path = tmp_path / "seen.db"
    url = f"sqlite+aiosqlite:///{path}"
    store = await FeedbackStore.open(url)
    request_id = await store.record_request(
        guild_id=1, channel_id=2, user_id=3, query="dark", resolved_item_id=7, resolved_title="Dark",
        model_version="vA", latency_ms=5.0, items=[(10, "a", 0.9)], experiment_id=1, arm=CONTROL,
    )
    await store.mark_seen(user_id=3, item_id=10, title="a")
    await store.start_experiment(version="vB", share=50, started_by=None)
    await store.close()

    migrate.downgrade(url, "0003")
    with closing(sqlite3.connect(path)) as con:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        columns = {r[1] for r in con.execute("PRAGMA table_info(recommendation_requests)")}
        sql = con.execute("SELECT sql FROM sqlite_master WHERE name='recommendation_requests'").fetchone()[0]
    assert "seen_marks" not in tables and "experiments" not in tables
    assert "arm" not in columns and "experiment_id" not in columns
    assert "AUTOINCREMENT" in sql  # request ids are still never reused after the table copy
    assert DirectDatabase(url).rows("recommendation_requests") == 1

    store = await FeedbackStore.open(url)
    try:
        assert await store.seen_item_ids(3) == frozenset()
        assert (await store.export_user(3))["requests"][0]["id"] == request_id
    finally:
        await store.close()


async def test_retention_purges_old_seen_marks_only(store: FeedbackStore, db: DirectDatabase) -> None:
    await store.mark_seen(user_id=1, item_id=1, title="old")
    await store.mark_seen(user_id=1, item_id=2, title="new")
    db.execute("UPDATE seen_marks SET created_at = '2000-01-01 00:00:00' WHERE item_id = 1")
    assert await store.purge_older_than(30) == 1
    assert await store.seen_item_ids(1) == {2}
