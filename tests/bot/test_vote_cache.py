"""The bot's vote cache: votes reach the ranking in bulk, off the event loop, never per request."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from bot.admin.retrain import RetrainRun
from bot.recommend.service import Recommended
from bot.services import Services
from bot.settings import BotSettings
from feedback import FeedbackStore
from recommender.events import DoneEvent
from recommender.ranking.votes import VoteSettings
from recommender.serving import Recommender
from tests.bot.bot_helpers import USER_ID

_asker = iter(range(USER_ID, USER_ID + 10_000))


async def _titles(services: Services, k: int) -> tuple[int, list[str]]:
    """A list for a new member each time: a member asking twice gets fresh titles (bot.recommend.personal)."""
    out = await services.recommend.recommend(user_id=next(_asker), guild_id=1, channel_id=2, query="Wednesday", k=k)
    assert isinstance(out, Recommended)
    return out.request_id, [r.item.title for r in out.result.items]


async def test_votes_reach_the_ranking_through_a_cache_refreshed_off_the_loop(
    settings: BotSettings, store: FeedbackStore, model_root: Path, monkeypatch
) -> None:
    settings = settings.model_copy(update={"vote_refresh_seconds": 0.0, "max_k": 20})
    rec = Recommender.load(model_root)
    rec.vote_settings = VoteSettings(weight=0.5)  # this instance only (the session model stays as it is)
    services = Services(settings, store, rec)
    reads, build_threads = [], []
    read_counts, build = store.pair_vote_counts, rec.vote_channel

    async def counted_read():
        reads.append(1)
        return await read_counts()

    def spied_build(pairs):
        build_threads.append(threading.get_ident())
        return build(pairs)

    monkeypatch.setattr(store, "pair_vote_counts", counted_read)
    monkeypatch.setattr(rec, "vote_channel", spied_build)
    try:
        request_id, twenty = await _titles(services, 20)
        liked, disliked = twenty[11], twenty[0]
        for member in range(60):  # 60 members like content rank 12 and dislike rank 1
            await store.vote_item(request_id=request_id, rank=12, user_id=1000 + member, value=1)
            await store.vote_item(request_id=request_id, rank=1, user_id=1000 + member, value=-1)
        _, before = await _titles(services, 10)
        assert liked not in before and reads == []  # requests never read the database

        await services.votes.cache.refresh(services.model.recommender)
        assert build_threads and threading.get_ident() not in build_threads  # built in a worker thread
        for _ in range(3):
            _, after = await _titles(services, 10)
        assert liked in after and after.index(liked) < 10
        assert after[0] != disliked
        assert len(reads) == 1  # one bulk read for the refresh, none for the three requests

        # After a retrain hot-swaps a new model, the cache is rebuilt for it at once.
        async def fake_run(cmd, progress=None, **kwargs):
            assert kwargs["env"]["FEEDBACK_DATABASE_URL"] == settings.resolved_database_url  # the child fits votes
            return RetrainRun(returncode=0, done=DoneEvent(version=rec.version, path="/m", activated=True,
                                                           reason="better"))

        monkeypatch.setattr("bot.admin.service.run_retrain", fake_run)
        outcome = await services.admin.retrain(requested_by=1, guild_id=None)
        assert outcome.status == "succeeded" and services.model.recommender is not rec
        assert len(reads) == 2 and services.votes.cache.channel_for(services.model.recommender) is not None
    finally:
        await services.close()


async def test_scheduled_refresh_runs_in_the_background_and_stops(
    settings: BotSettings, store: FeedbackStore, session_recommender: Recommender
) -> None:
    services = Services(settings.model_copy(update={"vote_refresh_seconds": 0.01}), store, session_recommender)
    try:
        services.votes.cache.start(services.model.serving_models)
        for _ in range(500):
            if services.votes.cache.refreshes >= 2:
                break
            await asyncio.sleep(0.01)
        assert services.votes.cache.refreshes >= 2
        assert services.votes.cache.channel_for(session_recommender) is not None
    finally:
        await services.close()
    count = services.votes.cache.refreshes
    await asyncio.sleep(0.05)
    assert services.votes.cache.refreshes == count  # stopped with the services
