"""End to end with SHARD_COUNT: the real bot on two gateway shards of the Discord stand-in.

One class, parametrised over the two ways to ask for shards (a number, and `auto`, where GET
/gateway/bot recommends 2), not the whole end-to-end suite twice: the test guild sits on shard 1,
so a command, its answer, a vote button and a reaction only work if the bot runs and routes both
shards; the stand-in's other guild checks shard 0.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from pydantic import ValidationError

from bot.app import ReelmateBot, ShardedReelmateBot, create_bot
from bot.settings import BotSettings
from tests.bot.e2e import STARTUP_DEADLINE, TOKEN, pointed_at, restore_endpoints
from tests.fakediscord import FakeDiscord

pytestmark = pytest.mark.slow


@contextlib.asynccontextmanager
async def running_sharded_bot(settings: BotSettings, fake: FakeDiscord) -> AsyncIterator[ReelmateBot]:
    with restore_endpoints():
        bot = create_bot(pointed_at(settings, fake))

        async def no_identify_wait(shard_id: int | None, *, initial: bool = False) -> None:
            """discord.py waits 5 s between shards for Discord's IDENTIFY rate limit; the stand-in has none."""

        bot.before_identify_hook = no_identify_wait  # type: ignore[method-assign]
        task = asyncio.create_task(bot.start(TOKEN))
        try:
            await fake.wait_until_identified(STARTUP_DEADLINE, count=fake.shard_count)
            await fake.wait_for(lambda: fake.registered_commands, timeout=15, what="command sync")
            await asyncio.wait_for(bot.wait_until_ready(), 15)
            yield bot
        finally:
            await bot.close()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, 10)


@pytest.mark.parametrize("shard_setting", ["2", "auto"])
class TestTwoShards:
    async def test_commands_votes_and_reactions_on_the_guilds_shard(
        self, shard_setting: str, settings: BotSettings
    ) -> None:
        sharded = settings.model_copy(update={"shard_count": BotSettings(shard_count=shard_setting).shard_count})
        async with FakeDiscord(token=TOKEN, patch_discord=False, shard_count=2) as fake, \
                running_sharded_bot(sharded, fake) as bot:
            assert isinstance(bot, ShardedReelmateBot) and bot.shard_count == 2
            assert sorted(fake.shard_sessions()) == [0, 1]
            assert bot.get_guild(fake.guild_id).shard_id == 1
            assert bot.get_guild(fake.other_guild_ids[0]).shard_id == 0
            asked_gateway = any(r.path.endswith("/gateway/bot") for r in fake.requests)
            assert asked_gateway == (shard_setting == "auto")

            inter = await fake.send_slash_command("recommend", {"title": "Wednesday", "k": 3})
            await inter.wait_response(3)
            message = await inter.wait_final_message(10, where=lambda m: bool(m.get("embeds")))
            message_id = int(message["id"])
            assert "Wednesday: Season 1" in message["embeds"][0]["title"]
            await fake.wait_for(lambda: fake.bot_reacted(message_id, "👎"), timeout=5, what="bot reactions")

            await fake.dispatch_reaction_add(message_id, fake.member, "👍")
            press = await fake.send_component(message["components"][0]["components"][0]["custom_id"], message_id)
            body = await press.wait_response(3)
            assert "Recorded 👍 for recommendation #1" in body["data"]["content"]
            for _ in range(100):
                if await bot.store.message_counts(message_id) == (1, 0):
                    break
                await asyncio.sleep(0.05)
            assert await bot.store.message_counts(message_id) == (1, 0)
            assert not fake.unknown_requests and not fake.server_errors


def test_shard_count_setting_reads_as_people_write_it(settings: BotSettings) -> None:
    assert [BotSettings(_env_file=None, shard_count=v).shard_count for v in ("", " 2 ", "AUTO")] == [None, 2, "auto"]
    for bad in ("0", "two", "-1"):
        with pytest.raises(ValidationError, match="shard_count"):
            BotSettings(_env_file=None, shard_count=bad)
    with restore_endpoints():
        assert type(create_bot(settings)) is ReelmateBot  # unset: one connection, as before
