"""Opening a feedback database that must already exist, to read it: never created, never migrated.

The one read-only opener for every reader outside the bot (the retrain child fitting the vote channel,
the lab's figures and A/B reports): a mistyped SQLite path must say so instead of creating an empty
database and reporting zero votes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pandas as pd

from feedback.db import is_sqlite, sqlite_path
from feedback.errors import StoreError
from feedback.store import FeedbackStore


@asynccontextmanager
async def open_read_only(url: str) -> AsyncIterator[FeedbackStore]:
    """The store at `url`, opened without migrating and closed on exit; StoreError (a message for
    people) for an unparseable URL, a SQLite file that does not exist or a database that cannot be read."""
    path = sqlite_path(url) if is_sqlite(url) else None
    if path is not None and not path.exists():
        raise StoreError(f"feedback database {path} does not exist (is the URL right?)")
    store = await FeedbackStore.open(url, migrate=False)
    try:
        yield store
    finally:
        await store.close()


def read_votes(url: str, *, members: bool = False) -> pd.DataFrame:
    """Pair counts (`FeedbackStore.pair_vote_counts`) or, with `members`, every member's latest vote per
    pair (`member_votes`) from the database at `url`, read once; StoreError when it cannot be read."""

    async def read() -> pd.DataFrame:
        async with open_read_only(url) as store:
            return await (store.member_votes() if members else store.pair_vote_counts())

    return asyncio.run(read())
