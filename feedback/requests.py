"""Recommendation requests, the items shown, and the Discord message they were posted in.

Plain operations on a session: `FeedbackStore` runs each in one transaction after checking the
arguments against the types in the signatures (see `feedback.transactions`).
"""

from __future__ import annotations

import secrets
import threading
import time
from typing import cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from feedback.errors import StoreError
from feedback.models import MessageVote, RecommendationMessage, RecommendationRequest, RecommendedItem
from feedback.validation import Arm, Finite, Query, ShownItems, Snowflake, Title, Version

_ID_EPOCH_MS = 1_767_225_600_000  # 2026-01-01 UTC
_REQUESTS = cast(Table, RecommendationRequest.__table__)
_ITEMS = cast(Table, RecommendedItem.__table__)


_last_provisional_ms = 0  # the time part of this process's last provisional id
_provisional_lock = threading.Lock()


def provisional_request_id() -> int:
    """An id for a request recorded later through the outbox (the database was busy when it was answered).

    Its vote buttons need the id now, so it cannot come from the database. Milliseconds since 2026
    shifted left by 16 bits, plus 16 random bits: unique across processes in practice, far above
    the ids the database hands out, and ~1e15, far below Discord's snowflakes (~1e18), which the
    console's request-as-message ids rely on.

    On SQLite the ids handed out after a stored provisional id continue from it, so the next
    provisional id must lie far above it: within this process each takes a millisecond at least
    two past the last one's (a burst of requests that all found the database busy shares one
    millisecond). Two ids are then more than 65,536 apart. With random bits alone, two requests
    of one burst drew the same id, or one drew an id the database had just handed out after the
    other: the second record was refused as taken, and the votes on its list landed on another
    member's list."""
    global _last_provisional_ms
    with _provisional_lock:
        ms = _last_provisional_ms = max(int(time.time() * 1000) - _ID_EPOCH_MS, _last_provisional_ms + 2)
    return (ms << 16) | secrets.randbits(16)


async def record_request(
    session: AsyncSession,
    *,
    guild_id: Snowflake | None,
    channel_id: Snowflake | None,
    user_id: Snowflake,
    query: Query,
    resolved_item_id: Snowflake | None,
    resolved_title: Title | None,
    model_version: Version | None,
    latency_ms: Finite,
    items: ShownItems,
    experiment_id: Snowflake | None = None,
    arm: Arm | None = None,
    request_id: Snowflake | None = None,
) -> int:
    """Store one recommendation request and its items (in rank order); returns the request id.

    Inside an A/B experiment, `experiment_id` and `arm` say which arm the member was served from.
    Two Core INSERTs on the tables, not the ORM unit of work nor its bulk insert: this runs on every
    /recommend, and building, flushing and refreshing six ORM objects cost more CPU than the ranking
    itself (simulator profile), and the ORM's bulk insert of the items still showed in a later one.

    `request_id` (a `provisional_request_id` journaled by the outbox) stores it under that id; the
    same record applied again (the outbox replays the last one after a crash) changes nothing."""
    if request_id is not None:
        existing = await session.get(RecommendationRequest, request_id)
        if existing is not None:
            if existing.user_id != user_id or existing.query != query:
                raise StoreError(f"request id {request_id} is taken by another request; this one was not stored")
            return request_id
    request_id = await session.scalar(
        insert(_REQUESTS).values(
            **({"id": request_id} if request_id is not None else {}),
            guild_id=guild_id, channel_id=channel_id, user_id=user_id, query=query,
            resolved_item_id=resolved_item_id, resolved_title=resolved_title,
            model_version=model_version, latency_ms=latency_ms, experiment_id=experiment_id, arm=arm,
        ).returning(_REQUESTS.c.id)
    )
    if request_id is None:
        raise StoreError("the database did not return the new request's id")
    if items:
        await session.execute(insert(_ITEMS), [
            {"request_id": request_id, "rank": rank, "item_id": item_id, "title": title, "score": score}
            for rank, (item_id, title, score) in enumerate(items, start=1)
        ])
    return int(request_id)


async def attach_message(session: AsyncSession, request_id: Snowflake, message_id: Snowflake) -> None:
    """Remember the Discord message a request was posted in (idempotent)."""
    if await session.get(RecommendationRequest, request_id) is None:
        raise StoreError(f"unknown recommendation request {request_id}; message not attached")
    existing = await session.get(RecommendationMessage, message_id)
    if existing is not None:
        if existing.request_id != request_id:
            raise StoreError(f"message {message_id} is already attached to request {existing.request_id}")
        return
    session.add(RecommendationMessage(message_id=message_id, request_id=request_id))


async def is_recommendation_message(session: AsyncSession, message_id: Snowflake) -> bool:
    """Whether votes on this message would be accepted: the reaction listener asks before
    journaling, so the many reactions on ordinary channel messages never reach the outbox."""
    return await session.get(RecommendationMessage, message_id) is not None


async def message_counts(session: AsyncSession, message_id: Snowflake) -> tuple[int, int]:
    """(thumbs up, thumbs down) currently stored for one message."""
    rows = await session.execute(
        select(MessageVote.value, func.count())
        .where(MessageVote.message_id == message_id)
        .group_by(MessageVote.value)
    )
    counts = {int(value): int(n) for value, n in rows}
    return counts.get(1, 0), counts.get(-1, 0)
