"""👍/👎 reactions on recommendation messages, counted from raw gateway events, and the per-item
vote buttons (registered here as dynamic items, so they work on any message after a restart).

Raw events arrive for every message, cached or not, so reactions keep counting after a restart.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.errors import UserError
from bot.votes.buttons import THUMBS, ItemVoteButton
from bot.votes.reactions import RefusedReactions

if TYPE_CHECKING:
    from bot.app import ReelmateBot

log = logging.getLogger(__name__)


def reaction_vote(bot_user_id: int | None, payload: discord.RawReactionActionEvent) -> int | None:
    """+1/-1 for a user's 👍/👎, None for anything to ignore (other emoji, custom emoji, the bot)."""
    if bot_user_id is not None and payload.user_id == bot_user_id:
        return None
    if payload.emoji.id is not None:
        return None
    return THUMBS.get(payload.emoji.name or "")


class VotesCog(commands.Cog):
    def __init__(self, bot: ReelmateBot) -> None:
        self.bot = bot
        self.refused = RefusedReactions(bot)

    @commands.Cog.listener()
    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        value = reaction_vote(self.bot.own_id, payload)
        if value is None:
            return
        try:
            await self.bot.services.votes.vote_message(message_id=payload.message_id, user_id=payload.user_id,
                                                       value=value)
        except UserError as exc:  # not even journaled: the reaction must not stay as if counted
            await self.refused.take_back(payload, exc)

    @commands.Cog.listener()
    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        value = reaction_vote(self.bot.own_id, payload)
        if value is None or self.refused.caused_removal(payload):
            return
        try:
            await self.bot.services.votes.retract_message_vote(
                message_id=payload.message_id, user_id=payload.user_id, value=value
            )
        except UserError as exc:  # the reaction is gone and cannot be put back for the member
            log.warning("removal of %s by user %s on message %s not recorded: %s",
                        payload.emoji.name, payload.user_id, payload.message_id, exc)


async def setup(bot: ReelmateBot) -> None:
    await bot.add_cog(VotesCog(bot))
    bot.add_dynamic_items(ItemVoteButton)
