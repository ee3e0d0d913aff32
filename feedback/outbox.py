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
    {"done": "<id>", "outcome": "stored" | "rejected" | "forgotten", "detail": "..."}
    {"forget": <user id>, "at": "<time>"}   the member ran /forget-me: their votes journaled
                                             before it are void, in any journal (see `forget`)

- A write that cannot happen now (`StoreUnavailable`: locked, read-only, disk full) is retried with
  exponential backoff until it lands; the votes behind it wait, so the order is kept.
- A vote that can never land (`StoreError`: its message or item does not exist) is marked done as
  rejected, and the caller waiting for it is told why.
- Group commit: the writer takes every vote queued at that moment (up to `MAX_BATCH`), in order,
  applies them in ONE transaction and marks them done with one journal append (one fsync). A
  vote the database refuses (`StoreError`) is undone alone and rejected, the others land (see
  `FeedbackStore.write_batch`); a database that cannot take the transaction keeps them all queued.
- Exactly once: each write sets a state (the vote on (user, target), a seen mark, a request under
  its id; see `feedback.votes`) instead of adding to one, and batches are applied strictly one
  after another, so the only votes that may have reached the database without their "done" line
  are those of the last batch; re-applying them in order at the next start changes nothing.
- At start (`open`), the journal's unfinished votes are loaded, and `replay` writes them before the
  bot takes traffic. Once every vote is done the journal is truncated.
- One process per journal: the file is locked (flock); a second process on the same database gets
  the next free journal (`reelmate.db-outbox.2`, ...), and every process adopts the unfinished votes
  (and forget records) of journals no live process holds.
- Each record is written whole or not at all, also on a full disk (see `_Journal`): a vote the
  caller was told to cast again is never stored later, and one acknowledged is never lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import errno
import fcntl
import functools
import itertools
import json
import logging
import os
import threading
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, Field

from feedback.backoff import JitteredBackoff
from feedback.errors import StoreError, StoreUnavailable

log = logging.getLogger(__name__)


class OutboxWrites(Protocol):
    """The writes the outbox replays (a `FeedbackStore` has them): what it needs, and no more."""

    def record_request(self, *, guild_id: int | None, channel_id: int | None, user_id: int, query: str,
                       resolved_item_id: int | None, resolved_title: str | None, model_version: str | None,
                       latency_ms: float, items: list[tuple[int, str, float]], experiment_id: int | None = None,
                       arm: str | None = None, request_id: int | None = None) -> Awaitable[int]: ...

    def attach_message(self, request_id: int, message_id: int) -> Awaitable[None]: ...

    def mark_seen_item(self, *, request_id: int, rank: int, user_id: int) -> Awaitable[bool]: ...

    def mark_seen_message(self, *, message_id: int, user_id: int) -> Awaitable[int]: ...

    def unmark_seen_message(self, *, message_id: int, user_id: int) -> Awaitable[int]: ...

    def vote_item(self, *, request_id: int, rank: int, user_id: int, value: int) -> Awaitable[None]: ...

    def vote_message(self, *, message_id: int, user_id: int, value: int) -> Awaitable[None]: ...

    def retract_message_vote(self, *, message_id: int, user_id: int, value: int) -> Awaitable[None]: ...


class OutboxStore(OutboxWrites, Protocol):
    """The store the outbox writes to: those writes, and a way to run several in one transaction."""

    def write_batch(self, steps: Sequence[Callable[[OutboxWrites], Awaitable[object]]]
                    ) -> Awaitable[list[StoreError | None]]:
        """Run `steps` in ONE transaction, in order: per step None, or the StoreError that undid
        that step alone; StoreUnavailable (nothing committed) if the database cannot take it."""
        ...


