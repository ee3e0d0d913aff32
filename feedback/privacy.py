"""What is stored about one user: export it, delete it, and forget old requests.

Why explicit deletes instead of relying only on ON DELETE CASCADE: the count returned to the user
("N rows deleted") must be exact, and the same statements work on SQLite and PostgreSQL. The
foreign keys still cascade, as a safety net for anything deleted by hand.

Deleting a user (/forget-me) touches only that user: their votes and seen marks go, and their requests go with
the items and messages hanging off them - except a request other members voted on, which is kept
anonymised (user, server, channel and the typed query removed; the items shown and the model
version stay) so that the other members' votes and the per-version statistics survive. Retrain
jobs they started are kept for the audit trail but `requested_by` is cleared. The count returned
is the caller's own records only: their votes and seen marks plus their requests (deleted or
anonymised). Experiments they started as an admin are kept without their id.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, delete, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from feedback.experiments import forget_admin
from feedback.models import (
    ItemVote,
    MessageVote,
    RecommendationMessage,
    RecommendationRequest,
    RecommendedItem,
    RetrainJob,
    SeenMark,
    utcnow,
)
from feedback.validation import Days, Snowflake

LATEST = 3  # how many of the newest requests and votes /privacy lists

_NO_SYNC = {"synchronize_session": False}


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat() + "Z"


async def export_user(session: AsyncSession, user_id: Snowflake) -> dict[str, Any]:
    """Everything stored about one user, JSON-serialisable (ids as ints, times ISO UTC)."""
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
                "arm": request.arm,
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
    marks = (await session.scalars(select(SeenMark).where(SeenMark.user_id == user_id).order_by(SeenMark.id))).all()
    return {
        "user_id": user_id,
        "exported_at": _iso(utcnow()),
        "seen_marks": [
            {"item_id": m.item_id, "title": m.title, "source": m.source, "created_at": _iso(m.created_at)}
            for m in marks
        ],
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


async def delete_user(session: AsyncSession, user_id: Snowflake) -> int:
    """Remove one user's votes and requests (anonymising those others voted on); returns how many
    of the user's own records went."""
    votes = await _rowcount(session, delete(MessageVote).where(MessageVote.user_id == user_id))
    votes += await _rowcount(session, delete(ItemVote).where(ItemVote.user_id == user_id))
    votes += await _rowcount(session, delete(SeenMark).where(SeenMark.user_id == user_id))
    # The caller's votes are gone, so any vote still hanging off their requests is someone else's.
    others_voted = or_(
        exists().where(
            RecommendationMessage.request_id == RecommendationRequest.id,
            MessageVote.message_id == RecommendationMessage.message_id,
        ),
        exists().where(
            RecommendedItem.request_id == RecommendationRequest.id,
            ItemVote.recommended_item_id == RecommendedItem.id,
        ),
    )
    own = RecommendationRequest.user_id == user_id
    anonymised = await _rowcount(
        session,
        update(RecommendationRequest).where(own, others_voted)
        .values(user_id=None, guild_id=None, channel_id=None, query=""),
    )
    alone = select(RecommendationRequest.id).where(own)
    removed = len((await session.scalars(alone)).all())
    await delete_requests(session, alone)
    await session.execute(
        update(RetrainJob).where(RetrainJob.requested_by == user_id).values(requested_by=None),
        execution_options=_NO_SYNC,
    )
    await forget_admin(session, user_id)
    return votes + anonymised + removed


async def purge_older_than(session: AsyncSession, days: Days) -> int:
    """Retention: delete requests older than `days` days with their items, messages and votes, and
    seen marks older than that (the privacy text promises it for everything stored).

    Returns rows deleted. `days` must be at least 1 (0 would erase everything recorded today).
    """
    cutoff = utcnow() - timedelta(days=days)
    old = select(RecommendationRequest.id).where(RecommendationRequest.created_at < cutoff)
    deleted = await delete_requests(session, old)
    return deleted + await _rowcount(session, delete(SeenMark).where(SeenMark.created_at < cutoff))


def summarise(export: dict[str, Any], latest: int = LATEST) -> dict[str, Any]:
    """What /privacy shows: how many records of each kind, and the newest few requests and votes."""
    votes = sorted(
        [{"kind": "reaction", "value": v["value"], "on": f"message {v['message_id']}",
          "at": v["updated_at"] or v["created_at"]} for v in export["message_votes"]]
        + [{"kind": "item button", "value": v["value"], "on": v["title"], "at": v["updated_at"] or v["created_at"]}
           for v in export["item_votes"]],
        key=lambda v: v["at"] or "", reverse=True,
    )
    requests = sorted(export["requests"], key=lambda r: r["created_at"] or "", reverse=True)
    return {
        "counts": {
            "requests": len(export["requests"]),
            "reaction_votes": len(export["message_votes"]),
            "item_votes": len(export["item_votes"]),
            "retrain_jobs": len(export["retrain_jobs"]),
            "seen_marks": len(export.get("seen_marks", [])),
        },
        "latest_requests": [
            {"id": r["id"], "query": r["query"], "resolved_title": r["resolved_title"], "at": r["created_at"]}
            for r in requests[:latest]
        ],
        "latest_votes": votes[:latest],
        "latest_seen": [m["title"] for m in sorted(export.get("seen_marks", []), key=lambda m: m["created_at"] or "",
                                                     reverse=True)[:latest]],
    }


async def summarise_user(session: AsyncSession, user_id: Snowflake) -> dict[str, Any]:
    """`summarise` of the user's export, in the same read transaction."""
    return summarise(await export_user(session, user_id))
