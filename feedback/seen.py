"""Seen marks: titles a member already watched, so their later lists skip them.

Why a mark per (member, title) and not per message: "I have seen Dark" is true of the member, not of
one list, so one row serves every later request whatever the query. Marking is idempotent (a
second mark of the same title changes nothing), which lets the outbox replay a mark it did not see
land without counting it twice (see `feedback.outbox`).

Sources: `reaction` (👀 on a recommendation message marks every title of that list), `button`
("Seen it" on a message, then the titles picked), `command` (/seen title). Removing the 👀 reaction
unmarks the titles of that list that the reaction marked (a mark made by /seen or a button stays).

Also here: what a member was already shown for a query and upvoted, so that asking for the same
title again gives fresh titles below the ones they liked instead of the identical list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, cast

from pydantic import Field
from sqlalchemy import Table, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from feedback.errors import UnknownTarget
from feedback.models import (
    ItemVote,
    RecommendationMessage,
    RecommendationRequest,
    RecommendedItem,
    SeenMark,
    utcnow,
)
from feedback.validation import Explained, Snowflake, Title

SeenSource = Annotated[
    str, Field(pattern="^(reaction|button|command)$"),
    Explained("a seen mark comes from a reaction, a button or a command, got {input!r}"),
]
_NO_SYNC = {"synchronize_session": False}
_SEEN = cast(Table, SeenMark.__table__)
_ITEMS = cast(Table, RecommendedItem.__table__)
_REQUESTS = cast(Table, RecommendationRequest.__table__)
_ITEM_VOTES = cast(Table, ItemVote.__table__)


# How many of a member's latest lists for one query title the next list for it avoids repeating.
RECENT_LISTS = 2


@dataclass(frozen=True)
class History:
    """What one member was shown for one query title recently, and which titles they ever upvoted."""

    shown: frozenset[int]
    upvoted: tuple[int, ...]  # best first: their newest request's rank order


async def _mark(session: AsyncSession, user_id: int, titles: list[tuple[int, str]], source: str) -> int:
    """Insert the marks this member does not have yet; returns how many are new."""
    if not titles:
        return 0
    wanted = dict(titles)
    existing = set(
        (await session.scalars(
            select(SeenMark.item_id).where(SeenMark.user_id == user_id, SeenMark.item_id.in_(list(wanted)))
        )).all()
    )
    new = [{"user_id": user_id, "item_id": item_id, "title": title, "source": source, "created_at": utcnow()}
           for item_id, title in wanted.items() if item_id not in existing]
    if new:
        await session.execute(insert(SeenMark), new)
    return len(new)


async def mark_seen(session: AsyncSession, *, user_id: Snowflake, item_id: Snowflake, title: Title,
                    source: SeenSource = "command") -> bool:
    """Mark one title as seen by a member (/seen); False if it was marked already."""
    return await _mark(session, user_id, [(item_id, title)], source) == 1


async def _message_items(session: AsyncSession, message_id: int) -> list[tuple[int, str]]:
    request_id = await session.scalar(
        select(RecommendationMessage.request_id).where(RecommendationMessage.message_id == message_id)
    )
    if request_id is None:
        raise UnknownTarget(f"message {message_id} is not a recommendation message; nothing was marked as seen")
    rows = await session.execute(
        select(RecommendedItem.item_id, RecommendedItem.title)
        .where(RecommendedItem.request_id == request_id).order_by(RecommendedItem.rank)
    )
    return [(int(item_id), str(title)) for item_id, title in rows]


async def mark_seen_message(session: AsyncSession, *, message_id: Snowflake, user_id: Snowflake) -> int:
    """👀 on a recommendation message: every title of that list is seen; returns how many are new."""
    return await _mark(session, user_id, await _message_items(session, message_id), "reaction")


async def unmark_seen_message(session: AsyncSession, *, message_id: Snowflake, user_id: Snowflake) -> int:
    """The 👀 reaction was removed: unmark that list's titles the reaction had marked."""
    item_ids = [item_id for item_id, _ in await _message_items(session, message_id)]
    result = await session.execute(
        delete(SeenMark).where(SeenMark.user_id == user_id, SeenMark.source == "reaction",
                               SeenMark.item_id.in_(item_ids)),
        execution_options=_NO_SYNC,
    )
    return max(int(result.rowcount or 0), 0)  # type: ignore[attr-defined]