MAX_JOURNALS = 16  # processes that may share one database, each with its own journal
MAX_BATCH = 256  # queued votes written in one transaction (and marked done with one fsync)


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
    """The append-only file, locked for this process; every method is blocking (call it in a thread).

    Why raw `os.pwrite` and no buffered file: a buffered file that hits a full disk keeps the rest
    of a half-written line in memory, writes it later glued to the next record (which replay then
    skips as torn) or after the caller was told "please vote again". Here a record is written whole
    or not at all: the encoded lines go at the end of the last whole record, then fsync; on failure
    the file is cut back to that offset. A fragment a crash left mid-write is cut at `claim`, so
    every append starts on a fresh line.
    """

    def __init__(self, path: Path, base: Path, fd: int) -> None:
        self.path = path
        self._base = base
        self._fd = fd
        self._lock = threading.Lock()
        self.open_votes = 0  # vote lines in the file without their "done" line
        self.forgets: dict[int, datetime] = {}  # members who ran /forget-me, and when (see `forget`)
        self._end = _cut_torn_tail(fd, path)  # the end of the last whole record

    @classmethod
    def claim(cls, base: Path) -> _Journal:
        """Lock the first journal next to the database that no live process holds."""
        base.parent.mkdir(parents=True, exist_ok=True)
        for path in _journal_paths(base):
            fd = _lock_journal(path, create=True)
            if fd is None:
                continue
            try:
                return cls(path, base, fd)
            except BaseException:
                os.close(fd)
                raise
        raise StoreError(f"more than {MAX_JOURNALS} processes use the vote outbox at {base}")

    def append(self, records: list[dict[str, Any]]) -> None:
        """Append whole lines and fsync: when this returns, the records survive a crash; when it
        raises, none of them is in the file."""
        data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")
        with self._lock:
            try:
                if os.fstat(self._fd).st_size != self._end:
                    os.ftruncate(self._fd, self._end)  # what a failed append could not cut
                _write_all(self._fd, data, self._end)
                os.fsync(self._fd)
            except OSError:
                with contextlib.suppress(OSError):
                    os.ftruncate(self._fd, self._end)
                    os.fsync(self._fd)
                raise
            self._end += len(data)
            for r in records:
                if "vote" in r:
                    self.open_votes += 1
                elif "done" in r:
                    self.open_votes -= 1
                elif "forget" in r:
                    self._note_forget(r)

    def read_pending(self) -> list[Vote]:
        """The unfinished votes, less those of members who ran /forget-me after casting them."""
        with self._lock:
            records = _records(os.pread(self._fd, self._end, 0).decode("utf-8", errors="replace"))
            for r in records:
                if "forget" in r:
                    self._note_forget(r)
        votes = self._drop_forgotten(_unfinished(records))
        with self._lock:
            self.open_votes = len(votes)
        return votes

    def forget(self, user_id: int, at: datetime) -> list[Vote]:
        """Record durably that `user_id` asked to be forgotten at `at`, and take over the journals no
        live process holds; returns the adopted votes still to write (the member's older ones are void).

        Why a record and not just a delete: a vote of theirs may wait in the journal of a process
        that died; whenever it is adopted, here or at a later start, the forget record (kept while
        another journal exists) makes replay drop it instead of storing it again."""
        self.append([{"forget": user_id, "at": at.isoformat()}])
        return self._drop_forgotten(self.adopt_orphans())

    def _drop_forgotten(self, votes: list[Vote]) -> list[Vote]:
        """`votes` less those cast before a forget of their member recorded in any journal; those
        are marked done, so they are never written."""
        with self._lock:
            forgets = _merge_forgets(self.forgets, *(_forgets_in(p) for p in self._other_journals()))
        kept, dropped = _split_forgotten(votes, forgets)
        if dropped:
            log.info("vote outbox: dropping %d journaled vote(s) of members who ran /forget-me since",
                     len(dropped))
            self.append([{"done": v.id, "outcome": "forgotten", "detail": ""} for v in dropped])
        return kept

    def truncate_if_all_done(self, done: int = 0) -> bool:
        """Empty the file once every vote in it is done (decided under the same lock as appends,
        so a vote journaled a moment ago is never cut). Forget records are kept while another
        journal exists that may hold votes older than them.

        `done`: that many open votes are done now, their "done" lines not written: if they are the
        last ones, emptying the file stands for those lines (one write and fsync instead of two);
        if not (False), the caller appends the lines."""
        with self._lock:
            if self.open_votes > done or self._end == 0:
                return False
            keep = b""
            if self.forgets and self._other_journals():
                keep = "".join(json.dumps({"forget": u, "at": at.isoformat()}) + "\n"
                               for u, at in self.forgets.items()).encode("utf-8")
            if len(keep) == self._end:
                return False  # nothing but the forget records left already
            try:
                if keep:
                    self._replace_with(keep)
                else:
                    os.ftruncate(self._fd, 0)
                    os.fsync(self._fd)
                    self._end = 0
                    self.forgets.clear()
            except OSError as exc:  # a full disk: the done votes stay a while longer, harmless
                log.warning("vote outbox: cannot empty %s yet: %s", self.path, exc)
                return False
            self.open_votes = 0
            return True

    def finish(self, records: list[dict[str, Any]]) -> None:
        """Mark votes done: their "done" lines, or, when they were the last open votes, an empty
        file (see `truncate_if_all_done`). Raises OSError as `append` does."""
        if not self.truncate_if_all_done(done=len(records)):
            self.append(records)

    @property
    def may_truncate(self) -> bool:
        """Whether `truncate_if_all_done` could empty anything now (read without the lock: spares
        the idle writer a trip to a thread when the file is empty already)."""
        return self._end > 0 and self.open_votes == 0

    def _replace_with(self, data: bytes) -> None:
        """Swap the file for one holding only `data`, atomically (a crash leaves the old or the new
        one) and locked before it gets the journal's name, so no other process can claim it."""
        tmp = self.path.with_name(self.path.name + ".new")
        fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            _write_all(fd, data, 0)
            os.fsync(fd)
            os.replace(tmp, self.path)
        except BaseException:
            os.close(fd)
            raise
        os.close(self._fd)
        self._fd, self._end = fd, len(data)

    def adopt_orphans(self) -> list[Vote]:
        """Move the unfinished votes and forget records of journals no live process holds into this
        one; returns the votes moved."""
        adopted: list[Vote] = []
        for path in self._other_journals():
            fd = _lock_journal(path, create=False)
            if fd is None:
                continue  # a live process owns it
            try:
                records = _records(_read_all(fd).decode("utf-8", errors="replace"))
                votes = _unfinished(records)
                carried = [{"vote": v.model_dump(mode="json")} for v in votes]
                carried += [r for r in records if "forget" in r]
                if carried:
                    self.append(carried)
                adopted += votes
                path.unlink()
            finally:
                os.close(fd)
        return adopted

    def _other_journals(self) -> list[Path]:
        return [p for p in _journal_paths(self._base) if p != self.path and p.is_file()]

    def _note_forget(self, record: dict[str, Any]) -> None:
        self.forgets = _merge_forgets(self.forgets, _forget_of(record))

    def close(self) -> None:
        """Release the journal (closing releases the flock). Nothing is buffered, so nothing is lost
        here, and a failing close (a full disk) must not turn /quit into a traceback."""
        with self._lock:
            try:
                os.close(self._fd)
            except OSError as exc:
                log.warning("vote outbox: closing %s: %s", self.path, exc)


