"""/retrain (admins only), /model and /feedback-stats.

`default_permissions` only hides /retrain from members without Manage Server in the client UI
(server admins can change that); the runtime check below is what actually protects it.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.tree import AdminOnly
from bot.views import card_to_embed
from recommender.events import EpochEvent, ErrorEvent, TrainingEvent

if TYPE_CHECKING:
    from bot.app import ReelmateBot

log = logging.getLogger(__name__)


def is_admin(interaction: discord.Interaction[ReelmateBot]) -> bool:
    """ADMIN_USER_IDS anywhere, or Manage Server in the guild where the command is used."""
    settings = interaction.client.settings
    if interaction.user.id in settings.admin_user_ids:
        return True
    if interaction.guild_id is not None and interaction.permissions.manage_guild:
        return True
    raise AdminOnly("Only Reelmate admins or members with the Manage Server permission can retrain the model.")


class RetrainStatus:
    """Edits the /retrain status message with progress, at most once per `interval` seconds."""

    def __init__(self, interaction: discord.Interaction[ReelmateBot], *, interval: float = 2.0) -> None:
        self.interaction = interaction
        self.interval = interval
        self.lines: list[str] = ["🛠️ Retraining started…"]
        self._last_edit = 0.0
        self.edits = 0

    async def update(self, event: TrainingEvent) -> None:
        if isinstance(event, ErrorEvent):
            return  # errors are reported once, privately, by the command (they may hold paths)
        if isinstance(event, EpochEvent) and self.lines and self.lines[-1].startswith("• epoch"):
            self.lines[-1] = f"• {event.describe()}"
        else:
            self.lines.append(f"• {event.describe()}")
        now = time.monotonic()
        if now - self._last_edit >= self.interval:
            await self._edit()

    async def finish(self, text: str) -> None:
        self.lines.append(text)
        await self._edit()

    async def _edit(self) -> None:
        self._last_edit = time.monotonic()
        content = render.clip("\n".join(self.lines[-15:]), 2000)
        try:
            await self.interaction.edit_original_response(content=content)
            self.edits += 1
        except discord.HTTPException as exc:  # e.g. the 15-minute interaction token expired
            log.warning("could not edit retrain status: %s", exc)


class AdminCog(commands.Cog):
    status_interval: float = 2.0

    def __init__(self, bot: ReelmateBot) -> None:
        self.bot = bot

    @app_commands.command(name="retrain", description="Retrain the recommendation model (admins).")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.check(is_admin)
    async def retrain(self, interaction: discord.Interaction[ReelmateBot]) -> None:
        service = self.bot.services.admin
        service.check_not_busy()
        await interaction.response.send_message("🛠️ Retraining started…")
        status = RetrainStatus(interaction, interval=self.status_interval)
        outcome = await service.retrain(
            requested_by=interaction.user.id, guild_id=interaction.guild_id, progress=status.update
        )
        if outcome.status == "failed":
            # The error text may name files and hosts: only the admin who asked sees it.
            await status.finish("❌ Retrain failed; I sent you the details privately. The current model keeps serving.")
            await interaction.followup.send(render.escape(outcome.message), ephemeral=True)
            return
        if outcome.failed_child:  # a new model serves, but the message quotes the child's error
            await status.finish(f"⚠️ The retrain process did not finish, but it had already activated model "
                                f"{render.escape(outcome.version or '')}, which now serves. I sent you the "
                                "details privately.")
            await interaction.followup.send(render.escape(outcome.message), ephemeral=True)
            return
        icon = "✅" if outcome.status == "succeeded" else "⚠️"
        await status.finish(f"{icon} {render.escape(outcome.message)}")

    @app_commands.command(name="model", description="The active model version and its figures.")
    async def model(self, interaction: discord.Interaction[ReelmateBot]) -> None:
        cards = await self.bot.services.admin.model_cards()  # "no model yet" before anything is answered
        await interaction.response.send_message(embeds=[card_to_embed(card) for card in cards])

    @app_commands.command(name="feedback-stats", description="Thumbs-up rate per model version.")
    async def feedback_stats(self, interaction: discord.Interaction[ReelmateBot]) -> None:
        cards = await self.bot.services.admin.stats_cards()  # per version, then per arm
        await interaction.response.send_message(embeds=[card_to_embed(card) for card in cards])


async def setup(bot: ReelmateBot) -> None:
    await bot.add_cog(AdminCog(bot))
