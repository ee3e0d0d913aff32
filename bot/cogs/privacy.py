"""/privacy (what is stored) and /forget-me (delete it, after a confirm button)."""

from __future__ import annotations

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
    async def privacy(self, interaction: discord.Interaction[ReelmateBot]) -> None:
        await interaction.response.send_message(self.bot.service.privacy_text(), ephemeral=True)

    @app_commands.command(name="forget-me", description="Delete everything Reelmate stored about you.")
    async def forget_me(self, interaction: discord.Interaction[ReelmateBot]) -> None:
        await interaction.response.send_message(
            "This deletes your requests and votes for good. Are you sure?",
            view=ConfirmForgetView(interaction.user.id),
            ephemeral=True,
        )


async def setup(bot: ReelmateBot) -> None:
    await bot.add_cog(PrivacyCog(bot))
