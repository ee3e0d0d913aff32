"""End to end through the Discord stand-in: an A/B experiment with members in both arms, and a 👀
reaction that removes titles from that member's next list. One bot session for both (fast)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from feedback.experiments import CHALLENGER, CONTROL, arm_for
from tests.bot.conftest import make_settings
from tests.bot.e2e import running_bot
from tests.bot.experiment_helpers import CHALLENGER_VERSION, add_challenger
from tests.fakediscord import FakeDiscord

pytestmark = pytest.mark.slow

FIRST_EXPERIMENT = 1  # a fresh database numbers its first experiment 1
SHARE = 50


def _titles(message: dict) -> str:
    return message["embeds"][0].get("description", "") + str(message["embeds"][0].get("fields", ""))


async def test_experiment_arms_votes_status_and_a_seen_mark(fake: FakeDiscord, tmp_path: Path,
                                                            model_root_copy: Path) -> None:
    add_challenger(model_root_copy)
    settings = make_settings(tmp_path, model_root_copy)
    members = [fake.member, fake.owner, fake.admin]
    while {arm_for(m.id, FIRST_EXPERIMENT, SHARE) for m in members} != {CONTROL, CHALLENGER}:
        members.append(fake.add_member(f"member{len(members)}"))
    async with running_bot(settings, fake) as bot:
        refused = await fake.send_slash_command("experiment start", {"version": CHALLENGER_VERSION, "share": SHARE},
                                                user=fake.member, validate=False)
        body = await refused.wait_response(3)
        assert body["data"]["flags"] & 64 and "Manage Server" in body["data"]["content"]
        assert await bot.store.running_experiment() is None

        start = await fake.send_slash_command("experiment start", {"version": CHALLENGER_VERSION, "share": SHARE},
                                              user=fake.admin)
        started = await start.wait_final_message(10, where=lambda m: "started" in (m.get("content") or ""))
        assert "Experiment 1 started" in started["content"]

        served = {}
        for member in members:
            inter = await fake.send_slash_command("recommend", {"title": "Wednesday"}, user=member)
            message = await inter.wait_final_message(10, where=lambda m: bool(m.get("embeds")))
            served[member.id] = message
            message_id = int(message["id"])
            # The bot reacts after attaching the message to the request: from then on votes count.
            await fake.wait_for(lambda m=message_id: fake.bot_reacted(m, "👎"), timeout=5, what="bot reactions")
            await fake.dispatch_reaction_add(message_id, member, "👍")
        expected = {m.id: arm_for(m.id, FIRST_EXPERIMENT, SHARE) for m in members}

        async def all_votes_in() -> list:
            for _ in range(100):
                votes = await bot.store.experiment_votes(FIRST_EXPERIMENT)
                if len(votes) == len(members):
                    return votes
                await asyncio.sleep(0.05)
            return await bot.store.experiment_votes(FIRST_EXPERIMENT)

        votes = await all_votes_in()
        assert {v.user_id: v.arm for v in votes} == expected  # each vote carries its member's arm
        control_version = bot.services.model.recommender.version
        for vote in votes:
            assert vote.model_version == (CHALLENGER_VERSION if vote.arm == CHALLENGER else control_version)

        status = await fake.send_slash_command("experiment status", {}, user=fake.member)
        embed = (await status.wait_response(3))["data"]["embeds"][0]
        names = [f["name"] for f in embed["fields"]]
        assert names == [f"control ({100 - SHARE}%)", f"challenger ({SHARE}%)"]
        assert CHALLENGER_VERSION in embed["fields"][1]["value"] and "👍" in embed["fields"][1]["value"]

        # 👀 on a list: that member's next list for the same title has none of those titles.
        member = members[0]
        message = served[member.id]
        await fake.dispatch_reaction_add(int(message["id"]), member, "👀")
        for _ in range(100):
            seen = await bot.store.seen_item_ids(member.id)
            if seen:
                break
            await asyncio.sleep(0.05)
        assert len(seen) == 5
        again = await fake.send_slash_command("recommend", {"title": "Wednesday"}, user=member)
        message2 = await again.wait_final_message(10, where=lambda m: bool(m.get("embeds")))
        requests = (await bot.store.export_user(member.id))["requests"]
        assert len(requests) == 2 and len(requests[1]["items"]) == 5
        assert {item["item_id"] for item in requests[0]["items"]} == seen
        assert not {item["item_id"] for item in requests[1]["items"]} & seen
        assert _titles(message2) != _titles(message)
