"""The vote outbox: a vote is durable from the moment it is accepted, whatever the database does.

(Seen marks from the 👀 reaction and the "Seen it" button travel the same way, as vote kinds
`seen_message`, `unseen_message` and `seen_item`: they are idempotent too, see `feedback.seen`.
So does the record of a /recommend answered while the database was busy - kind `request`, under
an id chosen before it is stored, its contents in `payload` - and the message it was posted in,
kind `attach`: journaled ahead of the votes on that list, they land before them.)

Why: Discord shows a reaction (and the bot answers a button) whether or not the database can take
the write right now - another process may hold the write lock, the disk may be read-only or full.
So every vote is first appended to a journal file next to the database and fsynced, and only then
written to the database by one background task, in the order accepted:

    {"vote": {...}}     a vote accepted (id, kind, user, target, value, received_at)
    {"done": "<id>", "outcome": "stored" | "rejected", "detail": "..."}

- A write that cannot happen now (`StoreUnavailable`: locked, read-only, disk full) is retried with
  exponential backoff until it lands; the votes behind it wait, so the order is kept.
- A vote that can never land (`StoreError`: its message or item does not exist) is marked done as
  rejected, and the caller waiting for it is told why.
- Exactly once: each vote is idempotent on (user, target, value) (see `feedback.votes`), and votes
  are applied strictly one after another, so the only vote that may have reached the database
  without its "done" line is the last one applied; re-applying it at the next start changes nothing.
- At start (`open`), the journal's unfinished votes are loaded, and `replay` writes them before the
  bot takes traffic. Once every vote is done the journal is truncated.
- One process per journal: the file is locked (flock); a second process on the same database gets
  the next free journal (`reelmate.db-outbox.2`, ...), and every process adopts the unfinished votes
  of journals no live process holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import fcntl
import json
import logging
import os
import random
import threading
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel, Field

from feedback.errors import StoreError, StoreUnavailable
from feedback.store import FeedbackStore

log = logging.getLogger(__name__)

MAX_JOURNALS = 16  # processes that may share one database, each with its own journal


class VoteKind(enum.StrEnum):
    MESSAGE = "message"  # a 👍/👎 reaction on a recommendation message
    RETRACT_MESSAGE = "retract_message"  # that reaction removed
    ITEM = "item"  # a per-item button
    SEEN_MESSAGE = "seen_message"  # 👀 on a recommendation message: its titles are seen
    UNSEEN_MESSAGE = "unseen_message"  # that 👀 removed
    SEEN_ITEM = "seen_item"  # "Seen it" picked for one ranked title (value is always +1)
    REQUEST = "request"  # a recommendation request (request_id chosen up front, fields in payload)
    ATTACH = "attach"  # the message (message_id) a request (request_id) was posted in


class Vote(BaseModel):
    """One accepted vote, as journaled."""

    kind: VoteKind
    user_id: int
    value: int
    message_id: int | None = None
    request_id: int | None = None
    rank: int | None = None
    payload: dict[str, Any] | None = None  # a request's fields (kind `request` only)
    id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    received_at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    def describe(self) -> str:
        if self.kind is VoteKind.REQUEST:
            return f"recommendation request {self.request_id}"
        if self.kind is VoteKind.ATTACH:
            return f"message {self.message_id} of request {self.request_id}"
        if self.kind is VoteKind.SEEN_ITEM:
            return f"seen mark on item {self.rank} of request {self.request_id}"
        if self.kind in (VoteKind.SEEN_MESSAGE, VoteKind.UNSEEN_MESSAGE):
            verb = "removed " if self.kind is VoteKind.UNSEEN_MESSAGE else ""
            return f"{verb}👀 on message {self.message_id}"
        thumb = "👍" if self.value > 0 else "👎"
        if self.kind is VoteKind.ITEM:
            return f"{thumb} on item {self.rank} of request {self.request_id}"
        verb = "removed " if self.kind is VoteKind.RETRACT_MESSAGE else ""
        return f"{verb}{thumb} on message {self.message_id}"


class VoteStatus(enum.StrEnum):
    STORED = "stored"  # in the database
    QUEUED = "queued"  # safe in the journal, not yet in the database (it will be)
    REJECTED = "rejected"  # can never be stored; `detail` says why


@dataclass(frozen=True)
class VoteOutcome:
    status: VoteStatus
    detail: str = ""


@dataclass(frozen=True)
class ReplayReport:
    stored: int
    rejected: int
    pending: int


class _Journal:
    """The append-only file, locked for this process; every method is blocking (call it in a thread)."""

    def __init__(self, path: Path, handle: IO[str]) -> None:
        self.path = path
        self._handle = handle
        self._lock = threading.Lock()
        self.open_votes = 0  # vote lines in the file without their "done" line
    @classmethod
    def claim(cls, base: Path) -> _Journal:
        """Lock the first journal next to the database that no live process holds."""
        base.parent.mkdir(parents=True, exist_ok=True)
        for n in range(1, MAX_JOURNALS + 1):
            path = base if n == 1 else base.with_name(f"{base.name}.{n}")
            handle = path.open("a+", encoding="utf-8")
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            return cls(path, handle)
        raise StoreError(f"more than {MAX_JOURNALS} processes use the vote outbox at {base}")

    def append(self, records: list[dict[str, Any]]) -> None:
        """Append whole lines and fsync: when this returns, the records survive a crash."""
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
        with self._lock:
            self._handle.seek(0, os.SEEK_END)
            self._handle.write(text)
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self.open_votes += sum(1 if "vote" in r else -1 for r in records)

    def read_pending(self) -> list[Vote]:
        with self._lock:
            self._handle.seek(0)
            votes = _pending(self._handle.read())
            self.open_votes = len(votes)
            return votes

    def truncate_if_all_done(self) -> bool:
        """Empty the file once every vote in it is done (decided under the same lock as appends,
        so a vote journaled a moment ago is never cut)."""
        with self._lock:
            if self.open_votes > 0 or os.fstat(self._handle.fileno()).st_size == 0:
                return False
            self._handle.truncate(0)
            self._handle.flush()
            os.fsync(self._handle.fileno())
            return True

    def adopt_orphans(self, base: Path) -> int:
        """Move the unfinished votes of journals no live process holds into this one."""
        adopted = 0
        for path in sorted(base.parent.glob(base.name + "*")):
            if path == self.path or not path.is_file():
                continue
            with path.open("r+", encoding="utf-8") as other:
                try:
                    fcntl.flock(other.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # a live process owns it
                votes = _pending(other.read())
                if votes:
                    self.append([{"vote": v.model_dump(mode="json")} for v in votes])
                    adopted += len(votes)
                path.unlink()
        return adopted

    def close(self) -> None:
        with self._lock:
            self._handle.close()  # closing releases the flock


def _pending(text: str) -> list[Vote]:
    """Votes without a "done" line, in journal order; a torn last line (a crash mid-write of a
    record whose append never returned) is ignored."""
    votes: dict[str, Vote] = {}
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            log.warning("vote outbox: ignoring an unreadable line (torn by a crash?): %.80s", line)
            continue
        if "vote" in record:
            vote = Vote.model_validate(record["vote"])
            votes[vote.id] = vote
        elif "done" in record:
            votes.pop(record["done"], None)
    return list(votes.values())


class VoteOutbox:
    """Accepts votes durably and writes them to the store in order, retrying until they land."""

    def __init__(self, store: FeedbackStore, journal: _Journal, pending: list[Vote], *,
                 max_backoff: float = 2.0) -> None:
        """Use `await VoteOutbox.open(store, path)`."""
        self._store = store
        self._journal = journal
        self._queue: deque[Vote] = deque(pending)
        self._waiters: dict[str, asyncio.Future[VoteOutcome]] = {}
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()  # set while nothing is queued
        if not self._queue:
            self._idle.set()
        self._max_backoff = max_backoff
        self._drainer: asyncio.Task[None] | None = None
        self.stored = self.rejected = 0
        self.last_problem = ""  # why the database refused the vote at the head of the queue, if it did

    @classmethod
    async def open(cls, store: FeedbackStore, path: Path, *, max_backoff: float = 2.0) -> VoteOutbox:
        """Claim a journal next to the database and load the votes a previous run left unfinished."""
        try:
            journal = await asyncio.to_thread(_Journal.claim, path)
            adopted = await asyncio.to_thread(journal.adopt_orphans, path)
            pending = await asyncio.to_thread(journal.read_pending)
        except OSError as exc:
            raise StoreError(f"cannot open the vote outbox {path}: {exc.strerror or exc}") from None
        if pending:
            log.info("vote outbox %s: %d vote(s) left unfinished (%d adopted from other journals)",
                     journal.path, len(pending), adopted)
        return cls(store, journal, pending, max_backoff=max_backoff)

    @property
    def path(self) -> Path:
        return self._journal.path

    @property
    def pending(self) -> int:
        return len(self._queue)

    async def replay(self, wait: float = 10.0) -> ReplayReport:
        """Start writing, and wait (up to `wait` seconds) for the unfinished votes to land: run this
        before taking traffic. Votes still pending after it keep being retried in the background."""
        before_stored, before_rejected = self.stored, self.rejected
        self.start()
        if self._queue:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.drained(), wait)
        report = ReplayReport(self.stored - before_stored, self.rejected - before_rejected, len(self._queue))
        if report.stored or report.rejected or report.pending:
            log.info("vote outbox replay: %d stored, %d rejected, %d still waiting for the database",
                     report.stored, report.rejected, report.pending)
        return report

    def start(self) -> None:
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.create_task(self._drain(), name="vote-outbox")

    def holds(self, *, request_id: int | None = None, message_id: int | None = None) -> bool:
        """Whether a request (or the message of one) waits here to be stored: votes on it are
        accepted and land after it."""
        kind, key, value = ((VoteKind.REQUEST, "request_id", request_id) if request_id is not None
                            else (VoteKind.ATTACH, "message_id", message_id))
        return any(v.kind is kind and getattr(v, key) == value for v in self._queue)

    async def drained(self) -> None:
        """Wait until every accepted vote is done (stored or rejected)."""
        await self._idle.wait()

    async def submit(self, vote: Vote) -> asyncio.Future[VoteOutcome]:
        """Journal the vote (fsynced) and queue it; the future resolves when it is done."""
        try:
            await asyncio.to_thread(self._journal.append, [{"vote": vote.model_dump(mode="json")}])
        except OSError as exc:
            # Not even the journal can take it: say so instead of pretending it was kept.
            raise StoreUnavailable(f"the vote could not be saved ({exc.strerror or exc}); please vote again") from None
        future: asyncio.Future[VoteOutcome] = asyncio.get_running_loop().create_future()
        self._waiters[vote.id] = future
        self._queue.append(vote)
        self._idle.clear()
        self._wake.set()
        self.start()
        return future

    async def record(self, vote: Vote, *, wait: float = 0.0) -> VoteOutcome:
        """Submit, and wait up to `wait` seconds for the database: STORED, REJECTED, or QUEUED
        (journaled; it will be written as soon as the database takes it)."""
        future = await self.submit(vote)
        if wait > 0:
            with contextlib.suppress(TimeoutError):
                return await asyncio.wait_for(asyncio.shield(future), wait)
        return future.result() if future.done() else VoteOutcome(VoteStatus.QUEUED)

    async def close(self) -> None:
        """Stop writing; unfinished votes stay in the journal for the next start."""
        if self._drainer is not None:
            self._drainer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._drainer
        await asyncio.to_thread(self._journal.close)

    # ------------------------------------------------------------------ the writer

    async def _apply(self, vote: Vote) -> None:
        store = self._store
        if vote.kind in (VoteKind.REQUEST, VoteKind.ATTACH):
            if vote.request_id is None or (vote.kind is VoteKind.REQUEST and vote.payload is None):
                raise StoreError(f"a {vote.kind} record needs a request id and its contents")
            if vote.kind is VoteKind.REQUEST:
                fields = dict(vote.payload or {})  # JSON turned the shown (id, title, score) into lists
                fields["items"] = [tuple(item) for item in fields.get("items", [])]
                await store.record_request(request_id=vote.request_id, **fields)
            elif vote.message_id is None:
                raise StoreError("an attach record needs a message id")
            else:
                await store.attach_message(vote.request_id, vote.message_id)
            return
        if vote.kind is VoteKind.SEEN_ITEM:
            if vote.request_id is None or vote.rank is None:
                raise StoreError("a seen mark needs a request id and a rank")
            await store.mark_seen_item(request_id=vote.request_id, rank=vote.rank, user_id=vote.user_id)
            return
        if vote.kind in (VoteKind.SEEN_MESSAGE, VoteKind.UNSEEN_MESSAGE):
            if vote.message_id is None:
                raise StoreError("a 👀 reaction needs a message id")
            mark = store.mark_seen_message if vote.kind is VoteKind.SEEN_MESSAGE else store.unmark_seen_message
            await mark(message_id=vote.message_id, user_id=vote.user_id)
            return
        if vote.kind is VoteKind.ITEM:
            if vote.request_id is None or vote.rank is None:
                raise StoreError("an item vote needs a request id and a rank")
            await store.vote_item(request_id=vote.request_id, rank=vote.rank, user_id=vote.user_id, value=vote.value)
            return
        if vote.message_id is None:
            raise StoreError("a reaction vote needs a message id")
        write = store.retract_message_vote if vote.kind is VoteKind.RETRACT_MESSAGE else store.vote_message
        await write(message_id=vote.message_id, user_id=vote.user_id, value=vote.value)

    async def _drain(self) -> None:
        delay = 0.05
        while True:
            if not self._queue:
                if await asyncio.to_thread(self._journal.truncate_if_all_done):
                    log.debug("vote outbox empty, journal truncated")
                if not self._queue:
                    # Idle only after the journal was emptied: a caller of `drained()` may close the outbox
                    # next, and "drained" should leave nothing behind on disk, not a file of done votes.
                    self._idle.set()
                self._wake.clear()
                if not self._queue:
                    await self._wake.wait()
                continue
            vote = self._queue[0]
            try:
                await self._apply(vote)
                outcome = VoteOutcome(VoteStatus.STORED)
            except StoreUnavailable as exc:
                self.last_problem = str(exc)
                log.warning("vote outbox: %s kept, the database cannot take it yet (%s); retrying in %.1fs",
                            vote.describe(), exc, delay)
                await asyncio.sleep(delay * (1 + random.random() / 2))
                delay = min(delay * 2, self._max_backoff)
                continue
            except StoreError as exc:
                log.warning("vote outbox: %s rejected: %s", vote.describe(), exc)
                outcome = VoteOutcome(VoteStatus.REJECTED, str(exc))
            except Exception:  # a bug, not the vote's fault: keep it (it is journaled) and retry
                log.exception("vote outbox: unexpected error writing %s; retrying", vote.describe())
                await asyncio.sleep(self._max_backoff)
                continue
            delay = 0.05
            self.last_problem = ""
            await self._finish(vote, outcome)

    async def _finish(self, vote: Vote, outcome: VoteOutcome) -> None:
        record = {"done": vote.id, "outcome": outcome.status.value, "detail": outcome.detail}
        while True:
            try:
                await asyncio.to_thread(self._journal.append, [record])
                break
            except OSError as exc:
                # The vote is in the database, but the next one must not be applied before this
                # line is written: a restart would replay this vote after it and undo it.
                log.warning("vote outbox: cannot mark %s done (%s); retrying", vote.id, exc)
                await asyncio.sleep(self._max_backoff)
        self._queue.popleft()
        if outcome.status is VoteStatus.STORED:
            self.stored += 1
        else:
            self.rejected += 1
        waiter = self._waiters.pop(vote.id, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(outcome)
