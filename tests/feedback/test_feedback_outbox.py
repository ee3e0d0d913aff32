"""The vote outbox: votes accepted while the database cannot write are kept and land exactly once.

Real SQLite files and PostgreSQL databases, a real second connection holding the write lock
(`BEGIN IMMEDIATE`; on PostgreSQL a SHARE lock on the vote tables), and a real voter process
killed with SIGKILL while its votes sit in the outbox. The locks here are held for
about a second; the long lock through Discord is tests/bot/test_e2e_outbox.py.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from sqlalchemy import event

import feedback.db
from feedback import FeedbackStore, StoreUnavailable, Vote, VoteKind, VoteOutbox, VoteStatus
from feedback.transactions import RetryPolicy
from tests.feedback.direct_db import DirectDatabase, WriteBlocker
from tests.feedback.feedback_outbox_writer import run_voter_and_kill_it

QUICK = RetryPolicy(attempts=2, first_delay=0.01, max_delay=0.02)


def stored_votes(db: DirectDatabase) -> dict[tuple[str, int, int, int], int]:
    """Every vote row, read independently: (kind, user, message or request, rank) -> value."""
    found = {("message", u, m, 0): v for m, u, v in db.query("SELECT message_id, user_id, value FROM message_votes")}
    found.update(
        (("item", u, r, rank), v) for r, rank, u, v in db.query(
            "SELECT i.request_id, i.rank, v.user_id, v.value FROM item_votes v "
            "JOIN recommended_items i ON i.id = v.recommended_item_id")
    )
    return found


def expected_votes(plan: list[Vote]) -> dict[tuple[str, int, int, int], int]:
    """The state the votes must leave, applied in order (a retraction removes only its own value)."""
    state: dict[tuple[str, int, int, int], int] = {}
    for v in plan:
        if v.kind is VoteKind.ITEM:
            state[("item", v.user_id, v.request_id or 0, v.rank or 0)] = v.value
        else:
            key = ("message", v.user_id, v.message_id or 0, 0)
            if v.kind is VoteKind.MESSAGE:
                state[key] = v.value
            elif state.get(key) == v.value:
                del state[key]
    return state


def plan_for(request_ids: dict[int, int], users: range) -> list[Vote]:
    """Reactions, flips, stale and real removals, duplicates and item buttons, in an order where
    applying any of them twice or out of order would show in the final state."""
    plan: list[Vote] = []
    for user in users:
        for message_id, request_id in request_ids.items():
            plan.append(Vote(kind=VoteKind.MESSAGE, user_id=user, message_id=message_id, value=1))
            plan.append(Vote(kind=VoteKind.ITEM, user_id=user, request_id=request_id, rank=1 + user % 3, value=1))
            if user % 2:
                plan.append(Vote(kind=VoteKind.MESSAGE, user_id=user, message_id=message_id, value=-1))
                plan.append(Vote(kind=VoteKind.RETRACT_MESSAGE, user_id=user, message_id=message_id, value=1))
            if user % 3 == 0:
                plan.append(Vote(kind=VoteKind.RETRACT_MESSAGE, user_id=user, message_id=message_id, value=1))
                plan.append(Vote(kind=VoteKind.ITEM, user_id=user, request_id=request_id, rank=1 + user % 3, value=-1))
            plan.append(plan[-1].model_copy(update={"id": Vote(kind=VoteKind.MESSAGE, user_id=0, value=1).id}))
    return plan


@pytest.fixture
def outbox_path(db_path: Path) -> Path:
    """Beside the SQLite file; on PostgreSQL in the same temp directory (DATA_DIR in the bot)."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    return db_path.with_name(db_path.name + "-outbox")


@pytest.fixture
async def quick_store(db_url, monkeypatch):
    """A store that gives up on a held lock after ~0.1 s instead of ~40 s, so the outbox's own
    retry loop is what keeps the votes."""
    monkeypatch.setattr(feedback.db, "BUSY_TIMEOUT_MS", 50)
    opened = await FeedbackStore.open(db_url)
    opened._transactor.retry = QUICK
    try:
        yield opened
    finally:
        await opened.close()


