"""Vote statistics for the ranking's vote channel: one bulk read of every per-item vote.

Why this shape: the recommender ranks with per (query title, recommended title) and per title
up/down counts, and it must get them without importing this package (it knows nothing of the
database). So each function here is ONE query that returns a plain pandas DataFrame, read in bulk
and cached by the caller (the bot refreshes it on a schedule, never per request).

Counting rules (what keeps the channel from being gamed by repetition):
- Only per-item button votes count: a 👍/👎 reaction judges a whole list and cannot say which
  title it was about.
- A member counts once per pair: asking for `Dark` three times and up-voting `1899` each time is one
  up vote for (Dark, 1899); when they changed their mind, their latest vote wins (ties: the newest row).
- Pairs are keyed by titles, not item ids: ids are positions in one model's catalog, a title names
  the same work in every model version.

The window function (ROW_NUMBER OVER PARTITION BY) is standard SQL: SQLite >= 3.25 and PostgreSQL.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Select, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from feedback.models import ItemVote, RecommendationRequest, RecommendedItem

PAIR_COLUMNS = ("query_title", "item_title", "up", "down")
MEMBER_VOTE_COLUMNS = ("query_title", "item_title", "user_id", "value", "voted_at")


def _latest_member_votes() -> Select:
    """Every member's votes on every pair, newest first within (pair, member) as `recency` 1, 2, ..."""
    voted_at = func.coalesce(ItemVote.updated_at, ItemVote.created_at)
    query_title = RecommendationRequest.resolved_title
    return (
        select(
            query_title.label("query_title"),
            RecommendedItem.title.label("item_title"),
            ItemVote.user_id.label("user_id"),
            ItemVote.value.label("value"),
            voted_at.label("voted_at"),
            func.row_number()
            .over(
                partition_by=(query_title, RecommendedItem.title, ItemVote.user_id),
                order_by=(voted_at.desc(), ItemVote.id.desc()),
            )
            .label("recency"),
        )
        .join(RecommendedItem, ItemVote.recommended_item_id == RecommendedItem.id)
        .join(RecommendationRequest, RecommendationRequest.id == RecommendedItem.request_id)
        .where(query_title.is_not(None))
    )


async def pair_vote_counts(session: AsyncSession) -> pd.DataFrame:
    """Up and down votes per (query title, recommended title), one per member (latest wins).

    Columns `PAIR_COLUMNS`; per-title counts are the column sums grouped by `item_title`.
    """
    latest = _latest_member_votes().subquery()
    rows = await session.execute(
        select(
            latest.c.query_title,
            latest.c.item_title,
            func.sum(case((latest.c.value > 0, 1), else_=0)),
            func.sum(case((latest.c.value < 0, 1), else_=0)),
        )
        .where(latest.c.recency == 1)
        .group_by(latest.c.query_title, latest.c.item_title)
        .order_by(latest.c.query_title, latest.c.item_title)
    )
    frame = pd.DataFrame(rows.all(), columns=list(PAIR_COLUMNS))
    return frame.astype({"query_title": str, "item_title": str, "up": "int64", "down": "int64"})


async def member_votes(session: AsyncSession) -> pd.DataFrame:
    """Each member's latest vote per pair, with its time: what fitting the channel's weight splits
    into past (to count) and held-out (to judge) votes. Columns `MEMBER_VOTE_COLUMNS`."""
    latest = _latest_member_votes().subquery()
    rows = await session.execute(
        select(latest.c.query_title, latest.c.item_title, latest.c.user_id, latest.c.value, latest.c.voted_at)
        .where(latest.c.recency == 1)
        .order_by(latest.c.voted_at, latest.c.query_title, latest.c.item_title, latest.c.user_id)
    )
    frame = pd.DataFrame(rows.all(), columns=list(MEMBER_VOTE_COLUMNS))
    return frame.astype({"query_title": str, "item_title": str, "user_id": "int64", "value": "int64"})
