"""End to end: 50 /recommend interactions at once are all answered (the timed run is
tests/bot/measure_load.py; this only checks nothing is dropped)."""

from __future__ import annotations

import asyncio

import pytest

from bot.settings import BotSettings
from tests.bot.e2e import running_bot
from tests.fakediscord import FakeDiscord

pytestmark = pytest.mark.slow

TITLES = ["Wednesday", "The Night Agent", "Ginny & Georgia", "The Glory", "Outer Banks"]


async def test_fifty_concurrent_recommends_are_all_answered(fake: FakeDiscord, settings: BotSettings) -> None:
    async with running_bot(settings, fake) as bot:
        users = [fake.add_member(f"user{i}") for i in range(50)]
        inters = await asyncio.gather(
            *(fake.send_slash_command("recommend", {"title": TITLES[i % len(TITLES)]}, user=u)
              for i, u in enumerate(users))
        )
        messages = await asyncio.gather(
            *(i.wait_final_message(30, where=lambda m: bool(m.get("embeds"))) for i in inters)
        )
        assert len({m["id"] for m in messages}) == 50
        assert all(i.responded_after is not None for i in inters)
        assert not fake.server_errors
        # A request the database cannot take within its short wait is journaled and lands from the outbox.
        await asyncio.wait_for(bot.services.votes.outbox.drained(), 30)
        stats = await bot.store.feedback_stats()
        assert sum(s.requests for s in stats) == 50
