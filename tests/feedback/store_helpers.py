"""Test-only reads and writes through a store's own connections (not part of the product API)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from feedback import FeedbackStore
from feedback.models import ItemVote, RecommendedItem


async def connection_pragmas(store: FeedbackStore) -> dict[str, object]:
    """The PRAGMAs in force on the store's own connections (busy_timeout is per connection)."""

    async def work(session: AsyncSession) -> dict[str, object]:
        connection = await session.connection()
        return {name: (await connection.exec_driver_sql(f"PRAGMA {name}")).scalar()
                for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")}

    return await store._transactor.run(work, write=False)


async def retract_item_vote(store: FeedbackStore, *, request_id: int, rank: int, user_id: int) -> None:
    """Remove a user's item vote through the store's own write path (the product has no "undo"
    button; the concurrency test uses this to mix deletes into the load)."""

    async def work(session: AsyncSession) -> None:
        item_id = select(RecommendedItem.id).where(RecommendedItem.request_id == request_id,
                                                   RecommendedItem.rank == rank)
        await session.execute(delete(ItemVote).where(ItemVote.recommended_item_id.in_(item_id),
                                                     ItemVote.user_id == user_id))

    await store._transactor.run(work, write=True)


def integrity_check(path: Path) -> str:
    with closing(sqlite3.connect(path)) as con:
        return con.execute("PRAGMA integrity_check").fetchone()[0]
