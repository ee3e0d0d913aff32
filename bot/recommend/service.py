"""/recommend without Discord: resolving the typed title, autocomplete, did-you-mean, the list and
its card, and recording the request.

Every method keeps the event loop free: the recommender (CPU-bound numpy/rapidfuzz) runs in
`asyncio.to_thread`. A request that the database cannot take at once is journaled in the vote
outbox under an id chosen now, so the list is answered and votes on it land after it.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass
from typing import Any

from bot import render
from bot.errors import UserError
from bot.experiments.arms import Arm
from bot.experiments.service import ExperimentsService
from bot.library.service import NO_LIBRARY, LibraryService
from bot.model import ModelHolder
from bot.privacy.registry import MemberData, PrivacyRegistry
from bot.recommend.personal import Personal, personal_list
from bot.settings import BotSettings
from bot.store import BotStore
from bot.votes.service import VotesService
from feedback import StoreError, StoreUnavailable, Vote, VoteKind
from feedback.requests import provisional_request_id
from recommender.matching import MAX_QUERY_LENGTH
from recommender.serving import Match, QueryError, RecommendationResult, Recommender, Resolution

log = logging.getLogger(__name__)

AUTOCOMPLETE_LIMIT = 25
CHOICE_LIMIT = 100  # Discord: choice name and string value are at most 100 characters
DID_YOU_MEAN_LIMIT = 5
ITEM_VOTE_LIMIT = 10  # 2 buttons per item, 5 rows of 4 buttons: 10 items fit in one message
_ID_QUERY = re.compile(r"^#(\d{1,12})$")


@dataclass(frozen=True)
class Recommended:
    """A confident match answered with recommendations (already recorded in the store)."""

    result: RecommendationResult
    request_id: int
    latency_ms: float
    resolution: Resolution  # how the typed title was resolved (the one resolution of this request)
    owned: frozenset[int] = frozenset()  # listed ids the server's library has (marked in the list)
    library_only: bool = False  # `from:library`: every title is the server's

    @property
    def card(self) -> render.Card:
        return self.card_for(console=False)

    def card_for(self, *, console: bool) -> render.Card:
        """The answer's card; the console's says nothing of reactions it cannot make."""
        return render.recommendation_card(self.result, self.request_id, note=self.resolution.note,
                                          alternatives=self.resolution.alternatives, owned=self.owned,
                                          library_only=self.library_only,
                                          vote_hint="" if console else render.VOTE_HINT)

    @property
    def other_works(self) -> DidYouMean | None:
        """The other works carrying the typed name, offered after the answer (None if there are none)."""
        return DidYouMean.other_works(self.resolution)

    @property
    def vote_targets(self) -> list[tuple[int, str]]:
        """(rank, title) of the items that get per-item vote buttons."""
        return [(r.rank, r.item.title) for r in self.result.items[:ITEM_VOTE_LIMIT]]


@dataclass(frozen=True)
class DidYouMean:
    """A weak match: the user picks one of these candidates (or none exist)."""

    query: str
    candidates: list[Match]
    reason: str | None = None  # why the top candidates tie, when they do
    chosen: str | None = None  # other works after a confident list: the title that list is for

    @classmethod
    def from_resolution(cls, resolution: Resolution) -> DidYouMean:
        return cls(resolution.query, list(resolution.candidates)[:DID_YOU_MEAN_LIMIT], resolution.ambiguity_reason)

    @classmethod
    def other_works(cls, resolution: Resolution) -> DidYouMean | None:
        """A confident answer's alternatives: other works under the name it was asked by."""
        if not resolution.alternatives or resolution.item is None:
            return None
        return cls(resolution.query, list(resolution.alternatives)[:DID_YOU_MEAN_LIMIT], chosen=resolution.item.title)

    @property
    def text(self) -> str:
        if self.chosen is not None:
            return render.other_works_text(self.query, self.chosen, self.candidates)
        return render.did_you_mean_text(self.query, self.candidates, self.reason)