def _journal_paths(base: Path) -> list[Path]:
    return [base] + [base.with_name(f"{base.name}.{n}") for n in range(2, MAX_JOURNALS + 1)]


def _lock_journal(path: Path, *, create: bool) -> int | None:
    """The journal at `path`, opened and flocked, or None if a live process holds it (or it is gone).

    The lock must be on the file that has the name: one could have been swapped in (see
    `_Journal._replace_with`) or removed (adopted) between the open and the lock."""
    try:
        fd = os.open(path, os.O_RDWR | (os.O_CREAT if create else 0), 0o600)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if os.fstat(fd).st_ino != os.stat(path).st_ino:
            raise BlockingIOError
    except (BlockingIOError, FileNotFoundError):
        os.close(fd)
        return None
    return fd


def _write_all(fd: int, data: bytes, offset: int) -> None:
    view = memoryview(data)
    while view:
        n = os.pwrite(fd, view, offset)
        if n <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        view, offset = view[n:], offset + n


def _read_all(fd: int) -> bytes:
    return os.pread(fd, os.fstat(fd).st_size, 0)


def _cut_torn_tail(fd: int, path: Path) -> int:
    """Cut what follows the last whole line: the start of a record whose append never returned
    (a crash mid-write), so never acknowledged. Returns the new end."""
    data = _read_all(fd)
    end = data.rfind(b"\n") + 1
    if end < len(data):
        log.warning("vote outbox %s: cutting %d byte(s) of a record torn by a crash", path, len(data) - end)
        os.ftruncate(fd, end)
        os.fsync(fd)
    return end


def _records(text: str) -> list[dict[str, Any]]:
    """The journal's records; an unreadable line (torn by a crash) is skipped."""
    records: list[dict[str, Any]] = []
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            log.warning("vote outbox: ignoring an unreadable line (torn by a crash?): %.80s", line)
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def _unfinished(records: list[dict[str, Any]]) -> list[Vote]:
    votes: dict[str, Vote] = {}
    for record in records:
        if "vote" in record:
            vote = Vote.model_validate(record["vote"])
            votes[vote.id] = vote
        elif "done" in record:
            votes.pop(record["done"], None)
    return list(votes.values())


def _forget_of(record: dict[str, Any]) -> dict[int, datetime]:
    return {int(record["forget"]): datetime.fromisoformat(record["at"])}


