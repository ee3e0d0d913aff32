"""/privacy (what is stored about the caller; `export:True` sends it as JSON) and /forget-me
(delete it, after a confirm button)."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.privacy.service import CONFIRM
from bot.views import ReelmateView

if TYPE_CHECKING:
    from bot.app import ReelmateBot


class PrivacyCog(commands.Cog):
    def __init__(self, bot: ReelmateBot) -> None:
        self.bot = bot

    @app_commands.command(name="privacy", description="What Reelmate stores about you.")
    @app_commands.describe(export="Send everything stored about you as a JSON file")
    async def privacy(self, interaction: discord.Interaction[ReelmateBot], export: bool = False) -> None:
        service = self.bot.services.privacy
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
            f"{CONFIRM} Are you sure?",
            view=ConfirmForgetView(interaction.user.id),
            ephemeral=True,
        )


async def setup(bot: ReelmateBot) -> None:
    await bot.add_cog(PrivacyCog(bot))


class ConfirmForgetView(ReelmateView):
    """Confirm / Cancel for /forget-me; only the caller can press them."""

    def __init__(self, user_id: int) -> None:
        super().__init__(timeout=120)
        self.user_id = user_id

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return interaction.user.id == self.user_id

    @discord.ui.button(label="Delete my data", style=discord.ButtonStyle.danger, custom_id="reelmate:forget:yes")
    async def confirm(self, interaction: discord.Interaction[ReelmateBot], button: discord.ui.Button) -> None:
        self.stop()
        # Answer first: forgetting waits for the caller's queued votes, which may outlast 3 s.
        await interaction.response.edit_message(content="Deleting your data…", view=None)
        text = await interaction.client.services.privacy.forget(interaction.user.id)  # failures: ReelmateView.on_error
        await interaction.edit_original_response(content=text)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary, custom_id="reelmate:forget:no")
    async def cancel(self, interaction: discord.Interaction[ReelmateBot], button: discord.ui.Button) -> None:
        self.stop()
        await interaction.response.edit_message(content="Cancelled: nothing was deleted.", view=None)
