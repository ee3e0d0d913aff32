"""/privacy (what is stored about the caller; `export:True` sends it as JSON) and /forget-me
(delete it, after a confirm button)."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.ui import ConfirmForgetView

if TYPE_CHECKING:
    from bot.app import ReelmateBot


class PrivacyCog(commands.Cog):
    def __init__(self, bot: ReelmateBot) -> None:
        self.bot = bot

    @app_commands.command(name="privacy", description="What Reelmate stores about you.")
    @app_commands.describe(export="Send everything stored about you as a JSON file")
    async def privacy(self, interaction: discord.Interaction[ReelmateBot], export: bool = False) -> None:
        service = self.bot.service
        if export:
            data = await service.privacy_export(interaction.user.id)
            file = discord.File(io.BytesIO(data), filename=f"reelmate-data-{interaction.user.id}.json")
            await interaction.response.send_message(
                "Everything Reelmate stores about you:", file=file, ephemeral=True
            )
            return
        await interaction.response.send_message(await service.privacy_report(interaction.user.id), ephemeral=True)

    @app_commands.command(name="forget-me", description="Delete everything Reelmate stored about you.")
    async def forget_me(self, interaction: discord.Interaction[ReelmateBot]) -> None:
        await interaction.response.send_message(
            "This deletes your requests and votes for good. Are you sure?",
            view=ConfirmForgetView(interaction.user.id),
            ephemeral=True,
        )


async def setup(bot: ReelmateBot) -> None:
    await bot.add_cog(PrivacyCog(bot))
