"""End to end: the real discord.py client (create_bot) against the local stand-in on 127.0.0.1."""

from __future__ import annotations

import asyncio
import re

import pytest

from bot.settings import BotSettings
from feedback import FeedbackStore
from tests.bot.e2e import running_bot
from tests.fakediscord import FakeDiscord

pytestmark = pytest.mark.slow


async def test_login_sync_autocomplete_and_recommend(fake: FakeDiscord, settings: BotSettings) -> None:
    async with running_bot(settings, fake):
        names = {c["name"] for c in fake.registered_commands}
        assert {"recommend", "retrain", "model", "feedback-stats", "privacy", "forget-me"} <= names
        retrain = fake.command("retrain")
        assert retrain["default_member_permissions"] is not None  # hidden from non-managers

        ac = await fake.send_autocomplete("recommend", {"title": "wedn"}, focused="title")
        await ac.wait_response(3)
        assert ac.choices and ac.choices[0]["name"] == "Wednesday: Season 1"
        assert len(ac.choices) <= 25 and all(len(c["name"]) <= 100 for c in ac.choices)

        inter = await fake.send_slash_command("recommend", {"title": "Wednesday", "k": 5})
        await inter.wait_response(3)
        assert inter.responded_after is not None and inter.responded_after < 3
        message = await inter.wait_final_message(10, where=lambda m: bool(m.get("embeds")))
        embed = message["embeds"][0]
        assert "Wednesday: Season 1" in embed["title"]
        assert "model " in embed["footer"]["text"]
        assert re.search(r"\*\*1\. ", embed["description"])
        *custom_ids, seen_id = [c["custom_id"] for row in message["components"] for c in row["components"]]
        assert len(custom_ids) == 10 and re.fullmatch(r"reelmate:seen:\d+", seen_id)  # 5 items x up/down, Seen it
        assert all(re.fullmatch(r"reelmate:vote:\d+:\d+:(up|down)", c) for c in custom_ids)
        await fake.wait_for(lambda: fake.bot_reacted(int(message["id"]), "👎"), timeout=5, what="bot reactions")
        assert fake.bot_reacted(int(message["id"]), "👍")

        press = await fake.send_component(custom_ids[0], int(message["id"]))
        body = await press.wait_response(3)
        assert body["data"]["flags"] & 64  # ephemeral
        assert "Recorded 👍 for recommendation #1" in body["data"]["content"]
        assert not fake.unknown_requests and not fake.server_errors


async def test_weak_match_did_you_mean_click_runs_recommendation(fake: FakeDiscord, settings: BotSettings) -> None:
    async with running_bot(settings, fake):
        inter = await fake.send_slash_command("recommend", {"title": "Stranger"})
        body = await inter.wait_response(3)
        assert body["data"]["flags"] & 64
        assert "Did you mean" in body["data"]["content"]
        buttons = [c for row in body["data"]["components"] for c in row["components"]]
        assert "Stranger Things" in buttons[0]["label"]
        message_id = inter.message_ids[0]
        click = await fake.send_component(buttons[0]["custom_id"], message_id)
        await click.wait_response(3)
        result = await click.wait_final_message(10, where=lambda m: bool(m.get("embeds")))
        assert "Stranger Things" in result["embeds"][0]["title"]


@pytest.mark.parametrize(
    "title, expected",
    [
        ("", "give a title"),
        ("x" * 6000, "6,000 characters"),
        ("🎬🍿🎥", "no letters"),
        ("'; DROP TABLE votes; --", "couldn't find a title"),
    ],
    ids=["empty", "6000-chars", "emoji-only", "sql"],
)
async def test_garbage_titles_answered_clearly(
    fake: FakeDiscord, settings: BotSettings, title: str, expected: str
) -> None:
    async with running_bot(settings, fake) as bot:
        inter = await fake.send_slash_command("recommend", {"title": title}, validate=False)
        body = await inter.wait_response(3)
        assert body["data"]["flags"] & 64, body
        assert expected in body["data"]["content"]
        ok = await fake.send_slash_command("recommend", {"title": "Wednesday"})
        message = await ok.wait_final_message(10, where=lambda m: bool(m.get("embeds")))
        # The bot reacts after attaching the message; a request the database could not take at once
        # waits in the outbox: both must have landed before the bot stops.
        await fake.wait_for(lambda: fake.bot_reacted(int(message["id"]), "👎"), timeout=5, what="bot reactions")
        outbox = bot.services.votes.outbox
        assert outbox is not None
        await asyncio.wait_for(outbox.drained(), 10)
    store = await FeedbackStore.open(settings.resolved_database_url)
    try:  # the garbage title was refused before the database, the good one after it was recorded
        requests = (await store.export_user(fake.member.id))["requests"]
    finally:
        await store.close()
    assert [(r["query"], r["message_ids"]) for r in requests] == [("Wednesday", [int(message["id"])])]
