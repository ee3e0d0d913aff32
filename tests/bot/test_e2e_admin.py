"""End to end: /retrain is refused to members, runs for admins while the bot stays responsive."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from bot.settings import BotSettings
from tests.bot.conftest import make_settings
from tests.bot.e2e import running_bot
from tests.fakediscord import FakeDiscord

pytestmark = pytest.mark.slow


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(token="test-token-e2e-secret", patch_discord=False, heartbeat_interval_ms=500) as f:
        yield f


async def test_non_admin_retrain_is_refused(fake: FakeDiscord, settings: BotSettings) -> None:
    async with running_bot(settings, fake) as bot:
        inter = await fake.send_slash_command("retrain", {}, user=fake.member, validate=False)
        body = await inter.wait_response(3)
        assert body["data"]["flags"] & 64
        assert "Manage Server" in body["data"]["content"]
        assert not bot.services.admin.retrain_running
        assert await bot.store.retrain_jobs() == []


async def test_admin_retrain_completes_while_bot_stays_responsive(
    fake: FakeDiscord, tmp_path, model_root_copy
) -> None:
    settings = make_settings(tmp_path, model_root_copy, retrain_epochs=2)
    async with running_bot(settings, fake) as bot:
        old_version = bot.services.model.recommender.version
        beats_before = fake.heartbeats_received
        started = time.monotonic()
        inter = await fake.send_slash_command("retrain", {}, user=fake.admin)
        body = await inter.wait_response(3)
        assert "Retraining started" in body["data"]["content"]
        await fake.wait_for(lambda: bot.services.admin.retrain_running, timeout=5, what="retrain running")

        second = await fake.send_slash_command("retrain", {}, user=fake.owner)
        assert "already running" in (await second.wait_response(3))["data"]["content"]

        latencies = []
        while bot.services.admin.retrain_running:
            rec = await fake.send_slash_command("recommend", {"title": "Wednesday"})
            await rec.wait_response(3)
            await rec.wait_final_message(10, where=lambda m: bool(m.get("embeds")))
            latencies.append(rec.responded_after)
            await asyncio.sleep(1.0)
        elapsed = time.monotonic() - started

        final = await inter.wait_final_message(
            10, where=lambda m: "✅" in m.get("content", "") or "⚠️" in m.get("content", "")
        )
        assert "epoch" in final["content"]  # progress was shown
        jobs = await bot.store.retrain_jobs()
        # Same data, seed and epochs as the copied model: the gate sees "not worse" and activates.
        assert jobs[0]["status"] == "succeeded", (jobs, final["content"])
        assert "Now serving model" in final["content"]
        assert bot.services.model.recommender.version != old_version  # hot-swapped without a restart
        assert bot.services.model.recommender.version in final["content"]
        assert await bot.store.active_model() == bot.services.model.recommender.version
        # /recommend kept answering within the deadline, and heartbeats kept being answered
        assert len(latencies) >= 2 and max(latencies) < 3
        beats = [t for t in fake.heartbeat_times if t >= started]
        assert fake.heartbeats_received > beats_before
        assert len(beats) >= int(elapsed / 0.5) - 3, (len(beats), elapsed)
