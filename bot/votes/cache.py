"""The vote channel the bot ranks with: built from the store in bulk, off the event loop, cached.

Why a cache: a request must never wait for the database (a vote brigade would otherwise also be a
load attack), and the channel is per model (it maps titles to that model's rows). So the counts are
read in one query (`feedback.vote_stats`, async driver), the channel is built in a worker thread,
and the result is swapped in as one reference; requests only read that reference. It is refreshed
on a schedule (VOTE_REFRESH_SECONDS) and right after a model is loaded or hot-swapped; until the
first refresh for a model finishes, that model serves without votes (the content ranking).
During an A/B experiment both arms' models get a channel from the same read, so the arms differ
by model only, not by whether votes count.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.background import stop_task
from recommender.ranking.votes import VoteChannel
from recommender.serving import Recommender

if TYPE_CHECKING:
    from bot.store import BotStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CachedVotes:
    recommender: Recommender
    channel: VoteChannel
    refreshed_at: float  # time.monotonic()


class VoteCache:
    """`channel_for(rec)` on the request path (one attribute read); `refresh` off it."""

    def __init__(self, store: BotStore, interval: float) -> None:
        self._store = store
        self.interval = interval
        self._cached: tuple[CachedVotes, ...] = ()  # one per serving model (current, A/B challenger)
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self.refreshes = 0

    def channel_for(self, recommender: Recommender) -> VoteChannel | None:
        """The cached channel if it was built for this very model object, else None (no votes yet)."""
        for cached in self._cached:
            if cached.recommender is recommender:
                return cached.channel
        return None

    async def refresh(self, *recommenders: Recommender | None) -> VoteChannel | None:
        """Re-read the counts once and rebuild the channel for each serving model (the first one's is
        returned); a failure keeps the last ones."""
        models = [r for r in recommenders if r is not None]
        if not models:
            return None
        async with self._lock:  # a scheduled refresh and a post-swap one never interleave
            try:
                pairs = await self._store.pair_vote_counts()
                # Each member's votes only when a model ranks with members' co-likes (one more bulk read).
                wanted = any(m.vote_settings.co_like_weight > 0 for m in models)
                members = await self._store.member_votes() if wanted else None
                extra = () if members is None else (members,)
                built = [CachedVotes(m, await asyncio.to_thread(m.vote_channel, pairs, *extra), time.monotonic())
                         for m in models]
            except Exception:
                log.exception("could not refresh the vote statistics; keeping the previous ones")
                return self.channel_for(models[0])
            self._cached = tuple(built)
            self.refreshes += 1
            for cached in built:
                log.info("vote channel refreshed for model %s: %d votes on %d pairs", cached.recommender.version,
                         int(cached.channel.votes), len(pairs))
            return built[0].channel

    def start(self, current: Callable[[], tuple[Recommender | None, ...]]) -> None:
        """Refresh every `interval` seconds for `current()` (the serving models); 0 = never on a schedule."""
        if self.interval <= 0 or self._task is not None:
            return

        async def loop() -> None:
            while True:
                await asyncio.sleep(self.interval)
                await self.refresh(*current())

        self._task = asyncio.create_task(loop(), name="vote-cache-refresh")

    async def stop(self) -> None:
        task, self._task = self._task, None
        await stop_task(task)
