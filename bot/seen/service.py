""""Seen it" without Discord: /seen title, 👀 on a recommendation message, and the Seen it picker.

A member's later lists skip what they marked (see `bot.recommend.personal`). Marks from reactions
and buttons go through the vote outbox, so a busy database loses none; /seen writes directly and
says so if it cannot.
"""

from __future__ import annotations

import asyncio

from bot import render
from bot.errors import UserError
from bot.privacy.registry import MemberData, PrivacyRegistry
from bot.recommend.service import DidYouMean, RecommendService
from bot.store import BotStore
from bot.votes.service import REACTION_WAIT, UP, VOTE_WAIT, VotesService, outcome_within
from feedback import StoreError, Vote, VoteKind, VoteOutcome, VoteStatus


class SeenService:
    """Seen marks: by title, by reaction on a list, by rank in a list."""

    def __init__(self, store: BotStore, recommend: RecommendService, votes: VotesService,
                 privacy: PrivacyRegistry) -> None:
        self.store = store
        self.recommend = recommend
        self.votes = votes
        privacy.register(MemberData("seen", {"seen_marks": ("user_id",)}))

    async def seen_reaction(self, *, message_id: int, user_id: int, added: bool,
                            wait: float = REACTION_WAIT) -> VoteOutcome:
        """👀 on a recommendation message: every title of that list is seen (removing it unmarks them).
        Journaled through the outbox like a vote, so a busy database loses nothing."""
        kind = VoteKind.SEEN_MESSAGE if added else VoteKind.UNSEEN_MESSAGE
        return await self.votes.reaction(kind, message_id, user_id, 1, wait)

    async def accept_seen_item(self, *, request_id: int, rank: int, user_id: int) -> asyncio.Future[VoteOutcome]:
        """"Seen it" on one ranked title: journaled (durable when this returns); the future says how it ended."""
        return await self.votes.submit(Vote(kind=VoteKind.SEEN_ITEM, request_id=request_id, rank=rank,
                                            user_id=user_id, value=UP))

    async def mark_seen_items(self, *, request_id: int, ranks: list[int], user_id: int) -> None:
        """Titles picked by rank from one list (the picker, the console's /seen-item); UserError if
        one can never land (its request is gone)."""
        outcomes = []
        for rank in ranks:
            future = await self.accept_seen_item(request_id=request_id, rank=rank, user_id=user_id)
            outcomes.append(await outcome_within(future, VOTE_WAIT))
        rejected = [o.detail for o in outcomes if o.status is VoteStatus.REJECTED]
        if rejected:
            raise UserError(rejected[0])

    async def shown_titles(self, request_id: int) -> list[tuple[int, str]]:
        """(rank, title) of one list: what the picker offers."""
        try:
            return await self.store.shown_titles(request_id)
        except StoreError as exc:
            raise UserError(str(exc)) from None

    async def mark_seen(self, *, user_id: int, query: str | None, item_id: int | None = None) -> str | DidYouMean:
        """/seen title: resolve like /recommend, then mark it; a weak match asks "did you mean"."""
        recommend = self.recommend
        resolution = (recommend.resolve_id(item_id, query) if item_id is not None
                      else await recommend.resolve(query, command="/seen"))
        if not resolution.confident or resolution.item is None:
            return DidYouMean.from_resolution(resolution)
        item = resolution.item
        try:
            new = await self.store.mark_seen(user_id=user_id, item_id=item.item_id, title=item.title[:500])
        except StoreError as exc:
            raise UserError(f"Not marked: {exc}") from None
        title = render.escape(render.clip(item.title, 100))
        if not new:
            return f"👀 You had already marked **{title}** as seen; it stays out of your lists."
        return f"👀 Marked **{title}** as seen: your next lists will skip it."
