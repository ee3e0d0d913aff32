"""Discord-side rendering and components: embeds from cards, vote buttons, did-you-mean, confirm.

The per-item vote buttons are `DynamicItem`s: their state (request, rank, value) lives in the
custom_id, so they keep working after a restart once the class is registered with
`bot.add_dynamic_items` (discord.py's views/dynamic_counter.py idiom).
"""

from __future__ import annotations

import logging
import re
import time
from typing import TYPE_CHECKING, Any

import discord

from bot import render
from bot.service import DOWN, UP, DidYouMean, Recommended
from bot.tree import describe_error, reply_ephemeral

if TYPE_CHECKING:
    from bot.app import ReelmateBot
    from bot.retrain import RetrainEvent

log = logging.getLogger(__name__)

THUMBS = {"👍": UP, "👎": DOWN}
VOTE_TEMPLATE = r"reelmate:vote:(?P<request>\d+):(?P<rank>\d+):(?P<value>up|down)"


def card_to_embed(card: render.Card) -> discord.Embed:
    embed = discord.Embed(title=card.title, description=card.description or None, color=card.color)
    for name, value in card.fields:
        embed.add_field(name=name, value=value or "—", inline=True)
    if card.footer:
        embed.set_footer(text=card.footer)
    return embed


def service_of(interaction: discord.Interaction) -> Any:
    bot: ReelmateBot = interaction.client  # type: ignore[assignment]
    return bot.service


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
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str], /
    ) -> ItemVoteButton:
        return cls(int(match["request"]), int(match["rank"]), match["value"])

    async def callback(self, interaction: discord.Interaction) -> None:
        value = UP if self.value == "up" else DOWN
        try:
            text = await service_of(interaction).vote_item(
                request_id=self.request_id, rank=self.rank, user_id=interaction.user.id, value=value
            )
        except Exception as exc:
            await component_error(interaction, exc)
            return
        await interaction.response.send_message(text, ephemeral=True)


def recommendation_view(outcome: Recommended) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for index, (rank, _title) in enumerate(outcome.vote_targets):
        row = index // 2
        view.add_item(ItemVoteButton(outcome.request_id, rank, "up", row=row))
        view.add_item(ItemVoteButton(outcome.request_id, rank, "down", row=row))
    return view


async def component_error(interaction: discord.Interaction, exc: BaseException) -> None:
    """The button counterpart of the tree's on_error: same wording, same logging."""
    message, is_bug = describe_error(exc)
    if is_bug:
        log.error("error in a component for user %s", interaction.user.id, exc_info=exc)
        message = "Sorry, something went wrong on my side. It has been logged."
    await reply_ephemeral(interaction, message)


async def run_recommend(
    interaction: discord.Interaction,
    *,
    query: str | None = None,
    item_id: int | None = None,
    k: int | None = None,
    content_type: str | None = None,
    language: str | None = None,
) -> None:
    """/recommend's flow, shared by the command and the did-you-mean buttons.

    Resolving is fast, so it happens first: a weak match is answered privately (the ephemeral flag
    must be chosen at the first response); a confident one defers publicly before the slower work.
    """
    service = service_of(interaction)
    service.check_options(k, content_type, language)
    if item_id is None:
        resolution = await service.resolve(query or "")
        if not getattr(resolution, "confident", False) or resolution.item is None:
            await send_did_you_mean(
                interaction, DidYouMean(query or "", list(resolution.candidates)[:5]), k, content_type, language
            )
            return
        item_id = resolution.item.item_id
    await interaction.response.defer(thinking=True)
    outcome = await service.recommend(
        user_id=interaction.user.id,
        guild_id=interaction.guild_id,
        channel_id=interaction.channel_id,
        query=query,
        item_id=item_id,
        k=k,
        content_type=content_type,
        language=language,
    )
    if isinstance(outcome, DidYouMean):  # only if the catalog changed under us (hot swap)
        await interaction.followup.send(outcome.text)
        return
    view = recommendation_view(outcome)
    message = await interaction.followup.send(embed=card_to_embed(outcome.card), view=view, wait=True)
    view.stop()  # the buttons are dispatched as dynamic items; no per-message view to keep in memory
    await service.attach_message(outcome.request_id, message.id)
    for emoji in THUMBS:
        try:
            await message.add_reaction(emoji)
        except discord.HTTPException as exc:  # e.g. missing Add Reactions permission: votes still work
            log.warning("could not add %s to message %s: %s", emoji, message.id, exc)


async def send_did_you_mean(
    interaction: discord.Interaction, dym: DidYouMean, k: int | None, content_type: str | None, language: str | None
) -> None:
    view = DidYouMeanView(interaction.user.id, dym, k=k, content_type=content_type, language=language)
    if view.children:
        await interaction.response.send_message(dym.text, view=view, ephemeral=True)
    else:
        await interaction.response.send_message(dym.text, ephemeral=True)


class DidYouMeanView(discord.ui.View):
    """Ephemeral choice buttons; a click runs the recommendation for that title."""

    def __init__(
        self, user_id: int, dym: DidYouMean, *, k: int | None, content_type: str | None, language: str | None
    ) -> None:
        super().__init__(timeout=300)
        self.user_id = user_id
        self.options = dict(k=k, content_type=content_type, language=language)
        for i, match in enumerate(dym.candidates[:5]):
            button = discord.ui.Button(
                label=render.clip(match.item.title, 80), style=discord.ButtonStyle.primary,
                custom_id=f"reelmate:dym:{interaction_nonce()}:{i}",
            )
            button.callback = self._make_callback(match.item.item_id, match.item.title)
            self.add_item(button)

    def _make_callback(self, item_id: int, title: str):
        async def callback(interaction: discord.Interaction) -> None:
            try:
                await run_recommend(interaction, query=title, item_id=item_id, **self.options)
            except Exception as exc:
                await component_error(interaction, exc)

        return callback

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return interaction.user.id == self.user_id


_nonce = 0


def interaction_nonce() -> str:
    """Unique custom_id part for short-lived views (ids must be unique within a message)."""
    global _nonce
    _nonce += 1
    return f"{int(time.time())}{_nonce}"


class ConfirmForgetView(discord.ui.View):
    """Confirm / Cancel for /forget-me; only the caller can press them."""

    def __init__(self, user_id: int) -> None:
        super().__init__(timeout=120)
        self.user_id = user_id

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return interaction.user.id == self.user_id

    @discord.ui.button(label="Delete my data", style=discord.ButtonStyle.danger, custom_id="reelmate:forget:yes")
    async def confirm(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        try:
            text = await service_of(interaction).forget(interaction.user.id)
        except Exception as exc:
            await component_error(interaction, exc)
            return
        self.stop()
        await interaction.response.edit_message(content=text, view=None)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary, custom_id="reelmate:forget:no")
    async def cancel(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.stop()
        await interaction.response.edit_message(content="Cancelled: nothing was deleted.", view=None)


class RetrainStatus:
    """Edits the /retrain status message with progress, at most once per `interval` seconds."""

    def __init__(self, interaction: discord.Interaction, *, interval: float = 2.0) -> None:
        self.interaction = interaction
        self.interval = interval
        self.lines: list[str] = ["🛠️ Retraining started…"]
        self._last_edit = 0.0
        self.edits = 0

    async def update(self, event: RetrainEvent) -> None:
        if event.kind == "epoch" and self.lines and self.lines[-1].startswith("• epoch"):
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
