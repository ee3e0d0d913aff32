"""RETRAIN_EVERY: the bot retrains on its own through the gated /retrain path, on a clock or a vote count."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import ValidationError

from bot.admin.retrain import RetrainRun
from bot.admin.schedule import RetrainEvery, for_service
from bot.recommend.service import Recommended
from bot.services import Services
from bot.settings import BotSettings
from recommender.events import DoneEvent
from tests.bot.bot_helpers import USER_ID


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_retrain_every_parses_intervals_and_vote_counts() -> None:
    assert RetrainEvery.parse("24h") == RetrainEvery(seconds=86400.0)
    assert RetrainEvery.parse(" 30m ") == RetrainEvery(seconds=1800.0)
    assert RetrainEvery.parse("2d").seconds == 172800.0
    assert RetrainEvery.parse("500votes") == RetrainEvery(votes=500)
    for bad in ("", "daily", "0h", "-1h", "2.5votes", "10 weeks"):
        with pytest.raises(ValueError, match="RETRAIN_EVERY"):
            RetrainEvery.parse(bad)
    assert BotSettings(_env_file=None, retrain_every="").retrain_every is None  # blank = off
    with pytest.raises(ValidationError, match="RETRAIN_EVERY"):
        BotSettings(_env_file=None, retrain_every="every day")  # a typo fails at start, not silently never


def _fake_child(services: Services, runs: list[list[str]], *, fail: bool = False):
    async def run(cmd, progress=None, **_):
        runs.append(cmd)
        if fail:
            return RetrainRun(returncode=1, error="ValueError: the catalog is empty")
        return RetrainRun(returncode=0, done=DoneEvent(version=services.model.recommender.version, path="/m",
                                                       activated=True, reason="better"))
    return run


async def test_a_due_interval_retrains_through_the_gated_path_and_swaps(services: Services,
                                                                        monkeypatch) -> None:
    runs: list[list[str]] = []
    monkeypatch.setattr("bot.admin.service.run_retrain", _fake_child(services, runs))
    clock = FakeClock()
    scheduler = for_service(services.admin, RetrainEvery.parse("24h"), clock=clock)
    old = services.model.recommender
    clock.now += 86399
    assert not await scheduler.tick() and runs == []  # not yet due
    clock.now += 1
    assert await scheduler.tick()
    assert len(runs) == 1 and "retrain" in runs[0]  # the gated command, not `train`
    assert services.model.recommender is not old  # swapped in
    jobs = await services.store.retrain_jobs()
    assert [j["status"] for j in jobs] == ["succeeded"]
    assert not await scheduler.tick()  # the clock restarted at the attempt


async def test_a_failed_scheduled_retrain_keeps_the_model_and_the_schedule(services: Services,
                                                                           monkeypatch) -> None:
    runs: list[list[str]] = []
    monkeypatch.setattr("bot.admin.service.run_retrain", _fake_child(services, runs, fail=True))
    clock = FakeClock()
    scheduler = for_service(services.admin, RetrainEvery.parse("1h"), clock=clock)
    old = services.model.recommender
    for _ in range(2):
        clock.now += 3600
        assert await scheduler.tick()
    assert len(runs) == 2 and services.model.recommender is old  # the last good model keeps serving
    out = await services.recommend.recommend(user_id=USER_ID, guild_id=1, channel_id=2, query="Wednesday")
    assert isinstance(out, Recommended)
    assert [j["status"] for j in await services.store.retrain_jobs()] == ["failed", "failed"]


async def test_new_votes_trigger_a_retrain_and_the_loop_runs_off_the_event_loop(services: Services,
                                                                                  monkeypatch) -> None:
    runs: list[list[str]] = []
    monkeypatch.setattr("bot.admin.service.run_retrain", _fake_child(services, runs))
    scheduler = for_service(services.admin, RetrainEvery.parse("3votes"), poll=0.01)
    assert not await scheduler.tick()  # the first look counts from here
    out = await services.recommend.recommend(user_id=USER_ID, guild_id=1, channel_id=2, query="Wednesday")
    assert isinstance(out, Recommended)
    for member in range(2):
        await services.store.vote_item(request_id=out.request_id, rank=1, user_id=5000 + member, value=1)
    assert not await scheduler.tick() and runs == []  # 2 new votes < 3
    await services.store.vote_item(request_id=out.request_id, rank=2, user_id=5000, value=-1)
    scheduler.start()  # the background loop finds the third vote
    try:
        for _ in range(200):
            if runs and not services.admin.retrain_running:  # the attempt finished (swap included)
                break
            await asyncio.sleep(0.01)
    finally:
        await scheduler.stop()
    assert len(runs) == 1 and scheduler.attempts == 1
    jobs = await services.store.retrain_jobs()
    assert jobs[0]["status"] == "succeeded" and jobs[0]["requested_by"] is None  # no member asked: no member's data
