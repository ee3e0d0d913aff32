"""/retrain (admins only) and /model.

`default_permissions` only hides /retrain from members without Manage Server in the client UI
(server admins can change that); the runtime check below is what actually protects it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.service import RetrainBusy
from bot.tree import AdminOnly
from bot.ui import RetrainStatus, card_to_embed

if TYPE_CHECKING:
    from bot.app import ReelmateBot


def is_admin(interaction: discord.Interaction) -> bool:
    """ADMIN_USER_IDS anywhere, or Manage Server in the guild where the command is used."""
    settings = interaction.client.settings  # type: ignore[attr-defined]
    if interaction.user.id in settings.admin_user_ids:
        return True
    if interaction.guild_id is not None and interaction.permissions.manage_guild:
        return True
    raise AdminOnly("Only Reelmate admins or members with the Manage Server permission can retrain the model.")


class AdminCog(commands.Cog):
    status_interval: float = 2.0

    def __init__(self, bot: ReelmateBot) -> None:
        self.bot = bot

    @app_commands.command(name="retrain", description="Retrain the recommendation model (admins).")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.check(is_admin)
    async def retrain(self, interaction: discord.Interaction) -> None:
        service = self.bot.service
        if service.retrain_running:
            raise RetrainBusy("A retrain is already running; I'll keep using the current model until it ends.")
        await interaction.response.send_message("🛠️ Retraining started…")
        status = RetrainStatus(interaction, interval=self.status_interval)
        outcome = await service.retrain(
            requested_by=interaction.user.id, guild_id=interaction.guild_id, progress=status.update
        )
        icon = {"succeeded": "✅", "rejected": "⚠️"}.get(outcome.status, "❌")
        await status.finish(f"{icon} {outcome.message}")

    @app_commands.command(name="model", description="The active model version and its figures.")
    async def model(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(embed=card_to_embed(self.bot.service.model_card()))


async def setup(bot: ReelmateBot) -> None:
    await bot.add_cog(AdminCog(bot))
