"""FeedbackStore: the async data layer the bot and the console use.

Why it looks like this:
- Every method is a coroutine on an async driver (aiosqlite by default), so a vote never blocks
  the bot's event loop; the schema upgrade at `open` runs Alembic in a worker thread.
- Every method is one transaction. Writes on SQLite start with BEGIN IMMEDIATE and, inside one
  process, queue on an asyncio lock (SQLite has a single writer anyway; queueing in Python avoids
  sleeping in SQLite's busy handler); across processes they wait on busy_timeout, and a transaction
  that still meets "database is locked" is retried from the start. On PostgreSQL the same
  select-then-write upserts are retried if a concurrent insert wins the unique constraint.
- Votes are keyed by Discord ids found in the database, never in process memory: a reaction on a
  message posted before a restart still lands.
- Bad input raises StoreError before anything is written; a failed transaction is rolled back.

See `feedback.models` for the schema.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import nullcontext
from datetime import timedelta
from typing import Any, TypeVar

from alembic.util import CommandError
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import URL
from sqlalchemy.exc import DatabaseError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from feedback import analytics, privacy
from feedback import migrate as migrations_api
from feedback.analytics import ItemPrecision, VersionComparison, VersionStats
from feedback.db import WRITE_OPTION, async_url, create_store_engine, prepare_sqlite_file
from feedback.errors import StoreError
from feedback.models import (
    MAX_QUERY_LENGTH,
    MAX_TITLE_LENGTH,
    MAX_VERSION_LENGTH,
    RETRAIN_STATUSES,
    ItemVote,
    MessageVote,
    ModelVersion,
    RecommendationMessage,
    RecommendationRequest,
    RecommendedItem,
    RetrainJob,
    utcnow,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_ATTEMPTS = 8
FINISHED_STATUSES = tuple(s for s in RETRAIN_STATUSES if s != "running")
_MAX_SNOWFLAKE = 2**63 - 1


def _is_locked(exc: BaseException) -> bool:
    text = str(getattr(exc, "orig", exc)).lower()
    return "database is locked" in text or "database is busy" in text or "database table is locked" in text


def _is_unique_race(exc: BaseException) -> bool:
    text = str(getattr(exc, "orig", exc)).lower()
    return "unique" in text or "duplicate key" in text


def _check_id(name: str, value: object, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_SNOWFLAKE:
        raise StoreError(f"{name} must be a non-negative 64-bit integer id, got {value!r}")


def _check_vote(value: object) -> int:
    if isinstance(value, bool) or value not in (1, -1):
        raise StoreError(f"a vote must be +1 (thumbs up) or -1 (thumbs down), got {value!r}")
    return int(value)  # type: ignore[arg-type]


def _check_text(name: str, value: object, limit: int, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str):
        raise StoreError(f"{name} must be text, got {type(value).__name__}")
    if len(value) > limit:
        raise StoreError(
            f"{name} is too long ({len(value)} characters; the limit is {limit}); nothing was stored"
        )


def _check_number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise StoreError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def _json_safe(value: Any) -> Any:
    """Metrics as JSON: NaN/inf become null (PostgreSQL's JSON refuses them), keys become text."""
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return _json_safe(value.item())
    return value


class FeedbackStore:
    """Recommendation requests, votes, model versions and retrain jobs in one database."""

    def __init__(self, engine: AsyncEngine, url: URL) -> None:
        """Use `await FeedbackStore.open(url)`: it migrates and checks the database first."""
        self._engine = engine
        self._url = url
        self._sqlite = url.get_backend_name() == "sqlite"
        self._reader = async_sessionmaker(engine, expire_on_commit=False)
        self._writer = async_sessionmaker(
            engine.execution_options(**{WRITE_OPTION: True}), expire_on_commit=False
        )
        self._write_lock = asyncio.Lock()

    # ------------------------------------------------------------------ lifecycle

    @classmethod
    async def open(cls, url: str, *, migrate: bool = True) -> FeedbackStore:
        """Open the database at `url`, upgrading its schema to head first (unless migrate=False).

        Raises StoreError when the URL is invalid, the file is not a SQLite database, the schema
        cannot be upgraded, or (migrate=False) the schema is not at the revision this code expects.
        """
        target = async_url(url)
        where = target.render_as_string(hide_password=True)
        if target.get_backend_name() == "sqlite":
            await asyncio.to_thread(prepare_sqlite_file, target)
        if migrate:
            await cls._upgrade(target.render_as_string(hide_password=False), where)
        try:
            engine = create_store_engine(target)
        except (ImportError, SQLAlchemyError) as exc:
            raise StoreError(f"cannot use the database at {where}: {exc}") from None
        try:
            async with engine.connect() as conn:
                current = await conn.run_sync(migrations_api.current_revisions_sync)
            heads = await asyncio.to_thread(migrations_api.head_revisions)
        except (OSError, SQLAlchemyError) as exc:
            await engine.dispose()
            raise StoreError(f"cannot open the database at {where}: {getattr(exc, 'orig', exc)}") from None
        if set(current) != set(heads):
            await engine.dispose()
            found = ", ".join(current) or "empty"
            raise StoreError(
                f"the database at {where} has schema revision {found} but this Reelmate expects "
                f"{', '.join(heads)}; run `python -m feedback upgrade` "
                "(or open the store with migrate=True)"
            )
        return cls(engine, target)

    @staticmethod
    async def _upgrade(url: str, where: str) -> None:
        for attempt in range(1, 4):
            try:
                await asyncio.to_thread(migrations_api.upgrade, url)
                return
            except StoreError:
                raise
            except CommandError as exc:
                if "Can't locate revision" in str(exc):
                    raise StoreError(
                        f"the database at {where} was migrated by a newer Reelmate ({exc}); "
                        "upgrade Reelmate or restore a backup"
                    ) from None
                raise StoreError(f"cannot upgrade the database schema at {where}: {exc}") from None
            except (OSError, RuntimeError, SQLAlchemyError) as exc:
                reason = getattr(exc, "orig", None) or exc
                # Another process may be upgrading the same file right now: wait and try again.
                if attempt < 3 and ("locked" in str(reason) or "already exists" in str(reason)):
                    await asyncio.sleep(0.2 * attempt)
                    continue
                raise StoreError(f"cannot upgrade the database schema at {where}: {reason}") from None

    async def close(self) -> None:
        """Return every connection; on SQLite the last close checkpoints the WAL into the file."""
        await self._engine.dispose()

    async def __aenter__(self) -> FeedbackStore:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def url(self) -> str:
        """The database URL with any password hidden (safe to log)."""
        return self._url.render_as_string(hide_password=True)

    # ------------------------------------------------------------------ transactions

    async def _transaction(self, work: Callable[[AsyncSession], Awaitable[T]], *, write: bool) -> T:
        maker = self._writer if write else self._reader
        lock = self._write_lock if (write and self._sqlite) else nullcontext()
        delay = 0.02
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                async with lock, maker() as session, session.begin():
                    return await work(session)
            except StoreError:
                raise
            except (OperationalError, IntegrityError) as exc:
                retry = _is_locked(exc) or (write and isinstance(exc, IntegrityError) and _is_unique_race(exc))
                if not retry:
                    raise StoreError(f"the feedback database refused the change: {exc.orig}") from None
                if attempt == MAX_ATTEMPTS:
                    raise StoreError(
                        "the feedback database stayed busy (locked by another process); "
                        "nothing was stored, try again"
                    ) from None
                log.warning("feedback database busy (attempt %d/%d), retrying", attempt, MAX_ATTEMPTS)
                await asyncio.sleep(delay * (1 + random.random()))
                delay = min(delay * 2, 1.0)
            except PoolTimeoutError:
                raise StoreError("the feedback database is overloaded (no free connection)") from None
            except DatabaseError as exc:
                raise StoreError(f"feedback database error: {exc.orig}") from None
        raise AssertionError("unreachable")

    # ------------------------------------------------------------------ requests and messages

    async def record_request(
        self,
        *,
        guild_id: int | None,
        channel_id: int | None,
        user_id: int,
        query: str,
        resolved_item_id: int | None,
        resolved_title: str | None,
        model_version: str | None,
        latency_ms: float,
        items: Sequence[tuple[int, str, float]],
    ) -> int:
        """Store one recommendation request and its items (in rank order); returns the request id."""
        _check_id("guild_id", guild_id, optional=True)
        _check_id("channel_id", channel_id, optional=True)
        _check_id("user_id", user_id)
        _check_text("query", query, MAX_QUERY_LENGTH)
        _check_id("resolved_item_id", resolved_item_id, optional=True)
        _check_text("resolved_title", resolved_title, MAX_TITLE_LENGTH, optional=True)
        _check_text("model_version", model_version, MAX_VERSION_LENGTH, optional=True)
        latency = _check_number("latency_ms", latency_ms)
        specs: list[tuple[int, str, float]] = []
        for rank, entry in enumerate(items, start=1):
            try:
                item_id, title, score = entry
            except (TypeError, ValueError):
                raise StoreError(f"item {rank} must be (item_id, title, score), got {entry!r}") from None
            _check_id(f"item {rank} id", item_id)
            _check_text(f"item {rank} title", title, MAX_TITLE_LENGTH)
            specs.append((item_id, title, _check_number(f"item {rank} score", score)))

        async def work(session: AsyncSession) -> int:
            # ORM objects are built inside the transaction: a retry must not reuse rolled-back ones.
            request = RecommendationRequest(
                guild_id=guild_id, channel_id=channel_id, user_id=user_id, query=query,
                resolved_item_id=resolved_item_id, resolved_title=resolved_title,
                model_version=model_version, latency_ms=latency,
                items=[RecommendedItem(rank=rank, item_id=item_id, title=title, score=score)
                       for rank, (item_id, title, score) in enumerate(specs, start=1)],
            )
            session.add(request)
            await session.flush()
            return request.id

        return await self._transaction(work, write=True)

    async def attach_message(self, request_id: int, message_id: int) -> None:
        """Remember the Discord message a request was posted in (idempotent)."""
        _check_id("request_id", request_id)
        _check_id("message_id", message_id)

        async def work(session: AsyncSession) -> None:
            if await session.get(RecommendationRequest, request_id) is None:
                raise StoreError(f"unknown recommendation request {request_id}; message not attached")
            existing = await session.get(RecommendationMessage, message_id)
            if existing is not None:
                if existing.request_id != request_id:
                    raise StoreError(
                        f"message {message_id} is already attached to request {existing.request_id}"
                    )
                return
            session.add(RecommendationMessage(message_id=message_id, request_id=request_id))

        await self._transaction(work, write=True)

    async def is_recommendation_message(self, message_id: int) -> bool:
        """Whether votes on this message would be accepted (cheap check before vote_message)."""
        _check_id("message_id", message_id)

        async def work(session: AsyncSession) -> bool:
            return await session.get(RecommendationMessage, message_id) is not None

        return await self._transaction(work, write=False)

    async def message_counts(self, message_id: int) -> tuple[int, int]:
        """(thumbs up, thumbs down) currently stored for one message."""
        _check_id("message_id", message_id)

        async def work(session: AsyncSession) -> tuple[int, int]:
            rows = await session.execute(
                select(MessageVote.value, func.count())
                .where(MessageVote.message_id == message_id)
                .group_by(MessageVote.value)
            )
            counts = {int(value): int(n) for value, n in rows}
            return counts.get(1, 0), counts.get(-1, 0)

        return await self._transaction(work, write=False)

    # ------------------------------------------------------------------ votes

    @staticmethod
    def _not_a_recommendation(message_id: int) -> StoreError:
        return StoreError(
            f"message {message_id} is not a recommendation message (no recommendation was "
            "posted in it); the vote was not recorded"
        )

    @classmethod
    async def _require_message(cls, session: AsyncSession, message_id: int) -> None:
        if await session.get(RecommendationMessage, message_id) is None:
            raise cls._not_a_recommendation(message_id)

    async def vote_message(self, *, message_id: int, user_id: int, value: int) -> None:
        """A thumbs reaction: one vote per user per message; a second vote replaces the first."""
        vote = _check_vote(value)
        _check_id("message_id", message_id)
        _check_id("user_id", user_id)

        async def work(session: AsyncSession) -> None:
            # One round trip for both checks: does the message exist, and what is stored now?
            found = (
                await session.execute(
                    select(RecommendationMessage.message_id, MessageVote.id, MessageVote.value)
                    .outerjoin(
                        MessageVote,
                        (MessageVote.message_id == RecommendationMessage.message_id)
                        & (MessageVote.user_id == user_id),
                    )
                    .where(RecommendationMessage.message_id == message_id)
                )
            ).first()
            if found is None:
                raise self._not_a_recommendation(message_id)
            _, vote_id, stored = found
            if vote_id is None:
                await session.execute(
                    insert(MessageVote).values(
                        message_id=message_id, user_id=user_id, value=vote, created_at=utcnow()
                    )
                )
            elif stored != vote:
                await session.execute(
                    update(MessageVote).where(MessageVote.id == vote_id)
                    .values(value=vote, updated_at=utcnow()),
                    execution_options={"synchronize_session": False},
                )

        await self._transaction(work, write=True)

    async def retract_message_vote(self, *, message_id: int, user_id: int, value: int) -> None:
        """A reaction was removed: delete the vote only if it is still the one removed.

        (Swapping thumbs up -> down adds the new reaction before Discord reports the old one's
        removal; the stale removal must not delete the new vote.)
        """
        vote = _check_vote(value)
        _check_id("message_id", message_id)
        _check_id("user_id", user_id)

        async def work(session: AsyncSession) -> None:
            await self._require_message(session, message_id)
            await session.execute(
                delete(MessageVote).where(
                    MessageVote.message_id == message_id,
                    MessageVote.user_id == user_id,
                    MessageVote.value == vote,
                ),
                execution_options={"synchronize_session": False},
            )

        await self._transaction(work, write=True)

    @staticmethod
    async def _require_item(session: AsyncSession, request_id: int, rank: int) -> RecommendedItem:
        item = await session.scalar(
            select(RecommendedItem).where(
                RecommendedItem.request_id == request_id, RecommendedItem.rank == rank
            )
        )
        if item is None:
            raise StoreError(
                f"request {request_id} has no recommended item at rank {rank}; the vote was not recorded"
            )
        return item

    async def vote_item(self, *, request_id: int, rank: int, user_id: int, value: int) -> None:
        """A per-item button vote: one per user per item, replaced by a different value,
        idempotent for the same value."""
        vote = _check_vote(value)
        _check_id("request_id", request_id)
        _check_id("rank", rank)
        _check_id("user_id", user_id)

        async def work(session: AsyncSession) -> None:
            item = await self._require_item(session, request_id, rank)
            existing = await session.scalar(
                select(ItemVote).where(ItemVote.recommended_item_id == item.id, ItemVote.user_id == user_id)
            )
            if existing is None:
                session.add(ItemVote(recommended_item_id=item.id, user_id=user_id, value=vote))
            elif existing.value != vote:
                existing.value = vote
                existing.updated_at = utcnow()

        await self._transaction(work, write=True)

    async def retract_item_vote(self, *, request_id: int, rank: int, user_id: int) -> None:
        """Remove a user's vote on one item, if any (for an "undo" control)."""
        _check_id("request_id", request_id)
        _check_id("rank", rank)
        _check_id("user_id", user_id)

        async def work(session: AsyncSession) -> None:
            item = await self._require_item(session, request_id, rank)
            await session.execute(
                delete(ItemVote).where(ItemVote.recommended_item_id == item.id, ItemVote.user_id == user_id),
                execution_options={"synchronize_session": False},
            )

        await self._transaction(work, write=True)

    # ------------------------------------------------------------------ models and retraining

    async def register_model(self, version: str, metrics: dict, *, active: bool) -> None:
        """Record (or update) a model version and its evaluation figures.

        active=True makes it the only active version; active=False marks it inactive.
        """
        _check_text("version", version, MAX_VERSION_LENGTH)
        if not version:
            raise StoreError("a model version needs a name")
        if not isinstance(metrics, Mapping):
            raise StoreError(f"metrics must be a mapping, got {type(metrics).__name__}")
        safe = _json_safe(metrics)
        try:
            json.dumps(safe, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise StoreError(f"metrics for {version} are not JSON-serialisable: {exc}") from None

        async def work(session: AsyncSession) -> None:
            now = utcnow()
            if active:
                await session.execute(
                    update(ModelVersion).where(ModelVersion.active.is_(True), ModelVersion.version != version)
                    .values(active=False),
                    execution_options={"synchronize_session": False},
                )
            row = await session.scalar(select(ModelVersion).where(ModelVersion.version == version))
            if row is None:
                session.add(ModelVersion(version=version, metrics=safe, active=active,
                                         activated_at=now if active else None))
                return
            row.metrics = safe
            if active and not row.active:
                row.activated_at = now
            row.active = active

        await self._transaction(work, write=True)

    async def active_model(self) -> str | None:
        async def work(session: AsyncSession) -> str | None:
            return await session.scalar(
                select(ModelVersion.version).where(ModelVersion.active.is_(True))
                .order_by(ModelVersion.activated_at.desc()).limit(1)
            )

        return await self._transaction(work, write=False)

    async def model_metrics(self, version: str) -> dict | None:
        """The evaluation figures stored for `version`, or None if it was never registered."""
        async def work(session: AsyncSession) -> dict | None:
            return await session.scalar(select(ModelVersion.metrics).where(ModelVersion.version == version))

        return await self._transaction(work, write=False)

    async def start_retrain(self, *, requested_by: int, guild_id: int | None) -> int:
        """Record a retrain job as running; returns its id."""
        _check_id("requested_by", requested_by)
        _check_id("guild_id", guild_id, optional=True)

        async def work(session: AsyncSession) -> int:
            job = RetrainJob(requested_by=requested_by, guild_id=guild_id, status="running")
            session.add(job)
            await session.flush()
            return job.id

        return await self._transaction(work, write=True)

    async def finish_retrain(
        self, job_id: int, *, status: str, version: str | None = None, error: str | None = None
    ) -> None:
        """Close a running job: status is succeeded, rejected or failed."""
        if status not in FINISHED_STATUSES:
            raise StoreError(f"retrain status must be one of {', '.join(FINISHED_STATUSES)}, got {status!r}")
        _check_id("job_id", job_id)
        _check_text("version", version, MAX_VERSION_LENGTH, optional=True)
        if error is not None and not isinstance(error, str):
            raise StoreError("error must be text")

        async def work(session: AsyncSession) -> None:
            job = await session.get(RetrainJob, job_id)
            if job is None:
                raise StoreError(f"unknown retrain job {job_id}")
            if job.status != "running":
                raise StoreError(f"retrain job {job_id} already finished ({job.status})")
            job.status, job.version, job.error, job.finished_at = status, version, error, utcnow()

        await self._transaction(work, write=True)

    async def fail_interrupted_retrains(self, reason: str = "interrupted: the bot restarted") -> int:
        """At start-up: jobs still 'running' belong to a dead process; mark them failed."""
        async def work(session: AsyncSession) -> int:
            result = await session.execute(
                update(RetrainJob).where(RetrainJob.status == "running")
                .values(status="failed", error=reason, finished_at=utcnow()),
                execution_options={"synchronize_session": False},
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

        return await self._transaction(work, write=True)

    async def retrain_jobs(self, limit: int = 10) -> list[dict[str, Any]]:
        """The most recent retrain jobs, newest first (for an admin status command)."""
        async def work(session: AsyncSession) -> list[dict[str, Any]]:
            jobs = (await session.scalars(select(RetrainJob).order_by(RetrainJob.id.desc()).limit(limit))).all()
            return [
                {"id": j.id, "requested_by": j.requested_by, "guild_id": j.guild_id, "status": j.status,
                 "version": j.version, "error": j.error, "started_at": j.started_at,
                 "finished_at": j.finished_at}
                for j in jobs
            ]

        return await self._transaction(work, write=False)

    # ------------------------------------------------------------------ statistics

    async def feedback_stats(self) -> list[VersionStats]:
        """Per model version (registered or seen in requests): thumbs up/down, rate, Wilson 95%."""
        return await self._transaction(analytics.version_stats, write=False)

    async def item_precision(self, version: str, k: int = 5) -> ItemPrecision:
        """Mean precision@k of `version` from per-item votes (judged items only)."""
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise StoreError(f"k must be a positive integer, got {k!r}")

        async def work(session: AsyncSession) -> ItemPrecision:
            return await analytics.item_precision(session, version, k)

        return await self._transaction(work, write=False)

    async def compare_versions(self, a: str, b: str) -> VersionComparison:
        """A/B: up-rate of `a` minus up-rate of `b` with a 95% CI; both need thumbs votes."""
        by_version = {s.version: s for s in await self.feedback_stats()}
        for version in (a, b):
            if by_version.get(version) is None or by_version[version].total == 0:
                raise StoreError(
                    f"model version {version} has no thumbs votes yet; "
                    "an A/B comparison needs feedback on both versions"
                )
        return analytics.compare(by_version[a], by_version[b])

    # ------------------------------------------------------------------ privacy

    async def export_user(self, user_id: int) -> dict:
        """Everything stored about one user, JSON-serialisable (ids as ints, times ISO UTC)."""
        _check_id("user_id", user_id)

        async def work(session: AsyncSession) -> dict:
            return await privacy.export_user(session, user_id)

        return await self._transaction(work, write=False)

    async def delete_user(self, user_id: int) -> int:
        """Delete one user's votes and requests (with what hangs off them); returns rows deleted."""
        _check_id("user_id", user_id)

        async def work(session: AsyncSession) -> int:
            return await privacy.delete_user(session, user_id)

        return await self._transaction(work, write=True)

    async def purge_older_than(self, days: int) -> int:
        """Retention: delete requests older than `days` days with their items, messages and votes.

        Returns rows deleted. `days` must be at least 1 (0 would erase everything recorded today).
        """
        if isinstance(days, bool) or not isinstance(days, int) or days < 1:
            raise StoreError(f"retention must be a whole number of days >= 1, got {days!r}")
        cutoff = utcnow() - timedelta(days=days)

        async def work(session: AsyncSession) -> int:
            return await privacy.purge_before(session, cutoff)

        return await self._transaction(work, write=True)

    # ------------------------------------------------------------------ maintenance

    async def sqlite_pragmas(self) -> dict[str, Any]:
        """The connection settings in force (journal_mode, synchronous, foreign_keys, busy_timeout);
        empty on other backends. For a health/"doctor" command and the tests."""
        if not self._sqlite:
            return {}

        async def work(session: AsyncSession) -> dict[str, Any]:
            connection = await session.connection()
            found = {}
            for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout"):
                found[name] = (await connection.exec_driver_sql(f"PRAGMA {name}")).scalar()
            return found

        return await self._transaction(work, write=False)

    async def integrity_check(self) -> str:
        """SQLite `PRAGMA integrity_check` ('ok' when healthy); 'ok' on other backends."""
        if not self._sqlite:
            return "ok"

        async def work(session: AsyncSession) -> str:
            connection = await session.connection()
            found = (await connection.exec_driver_sql("PRAGMA integrity_check")).scalars().all()
            return "; ".join(str(r) for r in found)

        return await self._transaction(work, write=False)
