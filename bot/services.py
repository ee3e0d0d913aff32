"""The bot's features, built once per process over one store and one model holder.

The cogs and the offline console both reach a feature as `services.<feature>` (`recommend`,
`votes`, `seen`, `experiments`, `admin`, `library`, `privacy`); none of them imports Discord. Each feature
registers its member data with `privacy_registry` when it is built.
"""

from __future__ import annotations

import asyncio
import logging

from bot.admin.service import AdminService
from bot.experiments.service import ExperimentsService
from bot.library.service import LibraryService
from bot.model import ModelHolder
from bot.privacy.registry import PrivacyRegistry
from bot.privacy.service import PrivacyService
from bot.recommend.service import RecommendService
from bot.seen.service import SeenService
from bot.settings import BotSettings
from bot.store import BotStore
from bot.votes.service import VotesService
from recommender.serving import Recommender

log = logging.getLogger(__name__)

STARTUP_WRITE_WAIT = 1.0  # seconds start-up waits for its bookkeeping writes before leaving them to run behind


class Services:
    """The model holder and every feature's service."""

    def __init__(self, settings: BotSettings, store: BotStore, recommender: Recommender | None = None) -> None:
        self.settings = settings
        self.store = store
        self.model = ModelHolder(settings, store, recommender)
        self.privacy_registry = registry = PrivacyRegistry()
        self.votes = VotesService(settings, store, self.model, registry)
        self.experiments = ExperimentsService(settings, store, self.model, registry)
        self.library = LibraryService(settings, store, lambda: self.model.recommender)  # per-server libraries
        self.recommend = RecommendService(settings, store, self.model, self.votes, self.experiments, self.library,
                                          registry)
        self.seen = SeenService(store, self.recommend, self.votes, registry)
        self.admin = AdminService(settings, store, self.model, self.experiments, registry)
        self.privacy = PrivacyService(settings, store, self.votes, registry)

    async def startup(self) -> None:
        """Housekeeping when a process starts: votes a previous run left in the outbox (before any
        traffic), jobs a crash left "running", old data, the model.

        The database writes among these (interrupted jobs, the purge, registering the model) run in
        the background: another process may hold the write lock for a while, and answering must not
        wait for it. Only reads (the model's vote statistics, a running experiment) are awaited, and
        the writes for at most STARTUP_WRITE_WAIT."""
        await self.votes.open_outbox()
        self.model.housekeeping.queue(self._tidy_store)
        await asyncio.to_thread(self.model.tidy_models)
        await self.model.load_current()
        await self.experiments.restore()
        self.votes.cache.start(self.model.serving_models)
        # A free database takes them at once: done before any traffic.
        await self.model.housekeeping.done(within=STARTUP_WRITE_WAIT)

    async def _tidy_store(self) -> None:
        await self.store.fail_interrupted_retrains()
        purged = await self.store.purge_older_than(self.settings.retention_days)
        if purged:
            log.info("purged %d record(s) older than %d days", purged, self.settings.retention_days)

    async def close(self) -> None:
        """Stop the outbox writer; votes not yet written stay in its journal for the next start.
        Start-up bookkeeping still waiting for the database is dropped: the next start does it."""
        await self.model.housekeeping.cancel()
        await self.votes.close()
