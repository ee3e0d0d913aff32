"""A reaction whose vote could not even be journaled (a full disk): take it back off the message.

Why: Discord shows a reaction whether or not the bot counted it, so a 👍 left in place after its
vote was refused reads as counted. The bot removes it (this needs the Manage Messages permission)
and logs the reason; Discord then sends the removal as an event, which must not be taken for the
member retracting a vote.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

if TYPE_CHECKING:
    from bot.app import ReelmateBot

log = logging.getLogger(__name__)

_Key = tuple[int, int, str]  # (message, member, emoji)


class RefusedReactions:
    """Takes refused reactions back and recognises the removal events that causes."""

    def __init__(self, bot: ReelmateBot) -> None:
        self.bot = bot
        self._taking_back: set[_Key] = set()

    async def take_back(self, payload: discord.RawReactionActionEvent, reason: Exception) -> None:
        key = _key(payload)
        log.warning("reaction %s of user %s on message %s refused (%s); removing it",
                    payload.emoji.name, payload.user_id, payload.message_id, reason)
        self._taking_back.add(key)
        message = self.bot.get_partial_messageable(payload.channel_id).get_partial_message(payload.message_id)
        try:
            await message.remove_reaction(payload.emoji, discord.Object(payload.user_id))
        except discord.HTTPException as exc:  # no Manage Messages, or the message is gone
            self._taking_back.discard(key)
            log.warning("could not remove the refused reaction on message %s: %s", payload.message_id, exc)

    def caused_removal(self, payload: discord.RawReactionActionEvent) -> bool:
        """True (once) for the removal event of a reaction this took back."""
        key = _key(payload)
        if key in self._taking_back:
            self._taking_back.discard(key)
            return True
        return False


def _key(payload: discord.RawReactionActionEvent) -> _Key:
    return payload.message_id, payload.user_id, payload.emoji.name or ""
