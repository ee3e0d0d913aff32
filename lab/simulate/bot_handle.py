"""The simulator's handle on the bot: the calls a simulated member makes, on one object.

`lab.simulate` (and scripts/ab_simulation.py through it) drive the bot's own request and vote path
through this adapter. The bot and the console use `bot.services.Services`, one service per feature;
once the simulator calls those directly, this module goes.
"""

from __future__ import annotations

import asyncio
from typing import Any

from bot.errors import UserError
from bot.experiments.arms import ExperimentArms
from bot.recommend.service import DidYouMean, Recommended
from bot.services import Services
from bot.settings import BotSettings
from bot.store import BotStore
from feedback import VoteOutbox, VoteOutcome
from recommender.serving import Recommender

__all__ = ["DidYouMean", "RecommendService", "Recommended", "UserError"]


class RecommendService:
    """`Services` with the flat names the simulator calls."""

    def __init__(self, settings: BotSettings, store: BotStore, recommender: Recommender | None = None) -> None:
        self.services = Services(settings, store, recommender)
        self.votes = self.services.votes.cache  # the vote channel the lists rank with

    @property
    def store(self) -> BotStore:
        return self.services.store

    @property
    def recommender(self) -> Recommender:
        return self.services.model.recommender

    @property
    def experiments(self) -> ExperimentArms:
        return self.services.experiments.arms

    @experiments.setter
    def experiments(self, arms: ExperimentArms) -> None:
        self.services.experiments.arms = arms

    def serving_models(self) -> tuple[Recommender | None, ...]:
        return self.services.model.serving_models()

    async def open_outbox(self) -> VoteOutbox:
        return await self.services.votes.open_outbox()

    async def load_current(self) -> Recommender | None:
        return await self.services.model.load_current()

    async def recommend(self, **request: Any) -> Recommended | DidYouMean:
        return await self.services.recommend.recommend(**request)

    async def accept_item_vote(self, **vote: Any) -> asyncio.Future[VoteOutcome]:
        return await self.services.votes.accept_item_vote(**vote)

    async def accept_seen_item(self, **mark: Any) -> asyncio.Future[VoteOutcome]:
        return await self.services.seen.accept_seen_item(**mark)

    async def start_experiment(self, **experiment: Any) -> str:
        return await self.services.experiments.start(**experiment)

    async def close(self) -> None:
        await self.services.close()
