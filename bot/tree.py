"""One error handler for every slash command and component.

Whatever fails (cooldown, a failed check, a bad title, a bug) the user gets a clear ephemeral reply
instead of Discord's "This interaction failed", and the log gets one line (with the traceback only
for real bugs). Nothing from the exception text of a bug reaches the channel: only a short reference.
"""

from __future__ import annotations

import logging
import secrets

import discord
from discord import app_commands

from bot.errors import UserError
from bot.render import escape
from feedback import StoreError

log = logging.getLogger(__name__)


def describe_error(error: BaseException) -> tuple[str, bool]:
    """(user-facing message, is_bug). Pure so that it is testable without Discord."""
    original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
    if isinstance(original, UserError):
        return str(original), False
    try:
        from recommender.serving import QueryError

        if isinstance(original, QueryError):
            return str(original), False
    except ImportError:  # pragma: no cover - serving always exists in a built tree
        pass
    if isinstance(original, StoreError):  # anticipated by the store, and worded for people
        return str(original), False
    if isinstance(original, app_commands.CommandOnCooldown):
        return f"Slow down a little: you can ask again in {original.retry_after:.0f} s.", False
    if isinstance(original, app_commands.MissingPermissions | app_commands.CheckFailure):
        msg = str(original) if type(original) is AdminOnly else ""
        return msg or "You are not allowed to use this command here.", False
    if isinstance(original, app_commands.TransformerError):
        return f"I couldn't understand “{escape(str(original.value)[:50])}” for that option.", False
    if isinstance(original, app_commands.CommandNotFound):
        return "That command no longer exists; Discord may still be updating the command list.", False
    return "", True


class AdminOnly(app_commands.CheckFailure):
    """Raised by the admin check; its message is shown to the user."""


class ReelmateTree(app_commands.CommandTree):
    """A CommandTree whose on_error always answers the user."""

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        command = interaction.command.qualified_name if interaction.command else "?"
        await report_error(interaction, error, where=f"/{command}")


async def report_error(interaction: discord.Interaction, error: BaseException, *, where: str) -> None:
    """The one reply to a failure, for commands and components alike.

    A user error is shown as is and logged in one line; a bug is logged with its traceback under a
    short reference the user can quote, and nothing of its text reaches the channel.
    """
    message, is_bug = describe_error(error)
    if is_bug:
        ref = secrets.token_hex(3)
        log.error("error %s in %s for user %s", ref, where, interaction.user.id, exc_info=error)
        message = f"Sorry, something went wrong on my side (reference `{ref}`). It has been logged."
    else:
        log.info("%s refused for user %s: %s", where, interaction.user.id, message)
    await reply_ephemeral(interaction, message)


async def reply_ephemeral(interaction: discord.Interaction, message: str) -> None:
    """Answer whether or not the interaction was already responded to (or deferred)."""
    if interaction.type is discord.InteractionType.autocomplete:
        return  # autocomplete cannot carry a message; its failure is logged
    try:
        if interaction.response.is_done():
            await interaction.followup.send(message, ephemeral=True)
        else:
            await interaction.response.send_message(message, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not deliver an error reply for interaction %s", interaction.id)
