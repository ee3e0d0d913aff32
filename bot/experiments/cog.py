"""/experiment start|stop|status: A/B between the serving model and another version (admins).

`default_permissions` only hides the group from members without Manage Server in the client UI;
the runtime check on every subcommand is what protects it (status is for everyone).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.admin.cog import is_admin
from bot.experiments.service import NO_EXPERIMENT
from bot.tree import AdminOnly
from bot.views import card_to_embed

if TYPE_CHECKING:
    from bot.app import ReelmateBot


def experiment_admin(interaction: discord.Interaction[ReelmateBot]) -> bool:
    """The /retrain rule (ADMIN_USER_IDS, or Manage Server here), with its own wording."""
    try:
        return is_admin(interaction)
    except AdminOnly:
        raise AdminOnly("Only Reelmate admins or members with the Manage Server permission can start or stop "
                        "experiments.") from None


class ExperimentCog(commands.GroupCog, group_name="experiment",
                    group_description="A/B test a model version on part of the members."):
    def __init__(self, bot: ReelmateBot) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="start", description="Serve a model version to a share of members (admins).")
    @app_commands.describe(version="A trained model version (see /model)", share="Percent of members, 1-99")
    @app_commands.check(experiment_admin)
    async def start(self, interaction: discord.Interaction[ReelmateBot], version: str,
                    share: app_commands.Range[int, 1, 99]) -> None:
        await interaction.response.defer(thinking=True)  # loading the challenger can take a moment
        text = await self.bot.services.experiments.start(version=version, share=share,
                                                        started_by=interaction.user.id)
        await interaction.followup.send(text)

    @app_commands.command(name="stop", description="Stop the running experiment (admins).")
    @app_commands.check(experiment_admin)
    async def stop(self, interaction: discord.Interaction[ReelmateBot]) -> None:
        await interaction.response.send_message(await self.bot.services.experiments.stop())

    @app_commands.command(name="status", description="Both arms of the experiment: votes, rates, verdict.")
    async def status(self, interaction: discord.Interaction[ReelmateBot]) -> None:
        card = await self.bot.services.experiments.card()
        if card is None:
            await interaction.response.send_message(NO_EXPERIMENT, ephemeral=True)
            return
        await interaction.response.send_message(embed=card_to_embed(card))


async def setup(bot: ReelmateBot) -> None:
    await bot.add_cog(ExperimentCog(bot))
