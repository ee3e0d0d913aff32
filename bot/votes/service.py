"""Votes: 👍/👎 reactions on a recommendation message and the per-item buttons, journaled through
the vote outbox (durable first, written when the database can take it: never lost or doubled).

The outbox is opened once per process and shared: /recommend journals a request there when the
database is busy, seen marks go through it, /forget-me drains it first. Which messages are
recommendations is known here too (`attach_message`, `is_ours`), since only those count votes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from bot import render
from bot.errors import UserError
from bot.model import ModelHolder
from bot.privacy.registry import MemberData, PrivacyRegistry
from bot.settings import BotSettings
from bot.store import BotStore
from bot.votes.cache import VoteCache
from feedback import StoreError, StoreUnavailable, Vote, VoteKind, VoteOutbox, VoteOutcome, VoteStatus

log = logging.getLogger(__name__)

UP, DOWN = 1, -1
REACTION_WAIT = 2.0  # seconds a reaction listener waits for the database before leaving it to the outbox
VOTE_WAIT = 1.0  # ... a button or console vote (the reply must be inside Discord's 3 s)
REJECTION_WATCH = 14 * 60  # a button's follow-up token lives 15 minutes: report a late rejection within it
RECORD_WAIT = 0.5  # seconds a /recommend waits for the write lock before leaving its record to the outbox


def vote_value(word: str) -> int:
    """'up'/'down' (and the emoji) to +1/-1; anything else is a user error."""
    w = word.strip().lower()
    if w in ("up", "+1", "1", "👍", "yes", "good"):
        return UP
    if w in ("down", "-1", "👎", "no", "bad"):
        return DOWN
    raise UserError(f"A vote is `up` or `down`, not “{render.escape(render.clip(word, 20))}”.")


async def outcome_within(future: asyncio.Future[VoteOutcome], wait: float) -> VoteOutcome:
    """The vote's outcome if it is known within `wait` seconds, else QUEUED (it stays journaled)."""
    try:
        return await asyncio.wait_for(asyncio.shield(future), wait)
    except TimeoutError:
        return VoteOutcome(VoteStatus.QUEUED)


