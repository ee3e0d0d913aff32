"""End to end: a write lock held by another process for three busy timeouts loses and doubles no vote.

The real bot against the local Discord stand-in, a console on the same database (its own store
and outbox, as a second process has), and a plain sqlite3 connection holding `BEGIN IMMEDIATE`
for 15 s (three times the 5 s busy timeout, so every writer times out and retries more than once; the
same with a 60 s lock was measured by hand: docs/reliability-startup.md) while 👍/👎 reactions, vote
buttons and console votes arrive. Every button is answered inside Discord's 3 s; once the lock is
released every vote is stored exactly once. (The kill and restart half of this runs at the store
level, with a real process: tests/feedback/test_feedback_outbox.py.)
"""

from __future__ import annotations

import asyncio
import io
import sqlite3
import time
from contextlib import closing

import pytest

from bot.console import Console
from bot.services import Services
from bot.settings import BotSettings
from feedback import FeedbackStore
from feedback.db import BUSY_TIMEOUT_MS, sqlite_path
from tests.bot.e2e import running_bot
from tests.fakediscord import FakeDiscord

pytestmark = pytest.mark.slow

LOCK_SECONDS = 3 * BUSY_TIMEOUT_MS / 1000
ROUNDS = 3  # votes arrive at the start, a third and two thirds of the way through the lock


def vote_rows(path) -> tuple[dict[tuple[int, int], int], dict[tuple[int, int], int]]:
    """(message votes by (message, user), item votes by (rank, user)), read independently."""
    with closing(sqlite3.connect(path)) as con:
        messages = {(m, u): v for m, u, v in con.execute("SELECT message_id, user_id, value FROM message_votes")}
        items = {(rank, u): v for rank, u, v in con.execute(
            "SELECT i.rank, v.user_id, v.value FROM item_votes v "
            "JOIN recommended_items i ON i.id = v.recommended_item_id")}
    return messages, items


async def test_votes_during_a_long_write_lock_are_answered_and_stored_exactly_once(
    fake: FakeDiscord, settings: BotSettings
) -> None:
    members = [fake.member, fake.owner, fake.admin, *(fake.add_member(f"voter{i}") for i in range(3))]
    db_file = sqlite_path(settings.resolved_database_url)
    assert db_file is not None
    async with running_bot(settings, fake) as bot:
        inter = await fake.send_slash_command("recommend", {"title": "Wednesday"})
        message = await inter.wait_final_message(10, where=lambda m: bool(m.get("embeds")))
        message_id = int(message["id"])
        await fake.wait_for(lambda: fake.bot_reacted(message_id, "👎"), timeout=5, what="bot reactions")
        buttons = {(c["custom_id"].split(":")[3], c["custom_id"].split(":")[4]): c["custom_id"]
                   for row in message["components"] for c in row["components"]
                   if c["custom_id"].startswith("reelmate:vote:")}  # (rank, up|down) -> id

        # The console: a second "process" on the same database, with its own store and outbox.
        console_store = await FeedbackStore.open(settings.resolved_database_url, migrate=False)
        console_services = Services(settings, console_store, bot.services.model.recommender)
        console_out = io.StringIO()
        console = Console(console_services, user_id=settings.console_user_id, stdout=console_out)
        expected_messages: dict[tuple[int, int], int] = {}
        expected_items: dict[tuple[int, int], int] = {}
        answer_times: list[float] = []

        blocker = sqlite3.connect(db_file, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock from now on
        locked_at = time.monotonic()
        try:
            for round_ in range(ROUNDS):
                value = "up" if round_ % 2 == 0 else "down"  # later rounds change earlier votes
                thumb = "👍" if value == "up" else "👎"
                for n, member in enumerate(members):
                    if round_ == 1 and n == 0:  # one member takes their reaction back instead
                        await fake.dispatch_reaction_remove(message_id, member, "👍")
                        expected_messages.pop((message_id, member.id), None)
                    else:
                        await fake.dispatch_reaction_add(message_id, member, thumb)
                        expected_messages[(message_id, member.id)] = 1 if value == "up" else -1
                    rank = 1 + (n + round_) % 3
                    pressed = time.monotonic()
                    press = await fake.send_component(buttons[(str(rank), value)], message_id, user=member)
                    body = await press.wait_response(3)
                    answer_times.append(time.monotonic() - pressed)
                    assert body["data"]["flags"] & 64 and f"Recorded {thumb} for recommendation #{rank}" in (
                        body["data"]["content"])
                    expected_items[(rank, member.id)] = 1 if value == "up" else -1
                await console.handle(f"/vote {message_id} {value}")
                expected_messages[(message_id, settings.console_user_id)] = 1 if value == "up" else -1
                await asyncio.sleep(max(0.0, locked_at + (round_ + 1) * LOCK_SECONDS / ROUNDS - time.monotonic()))
            # Still locked: nothing has reached the database, everything waits in the two journals.
            assert vote_rows(db_file) == ({}, {})
            assert bot.services.votes.outbox is not None and console_services.votes.outbox is not None
            assert bot.services.votes.outbox.pending > 0 and console_services.votes.outbox.pending == ROUNDS
        finally:
            held = time.monotonic() - locked_at
            blocker.execute("COMMIT")
            blocker.close()
        assert held >= LOCK_SECONDS

        try:
            await asyncio.wait_for(bot.services.votes.outbox.drained(), 60)
            await asyncio.wait_for(console_services.votes.outbox.drained(), 60)
        finally:
            await console_services.close()
            await console_store.close()
        assert vote_rows(db_file) == (expected_messages, expected_items)
        assert bot.services.votes.outbox.rejected == 0
        assert settings.outbox_path.read_text(encoding="utf-8") == ""  # every vote done: journal emptied

    assert max(answer_times) < 3.0, answer_times
    said = console_out.getvalue()
    assert said.count("kept safe in the outbox") == ROUNDS  # the console said what really happened
    assert "The feedback database cannot take it right now" in said
    assert "is not a recommendation" not in said