async def test_votes_during_a_held_write_lock_are_kept_then_land_exactly_once(
    quick_store, post, db, db_url, outbox_path
) -> None:
    request_ids = {m: await post(m, user_id=99) for m in (1, 2)}
    plan = plan_for(request_ids, range(10, 16))
    outbox = await VoteOutbox.open(quick_store, outbox_path, max_backoff=0.1)
    blocker = WriteBlocker(db_url)
    try:
        await blocker.hold()  # another process holds the write lock
        started = time.perf_counter()
        outcomes = [await outbox.record(vote, wait=0.0) for vote in plan]
        assert time.perf_counter() - started < 2.0  # accepting never waits for the database
        assert {o.status for o in outcomes} == {VoteStatus.QUEUED}
        await asyncio.sleep(0.5)
        assert stored_votes(db) == {} and outbox.pending == len(plan)
        lines = outbox_path.read_text(encoding="utf-8").splitlines()
        assert len(lines) == len(plan) and all('"vote"' in line for line in lines)
        await blocker.release()
        await asyncio.wait_for(outbox.drained(), 30)
    finally:
        await blocker.close()
        await outbox.close()
    assert stored_votes(db) == expected_votes(plan)
    assert outbox.stored == len(plan) and outbox.rejected == 0
    assert outbox_path.read_text(encoding="utf-8") == ""  # all done: the journal was emptied


async def test_a_vote_that_can_never_land_is_rejected_with_the_reason(store, post, db, outbox_path) -> None:
    request_id = await post(7)
    outbox = await VoteOutbox.open(store, outbox_path)
    try:
        bad_message = await outbox.record(Vote(kind=VoteKind.MESSAGE, user_id=5, message_id=424242, value=1), wait=5)
        bad_item = await outbox.record(
            Vote(kind=VoteKind.ITEM, user_id=5, request_id=request_id, rank=9, value=1), wait=5)
        good = await outbox.record(Vote(kind=VoteKind.MESSAGE, user_id=5, message_id=7, value=1), wait=5)
    finally:
        await outbox.close()
    assert bad_message.status is VoteStatus.REJECTED
    assert "message 424242 is not a recommendation message" in bad_message.detail
    assert bad_item.status is VoteStatus.REJECTED and "no recommended item at rank 9" in bad_item.detail
    assert good.status is VoteStatus.STORED
    assert stored_votes(db) == {("message", 5, 7, 0): 1}


READ_ONLY = {"sqlite": "PRAGMA query_only = ON", "postgresql": "SET default_transaction_read_only = on"}


