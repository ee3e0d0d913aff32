"""The outbox journal on a full disk: each record is written whole or not at all.

A real voter process (feedback_journal_voter.py) fills the disk with a file-size limit, which makes
the kernel cut a write short exactly as a full filesystem does (the first part of the line stays in
the file, the write after it fails), and is killed with SIGKILL; the database is locked meanwhile
(another process holds the write lock), so every vote waits in the journal. The journal is the
same file whichever database is behind it, so these run on SQLite only.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from feedback import FeedbackStore, Vote, VoteKind, VoteOutbox
from tests.feedback.direct_db import DirectDatabase, WriteBlocker

pytestmark = pytest.mark.sqlite_only(reason="the journal is one file whatever the database")

REPO_ROOT = Path(__file__).resolve().parents[2]
VOTER = Path(__file__).with_name("feedback_journal_voter.py")
MESSAGE = 31


@pytest.fixture
def outbox_path(db_path: Path) -> Path:
    db_path.parent.mkdir(parents=True, exist_ok=True)
    return db_path.with_name(db_path.name + "-outbox")


class Voter:
    """One voter process, driven line by line."""

    def __init__(self, db_url: str, outbox_path: Path) -> None:
        env = {**os.environ,
               "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
        self.proc = subprocess.Popen(
            [sys.executable, str(VOTER), db_url, str(outbox_path)], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )
        assert self._read() == "ready", self.proc.stderr.read() if self.proc.stderr else ""

    def _read(self) -> str:
        assert self.proc.stdout is not None
        return self.proc.stdout.readline().strip()

    def send(self, command: str) -> str:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self._read()

    def vote(self, user: int) -> bool:
        """True when the vote was acknowledged (journaled), False when refused."""
        answer = self.send(f"vote {user} 1 {MESSAGE}")
        assert answer.startswith(("accepted ", "refused ")), answer
        return answer.startswith("accepted ")

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.communicate(timeout=30)

    def close(self) -> tuple[str, int, str]:
        """Like /quit: the answer, the exit code and what went to stderr."""
        answer = self.send("close")
        _, errors = self.proc.communicate(timeout=30)
        return answer, self.proc.returncode, errors


def voters_stored(db: DirectDatabase) -> set[int]:
    return {u for (u,) in db.query(f"SELECT user_id FROM message_votes WHERE message_id = {MESSAGE}")}


async def restart_and_replay(db_url: str, outbox_path: Path) -> None:
    store = await FeedbackStore.open(db_url)
    try:
        outbox = await VoteOutbox.open(store, outbox_path)
        try:
            assert (await outbox.replay()).pending == 0
        finally:
            await outbox.close()
    finally:
        await store.close()


@pytest.mark.slow
async def test_a_torn_record_on_a_full_disk_does_not_swallow_the_next_acknowledged_vote(
    post, db, db_url, outbox_path
) -> None:
    """Fill the disk mid-write, kill, free space, restart under the held lock, vote, kill, restart."""
    await post(MESSAGE, user_id=99)
    blocker = WriteBlocker(db_url)
    await blocker.hold()
    try:
        first = Voter(db_url, outbox_path)
        try:
            acknowledged = {u for u in (1, 2, 3) if first.vote(u)}
            first.send("fill 60")  # less than one record: the next one is torn
            refused = {u for u in (4, 5) if not first.vote(u)}
        finally:
            first.kill()
        second = Voter(db_url, outbox_path)  # space freed, restarted, the lock still held
        try:
            acknowledged |= {6} if second.vote(6) else set()
        finally:
            second.kill()
    finally:
        await blocker.release()
        await blocker.close()
    assert acknowledged == {1, 2, 3, 6} and refused == {4, 5}
    await restart_and_replay(db_url, outbox_path)
    assert voters_stored(db) == acknowledged  # every acknowledged vote, and no refused one


@pytest.mark.slow
async def test_a_refused_vote_is_never_stored_later_and_quit_on_a_full_disk_is_clean(
    post, db, db_url, outbox_path
) -> None:
    await post(MESSAGE, user_id=99)
    blocker = WriteBlocker(db_url)
    await blocker.hold()
    try:
        voter = Voter(db_url, outbox_path)
        try:
            assert voter.vote(1)
            voter.send("fill 60")
            assert not voter.vote(2)  # "please vote again"
            voter.send("free")
            assert voter.vote(3)  # the refused vote must not ride along with this one
            voter.send("fill 60")
            assert not voter.vote(4)
            answer, code, errors = voter.close()  # /quit while the disk is still full
        except BaseException:
            voter.kill()
            raise
    finally:
        await blocker.release()
        await blocker.close()
    assert (answer, code) == ("closed", 0), errors
    assert "Traceback" not in errors
    await restart_and_replay(db_url, outbox_path)
    assert voters_stored(db) == {1, 3}


async def test_an_append_after_a_fragment_left_by_a_crash_starts_on_a_fresh_line(
    store, post, db, db_url, outbox_path
) -> None:
    """A kill between a short write and its clean-up leaves a fragment at the end of the journal."""
    await post(MESSAGE, user_id=99)
    kept = Vote(kind=VoteKind.MESSAGE, user_id=1, message_id=MESSAGE, value=1)
    torn = json.dumps({"vote": Vote(kind=VoteKind.MESSAGE, user_id=2, message_id=MESSAGE, value=1)
                       .model_dump(mode="json")})
    outbox_path.write_text(json.dumps({"vote": kept.model_dump(mode="json")}) + "\n" + torn[:70],
                           encoding="utf-8")
    blocker = WriteBlocker(db_url)
    await blocker.hold()
    try:
        outbox = await VoteOutbox.open(store, outbox_path, max_backoff=0.1)
        try:
            assert outbox.pending == 1
            await outbox.submit(Vote(kind=VoteKind.MESSAGE, user_id=3, message_id=MESSAGE, value=1))
        finally:
            await outbox.close()  # killed before the database took it
    finally:
        await blocker.release()
        await blocker.close()
    await restart_and_replay(db_url, outbox_path)
    assert voters_stored(db) == {1, 3}


async def test_a_forget_outlives_the_journal_emptying_while_another_process_may_hold_older_votes(
    store, post, db, outbox_path
) -> None:
    """Process A still holds the member's unwritten vote when they run /forget-me in process B; A
    dies later. B's journal empties meanwhile but keeps the forget record, so the process that takes
    A's journal over drops the vote instead of storing it."""
    await post(MESSAGE, user_id=99)
    b = await VoteOutbox.open(store, outbox_path)
    a = await VoteOutbox.open(store, outbox_path)
    try:
        old = Vote(kind=VoteKind.MESSAGE, user_id=5, message_id=MESSAGE, value=1)
        a._journal.append([{"vote": old.model_dump(mode="json")}])  # journaled, not yet written
        await b.forget(5)
        other = await b.record(Vote(kind=VoteKind.MESSAGE, user_id=6, message_id=MESSAGE, value=1), wait=5)
        assert other.status.value == "stored"
        await asyncio.wait_for(b.drained(), 5)
        assert [json.loads(line)["forget"] for line in outbox_path.read_text(encoding="utf-8").splitlines()] == [5]
        await a.close()  # A dies with the vote unwritten
        c = await VoteOutbox.open(store, outbox_path)  # the next start takes A's journal
        try:
            assert c.path == a.path and c.pending == 0
            await c.replay()
        finally:
            await c.close()
    finally:
        await b.close()
    assert voters_stored(db) == {6}