def _forgets_in(path: Path) -> dict[int, datetime]:
    """The forget records of another journal (read without its lock: only whole lines count)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    return _merge_forgets(*(_forget_of(r) for r in _records(text) if "forget" in r))


def _merge_forgets(*forgets: dict[int, datetime]) -> dict[int, datetime]:
    merged: dict[int, datetime] = {}
    for each in forgets:
        for user, at in each.items():
            merged[user] = max(at, merged.get(user, at))
    return merged


def _split_forgotten(votes: list[Vote], forgets: dict[int, datetime]) -> tuple[list[Vote], list[Vote]]:
    """(votes to replay, votes cast before their member ran /forget-me)."""
    kept = [v for v in votes if not (v.user_id in forgets and v.received_at < forgets[v.user_id])]
    return kept, [v for v in votes if v not in kept]


def _pending(text: str) -> list[Vote]:
    """Votes without a "done" line, in journal order, less those of members who ran /forget-me
    after casting them; a torn line (a crash mid-write of a record whose append never returned)
    is ignored."""
    records = _records(text)
    forgets = _merge_forgets(*(_forget_of(r) for r in records if "forget" in r))
    return _split_forgotten(_unfinished(records), forgets)[0]


class VoteOutbox:
    """Accepts votes durably and writes them to the store in order, retrying until they land."""

    def __init__(self, store: OutboxStore, journal: _Journal, pending: list[Vote], *,
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
        self._backoff = JitteredBackoff(0.05, max_backoff, spread=0.5)
        self._drainer: asyncio.Task[None] | None = None
        # submitted, not yet appended: the vote, "it is in the file", and its outcome
        self._to_journal: list[tuple[Vote, asyncio.Future[None], asyncio.Future[VoteOutcome]]] = []
        self._journaling: asyncio.Task[None] | None = None
        self.stored = self.rejected = 0
        self.last_problem = ""  # why the database refused the vote at the head of the queue, if it did

    @classmethod
    async def open(cls, store: OutboxStore, path: Path, *, max_backoff: float = 2.0) -> VoteOutbox:
        """Claim a journal next to the database and load the votes a previous run left unfinished."""
        try:
            journal = await asyncio.to_thread(_Journal.claim, path)
            adopted = len(await asyncio.to_thread(journal.adopt_orphans))
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
        """Journal the vote (fsynced) and queue it; the future resolves when it is done.

        Group commit here too: the votes submitted while an append is under way are appended
        together by the next one (one write, one fsync), in the order submitted, and queued in
        that order; each caller returns once its own vote is in the file."""
        loop = asyncio.get_running_loop()
        journaled: asyncio.Future[None] = loop.create_future()
        outcome: asyncio.Future[VoteOutcome] = loop.create_future()
        self._to_journal.append((vote, journaled, outcome))
        if self._journaling is None or self._journaling.done():
            self._journaling = asyncio.create_task(self._append_submitted(), name="vote-outbox-journal")
        try:
            await asyncio.shield(journaled)
        except OSError as exc:
            # Not even the journal can take it: say so instead of pretending it was kept.
            raise StoreUnavailable(f"the vote could not be saved ({exc.strerror or exc}); please vote again") from None
        return outcome

    async def _append_submitted(self) -> None:
        """Append the submitted votes, as many at a time as are waiting, until none is left."""
        while self._to_journal:
            batch, self._to_journal = self._to_journal, []
            try:
                await asyncio.to_thread(self._journal.append,
                                        [{"vote": v.model_dump(mode="json")} for v, _, _ in batch])
            except OSError as exc:  # none of them is in the file (see `_Journal.append`)
                for _, journaled, _ in batch:
                    if not journaled.done():
                        journaled.set_exception(exc)
                        journaled.exception()  # retrieved: a caller that gave up must not make it a warning
                continue
            for vote, journaled, outcome in batch:
                self._waiters[vote.id] = outcome
                self._queue.append(vote)
                journaled.set_result(None)
            self._idle.clear()
            self._wake.set()
            self.start()

    async def record(self, vote: Vote, *, wait: float = 0.0) -> VoteOutcome:
        """Submit, and wait up to `wait` seconds for the database: STORED, REJECTED, or QUEUED
        (journaled; it will be written as soon as the database takes it)."""
        future = await self.submit(vote)
        if wait > 0:
            with contextlib.suppress(TimeoutError):
                return await asyncio.wait_for(asyncio.shield(future), wait)
        return future.result() if future.done() else VoteOutcome(VoteStatus.QUEUED)

    async def forget(self, user_id: int) -> None:
        """Record (durably) that the member asked to be forgotten now: none of their votes journaled
        before this, here or in the journal of a process that died, is written after it. Call it
        once their own queued votes are written (`drained`), before deleting their data."""
        try:
            adopted = await asyncio.to_thread(self._journal.forget, user_id, datetime.now(UTC))
        except OSError as exc:
            raise StoreUnavailable(f"the request could not be recorded ({exc.strerror or exc})") from None
        if adopted:
            self._queue.extend(adopted)
            self._idle.clear()
            self._wake.set()
            self.start()

    async def close(self) -> None:
        """Stop writing; unfinished votes stay in the journal for the next start."""
        if self._journaling is not None:  # an append under way finishes first (its callers are told)
            with contextlib.suppress(Exception):
                await self._journaling
        if self._drainer is not None:
            self._drainer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._drainer
        await asyncio.to_thread(self._journal.close)

    # ------------------------------------------------------------------ the writer

    async def _drain(self) -> None:
        failures = 0  # of the batch at the head of the queue, while the database cannot take it
        limit = MAX_BATCH
        while True:
            if not self._queue:
                if self._journal.may_truncate and await asyncio.to_thread(self._journal.truncate_if_all_done):
                    log.debug("vote outbox empty, journal truncated")
                if not self._queue:
                    # Idle only after the journal was emptied: a caller of `drained()` may close the outbox
                    # next, and "drained" should leave nothing behind on disk, not a file of done votes.
                    self._idle.set()
                self._wake.clear()
                if not self._queue:
                    await self._wake.wait()
                continue
            # Every vote queued now, in order, in one transaction: votes arriving while it runs wait
            # for the next one (group commit). The order is kept and nothing is applied twice.
            batch = list(itertools.islice(self._queue, limit))
            try:
                errors = await self._store.write_batch([functools.partial(_write, vote=vote) for vote in batch])
            except StoreUnavailable as exc:
                self.last_problem = str(exc)
                failures += 1
                delay = self._backoff.delay(failures)
                log.warning("vote outbox: %s kept, the database cannot take it yet (%s); retrying in %.1fs",
                            _describe(batch), exc, delay)
                await asyncio.sleep(delay)
                continue
            except Exception as exc:
                if len(batch) > 1:  # find the vote that fails it: the ones before it must not wait on it
                    log.info("vote outbox: a batch of %d failed (%s); writing one at a time", len(batch), exc)
                    limit = 1
                    continue
                if isinstance(exc, StoreError):  # the transaction itself refused the vote (at commit)
                    errors = [exc]
                else:  # a bug, not the vote's fault: keep it (it is journaled) and retry
                    log.exception("vote outbox: unexpected error writing %s; retrying", batch[0].describe())
                    await asyncio.sleep(self._max_backoff)
                    continue
            failures = 0
            limit = MAX_BATCH
            self.last_problem = ""
            outcomes = []
            for vote, error in zip(batch, errors, strict=True):
                if error is None:
                    outcomes.append(VoteOutcome(VoteStatus.STORED))
                else:  # the voter's mistake (a rank the list lacks), told to them: no warning
                    log.info("vote outbox: %s rejected: %s", vote.describe(), error)
                    outcomes.append(VoteOutcome(VoteStatus.REJECTED, str(error)))
            await self._finish(batch, outcomes)

    async def _finish(self, batch: list[Vote], outcomes: list[VoteOutcome]) -> None:
        records = [{"done": vote.id, "outcome": outcome.status.value, "detail": outcome.detail}
                   for vote, outcome in zip(batch, outcomes, strict=True)]
        while True:
            try:
                await asyncio.to_thread(self._journal.finish, records)
                break
            except OSError as exc:
                # The votes are in the database, but the next ones must not be applied before these
                # lines are written: a restart would replay these votes after them and undo them.
                log.warning("vote outbox: cannot mark %d vote(s) done (%s); retrying", len(batch), exc)
                await asyncio.sleep(self._max_backoff)
        for vote, outcome in zip(batch, outcomes, strict=True):
            self._queue.popleft()
            if outcome.status is VoteStatus.STORED:
                self.stored += 1
            else:
                self.rejected += 1
            waiter = self._waiters.pop(vote.id, None)
            if waiter is not None and not waiter.done():
                waiter.set_result(outcome)


def _describe(batch: list[Vote]) -> str:
    return batch[0].describe() + (f" (and {len(batch) - 1} vote(s) behind it)" if len(batch) > 1 else "")


async def _write(store: OutboxWrites, vote: Vote) -> None:
    """Write one vote with the store's operation for its kind."""
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
