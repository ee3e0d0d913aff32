"""Bookkeeping writes that must not hold up answering: one task runs them in order, retrying while
the database is busy (another process may hold the write lock for a while)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.background import stop_task
from feedback import StoreUnavailable

log = logging.getLogger(__name__)

HOUSEKEEPING_RETRY = 5.0  # seconds between attempts of a start-up write the database refused for now


class Housekeeping:
    """A queue of bookkeeping writes (registering the serving model, tidying old data)."""

    def __init__(self) -> None:
        self._last: asyncio.Task[None] | None = None

    def queue(self, work: Callable[[], Awaitable[Any]]) -> None:
        """Queue a bookkeeping write behind the earlier ones (one task runs them in order)."""
        previous = self._last

        async def run() -> None:
            if previous is not None:
                await asyncio.wait([previous])
            await _until_stored(work)

        self._last = asyncio.create_task(run(), name="store-housekeeping")

    async def done(self, within: float | None = None) -> None:
        """Wait for the queued writes (at most `within` seconds; they keep running after it)."""
        if self._last is not None:
            await asyncio.wait([self._last], timeout=within)

    async def cancel(self) -> None:
        """Drop what still waits for the database: the next start does it again."""
        task, self._last = self._last, None
        await stop_task(task)


async def _until_stored(work: Callable[[], Awaitable[Any]]) -> None:
    """Run a bookkeeping write, again and again while the database cannot take it; other failures
    are logged (bookkeeping only: answering users matters more)."""
    while True:
        try:
            await work()
            return
        except StoreUnavailable as exc:
            log.warning("start-up bookkeeping waits for the database (%s); retrying in %.0f s", exc,
                        HOUSEKEEPING_RETRY)
        except Exception:
            log.exception("store housekeeping failed")
            return
        await asyncio.sleep(HOUSEKEEPING_RETRY)
