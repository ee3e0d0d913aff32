"""The vote controls on a recommendation: per-item 👍/👎 buttons and the reaction emojis.

The per-item vote buttons are `DynamicItem`s: their state (request, rank, value) lives in the
custom_id, so they keep working after a restart once the class is registered with
`bot.add_dynamic_items` (discord.py's views/dynamic_counter.py idiom; the votes extension's
`setup` registers it).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, cast

import discord

from bot.tree import reply_ephemeral, report_error
from bot.votes.service import DOWN, REJECTION_WATCH, UP, VOTE_WAIT, item_target, outcome_within
from feedback import VoteStatus

if TYPE_CHECKING:
    from bot.app import ReelmateBot

THUMBS = {"👍": UP, "👎": DOWN}
VOTE_TEMPLATE = r"reelmate:vote:(?P<request>\d+):(?P<rank>\d+):(?P<value>up|down)"


class ItemVoteButton(discord.ui.DynamicItem[discord.ui.Button], template=VOTE_TEMPLATE):
    """👍/👎 for one ranked item of one request; works on any message, cached or not."""

    def __init__(self, request_id: int, rank: int, value: str, *, row: int | None = None) -> None:
        self.request_id, self.rank, self.value = request_id, rank, value
        up = value == "up"
        super().__init__(
            discord.ui.Button(
                label=str(rank),
                emoji="👍" if up else "👎",
                style=discord.ButtonStyle.success if up else discord.ButtonStyle.secondary,
                custom_id=f"reelmate:vote:{request_id}:{rank}:{value}",
                row=row,
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ItemVoteButton:
        return cls(int(match["request"]), int(match["rank"]), match["value"])

    async def callback(self, interaction: discord.Interaction) -> None:
        """Journal the vote, answer (inside Discord's 3 s whatever the database does), then report
        a vote that turns out never to land (its request was deleted meanwhile)."""
        # DynamicItem.callback is typed for any client; only ReelmateBot registers this item.
        votes = cast("ReelmateBot", interaction.client).services.votes
        value = UP if self.value == "up" else DOWN
        target = item_target(self.request_id, self.rank)
        try:
            future = await votes.accept_item_vote(
                request_id=self.request_id, rank=self.rank, user_id=interaction.user.id, value=value
            )
            text = votes.vote_reply(await outcome_within(future, VOTE_WAIT), value, target)
        except Exception as exc:
            await component_error(interaction, exc)
            return
        await interaction.response.send_message(text, ephemeral=True)
        if future.done():
            return
        outcome = await outcome_within(future, REJECTION_WATCH)
        if outcome.status is VoteStatus.REJECTED:
            await reply_ephemeral(interaction, outcome.detail)


async def component_error(interaction: discord.Interaction, exc: BaseException) -> None:
    """For components outside a ReelmateView (dynamic items): the tree's wording and reference code."""
    await report_error(interaction, exc, where="component")
