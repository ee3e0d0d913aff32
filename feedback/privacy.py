"""What is stored about one user: export it, delete it, and forget old requests.

Why explicit deletes instead of relying only on ON DELETE CASCADE: the count returned to the user
("N rows deleted") must be exact, and the same statements work on SQLite and PostgreSQL. The
foreign keys still cascade, as a safety net for anything deleted by hand.

Deleting a user removes their votes, their requests and everything hanging off those requests
(the items shown, the message, and other people's votes on that message, which are meaningless
without it). Retrain jobs they started are kept for the audit trail but `requested_by` is cleared.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from feedback.models import (
    ItemVote,
    MessageVote,
    RecommendationMessage,
    RecommendationRequest,
    RecommendedItem,
    RetrainJob,
    utcnow,
)

_NO_SYNC = {"synchronize_session": False}


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat() + "Z"


async def export_user(session: AsyncSession, user_id: int) -> dict[str, Any]:
    requests = (
        await session.scalars(
            select(RecommendationRequest)
            .where(RecommendationRequest.user_id == user_id)
            .order_by(RecommendationRequest.id)
        )
    ).all()
    exported_requests = []
    for request in requests:
        items = (
            await session.scalars(
                select(RecommendedItem)
                .where(RecommendedItem.request_id == request.id)
                .order_by(RecommendedItem.rank)
            )
        ).all()
        message_ids = (
            await session.scalars(
                select(RecommendationMessage.message_id)
                .where(RecommendationMessage.request_id == request.id)
                .order_by(RecommendationMessage.message_id)
            )
        ).all()
        exported_requests.append(
            {
                "id": request.id,
                "created_at": _iso(request.created_at),
                "guild_id": request.guild_id,
                "channel_id": request.channel_id,
                "query": request.query,
                "resolved_item_id": request.resolved_item_id,
                "resolved_title": request.resolved_title,
                "model_version": request.model_version,
                "latency_ms": request.latency_ms,
                "items": [
                    {"rank": i.rank, "item_id": i.item_id, "title": i.title, "score": i.score}
                    for i in items
                ],
                "message_ids": list(message_ids),
            }
        )
    message_votes = await session.execute(
        select(MessageVote, RecommendationMessage.request_id)
        .join(RecommendationMessage, RecommendationMessage.message_id == MessageVote.message_id)
        .where(MessageVote.user_id == user_id)
        .order_by(MessageVote.id)
    )
    item_votes = await session.execute(
        select(ItemVote, RecommendedItem)
        .join(RecommendedItem, RecommendedItem.id == ItemVote.recommended_item_id)
        .where(ItemVote.user_id == user_id)
        .order_by(ItemVote.id)
    )
    jobs = (
        await session.scalars(
            select(RetrainJob).where(RetrainJob.requested_by == user_id).order_by(RetrainJob.id)
        )
    ).all()
    return {
        "user_id": user_id,
        "exported_at": _iso(utcnow()),
        "requests": exported_requests,
        "message_votes": [
            {
                "message_id": vote.message_id,
                "request_id": request_id,
                "value": vote.value,
                "created_at": _iso(vote.created_at),
                "updated_at": _iso(vote.updated_at),
            }
            for vote, request_id in message_votes
        ],
        "item_votes": [
            {
                "request_id": item.request_id,
                "rank": item.rank,
                "item_id": item.item_id,
                "title": item.title,
                "value": vote.value,
                "created_at": _iso(vote.created_at),
                "updated_at": _iso(vote.updated_at),
            }
            for vote, item in item_votes
        ],
        "retrain_jobs": [
            {
                "id": job.id,
                "guild_id": job.guild_id,
                "status": job.status,
                "version": job.version,
                "error": job.error,
                "started_at": _iso(job.started_at),
                "finished_at": _iso(job.finished_at),
            }
            for job in jobs
        ],
    }


async def _rowcount(session: AsyncSession, statement: Any) -> int:
    result = await session.execute(statement, execution_options=_NO_SYNC)
    return max(int(result.rowcount or 0), 0)  # type: ignore[attr-defined]


async def delete_requests(session: AsyncSession, request_ids: Select[Any]) -> int:
    """Delete the requests selected by `request_ids` (a select of ids) and all that hangs off them."""
    item_ids = select(RecommendedItem.id).where(RecommendedItem.request_id.in_(request_ids))
    message_ids = select(RecommendationMessage.message_id).where(
        RecommendationMessage.request_id.in_(request_ids)
    )
    deleted = await _rowcount(session, delete(ItemVote).where(ItemVote.recommended_item_id.in_(item_ids)))
    deleted += await _rowcount(session, delete(MessageVote).where(MessageVote.message_id.in_(message_ids)))
    deleted += await _rowcount(session, delete(RecommendedItem).where(RecommendedItem.request_id.in_(request_ids)))
    deleted += await _rowcount(
        session, delete(RecommendationMessage).where(RecommendationMessage.request_id.in_(request_ids))
    )
    deleted += await _rowcount(
        session, delete(RecommendationRequest).where(RecommendationRequest.id.in_(request_ids))
    )
    return deleted


async def delete_user(session: AsyncSession, user_id: int) -> int:
    deleted = await _rowcount(session, delete(MessageVote).where(MessageVote.user_id == user_id))
    deleted += await _rowcount(session, delete(ItemVote).where(ItemVote.user_id == user_id))
    own = select(RecommendationRequest.id).where(RecommendationRequest.user_id == user_id)
    deleted += await delete_requests(session, own)
    await session.execute(
        update(RetrainJob).where(RetrainJob.requested_by == user_id).values(requested_by=None),
        execution_options=_NO_SYNC,
    )
    return deleted


async def purge_before(session: AsyncSession, cutoff: datetime) -> int:
    old = select(RecommendationRequest.id).where(RecommendationRequest.created_at < cutoff)
    return await delete_requests(session, old)
