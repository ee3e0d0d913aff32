"""/recommend with title autocomplete, filters and a per-user cooldown."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.ui import run_recommend

if TYPE_CHECKING:
    from bot.app import ReelmateBot


def user_cooldown(interaction: discord.Interaction) -> app_commands.Cooldown | None:
    """COOLDOWN_RATE calls per COOLDOWN_PER seconds per user (read at call time from the settings)."""
    settings = interaction.client.settings  # type: ignore[attr-defined]
    return app_commands.Cooldown(settings.cooldown_rate, settings.cooldown_per)


class RecommendCog(commands.Cog):
    def __init__(self, bot: ReelmateBot) -> None:
        self.bot = bot

    @app_commands.command(name="recommend", description="Shows and movies similar to one you liked.")
    @app_commands.describe(
        title="A show or movie (start typing for suggestions)",
        k="How many recommendations (default 5)",
        type="Only shows or only movies",
        language="Only titles in this language",
    )
    @app_commands.checks.dynamic_cooldown(user_cooldown)
    async def recommend(
        self,
        interaction: discord.Interaction,
        title: str,
        k: app_commands.Range[int, 1, 50] | None = None,
        type: Literal["Show", "Movie"] | None = None,
        language: str | None = None,
    ) -> None:
        await run_recommend(interaction, query=title, k=k, content_type=type, language=language)

    @recommend.autocomplete("title")
    async def title_autocomplete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        pairs = await self.bot.service.autocomplete(current)
        return [app_commands.Choice(name=name, value=value) for name, value in pairs]

    @recommend.autocomplete("language")
    async def language_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=lang, value=lang) for lang in self.bot.service.language_choices(current)]


async def setup(bot: ReelmateBot) -> None:
    await bot.add_cog(RecommendCog(bot))