async def test_a_read_only_database_keeps_votes_until_it_can_write_again(
    engine, db_url, post, db, outbox_path
) -> None:
    await post(3)
    read_only = await FeedbackStore.open(db_url)

    @event.listens_for(read_only._engine.sync_engine, "connect")
    def _query_only(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        if engine == "sqlite":
            dbapi_connection.execute(READ_ONLY[engine])  # the database refuses every write
        else:  # on the raw asyncpg connection, outside the transaction the pool would roll back
            dbapi_connection.run_async(lambda raw: raw.execute(READ_ONLY[engine]))

    await read_only._engine.dispose()  # new connections get the setting
    with pytest.raises(StoreUnavailable, match=r"readonly database|read-only transaction"):
        await read_only.vote_message(message_id=3, user_id=8, value=1)
    outbox = await VoteOutbox.open(read_only, outbox_path, max_backoff=0.05)
    outcome = await outbox.record(Vote(kind=VoteKind.MESSAGE, user_id=8, message_id=3, value=-1), wait=0.3)
    assert outcome.status is VoteStatus.QUEUED
    await outbox.close()
    await read_only.close()

    writable = await FeedbackStore.open(db_url)  # the disk is writable again: the next start replays
    try:
        outbox = await VoteOutbox.open(writable, outbox_path)
        assert outbox.pending == 1
        report = await outbox.replay()
        await outbox.close()
    finally:
        await writable.close()
    assert (report.stored, report.rejected, report.pending) == (1, 0, 0)
    assert stored_votes(db) == {("message", 8, 3, 0): -1}


@pytest.mark.postgresql_only(reason="a database server that goes away and comes back")
async def test_votes_while_the_database_server_is_down_are_kept_then_land(
    pg_cluster, store, post, db, outbox_path
) -> None:
    await post(21)
    await store.vote_message(message_id=21, user_id=1, value=-1)  # a pooled connection the crash will break
    plan = [Vote(kind=VoteKind.MESSAGE, user_id=user, message_id=21, value=1) for user in range(1, 6)]
    outbox = await VoteOutbox.open(store, outbox_path, max_backoff=0.1)
    try:
        await asyncio.to_thread(pg_cluster.stop_server)  # the server crashes
        try:
            outcomes = [await outbox.record(vote, wait=0.2) for vote in plan]
            assert {o.status for o in outcomes} == {VoteStatus.QUEUED}
            assert "cannot be reached" in outbox.last_problem or "connection" in outbox.last_problem.lower()
        finally:
            await asyncio.to_thread(pg_cluster.start_server)  # ... and comes back with its data
        await asyncio.wait_for(outbox.drained(), 30)
    finally:
        await outbox.close()
    assert outbox.stored == len(plan) and outbox.rejected == 0
    assert stored_votes(db) == {("message", user, 21, 0): 1 for user in range(1, 6)}


async def test_a_vote_applied_before_its_done_line_was_written_is_not_counted_twice(
    store, post, db, outbox_path
) -> None:
    """The window a crash can leave: the last vote is in the database but not marked done."""
    await post(4)
    vote = Vote(kind=VoteKind.MESSAGE, user_id=6, message_id=4, value=1)
    await store.vote_message(message_id=4, user_id=6, value=1)
    outbox_path.write_text(json.dumps({"vote": vote.model_dump(mode="json")}) + "\n" + '{"vote": {"kind": "mes',
                           encoding="utf-8")  # and a line torn by the crash
    outbox = await VoteOutbox.open(store, outbox_path)
    try:
        report = await outbox.replay()
    finally:
        await outbox.close()
    assert (report.stored, report.pending) == (1, 0)
    assert await store.message_counts(4) == (1, 0)


async def test_two_processes_get_two_journals_and_orphans_are_adopted(store, post, db, outbox_path) -> None:
    await post(5)
    first = await VoteOutbox.open(store, outbox_path)
    second = await VoteOutbox.open(store, outbox_path)  # as a second process would (flock per open file)
    try:
        assert first.path == outbox_path and second.path == outbox_path.with_name(outbox_path.name + ".2")
    finally:
        await first.close()
    unfinished = Vote(kind=VoteKind.MESSAGE, user_id=9, message_id=5, value=1)
    second._journal.append([{"vote": unfinished.model_dump(mode="json")}])
    await second.close()  # died with one vote unfinished in journal 2
    third = await VoteOutbox.open(store, outbox_path)
    try:
        assert third.pending == 1
        await third.replay()
    finally:
        await third.close()
    assert not outbox_path.with_name(outbox_path.name + ".2").exists()
    assert await store.message_counts(5) == (1, 0)


@pytest.mark.slow
async def test_votes_in_the_outbox_of_a_killed_process_are_replayed_at_restart(
    store, post, db_url, db, outbox_path
) -> None:
    request_ids = {m: await post(m, user_id=99) for m in (11, 12, 13)}
    plan = plan_for(request_ids, range(20, 26))
    blocker = WriteBlocker(db_url)
    await blocker.hold()  # the database stays locked until after the kill
    try:
        accepted = await asyncio.to_thread(run_voter_and_kill_it, db_url, outbox_path, plan)
    finally:
        await blocker.release()
        await blocker.close()
    assert accepted == [v.id for v in plan]  # every vote was acknowledged before the kill
    assert stored_votes(db) == {}  # ... and none had reached the database

    restarted = await VoteOutbox.open(store, outbox_path)  # the next start
    try:
        assert restarted.pending == len(plan)
        report = await restarted.replay()
    finally:
        await restarted.close()
    assert (report.stored, report.rejected, report.pending) == (len(plan), 0, 0)
    assert stored_votes(db) == expected_votes(plan)
    again = await VoteOutbox.open(store, outbox_path)  # a second restart has nothing left to do
    try:
        assert again.pending == 0
    finally:
        await again.close()
    assert stored_votes(db) == expected_votes(plan)
