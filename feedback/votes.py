"""Votes: 👍/👎 reactions on a recommendation message and per-item button votes.

Every operation is idempotent on (user, target, value): applying the same vote twice leaves the
same rows as applying it once. That is what lets the outbox (`feedback.outbox`) replay a vote whose
outcome it did not see (the process died between the commit and the journal's "done" line)
without counting it twice.

Votes are keyed by Discord ids found in the database, never in process memory: a reaction on a
message posted before a restart still lands.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import BigInteger, DateTime, SmallInteger, Table, case, delete, insert, literal, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from feedback.errors import UnknownTarget
from feedback.models import ItemVote, MessageVote, RecommendationMessage, RecommendedItem, utcnow
from feedback.validation import Snowflake, VoteValue

_NO_SYNC = {"synchronize_session": False}
_ITEMS = cast(Table, RecommendedItem.__table__)
_ITEM_VOTES = cast(Table, ItemVote.__table__)


def _not_a_recommendation(message_id: int) -> UnknownTarget:
    return UnknownTarget(
        f"message {message_id} is not a recommendation message (no recommendation was "
        "posted in it); the vote was not recorded"
    )


async def vote_message(session: AsyncSession, *, message_id: Snowflake, user_id: Snowflake, value: VoteValue) -> None:
    """A thumbs reaction: one vote per user per message; a second vote replaces the first."""
    # One query for both checks: does the message exist, and what is stored now?
    found = (
        await session.execute(
            select(RecommendationMessage.message_id, MessageVote.id, MessageVote.value)
            .outerjoin(
                MessageVote,
                (MessageVote.message_id == RecommendationMessage.message_id) & (MessageVote.user_id == user_id),
            )
            .where(RecommendationMessage.message_id == message_id)
        )
    ).first()
    if found is None:
        raise _not_a_recommendation(message_id)
    _, vote_id, stored = found
    if vote_id is None:
        await session.execute(
            insert(MessageVote).values(message_id=message_id, user_id=user_id, value=value, created_at=utcnow())
        )
    elif stored != value:
        await session.execute(
            update(MessageVote).where(MessageVote.id == vote_id).values(value=value, updated_at=utcnow()),
            execution_options=_NO_SYNC,
        )


async def retract_message_vote(
    session: AsyncSession, *, message_id: Snowflake, user_id: Snowflake, value: VoteValue
) -> None:
    """A reaction was removed: delete the vote only if it is still the one removed.

    (Swapping thumbs up -> down adds the new reaction before Discord reports the old one's
    removal; the stale removal must not delete the new vote.)
    """
    if await session.get(RecommendationMessage, message_id) is None:
        raise _not_a_recommendation(message_id)
    await session.execute(
        delete(MessageVote).where(
            MessageVote.message_id == message_id, MessageVote.user_id == user_id, MessageVote.value == value
        ),
        execution_options=_NO_SYNC,
    )


async def vote_item(
    session: AsyncSession, *, request_id: Snowflake, rank: Snowflake, user_id: Snowflake, value: VoteValue
) -> None:
    """A per-item button vote: one per user per item, replaced by a different value,
    idempotent for the same value.

    One statement (an INSERT of the item found by request and rank, upserted on the one-vote-per-
    member constraint) instead of two SELECTs and a write: votes arrive by the dozen, and every
    statement is a round trip to the driver's thread. No row back means no such item."""
    now = utcnow()
    dialect = session.get_bind().dialect.name
    insert_into = postgresql_insert if dialect == "postgresql" else sqlite_insert
    items, votes = _ITEMS.c, _ITEM_VOTES.c  # Core columns: no ORM machinery on the busiest write
    found = select(items.id, literal(user_id, BigInteger()), literal(value, SmallInteger()),
                   literal(now, DateTime())).where(items.request_id == request_id, items.rank == rank)
    upsert = insert_into(_ITEM_VOTES).from_select(["recommended_item_id", "user_id", "value", "created_at"], found)
    statement = upsert.on_conflict_do_update(
        index_elements=[votes.recommended_item_id, votes.user_id],
        set_={"value": upsert.excluded.value,
              "updated_at": case((votes.value != upsert.excluded.value, literal(now, DateTime())),
                                 else_=votes.updated_at)},
    ).returning(votes.id)
    if (await session.execute(statement)).first() is None:
        raise UnknownTarget(
            f"request {request_id} has no recommended item at rank {rank}; the vote was not recorded"
        )
