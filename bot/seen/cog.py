""""Seen it": /seen title, the 👀 reaction on a recommendation message, and the Seen it button.

A member's later lists skip what they marked (see `bot.recommend.personal`). Marks from reactions and buttons
go through the vote outbox, so a busy database loses none; /seen writes directly and says so if it
cannot. Raw reaction events arrive for every message, cached or not, so 👀 works after a restart.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import UserError
from bot.recommend.service import DidYouMean
from bot.seen.buttons import SEEN_EMOJI, SeenButton
from bot.votes.reactions import RefusedReactions

if TYPE_CHECKING:
    from bot.app import ReelmateBot

log = logging.getLogger(__name__)


def is_seen_reaction(bot_user_id: int | None, payload: discord.RawReactionActionEvent) -> bool:
    """A member's 👀 (not the bot's own, not a custom emoji)."""
    if bot_user_id is not None and payload.user_id == bot_user_id:
        return False
    return payload.emoji.id is None and payload.emoji.name == SEEN_EMOJI


class SeenCog(commands.Cog):
    def __init__(self, bot: ReelmateBot) -> None:
        self.bot = bot
        self.refused = RefusedReactions(bot)

    @commands.Cog.listener()
    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        if not is_seen_reaction(self.bot.own_id, payload):
            return
        try:
            await self.bot.services.seen.seen_reaction(message_id=payload.message_id, user_id=payload.user_id,
                                                       added=True)
        except UserError as exc:  # not even journaled: the 👀 must not stay as if counted
            await self.refused.take_back(payload, exc)

    @commands.Cog.listener()
    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        if not is_seen_reaction(self.bot.own_id, payload) or self.refused.caused_removal(payload):
            return
        try:
            await self.bot.services.seen.seen_reaction(message_id=payload.message_id, user_id=payload.user_id,
                                                       added=False)
        except UserError as exc:  # the reaction is gone and cannot be put back for the member
            log.warning("removal of 👀 by user %s on message %s not recorded: %s",
                        payload.user_id, payload.message_id, exc)

    @app_commands.command(name="seen", description="Mark a title as already seen: your lists will skip it.")
    @app_commands.describe(title="A show or movie you have seen (start typing for suggestions)")
    async def seen(self, interaction: discord.Interaction[ReelmateBot], title: str) -> None:
        answer = await self.bot.services.seen.mark_seen(user_id=interaction.user.id, query=title)
        text = answer.text if isinstance(answer, DidYouMean) else answer
        await interaction.response.send_message(text, ephemeral=True)

    @seen.autocomplete("title")
    async def title_autocomplete(
        self, interaction: discord.Interaction[ReelmateBot], current: str
    ) -> list[app_commands.Choice[str]]:
        pairs = await self.bot.services.recommend.autocomplete(current)
        return [app_commands.Choice(name=name, value=value) for name, value in pairs]


async def setup(bot: ReelmateBot) -> None:
    await bot.add_cog(SeenCog(bot))
    bot.add_dynamic_items(SeenButton)
