"""End to end: /privacy shows and exports only the caller's data; /forget-me touches only the caller."""

from __future__ import annotations

import json

import pytest

from bot.settings import BotSettings
from tests.bot.e2e import running_bot
from tests.fakediscord import FakeDiscord

pytestmark = pytest.mark.slow


async def test_privacy_export_and_forget_me_with_three_members(fake: FakeDiscord, settings: BotSettings) -> None:
    a, b, c = fake.member, fake.owner, fake.admin
    async with running_bot(settings, fake) as bot:
        inter = await fake.send_slash_command("recommend", {"title": "Wednesday"}, user=a)
        message = await inter.wait_final_message(10, where=lambda m: bool(m.get("embeds")))
        message_id = int(message["id"])
        up_1 = message["components"][0]["components"][0]["custom_id"]  # rank 1, 👍
        for voter, thumb in ((a, "👍"), (b, "👍"), (c, "👎")):
            await fake.dispatch_reaction_add(message_id, voter, thumb)
            press = await fake.send_component(up_1, message_id, user=voter)
            await press.wait_response(3)
        services = bot.services
        assert services.votes.outbox is not None
        outbox = services.votes.outbox
        await fake.wait_for(lambda: outbox.pending == 0 and outbox.stored == 6, timeout=10, what="six votes stored")
        before = {s.version: s for s in await bot.store.feedback_stats()}

        shown = await fake.send_slash_command("privacy", {}, user=b)
        text = (await shown.wait_response(3))["data"]["content"]
        assert "0 recommendation request(s), 1 👍/👎 reaction(s), 1 item button vote(s)" in text

        exported = await fake.send_slash_command("privacy", {"export": True}, user=a)
        reply = await exported.wait_final_message(5)
        assert reply["flags"] & 64 and [f["filename"] for f in reply["attachments"]] == [f"reelmate-data-{a.id}.json"]
        data = json.loads(fake.attachments[int(reply["attachments"][0]["id"])])
        assert data["user_id"] == a.id and [r["query"] for r in data["requests"]] == ["Wednesday"]
        assert len(data["message_votes"]) == 1 and len(data["item_votes"]) == 1

        ask = await fake.send_slash_command("forget-me", {}, user=a)
        prompt = await ask.wait_final_message(3)
        confirm = prompt["components"][0]["components"][0]["custom_id"]
        done = await fake.send_component(confirm, int(prompt["id"]), user=a)
        await done.wait_response(3)
        await fake.wait_for(lambda: "Done: deleted" in (fake.messages[int(prompt["id"])].get("content") or ""),
                            timeout=15, what="the forget-me result")
        # A's request (kept anonymised: B and C voted on it) and A's two votes: 3 of A's records.
        assert "Done: deleted 3 record(s) about you" in fake.messages[int(prompt["id"])]["content"]

        after = {s.version: s for s in await bot.store.feedback_stats()}
        version = bot.services.model.recommender.version
        assert (after[version].up, after[version].down) == (before[version].up - 1, before[version].down)
        assert after[version].item_up == before[version].item_up - 1
        assert await bot.store.message_counts(message_id) == (1, 1)  # B's 👍 and C's 👎 stay
        for member in (b, c):
            mine = await bot.store.export_user(member.id)
            assert len(mine["message_votes"]) == 1 and len(mine["item_votes"]) == 1
        gone = await bot.store.export_user(a.id)
        assert (gone["requests"], gone["message_votes"], gone["item_votes"]) == ([], [], [])
