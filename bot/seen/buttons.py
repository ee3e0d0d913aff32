"""The "Seen it" button on a recommendation, and the private picker it opens.

The button is a `DynamicItem` (request id in its custom_id, like the vote buttons in `bot.votes`),
so it works on any recommendation message after a restart; the seen cog registers it. A click
answers privately with a multi-select of that list's titles; each title picked is journaled through
the vote outbox (durable, idempotent) and skipped in the member's later lists.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, cast

import discord

from bot import render
from bot.errors import UserError
from bot.tree import report_error
from bot.views import ReelmateView

if TYPE_CHECKING:
    from bot.app import ReelmateBot

SEEN_TEMPLATE = r"reelmate:seen:(?P<request>\d+)"
SEEN_EMOJI = "👀"


class SeenPicker(ReelmateView):
    """Ephemeral: pick the titles of one list you have already seen."""

    def __init__(self, request_id: int, titles: list[tuple[int, str]]) -> None:
        super().__init__(timeout=300)
        self.request_id = request_id
        select: discord.ui.Select[SeenPicker] = discord.ui.Select(
            placeholder="Titles you have already seen",
            min_values=1, max_values=len(titles),
            options=[discord.SelectOption(label=render.clip(f"{rank}. {title}", 100), value=str(rank))
                     for rank, title in titles[:25]],
        )
        select.callback = self._picked  # type: ignore[method-assign]
        self.select = select
        self.add_item(select)

    async def _picked(self, interaction: discord.Interaction) -> None:
        seen = cast("ReelmateBot", interaction.client).services.seen
        ranks = [int(value) for value in self.select.values]
        await seen.mark_seen_items(request_id=self.request_id, ranks=ranks, user_id=interaction.user.id)
        await interaction.response.send_message(
            f"👀 Marked {len(ranks)} title(s) as seen: your next lists will skip them.", ephemeral=True
        )


class SeenButton(discord.ui.DynamicItem[discord.ui.Button], template=SEEN_TEMPLATE):
    """Opens the picker for one request's list."""

    def __init__(self, request_id: int, *, row: int | None = None) -> None:
        self.request_id = request_id
        super().__init__(discord.ui.Button(label="Seen it", emoji=SEEN_EMOJI, style=discord.ButtonStyle.secondary,
                                           custom_id=f"reelmate:seen:{request_id}", row=row))

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> SeenButton:
        return cls(int(match["request"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        seen = cast("ReelmateBot", interaction.client).services.seen
        try:
            titles = await seen.shown_titles(self.request_id)
        except UserError as exc:
            await report_error(interaction, exc, where="component reelmate:seen")
            return
        await interaction.response.send_message("Which of these have you already seen?",
                                                view=SeenPicker(self.request_id, titles), ephemeral=True)
