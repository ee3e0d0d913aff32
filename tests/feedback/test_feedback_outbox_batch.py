"""The outbox's group commit: the votes queued at one moment land in one transaction, one refused
vote is rejected alone, and a crash before or after that transaction's commit loses or doubles none.

Real SQLite files and PostgreSQL databases; the outbox's transactions are held at a gate so that
votes queue behind one, as they do behind a busy database or in a burst of votes.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import event

from feedback import Vote, VoteKind, VoteOutbox, VoteStatus
from tests.feedback.test_feedback_outbox import expected_votes, outbox_path, plan_for, stored_votes

__all__ = ["outbox_path"]  # a fixture shared with the outbox's other tests


class Crash(BaseException):
    """The process dies here (not an error the outbox could handle)."""


def gated(store, monkeypatch, *, crash: str = ""):  # type: ignore[no-untyped-def]
    """Hold each transaction of the outbox until the test opens the gate, and record its size; with
    `crash`, the process dies at the second one, "before commit" or "after commit"."""
    gate, sizes, write_batch = asyncio.Event(), [], store.write_batch

    async def write(steps):  # type: ignore[no-untyped-def]
        await gate.wait()
        sizes.append(len(steps))
        if crash and len(sizes) == 2:
            if crash == "after commit":
                await write_batch(steps)
            raise Crash
        return await write_batch(steps)

    monkeypatch.setattr(store, "write_batch", write)
    return gate, sizes


async def test_votes_queued_during_a_transaction_land_together_and_a_bad_one_is_rejected_alone(
    store, post, db, outbox_path, monkeypatch
) -> None:
    request_ids = {m: await post(m, user_id=99) for m in (1, 2)}
    plan = plan_for(request_ids, range(10, 14))
    bad = Vote(kind=VoteKind.ITEM, user_id=10, request_id=request_ids[1], rank=9, value=1)  # no rank 9
    plan.insert(len(plan) // 2, bad)
    commits: list[object] = []
    event.listen(store._engine.sync_engine, "commit", commits.append)
    gate, sizes = gated(store, monkeypatch)
    outbox = await VoteOutbox.open(store, outbox_path)
    try:
        futures = [await outbox.submit(vote) for vote in plan]  # the first one's transaction waits at the gate
        gate.set()
        outcomes = await asyncio.wait_for(asyncio.gather(*futures), 30)
        await asyncio.wait_for(outbox.drained(), 30)
    finally:
        await outbox.close()
    assert sizes == [1, len(plan) - 1] and len(commits) == 2  # the rest, bad vote included, in one transaction
    rejected = [o for v, o in zip(plan, outcomes, strict=True) if v is bad]
    assert rejected[0].status is VoteStatus.REJECTED and "no recommended item at rank 9" in rejected[0].detail
    assert all(o.status is VoteStatus.STORED for v, o in zip(plan, outcomes, strict=True) if v is not bad)
    assert stored_votes(db) == expected_votes([v for v in plan if v is not bad])
    assert (outbox.stored, outbox.rejected) == (len(plan) - 1, 1)
    assert outbox_path.read_text(encoding="utf-8") == ""


@pytest.mark.parametrize("crash", ["before commit", "after commit"])
async def test_a_crash_around_a_batch_commit_then_replay_loses_and_doubles_nothing(
    crash, store, post, db, outbox_path, monkeypatch
) -> None:
    request_ids = {m: await post(m, user_id=99) for m in (11, 12)}
    plan = plan_for(request_ids, range(20, 25))  # flips and retractions: a vote applied twice or out of order shows
    gate, sizes = gated(store, monkeypatch, crash=crash)
    outbox = await VoteOutbox.open(store, outbox_path)
    for vote in plan:
        await outbox.submit(vote)  # acknowledged: journaled and fsynced
    gate.set()
    drainer = outbox._drainer
    assert drainer is not None
    await asyncio.wait_for(asyncio.wait([drainer]), 30)
    assert isinstance(drainer.exception(), Crash) and sizes == [1, len(plan) - 1]
    await asyncio.to_thread(outbox._journal.close)  # the process is gone, and its journal lock with it
    monkeypatch.undo()
    assert stored_votes(db) == expected_votes(plan[:1] if crash == "before commit" else plan)

    restarted = await VoteOutbox.open(store, outbox_path)  # the next start
    try:
        assert restarted.pending == len(plan) - 1  # the crashed batch has no "done" line: all of it is replayed
        report = await restarted.replay()
    finally:
        await restarted.close()
    assert (report.stored, report.rejected, report.pending) == (len(plan) - 1, 0, 0)
    assert stored_votes(db) == expected_votes(plan)
    messages = sum(1 for key in expected_votes(plan) if key[0] == "message")
    assert db.query("SELECT COUNT(*) FROM message_votes")[0][0] == messages
    assert outbox_path.read_text(encoding="utf-8") == ""


async def test_votes_submitted_together_are_journaled_with_one_append_and_the_last_batch_empties_it(
    store, post, db, outbox_path, monkeypatch
) -> None:
    """Each accepted vote was one append and fsync of the journal, and each batch written one more
    (its done lines) before the journal was emptied: votes submitted at one moment now share an
    append, and the done lines of the last open votes are not written first, the journal is emptied
    instead. Nothing changes in what is stored."""
    request_ids = {m: await post(m, user_id=99) for m in (31, 32)}
    plan = plan_for(request_ids, range(40, 44))
    outbox = await VoteOutbox.open(store, outbox_path)
    appends: list[list[str]] = []
    append = outbox._journal.append

    def counted(records):  # type: ignore[no-untyped-def]
        appends.append(sorted(next(iter(r)) for r in records))
        append(records)

    monkeypatch.setattr(outbox._journal, "append", counted)
    try:
        futures = await asyncio.gather(*(outbox.submit(vote) for vote in plan))
        outcomes = await asyncio.wait_for(asyncio.gather(*futures), 30)
        await asyncio.wait_for(outbox.drained(), 30)
    finally:
        await outbox.close()
    assert all(o.status is VoteStatus.STORED for o in outcomes)
    assert stored_votes(db) == expected_votes(plan)
    assert appends == [["vote"] * len(plan)]  # one append, and no "done" line
    assert outbox_path.read_text(encoding="utf-8") == ""
