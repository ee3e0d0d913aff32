"""End to end: 👍/👎 reactions and vote buttons land in the database, also after a restart."""

from __future__ import annotations

import asyncio

import pytest

from bot.settings import BotSettings
from tests.bot.bot_helpers import journal_on_full_disk
from tests.bot.e2e import running_bot
from tests.fakediscord import FakeDiscord

pytestmark = pytest.mark.slow


async def _counts(bot, message_id: int, want: tuple[int, int]) -> tuple[int, int]:
    for _ in range(100):
        got = await bot.store.message_counts(message_id)
        if tuple(got) == want:
            return tuple(got)
        await asyncio.sleep(0.05)
    return tuple(await bot.store.message_counts(message_id))


async def test_reactions_count_before_and_after_restart(fake: FakeDiscord, settings: BotSettings) -> None:
    async with running_bot(settings, fake) as bot:
        inter = await fake.send_slash_command("recommend", {"title": "Wednesday"})
        message = await inter.wait_final_message(10, where=lambda m: bool(m.get("embeds")))
        message_id = int(message["id"])
        await fake.wait_for(lambda: fake.bot_reacted(message_id, "👎"), timeout=5, what="bot reactions")

        await fake.dispatch_reaction_add(message_id, fake.bot_user, "👍")  # the bot's own: ignored
        await fake.dispatch_reaction_add(message_id, fake.member, "👍")
        await fake.dispatch_reaction_add(message_id, fake.owner, "🎉")  # not a vote
        assert await _counts(bot, message_id, (1, 0)) == (1, 0)
        await fake.dispatch_reaction_add(message_id, fake.owner, "👎")
        assert await _counts(bot, message_id, (1, 1)) == (1, 1)
        await fake.dispatch_reaction_remove(message_id, fake.owner, "👎")
        assert await _counts(bot, message_id, (1, 0)) == (1, 0)
        vote_button = message["components"][0]["components"][1]["custom_id"]  # rank 1, down

    # A new process: nothing cached, same database, same fake Discord, the old message id.
    async with running_bot(settings, fake, identified=2) as bot2:
        assert bot2.get_partial_messageable(fake.channel_id)  # (the message itself is not cached)
        assert bot2._connection._get_message(message_id) is None
        await fake.dispatch_reaction_add(message_id, fake.admin, "👍")
        assert await _counts(bot2, message_id, (2, 0)) == (2, 0)

        press = await fake.send_component(vote_button, message_id, user=fake.admin)
        body = await press.wait_response(3)
        assert body["data"]["flags"] & 64
        assert "Recorded 👎 for recommendation #1" in body["data"]["content"]
        exported = await bot2.store.export_user(fake.admin.id)
        assert "-1" in str(exported) or "down" in str(exported).lower()


async def test_a_reaction_whose_vote_cannot_be_journaled_is_taken_back(
    fake: FakeDiscord, settings: BotSettings
) -> None:
    """On a full disk the vote is refused: the 👍 must not stay on the message as if it counted."""
    async with running_bot(settings, fake) as bot:
        inter = await fake.send_slash_command("recommend", {"title": "Wednesday"})
        message = await inter.wait_final_message(10, where=lambda m: bool(m.get("embeds")))
        message_id = int(message["id"])
        await fake.wait_for(lambda: fake.bot_reacted(message_id, "👎"), timeout=5, what="bot reactions")
        with journal_on_full_disk(settings.outbox_path):
            await fake.dispatch_reaction_add(message_id, fake.member, "👍")
            await fake.wait_for(lambda: fake.member.id not in fake.reactions[(message_id, "👍")], timeout=5,
                                what="the refused reaction removed")
        await fake.dispatch_reaction_add(message_id, fake.owner, "👍")  # the disk has room again
        assert await _counts(bot, message_id, (1, 0)) == (1, 0)
        assert (await bot.store.export_user(fake.member.id))["message_votes"] == []  # no retraction stored either
        assert not fake.unknown_requests
