"""/recommend with title autocomplete, filters and a per-user cooldown, and its did-you-mean buttons.

The list is posted with the per-item vote buttons (`bot.votes`) and the "Seen it" button
(`bot.seen`); those extensions register them as dynamic items, so they work on any recommendation
message, even after a restart.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.errors import UserError
from bot.library.service import NO_LIBRARY
from bot.recommend.service import DidYouMean, Recommended
from bot.seen.buttons import SeenButton
from bot.settings import K_CEILING
from bot.views import ReelmateView, card_to_embed
from bot.votes.buttons import THUMBS, ItemVoteButton

if TYPE_CHECKING:
    from bot.app import ReelmateBot
    from recommender.serving import Resolution

log = logging.getLogger(__name__)


def user_cooldown(interaction: discord.Interaction[ReelmateBot]) -> app_commands.Cooldown | None:
    """COOLDOWN_RATE calls per COOLDOWN_PER seconds per user (read at call time from the settings)."""
    settings = interaction.client.settings
    return app_commands.Cooldown(settings.cooldown_rate, settings.cooldown_per)


async def run_recommend(
    interaction: discord.Interaction[ReelmateBot],
    *,
    query: str | None = None,
    item_id: int | None = None,
    k: int | None = None,
    content_type: str | None = None,
    language: str | None = None,
    source: str | None = None,
) -> None:
    """/recommend's flow, shared by the command and the did-you-mean buttons.

    The title is resolved once, and fast, so that happens first: a weak match is answered privately
    (the ephemeral flag must be chosen at the first response); a confident one defers publicly and
    the same resolution is recommended from.
    """
    services = interaction.client.services
    service = services.recommend
    resolution = await service.resolve_options(query, item_id, k, content_type, language)
    if not resolution.confident:
        await send_did_you_mean(interaction, resolution, k=k, content_type=content_type, language=language,
                                source=source)
        return
    if source == "library" and not await services.library.available(interaction.guild_id):
        raise UserError(NO_LIBRARY)  # answered privately, before the public "thinking…"
    await interaction.response.defer(thinking=True)
    outcome = await service.recommend_resolved(
        resolution,
        user_id=interaction.user.id,
        guild_id=interaction.guild_id,
        channel_id=interaction.channel_id,
        k=k,
        content_type=content_type,
        language=language,
        source=source,
    )
    view = recommendation_view(outcome)
    async with services.votes.posting():  # a reaction before the message is attached waits for it
        message = await interaction.followup.send(embed=card_to_embed(outcome.card), view=view, wait=True)
        view.stop()  # the buttons are dispatched as dynamic items; no per-message view to keep in memory
        await services.votes.attach_message(outcome.request_id, message.id)
    others = outcome.other_works
    if others is not None:  # other works under the typed name: one click away, privately
        await interaction.followup.send(others.text, view=DidYouMeanView(interaction.user.id, others, k=k,
                                        content_type=content_type, language=language, source=source),
                                        ephemeral=True)
    for emoji in THUMBS:
        try:
            await message.add_reaction(emoji)
        except discord.HTTPException as exc:  # e.g. missing Add Reactions permission: votes still work
            log.warning("could not add %s to message %s: %s", emoji, message.id, exc)


def recommendation_view(outcome: Recommended) -> discord.ui.View:
    """👍/👎 per item (two a row) and "Seen it" under a list."""
    view = discord.ui.View(timeout=None)
    row = 0
    for index, (rank, _title) in enumerate(outcome.vote_targets):
        row = index // 2
        view.add_item(ItemVoteButton(outcome.request_id, rank, "up", row=row))
        view.add_item(ItemVoteButton(outcome.request_id, rank, "down", row=row))
    view.add_item(SeenButton(outcome.request_id, row=row))  # a row holds 5 buttons: the last has room
    return view


async def send_did_you_mean(
    interaction: discord.Interaction[ReelmateBot], resolution: Resolution, **options: str | int | None
) -> None:
    dym = DidYouMean.from_resolution(resolution)
    view = DidYouMeanView(interaction.user.id, dym, **options)
    if view.children:
        await interaction.response.send_message(dym.text, view=view, ephemeral=True)
    else:
        await interaction.response.send_message(dym.text, ephemeral=True)


class DidYouMeanView(ReelmateView):
    """Ephemeral choice buttons; a click runs the recommendation for that title."""

    def __init__(self, user_id: int, dym: DidYouMean, **options: str | int | None) -> None:
        super().__init__(timeout=300)
        self.user_id = user_id
        self.options = options
        for match in dym.candidates:
            button: discord.ui.Button[DidYouMeanView] = discord.ui.Button(
                label=render.clip(match.item.title, 80), style=discord.ButtonStyle.primary
            )
            button.callback = self._make_callback(match.item.item_id, match.item.title)  # type: ignore[method-assign]
            self.add_item(button)

    def _make_callback(self, item_id: int, title: str):
        async def callback(interaction: discord.Interaction[ReelmateBot]) -> None:
            await run_recommend(interaction, query=title, item_id=item_id, **self.options)  # type: ignore[arg-type]

        return callback

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return interaction.user.id == self.user_id


class RecommendCog(commands.Cog):
    def __init__(self, bot: ReelmateBot) -> None:
        self.bot = bot

    @app_commands.command(name="recommend", description="Shows and movies similar to one you liked.")
    @app_commands.describe(
        title="A show or movie (start typing for suggestions)",
        k="How many recommendations (default 5)",
        type="Only shows or only movies",
        language="Only titles in this language",
        source="all (default; this server's titles marked 📚) or library (only this server's titles)",
    )
    @app_commands.rename(source="from")
    @app_commands.checks.dynamic_cooldown(user_cooldown)
    async def recommend(
        self,
        interaction: discord.Interaction[ReelmateBot],
        title: str,
        k: app_commands.Range[int, 1, K_CEILING] | None = None,
        type: Literal["Show", "Movie"] | None = None,
        language: str | None = None,
        source: Literal["all", "library"] | None = None,
    ) -> None:
        await run_recommend(interaction, query=title, k=k, content_type=type, language=language, source=source)

    @recommend.autocomplete("title")
    async def title_autocomplete(
        self, interaction: discord.Interaction[ReelmateBot], current: str
    ) -> list[app_commands.Choice[str]]:
        pairs = await self.bot.services.recommend.autocomplete(current)
        return [app_commands.Choice(name=name, value=value) for name, value in pairs]

    @recommend.autocomplete("language")
    async def language_autocomplete(
        self, interaction: discord.Interaction[ReelmateBot], current: str
    ) -> list[app_commands.Choice[str]]:
        languages = self.bot.services.recommend.language_choices(current)
        return [app_commands.Choice(name=lang, value=lang) for lang in languages]


async def setup(bot: ReelmateBot) -> None:
    await bot.add_cog(RecommendCog(bot))