class RecommendService:
    """Resolution, autocomplete and recommendation lists from the serving model."""

    def __init__(self, settings: BotSettings, store: BotStore, model: ModelHolder, votes: VotesService,
                 experiments: ExperimentsService, library: LibraryService, privacy: PrivacyRegistry) -> None:
        self.settings = settings
        self.store = store
        self.model = model
        self.votes = votes
        self.experiments = experiments
        self.library = library
        privacy.register(MemberData("recommend", {"recommendation_requests": ("user_id",)}))

    async def autocomplete(self, prefix: str, limit: int = AUTOCOMPLETE_LIMIT) -> list[tuple[str, str]]:
        """(name, value) pairs for Discord's autocomplete: at most 25, each at most 100 chars."""
        rec = self.model.current
        if rec is None:
            return []
        prefix = (prefix or "")[:MAX_QUERY_LENGTH]
        try:
            items = await asyncio.to_thread(rec.autocomplete, prefix, min(limit, AUTOCOMPLETE_LIMIT))
        except QueryError:
            return []
        out: list[tuple[str, str]] = []
        seen: set[str] = set()
        for it in items[:AUTOCOMPLETE_LIMIT]:
            name = render.clip(it.title, CHOICE_LIMIT)
            value = it.title if len(it.title) <= CHOICE_LIMIT else f"#{it.item_id}"
            if value in seen:
                continue
            seen.add(value)
            out.append((name, value))
        return out

    def language_choices(self, prefix: str) -> list[str]:
        rec = self.model.current
        if rec is None:
            return []
        p = (prefix or "").lower()
        return [lang for lang in rec.languages if p in lang.lower()][:AUTOCOMPLETE_LIMIT]

    def check_options(
        self, k: int | None, content_type: str | None, language: str | None
    ) -> tuple[int, str | None, str | None]:
        """Validate k and the filters up front, so a typo is answered before any work is done.

        k is bounded by the settings (whose ceiling is also the slash option's range); the filter
        values are matched by the recommender's own rule, case-insensitively, against its choices.
        """
        if k is None:
            k = self.settings.default_k
        elif not 1 <= k <= self.settings.max_k:
            raise UserError(f"k must be between 1 and {self.settings.max_k}.")
        rec = self.model.recommender
        return k, _choice(content_type, rec.content_types, "type"), _choice(language, rec.languages, "language")

    async def resolve(
        self, query: str | None, *, language: str | None = None, content_type: str | None = None,
        command: str = "/recommend",
    ) -> Resolution:
        """Resolve a typed title (or an autocomplete `#id`) once, through the recommender.

        Only the empty case is answered here, with the usage of `command` (/seen resolves here too);
        every other check (length, no letters) is the recommender's `clean_query`.
        """
        text = (query or "").strip()
        if not text:
            raise UserError(f"Please give a title, e.g. `{command} title:Wednesday`.")
        if not _is_valid_unicode(text):
            raise UserError(
                "That title contains broken characters (invalid Unicode, such as a lone surrogate), so it "
                "cannot be stored or matched. Please type or paste it again."
            )
        m = _ID_QUERY.match(text)
        if m:
            return self.resolve_id(int(m.group(1)), text)
        rec = self.model.recommender
        try:
            return await asyncio.to_thread(rec.resolve, text, language=language, content_type=content_type)
        except QueryError as exc:
            raise UserError(str(exc)) from None

    def resolve_id(self, item_id: int, query: str | None = None) -> Resolution:
        """A certain resolution for an item picked by id (a did-you-mean button, an over-long title)."""
        try:
            item = self.model.recommender.item(item_id)
        except QueryError:
            raise UserError(f"There is no title with id {item_id}.") from None
        return Resolution(query or f"#{item_id}", item, 100.0, [Match(item, 100.0)])

    async def resolve_options(self, query: str | None, item_id: int | None, k: int | None,
                              content_type: str | None, language: str | None) -> Resolution:
        """Check the options, then resolve (by id if given, else the typed title): the first step of
        /recommend, before anything is answered. The filters also break ties between titles
        (`Kingdom` + Korean = the Korean series)."""
        _, ct, lang = self.check_options(k, content_type, language)
        if item_id is not None:
            return self.resolve_id(item_id, query)
        return await self.resolve(query, language=lang, content_type=ct)

    async def recommend(
        self,
        *,
        user_id: int,
        guild_id: int | None,
        channel_id: int | None,
        query: str | None = None,
        item_id: int | None = None,
        k: int | None = None,
        content_type: str | None = None,
        language: str | None = None,
        source: str | None = None,
        library_guild: int | None = None,
    ) -> Recommended | DidYouMean:
        """Resolve (by id if given, else the typed title), then recommend and record the request."""
        resolution = await self.resolve_options(query, item_id, k, content_type, language)
        if not resolution.confident:
            return DidYouMean.from_resolution(resolution)
        return await self.recommend_resolved(
            resolution, user_id=user_id, guild_id=guild_id, channel_id=channel_id,
            k=k, content_type=content_type, language=language, source=source, library_guild=library_guild,
        )

    async def recommend_resolved(
        self,
        resolution: Resolution,
        *,
        user_id: int,
        guild_id: int | None,
        channel_id: int | None,
        k: int | None = None,
        content_type: str | None = None,
        language: str | None = None,
        source: str | None = None,
        library_guild: int | None = None,
    ) -> Recommended:
        """Recommend for a confident resolution and record the request (no second resolution).

        `source="library"` ranks among the server's own titles only (`bot.library`); otherwise the
        titles the server has are marked in the list. `library_guild`: whose library that is, when not
        `guild_id`'s (the offline console's own)."""
        if resolution.item is None or not resolution.confident:
            raise ValueError("recommend_resolved needs a confident resolution")
        started = time.perf_counter()
        k, ct, lang = self.check_options(k, content_type, language)
        library_only = (source or "all").casefold() == "library"
        scope = await self.library.scope(guild_id if library_guild is None else library_guild)
        if library_only and scope is None:
            raise UserError(NO_LIBRARY)
        serving = self.experiments.arms.choose(user_id, self.model.recommender)
        personal = await self.personal(user_id, resolution.item.item_id)
        try:
            if library_only and scope is not None:  # the library is compiled for the serving model alone
                result = await asyncio.to_thread(
                    scope.recommend, resolution.item.item_id, k, language=lang, content_type=ct,
                    exclude_ids=personal.seen, votes=self.votes.cache.channel_for(scope.rec))
                serving = Arm(scope.rec)  # outside any experiment: a library list is not an arm's
            else:
                result = await asyncio.to_thread(
                    personal_list, serving.recommender, resolution.item.item_id, k, personal,
                    language=lang, content_type=ct, votes=self.votes.cache.channel_for(serving.recommender),
                    member=user_id,
                )
        except QueryError as exc:  # e.g. the item vanished in a hot swap to another catalog
            raise UserError(str(exc)) from None
        if not library_only and scope is not None and scope.rec is serving.recommender:  # its own titles too
            result = await asyncio.to_thread(scope.with_extras, result, k, language=lang, content_type=ct,
                                             exclude_ids=personal.seen)
        owned = frozenset() if library_only or scope is None else frozenset(
            r.item.item_id for r in result.items if scope.has(r.item.item_id))
        latency_ms = (time.perf_counter() - started) * 1000
        record: dict[str, Any] = dict(
            guild_id=guild_id,
            channel_id=channel_id,
            user_id=user_id,
            query=resolution.query[:MAX_QUERY_LENGTH],
            resolved_item_id=result.query.item_id,
            resolved_title=result.query.title,
            model_version=result.model_version,
            latency_ms=latency_ms,
            items=[(r.item.item_id, r.item.title, float(r.score)) for r in result.items],
            experiment_id=serving.experiment_id,
            arm=serving.arm,
        )
        request_id = await self._record_request(record)
        return Recommended(result=result, request_id=request_id, latency_ms=latency_ms, resolution=resolution,
                           owned=owned, library_only=library_only)

    async def personal(self, user_id: int, item_id: int) -> Personal:
        """The member's seen titles and their history for this query title (an empty one if the store
        cannot be read now: answering matters more than skipping repeats)."""
        try:
            seen, history = await self.store.personal_history(user_id=user_id, resolved_item_id=item_id)
        except StoreError as exc:
            log.warning("could not read the history of user %s (%s); recommending without it", user_id, exc)
            return Personal()
        return Personal(seen, history.shown, history.upvoted)

    async def _record_request(self, record: dict[str, Any]) -> int:
        """Store the request, or - when the database cannot take it within RECORD_WAIT (another process
        holds the write lock, the disk is full or read-only) - journal it in the outbox under an id
        chosen now, so the list is answered at once and votes on it land after it."""
        try:
            return await self.votes.quick_store.record_request(**record)
        except StoreUnavailable as exc:
            reason = exc
        request_id = provisional_request_id()
        try:
            outbox = await self.votes.open_outbox()
            await outbox.submit(Vote(kind=VoteKind.REQUEST, request_id=request_id, user_id=record["user_id"],
                                     value=0, payload=_json_ready(record)))
        except StoreError as exc:
            log.warning("request %s not recorded: the database cannot take it (%s) and neither can the outbox "
                        "(%s); votes on this list will be refused", request_id, reason, exc)
        else:
            log.info("request %s kept in the outbox until the database can take it (%s)", request_id, reason)
        return request_id


def _choice(value: str | None, choices: list[str], what: str) -> str | None:
    """A filter value matched by the recommender's own rule; the refusal echoes the value escaped."""
    if not value or not value.strip():
        return None
    try:
        return Recommender.match_choice(value, choices, what)
    except QueryError:
        shown = render.escape(render.clip(value.strip(), 40))
        raise UserError(f"Unknown {what} “{shown}”; choose one of: {', '.join(choices)}.") from None


def _json_ready(record: dict[str, Any]) -> dict[str, Any]:
    """A request's fields as the journal stores them (JSON: the items' tuples become lists)."""
    return {**record, "items": [list(item) for item in record["items"]]}


def _is_valid_unicode(text: str) -> bool:
    """False for text UTF-8 cannot encode (lone surrogates from broken clients or copy-paste)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
