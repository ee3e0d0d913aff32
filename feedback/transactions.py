"""One way to run a store operation: validate its arguments, then run it in one transaction.

Why a single decorator: every operation of the store is a plain `async def op(session, ...)` in the
module of its record kind (`requests`, `votes`, `registry`, `analytics`, `privacy`); the
`FeedbackStore` facade exposes each through `transaction(op, write=...)`, which checks the
arguments with pydantic (before any lock is taken) and runs the operation under `Transactor.run`:

- Writes on SQLite start with BEGIN IMMEDIATE and, inside one process, queue on an asyncio lock
  (SQLite has a single writer anyway; queueing in Python avoids sleeping in SQLite's busy handler);
  across processes they wait on busy_timeout, and a transaction that still meets "database is
  locked" is retried from the start with jittered exponential backoff. On PostgreSQL the same
  select-then-write upserts are retried if a concurrent insert wins the unique constraint, and so
  is a transaction that failed on a serialization failure, a deadlock or `lock_timeout` (SQLSTATEs
  40001, 40P01, 55P03: PostgreSQL's "database is locked").
- `Transactor.impatient(seconds)` runs the same operations without waiting out a busy database:
  one attempt, at most `seconds` for this process's writer queue and as much for SQLite's write
  lock (its writes run on a connection of their own whose busy_timeout is `seconds`), then
  StoreUnavailable. A write that must not delay a reply (the record of a /recommend)
  uses it and leaves the change to the outbox when the database is busy.
- Failures become StoreError; those that say the database cannot take any change right now
  (locked, read-only, disk full) become StoreUnavailable so that callers may keep the change and
  retry later (see `feedback.outbox`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Concatenate, ParamSpec, Protocol, TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt

from feedback.backoff import JitteredBackoff
from feedback.db import WRITE_OPTION, create_store_engine, runs_inline
from feedback.errors import StoreError, StoreUnavailable
from feedback.threads import TransactionThreads
from feedback.validation import argument_checker

log = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")

# Messages of SQLite/PostgreSQL errors after which the same change can succeed later.
_UNAVAILABLE = ("readonly database", "read-only", "database or disk is full", "disk i/o error",
                "no space left", "unable to open database")
# PostgreSQL SQLSTATEs: retry the transaction now (it lost a race or waited too long for a lock) ...
_PG_RETRY = {"40001", "40P01", "55P03"}
# ... or keep the change for later: read-only transaction, disk full, out of memory, too many
# connections, server shutting down or starting, and every connection exception (class 08).
_PG_UNAVAILABLE = {"25006", "53100", "53200", "53300", "57P01", "57P02", "57P03"}


@dataclass(frozen=True)
class RetryPolicy:
    """How often a transaction meeting a lock (or a unique race) is retried, and how it backs off."""

    attempts: int = 8
    first_delay: float = 0.02
    max_delay: float = 1.0

    def retrying(self) -> AsyncRetrying:
        """The tenacity loop: a busy database (`_Busy`) is retried up to `attempts` times in all."""
        return AsyncRetrying(stop=stop_after_attempt(self.attempts),
                             wait=JitteredBackoff(self.first_delay, self.max_delay, spread=1.0),
                             retry=retry_if_exception_type(_Busy), before_sleep=self._log_busy, reraise=True)

    def _log_busy(self, state: RetryCallState) -> None:
        log.warning("feedback database busy (attempt %d/%d), retrying", state.attempt_number, self.attempts)


class _Busy(Exception):
    """This attempt met a lock (or lost a unique race): the same transaction may succeed if run again."""


class _Refused(Exception):
    """A step of `run_steps` was refused: its transaction is rolled back and run again, step by step."""


DEFAULT_RETRY = RetryPolicy()


def _reason(exc: BaseException) -> str:
    return str(getattr(exc, "orig", exc))


def _sqlstate(exc: BaseException) -> str:
    return str(getattr(getattr(exc, "orig", None), "sqlstate", None) or "")


def _is_locked(exc: BaseException) -> bool:
    if _sqlstate(exc) in _PG_RETRY:
        return True
    text = _reason(exc).lower()
    return "database is locked" in text or "database is busy" in text or "database table is locked" in text


def _is_unique_race(exc: BaseException) -> bool:
    text = _reason(exc).lower()
    return "unique" in text or "duplicate key" in text


def _is_unavailable(exc: BaseException) -> bool:
    state = _sqlstate(exc)
    if state in _PG_UNAVAILABLE or state.startswith("08"):
        return True
    text = _reason(exc).lower()
    return any(marker in text for marker in _UNAVAILABLE)


def _unavailable(exc: BaseException) -> StoreUnavailable:
    return StoreUnavailable(f"the feedback database cannot take changes now: {_reason(exc)}")


class Transactor:
    """Sessions for one engine, and the retry loop every operation runs in."""

    def __init__(self, engine: AsyncEngine, *, sqlite: bool, retry: RetryPolicy = DEFAULT_RETRY) -> None:
        self.retry = retry
        self._engine = engine
        self._reader = async_sessionmaker(engine, expire_on_commit=False)
        self._writer = async_sessionmaker(
            engine.execution_options(**{WRITE_OPTION: True}), expire_on_commit=False
        )
        self._write_lock = asyncio.Lock() if sqlite else None
        # A SQLite file: each transaction runs whole on a worker thread (see `feedback.threads`).
        self._threads = TransactionThreads() if runs_inline(engine) else None
        self._patience: float | None = None  # set on the copies `impatient` returns
        self._impatient_engines: dict[int, AsyncEngine] = {}  # shared with the copies; see `dispose`

    def impatient(self, seconds: float) -> Transactor:
        """The same readers and writer queue, but one attempt that gives up after `seconds` of waiting.

        On SQLite its writes use an engine of their own (one pooled connection, created once per
        patience) whose busy_timeout is `seconds`: switching a shared connection's busy_timeout
        back and forth cost two PRAGMAs for every request recorded."""
        copy = Transactor.__new__(Transactor)
        copy.__dict__.update(self.__dict__)
        copy.retry = RetryPolicy(attempts=1)
        copy._patience = seconds
        engine = self._engine
        if self._write_lock is not None:  # SQLite
            busy_ms = int(seconds * 1000)
            if busy_ms not in self._impatient_engines:
                self._impatient_engines[busy_ms] = create_store_engine(self._engine.url, busy_ms=busy_ms, pool_size=1)
            engine = self._impatient_engines[busy_ms]
        copy._writer = async_sessionmaker(engine.execution_options(**{WRITE_OPTION: True}), expire_on_commit=False)
        return copy

    async def dispose(self) -> None:
        """Close every connection of the engine and of the impatient copies' engines, then the threads."""
        for engine in (self._engine, *self._impatient_engines.values()):
            if self._threads is None:
                await engine.dispose()
            else:  # closing SQLite connections blocks (the last one checkpoints the WAL)
                await self._threads.run(engine.dispose, write=True)
        if self._threads is not None:
            await self._threads.close()

    @contextlib.asynccontextmanager
    async def _queued(self, write: bool) -> AsyncIterator[None]:
        """This process's writer queue (SQLite), waited on for at most the patience, if any."""
        lock = self._write_lock
        if not write or lock is None:
            yield
            return
        try:
            if self._patience is None or not lock.locked():
                await lock.acquire()  # free: taken without yielding to the loop, as before
            else:
                await asyncio.wait_for(lock.acquire(), self._patience)
        except TimeoutError:
            raise StoreUnavailable("the feedback database is busy with other writes of this process") from None
        try:
            yield
        finally:
            lock.release()

    async def run(self, work: Callable[[AsyncSession], Awaitable[T]], *, write: bool) -> T:
        try:
            async for attempt in self.retry.retrying():
                with attempt:
                    return await self._attempt(work, write=write)
        except _Busy:
            raise StoreUnavailable(
                "the feedback database stayed busy (locked by another process); nothing was stored, try again"
            ) from None
        raise AssertionError("unreachable")

    async def run_steps(self, steps: Sequence[Callable[[AsyncSession], Awaitable[object]]]) -> list[StoreError | None]:
        """Run several writes in ONE transaction, in order. Returns, per step, None or the
        StoreError that undid that step alone (the caller's mistake, e.g. a rank the list lacks);
        the other steps are committed.

        Why: one transaction per vote costs a BEGIN IMMEDIATE, a commit and a connection
        checkout each, and the outbox can have dozens queued. The steps first run plainly; only if
        one is refused does the transaction roll back and run again with a savepoint around each
        step (refusals are rare, and two statements per step are not). A busy or unavailable
        database fails the whole transaction as `run` does (retried, or StoreUnavailable):
        nothing of it is committed, so the caller may keep every step and run them again later."""
        try:
            return await self.run(functools.partial(self._steps, steps, isolated=False), write=True)
        except _Refused:
            return await self.run(functools.partial(self._steps, steps, isolated=True), write=True)

    @staticmethod
    async def _steps(steps: Sequence[Callable[[AsyncSession], Awaitable[object]]], session: AsyncSession, *,
                     isolated: bool) -> list[StoreError | None]:
        outcomes: list[StoreError | None] = []
        for step in steps:
            try:
                if isolated:
                    async with session.begin_nested():
                        await step(session)
                else:
                    await step(session)
                outcomes.append(None)
            except StoreError as exc:
                if not isolated:
                    raise _Refused from None
                outcomes.append(exc)
            except (OperationalError, IntegrityError, DBAPIError) as exc:
                if _is_locked(exc) or _is_unavailable(exc) or (
                        isinstance(exc, IntegrityError) and _is_unique_race(exc)):
                    raise  # the whole transaction: `_attempt` retries it or says unavailable
                if not isolated:
                    raise _Refused from None
                outcomes.append(StoreError(f"the feedback database refused the change: {_reason(exc)}"))
        return outcomes

    @staticmethod
    async def _transact(maker: async_sessionmaker[AsyncSession], work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        async with maker() as session, session.begin():
            return await work(session)

    async def _attempt(self, work: Callable[[AsyncSession], Awaitable[T]], *, write: bool) -> T:
        """One run of the transaction; `_Busy` when running it again may succeed."""
        maker = self._writer if write else self._reader
        transact = functools.partial(self._transact, maker, work)
        try:
            async with self._queued(write):
                if self._threads is None:
                    return await transact()
                return await self._threads.run(transact, write=write)
        except StoreError:
            raise
        except (OperationalError, IntegrityError, DBAPIError) as exc:
            # asyncpg's lock, serialization and deadlock errors arrive as plain DBAPIError.
            if _is_locked(exc) or (write and isinstance(exc, IntegrityError) and _is_unique_race(exc)):
                raise _Busy from None
            if _is_unavailable(exc):
                raise _unavailable(exc) from None
            raise StoreError(f"the feedback database refused the change: {_reason(exc)}") from None
        except PoolTimeoutError:
            raise StoreUnavailable("the feedback database is overloaded (no free connection)") from None
        except OSError as exc:
            raise StoreUnavailable(f"the feedback database cannot be reached: {exc}") from None


class HasTransactor(Protocol):
    """What `transaction` needs from the object it is attached to."""

    _transactor: Transactor


def transaction(
    operation: Callable[Concatenate[AsyncSession, P], Awaitable[T]], *, write: bool
) -> Callable[Concatenate[HasTransactor, P], Awaitable[T]]:
    """A method that validates its arguments, then runs `operation(session, ...)` in one transaction."""
    check = argument_checker(operation)

    @functools.wraps(operation)
    async def method(self: HasTransactor, *args: P.args, **kwargs: P.kwargs) -> T:
        checked_args, checked_kwargs = check(*args, **kwargs)
        return await self._transactor.run(
            lambda session: operation(session, *checked_args, **checked_kwargs), write=write
        )

    return method


class HasSession(Protocol):
    """What `in_session` needs from the object it is attached to: a session inside a transaction."""

    _session: AsyncSession


def in_session(
    operation: Callable[Concatenate[AsyncSession, P], Awaitable[T]]
) -> Callable[Concatenate[HasSession, P], Awaitable[T]]:
    """The same operation as `transaction` makes it (arguments checked first), but run on a
    transaction already open: a step of `Transactor.run_steps`."""
    check = argument_checker(operation)

    @functools.wraps(operation)
    async def method(self: HasSession, *args: P.args, **kwargs: P.kwargs) -> T:
        checked_args, checked_kwargs = check(*args, **kwargs)
        return await operation(self._session, *checked_args, **checked_kwargs)

    return method