async def mark_seen_item(session: AsyncSession, *, request_id: Snowflake, rank: Snowflake,
                         user_id: Snowflake) -> bool:
    """"Seen it" for one ranked title of a request; False if it was marked already."""
    found = (await session.execute(
        select(RecommendedItem.item_id, RecommendedItem.title)
        .where(RecommendedItem.request_id == request_id, RecommendedItem.rank == rank)
    )).first()
    if found is None:
        raise UnknownTarget(f"request {request_id} has no recommended item at rank {rank}; nothing was marked")
    return await _mark(session, user_id, [(int(found[0]), str(found[1]))], "button") == 1


async def unmark_seen(session: AsyncSession, *, user_id: Snowflake, item_id: Snowflake) -> bool:
    """Take one seen mark back (whatever made it); False if there was none."""
    result = await session.execute(
        delete(SeenMark).where(SeenMark.user_id == user_id, SeenMark.item_id == item_id),
        execution_options=_NO_SYNC,
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def seen_item_ids(session: AsyncSession, user_id: Snowflake) -> frozenset[int]:
    """Every title this member marked as seen (their lists skip them). Core columns (the ORM's
    select machinery is not needed for plain values): this runs on every /recommend."""
    marks = _SEEN.c
    return frozenset((await session.scalars(select(marks.item_id).where(marks.user_id == user_id))).all())


async def query_history(session: AsyncSession, *, user_id: Snowflake, resolved_item_id: Snowflake) -> History:
    """Titles shown to this member for this query title in their last `RECENT_LISTS` requests for it, and
    every title of any of those requests they gave 👍 (item buttons).

    Only recent lists count as shown so that a repeat asker's lists rotate: excluding every title ever
    shown ran the ranking dry after a few asks (the fifth list for a popular show held far weaker
    titles), while with the last two excluded the third list is fresh and the fourth comes back round
    to the first one's titles. A 👍 is kept for good: the titles they liked stay on top.
    """
    items, requests, votes = _ITEMS.c, _REQUESTS.c, _ITEM_VOTES.c  # Core columns, as in `seen_item_ids`
    rows = await session.execute(
        select(items.request_id, items.rank, items.item_id, votes.value)
        .select_from(_ITEMS)
        .join(_REQUESTS, requests.id == items.request_id)
        .outerjoin(_ITEM_VOTES, (votes.recommended_item_id == items.id) & (votes.user_id == user_id))
        .where(requests.user_id == user_id, requests.resolved_item_id == resolved_item_id)
        .order_by(items.request_id.desc(), items.rank)
    )
    shown: set[int] = set()
    upvoted: list[int] = []
    recent: set[int] = set()  # the request ids whose titles count as shown (newest first)
    for request_id, _, item_id, value in rows:
        if request_id in recent or len(recent) < RECENT_LISTS:
            recent.add(request_id)
            shown.add(int(item_id))
        if value is not None and value > 0 and int(item_id) not in upvoted:
            upvoted.append(int(item_id))
    return History(frozenset(shown), tuple(upvoted))


async def personal_history(session: AsyncSession, *, user_id: Snowflake,
                           resolved_item_id: Snowflake) -> tuple[frozenset[int], History]:
    """`seen_item_ids` and `query_history` in one read: every request needs both, and one
    transaction instead of two halves the trips to the database on the request path."""
    return (await seen_item_ids(session, user_id),
            await query_history(session, user_id=user_id, resolved_item_id=resolved_item_id))


async def shown_titles(session: AsyncSession, request_id: Snowflake) -> list[tuple[int, str]]:
    """(rank, title) of the list a request showed: what the "Seen it" picker offers."""
    rows = await session.execute(
        select(RecommendedItem.rank, RecommendedItem.title)
        .where(RecommendedItem.request_id == request_id).order_by(RecommendedItem.rank)
    )
    found = [(int(rank), str(title)) for rank, title in rows]
    if not found:
        raise UnknownTarget(f"request {request_id} showed no titles (or was deleted); nothing to mark")
    return found
