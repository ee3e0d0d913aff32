"""The base of every Reelmate view, and the Discord embed built from a render.Card.

A failing button answers exactly like a failing slash command (same wording, same reference code in
the log), because `ReelmateView.on_error` and the tree's `on_error` share `report_error`.
"""

from __future__ import annotations

from typing import Any

import discord

from bot import render
from bot.tree import report_error


class ReelmateView(discord.ui.View):
    """A View whose item failures reach the user as an ephemeral reply instead of a silent log line."""

    async def on_error(self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any], /) -> None:
        where = f"component {getattr(item, 'custom_id', None) or type(item).__name__}"
        await report_error(interaction, error, where=where)


def card_to_embed(card: render.Card) -> discord.Embed:
    embed = discord.Embed(title=card.title, description=card.description or None, color=card.color)
    for name, value in card.fields:
        embed.add_field(name=name, value=value or "—", inline=True)
    if card.footer:
        embed.set_footer(text=card.footer)
    return embed
