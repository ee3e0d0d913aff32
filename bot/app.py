"""The bot factory: `create_bot(settings)` returns a configured, not yet started, discord.py Bot.

`setup_hook` (run once after login, before the gateway connects) opens the feedback store, builds
the features' services (loading the current model), loads each feature's cog (the votes and seen
extensions register the persistent buttons) and syncs the slash commands (to the development guild
only, if one is configured, because that is instant).

With SHARD_COUNT set (a number, or `auto` to use what Discord recommends for the bot's guild count)
the bot is a `ShardedReelmateBot`: discord.py's AutoShardedBot, one gateway connection per shard in
this process, each guild's events on shard `(guild_id >> 22) % count`. Everything else (commands,
store, model) is shared by the shards; several processes share the feedback store through
PostgreSQL (DATABASE_URL).
"""

from __future__ import annotations

import logging
from typing import Any

import discord
import yarl
from discord.ext import commands

from bot.services import Services
from bot.settings import BotSettings
from bot.store import BotStore
from bot.tree import ReelmateTree

log = logging.getLogger(__name__)

# One extension per feature: its `cog` module.
FEATURES = ("recommend", "votes", "admin", "privacy", "seen", "experiments", "library")
EXTENSIONS = tuple(f"bot.{feature}.cog" for feature in FEATURES)


def apply_endpoint_overrides(settings: BotSettings) -> None:
    """Point discord.py at another REST base / gateway (an HTTP proxy, or the test stand-in).

    Both are class attributes in discord.py, hence process-wide.
    """
    if settings.discord_api_base:
        discord.http.Route.BASE = settings.discord_api_base.rstrip("/")
    if settings.discord_gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


class ReelmateBot(commands.Bot):
    """commands.Bot with the settings, the features' services and a clean shutdown of the store."""

    def __init__(self, settings: BotSettings, **options: Any) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,  # no prefix commands: no message-content intent
            intents=discord.Intents.default(),
            tree_cls=ReelmateTree,
            allowed_mentions=discord.AllowedMentions.none(),  # nothing the bot posts can ping anyone
            guild_ready_timeout=settings.guild_ready_timeout,
            help_command=None,
            **options,
        )
        self.settings = settings
        self._services: Services | None = None
        self.store: BotStore | None = None
        self.synced_commands: list[discord.app_commands.AppCommand] = []
        self.scheduler: Any = None  # RETRAIN_EVERY's background retrains (bot.admin.schedule), if set

    async def setup_hook(self) -> None:
        from feedback import FeedbackStore

        self.store = await FeedbackStore.open(self.settings.resolved_database_url)
        self._services = Services(self.settings, self.store)
        await self._services.startup()
        if self.settings.retrain_every:
            from bot.admin.schedule import RetrainEvery, for_service

            self.scheduler = for_service(self._services.admin, RetrainEvery.parse(self.settings.retrain_every))
            self.scheduler.start()
        for ext in EXTENSIONS:
            await self.load_extension(ext)
        await self.sync_commands()

    @property
    def own_id(self) -> int | None:
        """The bot's own user id once logged in: its own reactions are never votes or seen marks."""
        return self.user.id if self.user else None

    @property
    def services(self) -> Services:
        """The features' logic; it exists from `setup_hook` on, before any interaction can arrive."""
        if self._services is None:
            raise RuntimeError("the bot's services are created in setup_hook; the bot has not started")
        return self._services

    async def sync_commands(self) -> None:
        if self.settings.dev_guild_id:
            guild = discord.Object(id=self.settings.dev_guild_id)
            self.tree.copy_global_to(guild=guild)
            self.synced_commands = await self.tree.sync(guild=guild)
        else:
            self.synced_commands = await self.tree.sync()
        log.info("synced %d commands", len(self.synced_commands))

    async def on_ready(self) -> None:
        log.info("logged in as %s (%s) in %d guild(s) on %s shard(s)", self.user, getattr(self.user, "id", "?"),
                 len(self.guilds), self.shard_count or 1)

    async def close(self) -> None:
        try:
            await super().close()
        finally:
            if self.scheduler is not None:
                await self.scheduler.stop()
            if self._services is not None:
                await self._services.close()  # the vote outbox first: it writes through the store
            if self.store is not None:
                store, self.store = self.store, None
                await store.close()


class ShardedReelmateBot(ReelmateBot, commands.AutoShardedBot):
    """ReelmateBot on several gateway shards in one process (SHARD_COUNT): the same hooks, with
    discord.py's AutoShardedClient connecting (and reconnecting) each shard."""

    async def on_shard_ready(self, shard_id: int) -> None:
        log.info("shard %d/%s ready", shard_id, self.shard_count)


def create_bot(settings: BotSettings, **options: Any) -> ReelmateBot:
    """Build the bot; `options` go to discord.py's Client (tests pass e.g. `heartbeat_timeout`)."""
    apply_endpoint_overrides(settings)
    if settings.shard_count is None:
        return ReelmateBot(settings, **options)
    count = None if settings.shard_count == "auto" else settings.shard_count  # None: GET /gateway/bot decides
    return ShardedReelmateBot(settings, shard_count=count, **options)
