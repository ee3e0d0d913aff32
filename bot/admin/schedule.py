"""`RETRAIN_EVERY`: retrain in the background every so often, or after so many new votes.

Why through `AdminService.retrain` and nothing else: that path already trains in a child process
(the event loop never waits on TensorFlow), refits the vote channel on the server's votes, passes the
quality gate before activating, swaps the new version in, and keeps the last good model serving when
the child fails or the gate rejects. The scheduler only decides *when*; a retrain an admin started
is never doubled (`RetrainBusy` is skipped, not queued) and one failure never stops the schedule.

The clock restarts at every attempt (scheduled or not counted: an admin's /retrain does not reset it),
and the vote count is the store's, one member per pair (`feedback.vote_stats`), compared with the
count at the last attempt: "500votes" means 500 newly counted votes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bot.admin.every import RetrainEvery
from bot.admin.service import AdminService, RetrainBusy
from bot.background import stop_task

log = logging.getLogger(__name__)

POLL_SECONDS = 60.0  # how often the scheduler looks at the clock and the vote count


class RetrainScheduler:
    """Polls `due()` every `poll` seconds and then runs `retrain()` (the service's, by default).

    `clock` and `count_votes` are parameters so that a test can move time and votes by hand.
    """

    def __init__(self, every: RetrainEvery, retrain: Callable[[], Awaitable[object]],
                 count_votes: Callable[[], Awaitable[int]], *, poll: float = POLL_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.every = every
        self._retrain = retrain
        self._count_votes = count_votes
        self.poll = poll
        self._clock = clock
        self._task: asyncio.Task[None] | None = None
        self._since: float = clock()
        self._votes_at_last: int | None = None
        self.attempts = 0
        self.failures = 0

    async def due(self) -> bool:
        if self.every.seconds is not None:
            return self._clock() - self._since >= self.every.seconds
        votes = await self._count_votes()
        if self._votes_at_last is None:  # the first look: count from here
            self._votes_at_last = votes
        assert self.every.votes is not None
        return votes - self._votes_at_last >= self.every.votes

    async def tick(self) -> bool:
        """One look: retrain if due. True when a retrain was attempted."""
        if not await self.due():
            return False
        self.attempts += 1
        self._since = self._clock()
        if self.every.votes is not None:
            self._votes_at_last = await self._count_votes()
        try:
            outcome = await self._retrain()
            log.info("scheduled retrain (%s): %s", self.every.describe(), getattr(outcome, "message", outcome))
        except RetrainBusy:
            log.info("scheduled retrain skipped: one is already running")
        except Exception:  # the schedule outlives a failed attempt; the current model keeps serving
            self.failures += 1
            log.exception("scheduled retrain failed; the current model keeps serving")
        return True

    def start(self) -> None:
        async def loop() -> None:
            while True:
                await asyncio.sleep(self.poll)
                try:
                    await self.tick()
                except Exception:  # e.g. the store could not count votes this time: try again next poll
                    log.exception("retrain schedule check failed")

        self._task = asyncio.create_task(loop(), name="retrain-schedule")
        log.info("retraining on a schedule: %s", self.every.describe())

    async def stop(self) -> None:
        task, self._task = self._task, None
        await stop_task(task)


def for_service(admin: AdminService, every: RetrainEvery, **options: Any) -> RetrainScheduler:
    """The scheduler of the admin feature: its gated retrain, its store's vote count."""

    async def retrain() -> object:
        return await admin.retrain(requested_by=None, guild_id=None)  # no member asked: nobody's data

    async def count_votes() -> int:
        counts = await admin.store.pair_vote_counts()
        return int(counts["up"].sum() + counts["down"].sum()) if len(counts) else 0

    return RetrainScheduler(every, retrain, count_votes, **options)
