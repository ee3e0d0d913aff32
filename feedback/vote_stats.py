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

Seen marks (👀, "Seen it", /seen) are a weak positive: a member who was recommended a title for a
query and marked it as seen tells that people who like the query watch that title. They are counted
per pair as `seen` (distinct members), and only where the mark can be tied to the pair: the member
was shown that title for that query (a mark made by /seen before any recommendation names no query
and counts nowhere), and the member cast no item vote on that pair (their 👍/👎 says more). A mark
says "I watched it", not which list made them, so it counts once for every query the member was shown
that title for: each is a query they asked about (so liked) paired with a title they watched. The
ranking turns `seen` into a fraction of an up vote (`recommender.ranking.votes`).

The window function (ROW_NUMBER OVER PARTITION BY) is standard SQL: SQLite >= 3.25 and PostgreSQL.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Select, case, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from feedback.models import ItemVote, RecommendationRequest, RecommendedItem, SeenMark

PAIR_COLUMNS = ("query_title", "item_title", "up", "down", "seen")
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
    """Up and down votes per (query title, recommended title), one per member (latest wins), and the
    members who were shown the title for that query, marked it as seen and did not vote on the pair.

    Columns `PAIR_COLUMNS`; per-title counts are the column sums grouped by `item_title`.
    """
    votes = await _pair_votes(session)
    seen = await _pair_seen(session)
    frame = votes.merge(seen, on=["query_title", "item_title"], how="outer").fillna({"up": 0, "down": 0, "seen": 0})
    frame = frame.sort_values(["query_title", "item_title"], kind="stable").reset_index(drop=True)
    return frame.astype({"query_title": str, "item_title": str, "up": "int64", "down": "int64", "seen": "int64"})


async def _pair_votes(session: AsyncSession) -> pd.DataFrame:
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
    return pd.DataFrame(rows.all(), columns=["query_title", "item_title", "up", "down"])


async def _pair_seen(session: AsyncSession) -> pd.DataFrame:
    """Distinct members per (query title, title) who marked the title seen, were shown it for that
    query, and cast no item vote on that pair."""
    query_title = RecommendationRequest.resolved_title
    voted_request = aliased(RecommendationRequest)
    voted_item = aliased(RecommendedItem)
    voted = (
        select(ItemVote.id)
        .join(voted_item, ItemVote.recommended_item_id == voted_item.id)
        .join(voted_request, voted_request.id == voted_item.request_id)
        .where(ItemVote.user_id == SeenMark.user_id, voted_item.title == RecommendedItem.title,
               voted_request.resolved_title == query_title)
    )
    rows = await session.execute(
        select(query_title, RecommendedItem.title, func.count(func.distinct(SeenMark.user_id)))
        .join(RecommendationRequest, RecommendationRequest.user_id == SeenMark.user_id)
        .join(RecommendedItem, (RecommendedItem.request_id == RecommendationRequest.id)
              & (RecommendedItem.title == SeenMark.title))
        .where(query_title.is_not(None), ~exists(voted))
        .group_by(query_title, RecommendedItem.title)
    )
    return pd.DataFrame(rows.all(), columns=["query_title", "item_title", "seen"])


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
