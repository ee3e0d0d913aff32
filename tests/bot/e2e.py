"""Running the real bot (create_bot) against the local Discord stand-in."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import discord

from bot.app import ReelmateBot, create_bot
from bot.settings import BotSettings
from tests.fakediscord import FakeDiscord

TOKEN = "test-token-e2e-secret"


@contextlib.contextmanager
def restore_endpoints():
    """create_bot sets discord.py's class-level endpoints from the settings; undo that afterwards."""
    base, gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    try:
        yield
    finally:
        discord.http.Route.BASE = base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway


STARTUP_DEADLINE = 60.0  # seconds


def pointed_at(settings: BotSettings, fake: FakeDiscord, **overrides: Any) -> BotSettings:
    return settings.model_copy(
        update={"discord_api_base": fake.api_base, "discord_gateway_url": fake.gateway_url, **overrides}
    )


@contextlib.asynccontextmanager
async def running_bot(settings: BotSettings, fake: FakeDiscord, *, identified: int = 1) -> AsyncIterator[ReelmateBot]:
    """Start create_bot(settings) against `fake`, wait for login + sync + READY, close on exit."""
    with restore_endpoints():
        bot = create_bot(pointed_at(settings, fake))
        task = asyncio.create_task(bot.start(TOKEN))
        try:
            # Start-up loads the model (a full-catalog one takes seconds, more with the other xdist
            # worker busy on 2 cores): these deadlines only catch a bot that never comes up.
            await fake.wait_until_identified(STARTUP_DEADLINE, count=identified)
            await fake.wait_for(lambda: fake.registered_commands, timeout=STARTUP_DEADLINE, what="command sync")
            await asyncio.wait_for(bot.wait_until_ready(), STARTUP_DEADLINE)
            yield bot
        finally:
            await bot.close()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, 10)
