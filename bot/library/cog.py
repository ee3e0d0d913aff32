"""/library import, show and remove: a server's own titles (admins import and remove, anyone shows).

The admin check runs at call time (`default_permissions` only hides the commands in the client,
and server admins can change that). An import is deferred at once: reading, matching and embedding
a large export takes seconds, all of it in worker threads (`bot.library.service`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.library.service import LibraryError
from bot.tree import AdminOnly
from recommender.library import MAX_BYTES

if TYPE_CHECKING:
    from bot.app import ReelmateBot

log = logging.getLogger(__name__)


def library_admin(interaction: discord.Interaction[ReelmateBot]) -> bool:
    """In a server, by ADMIN_USER_IDS or a member with Manage Server."""
    if interaction.guild_id is None:
        raise AdminOnly("A library belongs to a server: use this command in one.")
    if interaction.user.id in interaction.client.settings.admin_user_ids or interaction.permissions.manage_guild:
        return True
    raise AdminOnly("Only Reelmate admins or members with the Manage Server permission can change the library.")


class LibraryCog(commands.GroupCog, group_name="library", group_description="This server's own titles."):
    def __init__(self, bot: ReelmateBot) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="import", description="Import the titles this server has (Jellyfin, Plex, "
                                                      "Letterboxd or IMDb export, or a list).")
    @app_commands.describe(file="A CSV, JSON or text export (up to 10,000 titles); it replaces the current library")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    @app_commands.check(library_admin)
    async def import_(self, interaction: discord.Interaction[ReelmateBot], file: discord.Attachment) -> None:
        await interaction.response.defer(thinking=True)
        if file.size > MAX_BYTES:
            await interaction.followup.send(f"Nothing was imported: the file is {file.size / 1e6:.1f} MB; a library "
                                            f"export may be at most {MAX_BYTES / 1e6:.0f} MB.")
            return
        raw = await file.read()
        assert interaction.guild_id is not None  # guild_only
        try:
            report = await self.bot.services.library.import_file(interaction.guild_id, raw)
        except LibraryError as exc:
            await interaction.followup.send(str(exc))
            return
        await interaction.followup.send(report.text())

    @app_commands.command(name="show", description="What this server's library holds.")
    @app_commands.guild_only()
    async def show(self, interaction: discord.Interaction[ReelmateBot]) -> None:
        assert interaction.guild_id is not None  # guild_only
        await interaction.response.send_message(await self.bot.services.library.show(interaction.guild_id),
                                                ephemeral=True)

    @app_commands.command(name="remove", description="Remove this server's library.")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    @app_commands.check(library_admin)
    async def remove(self, interaction: discord.Interaction[ReelmateBot]) -> None:
        assert interaction.guild_id is not None  # guild_only
        await interaction.response.send_message(await self.bot.services.library.remove(interaction.guild_id))


async def setup(bot: ReelmateBot) -> None:
    await bot.add_cog(LibraryCog(bot))