class VotesService:
    """The outbox, the recommendation messages, the votes, and the vote channel the ranking uses."""

    def __init__(self, settings: BotSettings, store: BotStore, model: ModelHolder, privacy: PrivacyRegistry) -> None:
        self.settings = settings
        self.store = store
        self.model = model
        self.outbox: VoteOutbox | None = None
        self._outbox_lock = asyncio.Lock()
        self.cache = VoteCache(store, settings.vote_refresh_seconds)
        self.quick_store = store.impatient(RECORD_WAIT)  # writes that must not hold up a reply
        self._attaching: set[asyncio.Future[None]] = set()  # lists being posted and attached
        model.on_serve(self.refresh_channel)
        privacy.register(MemberData("votes", {"message_votes": ("user_id",), "item_votes": ("user_id",)}))

    async def refresh_channel(self) -> None:
        """Rebuild the vote channel for the models now serving (both arms rank with the same votes)."""
        await self.cache.refresh(*self.model.serving_models())

    async def open_outbox(self) -> VoteOutbox:
        """The vote outbox beside the database, opened once; what a previous run left is replayed
        first (see feedback.outbox: votes are journaled, then written, never lost or doubled)."""
        async with self._outbox_lock:
            if self.outbox is None:
                outbox = await VoteOutbox.open(self.store, self.settings.outbox_path)
                await outbox.replay()
                self.outbox = outbox
            return self.outbox

    async def close(self) -> None:
        """Stop the vote refresh and the outbox writer; votes not yet written stay in its journal."""
        await self.cache.stop()
        if self.outbox is not None:
            outbox, self.outbox = self.outbox, None
            await outbox.close()

    async def submit(self, vote: Vote) -> asyncio.Future[VoteOutcome]:
        """Journal `vote` (durable when this returns); the future says how it ended."""
        outbox = await self.open_outbox()
        try:
            return await outbox.submit(vote)
        except StoreError as exc:  # not even the journal could take it: the voter must know
            raise UserError(str(exc)) from None

    # -- recommendation messages ---------------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def posting(self) -> AsyncIterator[None]:
        """Around posting a list and attaching its message: a reaction on a message not known yet
        waits for this (see is_ours), since a member may react before the bot has the message's id."""
        posted = asyncio.get_running_loop().create_future()
        self._attaching.add(posted)
        try:
            yield
        finally:
            self._attaching.discard(posted)
            posted.set_result(None)

    async def attach_message(self, request_id: int, message_id: int) -> None:
        """Remember the message a list was posted in; through the outbox when its request waits there
        or the database cannot take it now (reactions on it are accepted meanwhile)."""
        async with self.posting():
            await self._attach(request_id, message_id)

    async def _attach(self, request_id: int, message_id: int) -> None:
        outbox = self.outbox
        if outbox is None or not outbox.holds(request_id=request_id):
            try:
                await self.quick_store.attach_message(request_id, message_id)
                return
            except StoreUnavailable as exc:
                log.info("message %s of request %s kept in the outbox (%s)", message_id, request_id, exc)
            outbox = await self.open_outbox()
        try:  # user 0: the link holds nothing about a member
            await outbox.submit(Vote(kind=VoteKind.ATTACH, request_id=request_id, message_id=message_id,
                                     user_id=0, value=0))
        except StoreError as exc:
            log.warning("message %s of request %s not recorded (%s); reactions on it will be refused",
                        message_id, request_id, exc)

    async def is_ours(self, message_id: int) -> bool:
        """Is this a recommendation message (stored, or waiting in the outbox)? A reaction can arrive
        while the message of a list just posted is being attached: that attach is waited for first."""
        for attempt in range(2):
            if await self.store.is_recommendation_message(message_id) or (
                    self.outbox is not None and self.outbox.holds(message_id=message_id)):
                return True
            if attempt or not self._attaching:
                return False
            await asyncio.wait(list(self._attaching), timeout=2 * RECORD_WAIT)
        return False

    # -- votes ---------------------------------------------------------------------------------------
    async def vote_message(self, *, message_id: int, user_id: int, value: int,
                           wait: float = REACTION_WAIT) -> VoteOutcome:
        """A 👍/👎 on a recommendation message: journaled, then written (STORED, or QUEUED while
        the database cannot take it); REJECTED without journaling when the message is not ours."""
        return await self.reaction(VoteKind.MESSAGE, message_id, user_id, value, wait)

    async def retract_message_vote(self, *, message_id: int, user_id: int, value: int,
                                   wait: float = REACTION_WAIT) -> VoteOutcome:
        return await self.reaction(VoteKind.RETRACT_MESSAGE, message_id, user_id, value, wait)

    async def reaction(self, kind: VoteKind, message_id: int, user_id: int, value: int, wait: float) -> VoteOutcome:
        """Reactions on messages that are not recommendations are normal in a channel: they are
        skipped after one read (reads work while another process holds the write lock)."""
        try:
            ours = await self.is_ours(message_id)
        except StoreError as exc:  # cannot tell now: keep the vote, the outbox decides later
            log.warning("could not check message %s (%s); keeping the vote", message_id, exc)
            ours = True
        if not ours:
            log.debug("reaction on %s ignored: not a recommendation message", message_id)
            return VoteOutcome(VoteStatus.REJECTED, f"{message_id} is not a recommendation request or message.")
        outbox = await self.open_outbox()
        try:
            return await outbox.record(Vote(kind=kind, message_id=message_id, user_id=user_id, value=value), wait=wait)
        except StoreError as exc:  # not even the journal could take it: the voter must know, as for buttons
            raise UserError(str(exc)) from None

    async def accept_item_vote(self, *, request_id: int, rank: int, user_id: int, value: int
                               ) -> asyncio.Future[VoteOutcome]:
        """Journal a per-item vote (durable when this returns); the future says how it ended."""
        return await self.submit(Vote(kind=VoteKind.ITEM, request_id=request_id, rank=rank, user_id=user_id,
                                      value=value))

    async def vote_item(self, *, request_id: int, rank: int, user_id: int, value: int,
                        wait: float = VOTE_WAIT) -> str:
        """A per-item vote; returns the confirmation shown to the voter (UserError if it can never land)."""
        future = await self.accept_item_vote(request_id=request_id, rank=rank, user_id=user_id, value=value)
        outcome = await outcome_within(future, wait)
        return self.vote_reply(outcome, value, item_target(request_id, rank))

    def vote_reply(self, outcome: VoteOutcome, value: int, target: str) -> str:
        """What the voter is told: stored, kept for later (with the reason), or why it was refused."""
        if outcome.status is VoteStatus.REJECTED:
            raise UserError(outcome.detail)
        emoji = "👍" if value == UP else "👎"
        text = f"Thanks! Recorded {emoji} for {target}."
        if outcome.status is VoteStatus.QUEUED:
            problem = self.outbox.last_problem if self.outbox is not None else ""
            reason = problem or "it is busy: another process holds its write lock"
            text += (f" The feedback database cannot take it right now ({reason}), so it is kept safe in "
                     "the outbox and will be written as soon as it can.")
        return text


def item_target(request_id: int, rank: int) -> str:
    """How a per-item vote names what it is on, in every reply."""
    return f"recommendation #{rank} of request {request_id}"
