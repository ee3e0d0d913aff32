"""The bot's command logic, free of Discord: the cogs and the offline console both call this.

Every method is async and keeps the event loop free: the recommender (CPU-bound numpy/rapidfuzz)
runs in `asyncio.to_thread`, the feedback store is async, and training is a child process. Results
are plain objects and :class:`bot.render.Card`s; errors a user can fix are :class:`UserError` with a
message that can be shown as is.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bot import render
from bot.experiments import Arm, ExperimentArms, ExperimentError, experiment_card
from bot.exports import remove_exports
from bot.library.service import NO_LIBRARY, LibraryService
from bot.personal import Personal, personal_list
from bot.retrain import RetrainRun, retrain_command, run_retrain
from bot.settings import BotSettings
from bot.vote_cache import VoteCache
from feedback import StoreError, StoreUnavailable, Vote, VoteKind, VoteOutbox, VoteOutcome, VoteStatus
from feedback.requests import provisional_request_id
from recommender.cli import FEEDBACK_DATABASE_ENV
from recommender.events import ProgressCallback
from recommender.matching import MAX_QUERY_LENGTH
from recommender.serving import Match, QueryError, RecommendationResult, Recommender, Resolution

log = logging.getLogger(__name__)

AUTOCOMPLETE_LIMIT = 25
CHOICE_LIMIT = 100  # Discord: choice name and string value are at most 100 characters
DID_YOU_MEAN_LIMIT = 5
ITEM_VOTE_LIMIT = 10  # 2 buttons per item, 5 rows of 4 buttons: 10 items fit in one message
_ID_QUERY = re.compile(r"^#(\d{1,12})$")

UP, DOWN = 1, -1
REACTION_WAIT = 2.0  # seconds a reaction listener waits for the database before leaving it to the outbox
VOTE_WAIT = 1.0  # ... a button or console vote (the reply must be inside Discord's 3 s)
REJECTION_WATCH = 14 * 60  # a button's follow-up token lives 15 minutes: report a late rejection within it
FORGET_WAIT = 10.0  # /forget-me first lets the caller's queued votes land, so none comes back after it
RECORD_WAIT = 0.5  # seconds a /recommend waits for the write lock before leaving its record to the outbox
STARTUP_WRITE_WAIT = 1.0  # seconds start-up waits for its bookkeeping writes before leaving them to run behind
HOUSEKEEPING_RETRY = 5.0  # seconds between attempts of a start-up write the database refused for now


def fallback_warning(metadata: dict) -> str | None:
    """Say so when the loader had to serve an older version because the current one is broken."""
    fallback = metadata.get("serving_fallback")
    if not isinstance(fallback, dict):
        return None
    if fallback.get("wanted") is None:  # the pointer itself was lost: no version is named
        return (f"The model root's pointer is lost ({fallback.get('reason')}), so {metadata.get('version')}, the "
                "newest intact version that served, is serving until an admin runs /retrain.")
    return (f"Model {fallback.get('wanted')} is broken ({fallback.get('reason')}), so the newest intact "
            f"version is serving until an admin runs /retrain.")


class UserError(Exception):
    """A problem the user can fix; str(exc) is shown to them as is."""


class RetrainBusy(UserError):
    """A retrain is already running: one at a time."""


class NoModelError(UserError):
    """No model has been trained yet."""


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
        return render.recommendation_card(self.result, self.request_id, note=self.resolution.note,
                                          alternatives=self.resolution.alternatives, owned=self.owned,
                                          library_only=self.library_only)

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

    @classmethod
    def from_resolution(cls, resolution: Resolution) -> DidYouMean:
        return cls(resolution.query, list(resolution.candidates)[:DID_YOU_MEAN_LIMIT], resolution.ambiguity_reason)

    @classmethod
    def other_works(cls, resolution: Resolution) -> DidYouMean | None:
        """A confident answer's alternatives: other works under the name it was asked by."""
        if not resolution.alternatives or resolution.item is None:
            return None
        reason = f"{len(resolution.alternatives) + 1} works carry this name; the list is for {resolution.item.title}"
        return cls(resolution.query, list(resolution.alternatives)[:DID_YOU_MEAN_LIMIT], reason)

    @property
    def text(self) -> str:
        return render.did_you_mean_text(self.query, self.candidates, self.reason)


@dataclass(frozen=True)
class RetrainOutcome:
    status: str  # succeeded | rejected | failed
    version: str | None
    message: str
    run: RetrainRun | None = field(default=None, repr=False)
    # The child failed after activating the version now serving: `message` then names its error, which
    # may name files and hosts (only the admin who asked may see it).
    failed_child: bool = False


def vote_value(word: str) -> int:
    """'up'/'down' (and the emoji) to +1/-1; anything else is a user error."""
    w = word.strip().lower()
    if w in ("up", "+1", "1", "👍", "yes", "good"):
        return UP
    if w in ("down", "-1", "👎", "no", "bad"):
        return DOWN
    raise UserError(f"A vote is `up` or `down`, not “{render.escape(render.clip(word, 20))}”.")


class RecommendService:
    """Holds the active Recommender (hot-swappable) and the feedback store."""

    def __init__(self, settings: BotSettings, store: Any, recommender: Recommender | None = None) -> None:
        self.settings = settings
        self.store = store
        self._recommender = recommender
        self._retrain_lock = asyncio.Lock()
        # Set when the serving model was trained on other data than CATALOG_PATH (+ ENRICHMENT_PATH).
        self.catalog_warning: str | None = None
        self.outbox: VoteOutbox | None = None
        self._outbox_lock = asyncio.Lock()
        self.experiments = ExperimentArms()  # the A/B challenger, when an experiment runs
        self.votes = VoteCache(store, settings.vote_refresh_seconds)
        self._housekeeping: asyncio.Task[None] | None = None
        self._quick_store = store.impatient(RECORD_WAIT)  # writes that must not hold up a reply
        self._attaching: set[asyncio.Future[None]] = set()  # attach_message calls under way
        self.library = LibraryService(settings, store, lambda: self.recommender)  # per-server libraries

    # -- model ---------------------------------------------------------------------------------------
    @property
    def recommender(self) -> Recommender:
        rec = self._recommender
        if rec is None:
            raise NoModelError("No model has been trained yet: an admin can run /retrain.")
        return rec

    @property
    def has_model(self) -> bool:
        return self._recommender is not None

    def swap(self, recommender: Recommender) -> None:
        """Replace the model; requests already running keep the old object until they finish."""
        old = self._recommender
        self._recommender = recommender
        log.info("model swapped: %s -> %s", getattr(old, "version", None), recommender.version)

    async def load_current(self) -> Recommender | None:
        """Load the model the model dir's `CURRENT` names (or, that being broken or lost, the newest
        version that served), or None if there is none yet."""
        from recommender.artifacts import ArtifactError, current_version, list_versions

        root = self.settings.resolved_model_dir
        # Versions without a `CURRENT` are no empty root: the loader serves the newest that served.
        if not root.exists() or (current_version(root) is None and not list_versions(root)):
            log.warning("no model in %s yet", root)
            return None
        try:
            rec = await asyncio.to_thread(Recommender.load, root)
        except ArtifactError:
            log.exception("could not load the model in %s", root)
            return None
        await self._serve(rec, lambda: self._register_active(rec), in_background=True)
        return rec

    async def _serve(self, rec: Recommender, register: Callable[[], Awaitable[Any]], *,
                     in_background: bool = False) -> None:
        """Serve `rec`: swap it in, record it as active (behind other bookkeeping when `in_background`),
        re-check the configured catalog and refresh the vote channel for the models now serving."""
        self.swap(rec)
        if in_background:
            self._in_background(register)
        else:
            await register()
        await self.check_catalog()
        await self.votes.refresh(*self.serving_models())

    async def check_catalog(self) -> bool:
        """Does the serving model match the configured catalog? Sets (and logs) `catalog_warning` if not.

        Compares the sha256 of CATALOG_PATH and of every listing training joins (the user's own and
        the bundled ones), hashed the way training records it, with the model metadata's
        `data_sha256`: a changed catalog is not silently ignored.
        """
        rec = self._recommender
        if rec is None:
            return False
        try:
            configured = await asyncio.to_thread(self.configured_data_sha256)
        except OSError as exc:
            self.catalog_warning = f"The configured catalog cannot be read ({exc}); serving model {rec.version}."
            log.warning("%s", self.catalog_warning)
            return False
        if rec.metadata.get("data_sha256") == configured:
            self.catalog_warning = None
            return True
        self.catalog_warning = (
            f"Model {rec.version} was trained on other data than the configured catalog "
            f"{self.settings.catalog_path.name}; it keeps serving until an admin runs /retrain."
        )
        log.warning("%s", self.catalog_warning)
        return False

    def configured_data_sha256(self) -> str:
        from recommender.pipeline import data_hash

        return data_hash(self.settings.catalog_path, *self.settings.enrichment_sources)

    async def startup(self) -> None:
        """Housekeeping when a process starts: votes a previous run left in the outbox (before any
        traffic), jobs a crash left "running", old data, the model.

        The database writes among these (interrupted jobs, the purge, registering the model) run in
        the background: another process may hold the write lock for a while, and answering must not
        wait for it. Only reads (the model's vote statistics, a running experiment) are awaited, and
        the writes for at most STARTUP_WRITE_WAIT."""
        await self.open_outbox()
        self._in_background(self._tidy_store)
        await asyncio.to_thread(self._tidy_models)
        await self.load_current()
        try:
            await self.experiments.refresh(self.store, self.settings.resolved_model_dir)
        except Exception:
            log.exception("could not restore the running experiment; serving everyone from the current model")
        if self.experiments.challenger is not None:  # load_current built the current model's channel
            await self.votes.refresh(*self.serving_models())
        self.votes.start(self.serving_models)
        if self._housekeeping is not None:  # a free database takes them at once: done before any traffic
            await asyncio.wait([self._housekeeping], timeout=STARTUP_WRITE_WAIT)

    async def _tidy_store(self) -> None:
        await self.store.fail_interrupted_retrains()
        purged = await self.store.purge_older_than(self.settings.retention_days)
        if purged:
            log.info("purged %d record(s) older than %d days", purged, self.settings.retention_days)

    def _in_background(self, work: Callable[[], Awaitable[Any]]) -> None:
        """Queue a bookkeeping write behind the earlier ones (one task runs them in order)."""
        previous = self._housekeeping

        async def run() -> None:
            if previous is not None:
                await asyncio.wait([previous])
            await _until_stored(work)

        self._housekeeping = asyncio.create_task(run(), name="store-housekeeping")

    async def housekeeping_done(self) -> None:
        """Wait for the start-up writes (tests, and callers that need them in the database)."""
        if self._housekeeping is not None:
            await asyncio.wait([self._housekeeping])

    def serving_models(self) -> tuple[Recommender | None, ...]:
        """The models lists come from: the current one and, during an A/B experiment, the challenger."""
        return self._recommender, self.experiments.challenger

    def _tidy_models(self) -> None:
        """Half-written versions a killed training left, and versions beyond KEEP_MODEL_VERSIONS."""
        from recommender.artifacts import tidy

        try:
            tidy(self.settings.resolved_model_dir, keep=self.settings.keep_model_versions)
        except OSError:
            log.exception("could not tidy the model directory %s", self.settings.resolved_model_dir)

    async def _register_active(self, rec: Recommender) -> None:
        if self._recommender is not rec:  # a retrain swapped in (and registered) a newer one meanwhile
            return
        metrics = rec.metadata.get("evaluation", {}) if isinstance(rec.metadata, dict) else {}
        await self.store.register_model(rec.version, metrics if isinstance(metrics, dict) else {}, active=True)

    # -- recommend -----------------------------------------------------------------------------------
    async def autocomplete(self, prefix: str, limit: int = AUTOCOMPLETE_LIMIT) -> list[tuple[str, str]]:
        """(name, value) pairs for Discord's autocomplete: at most 25, each at most 100 chars."""
        if self._recommender is None:
            return []
        prefix = (prefix or "")[:MAX_QUERY_LENGTH]
        try:
            items = await asyncio.to_thread(self._recommender.autocomplete, prefix, min(limit, AUTOCOMPLETE_LIMIT))
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
        if self._recommender is None:
            return []
        p = (prefix or "").lower()
        return [lang for lang in self._recommender.languages if p in lang.lower()][:AUTOCOMPLETE_LIMIT]

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
        rec = self.recommender
        return k, _choice(content_type, rec.content_types, "type"), _choice(language, rec.languages, "language")

    async def resolve(
        self, query: str | None, *, language: str | None = None, content_type: str | None = None
    ) -> Resolution:
        """Resolve a typed title (or an autocomplete `#id`) once, through the recommender.

        Only the empty case is answered here, with the slash command's usage; every other check
        (length, no letters) is the recommender's `clean_query`.
        """
        text = (query or "").strip()
        if not text:
            raise UserError("Please give a title, e.g. `/recommend title:Wednesday`.")
        if not _is_valid_unicode(text):
            raise UserError(
                "That title contains broken characters (invalid Unicode, such as a lone surrogate), so it "
                "cannot be stored or matched. Please type or paste it again."
            )
        m = _ID_QUERY.match(text)
        if m:
            return self.resolve_id(int(m.group(1)), text)
        rec = self.recommender
        try:
            return await asyncio.to_thread(rec.resolve, text, language=language, content_type=content_type)
        except QueryError as exc:
            raise UserError(str(exc)) from None

    def resolve_id(self, item_id: int, query: str | None = None) -> Resolution:
        """A certain resolution for an item picked by id (a did-you-mean button, an over-long title)."""
        try:
            item = self.recommender.item(item_id)
        except QueryError:
            raise UserError(f"There is no title with id {item_id}.") from None
        return Resolution(query or f"#{item_id}", item, 100.0, [Match(item, 100.0)])

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
        _, ct, lang = self.check_options(k, content_type, language)
        if item_id is not None:
            resolution = self.resolve_id(item_id, query)
        else:
            resolution = await self.resolve(query, language=lang, content_type=ct)
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
        serving = self.experiments.choose(user_id, self.recommender)
        personal = await self.personal(user_id, resolution.item.item_id)
        try:
            if library_only and scope is not None:  # the library is compiled for the serving model alone
                result = await asyncio.to_thread(
                    scope.recommend, resolution.item.item_id, k, language=lang, content_type=ct,
                    exclude_ids=personal.seen, votes=self.votes.channel_for(scope.rec))
                serving = Arm(scope.rec)  # outside any experiment: a library list is not an arm's
            else:
                result = await asyncio.to_thread(
                    personal_list, serving.recommender, resolution.item.item_id, k, personal,
                    language=lang, content_type=ct, votes=self.votes.channel_for(serving.recommender),
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

    async def _record_request(self, record: dict[str, Any]) -> int:
        """Store the request, or - when the database cannot take it within RECORD_WAIT (another process
        holds the write lock, the disk is full or read-only) - journal it in the outbox under an id
        chosen now, so the list is answered at once and votes on it land after it."""
        try:
            return await self._quick_store.record_request(**record)
        except StoreUnavailable as exc:
            reason = exc
        request_id = provisional_request_id()
        try:
            outbox = await self.open_outbox()
            await outbox.submit(Vote(kind=VoteKind.REQUEST, request_id=request_id, user_id=record["user_id"],
                                     value=0, payload=_json_ready(record)))
        except StoreError as exc:
            log.warning("request %s not recorded: the database cannot take it (%s) and neither can the outbox "
                        "(%s); votes on this list will be refused", request_id, reason, exc)
        else:
            log.info("request %s kept in the outbox until the database can take it (%s)", request_id, reason)
        return request_id

    async def attach_message(self, request_id: int, message_id: int) -> None:
        """Remember the message a list was posted in; through the outbox when its request waits there
        or the database cannot take it now (reactions on it are accepted meanwhile)."""
        attached = asyncio.get_running_loop().create_future()
        self._attaching.add(attached)  # a reaction arriving meanwhile waits for this (see _is_ours)
        try:
            await self._attach(request_id, message_id)
        finally:
            self._attaching.discard(attached)
            attached.set_result(None)

    async def _attach(self, request_id: int, message_id: int) -> None:
        outbox = self.outbox
        if outbox is None or not outbox.holds(request_id=request_id):
            try:
                await self._quick_store.attach_message(request_id, message_id)
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

    async def _is_ours(self, message_id: int) -> bool:
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

    # -- feedback ------------------------------------------------------------------------------------
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
        """Stop the outbox writer; votes not yet written stay in its journal for the next start.
        Start-up bookkeeping still waiting for the database is dropped: the next start does it."""
        if self._housekeeping is not None:
            self._housekeeping.cancel()
            await asyncio.wait([self._housekeeping])
            self._housekeeping = None
        await self.votes.stop()
        if self.outbox is not None:
            outbox, self.outbox = self.outbox, None
            await outbox.close()

    async def vote_message(self, *, message_id: int, user_id: int, value: int,
                           wait: float = REACTION_WAIT) -> VoteOutcome:
        """A 👍/👎 on a recommendation message: journaled, then written (STORED, or QUEUED while
        the database cannot take it); REJECTED without journaling when the message is not ours."""
        return await self._reaction(VoteKind.MESSAGE, message_id, user_id, value, wait)

    async def retract_message_vote(self, *, message_id: int, user_id: int, value: int,
                                   wait: float = REACTION_WAIT) -> VoteOutcome:
        return await self._reaction(VoteKind.RETRACT_MESSAGE, message_id, user_id, value, wait)

    async def _reaction(self, kind: VoteKind, message_id: int, user_id: int, value: int, wait: float) -> VoteOutcome:
        """Reactions on messages that are not recommendations are normal in a channel: they are
        skipped after one read (reads work while another process holds the write lock)."""
        try:
            ours = await self._is_ours(message_id)
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
        outbox = await self.open_outbox()
        try:
            return await outbox.submit(
                Vote(kind=VoteKind.ITEM, request_id=request_id, rank=rank, user_id=user_id, value=value)
            )
        except StoreError as exc:  # not even the journal could take it: the voter must know
            raise UserError(str(exc)) from None

    async def vote_item(self, *, request_id: int, rank: int, user_id: int, value: int,
                        wait: float = VOTE_WAIT) -> str:
        """A per-item vote; returns the confirmation shown to the voter (UserError if it can never land)."""
        future = await self.accept_item_vote(request_id=request_id, rank=rank, user_id=user_id, value=value)
        outcome = await outcome_within(future, wait)
        return self.vote_reply(outcome, value, f"recommendation #{rank} of request {request_id}")

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

    async def stats_card(self) -> render.Card:
        return render.stats_card(list(await self.store.feedback_stats()))

    # -- model info and retraining -------------------------------------------------------------------
    def model_card(self) -> render.Card:
        rec = self.recommender
        meta = rec.metadata if isinstance(rec.metadata, dict) else {}
        warnings = [w for w in (fallback_warning(meta), self.catalog_warning) if w]
        return render.model_card(rec.version, meta, warning=" ".join(warnings) or None)

    @property
    def retrain_running(self) -> bool:
        return self._retrain_lock.locked()

    async def retrain(
        self,
        *,
        requested_by: int,
        guild_id: int | None,
        progress: ProgressCallback | None = None,
        gate: bool = True,
    ) -> RetrainOutcome:
        """Train a new version in a child process and hot-swap it in if the CLI activated it.

        One at a time: a second call while one runs raises RetrainBusy immediately. `gate=False`
        activates without comparing with the current model (whose catalog may differ).
        """
        if self._retrain_lock.locked():
            raise RetrainBusy("A retrain is already running; I'll keep using the current model until it ends.")
        async with self._retrain_lock:
            job_id = await self.store.start_retrain(requested_by=requested_by, guild_id=guild_id)
            try:
                outcome = await self._retrain(progress, gate=gate)
            except BaseException as exc:  # cancelled or crashed: the job row must not stay "running"
                await _shielded(self.store.finish_retrain(job_id, status="failed", error=render.clip(repr(exc), 500)))
                raise
            await self.store.finish_retrain(
                job_id,
                status=outcome.status,
                version=outcome.version,
                error=outcome.message if outcome.status == "failed" or outcome.failed_child else None,
            )
            return outcome

    async def _retrain(self, progress: ProgressCallback | None, *, gate: bool) -> RetrainOutcome:
        s = self.settings
        root = s.resolved_model_dir
        root.mkdir(parents=True, exist_ok=True)
        cmd = retrain_command(
            data=s.catalog_path, model_dir=root, enrich=s.enrichment_path, bundled=s.bundled_enrichment,
            epochs=s.retrain_epochs, gate=gate,
        )
        # The child fits the vote channel for the new version on this database's votes.
        run = await run_retrain(cmd, progress, env={FEEDBACK_DATABASE_ENV: s.resolved_database_url})
        done = run.done
        if done is None or run.returncode != 0:
            return await self._after_failed_child(run)
        if not done.activated:
            await self.store.register_model(done.version, done.metrics, active=False)
            return RetrainOutcome(
                "rejected", done.version, f"Trained {done.version} but kept the current model: {done.reason}", run
            )
        from recommender.artifacts import ArtifactError

        try:
            new = await asyncio.to_thread(Recommender.load, root)
        except ArtifactError as exc:
            return RetrainOutcome("failed", done.version, f"Trained {done.version} but it would not load: {exc}", run)
        first = self._recommender is None
        await self._serve(new, lambda: self.store.register_model(new.version, done.metrics, active=True))
        if first:
            return RetrainOutcome("succeeded", new.version, f"Now serving model {new.version}, the first one.", run)
        return RetrainOutcome("succeeded", new.version, f"Now serving model {new.version} ({done.reason}).", run)

    async def _after_failed_child(self, run: RetrainRun) -> RetrainOutcome:
        """A child that failed may have switched `CURRENT` first (killed between activating and
        reporting): then the version it names is the model, and serving the old one would disagree
        with every other process and the next start. So serve it if it loads, and say what happened."""
        from recommender.artifacts import ArtifactError, current_version

        failed = f"Retrain failed: {run.error or 'no result reported'}"
        root = self.settings.resolved_model_dir
        named = current_version(root)
        if named is None or (self._recommender is not None and named == self._recommender.version):
            return RetrainOutcome("failed", None, failed, run)
        try:
            new = await asyncio.to_thread(Recommender.load, root)
        except ArtifactError as exc:
            log.warning("after the failed retrain, %s names %s, which does not load: %s", root, named[:64], exc)
            return RetrainOutcome("failed", None, failed, run)
        if new.metadata.get("serving_fallback"):  # not the version named: keep what serves
            return RetrainOutcome("failed", None, failed, run)
        log.warning("the retrain child failed after activating %s; serving it (%s)", new.version, run.error)
        await self._serve(new, lambda: self._register_active(new))
        return RetrainOutcome(
            "succeeded", new.version,
            f"The retrain process did not finish ({failed}), but it had already activated model {new.version}, "
            f"which loads: now serving {new.version}.", run, failed_child=True,
        )

    # -- privacy -------------------------------------------------------------------------------------
    def privacy_text(self) -> str:
        return render.PRIVACY_TEXT.format(days=self.settings.retention_days)

    async def privacy_report(self, user_id: int) -> str:
        """What is stored about the caller right now (counts and the latest items), then the policy."""
        summary = await self.store.summarise_user(user_id)
        return render.privacy_summary(summary) + "\n\n" + self.privacy_text()

    async def privacy_export(self, user_id: int) -> bytes:
        """Everything stored about the caller as a JSON document (what `/privacy export` sends)."""
        exported = await self.store.export_user(user_id)
        return json.dumps(exported, indent=2, ensure_ascii=False).encode("utf-8")

    async def forget(self, user_id: int) -> str:
        """Delete the caller's requests and votes; other members' votes on them stay, anonymised."""
        outbox = await self.open_outbox()
        with contextlib.suppress(TimeoutError):  # the caller's queued votes must not land after it
            await asyncio.wait_for(outbox.drained(), FORGET_WAIT)
        if outbox.pending:
            raise UserError("Some votes are still waiting for the database, so nothing was deleted yet; "
                            "please try /forget-me again in a minute.")
        try:
            await outbox.forget(user_id)  # durable: a vote of theirs in a dead process's journal stays out
            n = await self.store.delete_user(user_id)
        except StoreError as exc:
            raise UserError(f"Nothing was deleted: {exc}") from None
        exports = await asyncio.to_thread(remove_exports, self.settings.data_dir, user_id)
        text = (f"Done: deleted {n} record(s) about you (your requests and votes). Other members' votes on "
                "your recommendations were kept without any link to you. Future requests will be stored "
                "again as described in /privacy.")
        if exports:
            text += f" Also removed {exports} earlier export file(s) of your data (from /privacy export)."
        return text


    # -- seen marks and no repeats ------------------------------------------------------------------
    async def personal(self, user_id: int, item_id: int) -> Personal:
        """The member's seen titles and their history for this query title (an empty one if the store
        cannot be read now: answering matters more than skipping repeats)."""
        try:
            seen, history = await self.store.personal_history(user_id=user_id, resolved_item_id=item_id)
        except StoreError as exc:
            log.warning("could not read the history of user %s (%s); recommending without it", user_id, exc)
            return Personal()
        return Personal(seen, history.shown, history.upvoted)

    async def seen_reaction(self, *, message_id: int, user_id: int, added: bool,
                            wait: float = REACTION_WAIT) -> VoteOutcome:
        """👀 on a recommendation message: every title of that list is seen (removing it unmarks them).
        Journaled through the outbox like a vote, so a busy database loses nothing."""
        kind = VoteKind.SEEN_MESSAGE if added else VoteKind.UNSEEN_MESSAGE
        return await self._reaction(kind, message_id, user_id, 1, wait)

    async def accept_seen_item(self, *, request_id: int, rank: int, user_id: int) -> asyncio.Future[VoteOutcome]:
        """"Seen it" on one ranked title: journaled (durable when this returns); the future says how it ended."""
        outbox = await self.open_outbox()
        try:
            return await outbox.submit(Vote(kind=VoteKind.SEEN_ITEM, request_id=request_id, rank=rank,
                                            user_id=user_id, value=UP))
        except StoreError as exc:
            raise UserError(str(exc)) from None

    async def mark_seen(self, *, user_id: int, query: str | None, item_id: int | None = None) -> str | DidYouMean:
        """/seen title: resolve like /recommend, then mark it; a weak match asks "did you mean"."""
        resolution = self.resolve_id(item_id, query) if item_id is not None else await self.resolve(query)
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

    # -- A/B experiments -----------------------------------------------------------------------------
    async def start_experiment(self, *, version: str, share: int, started_by: int | None) -> str:
        """Serve `version` to `share` percent of members (admins only: the caller checks)."""
        try:
            started = await self.experiments.start(
                self.store, self.settings.resolved_model_dir, version=version.strip(), share=share,
                started_by=started_by, current_version=self._recommender.version if self._recommender else None,
            )
        except ExperimentError as exc:
            raise UserError(str(exc)) from None
        await self.votes.refresh(*self.serving_models())  # both arms rank with the same votes
        return (f"🧪 Experiment {started.id} started: {render.escape(started.version)} serves {started.share}% of "
                "members (chosen by a hash of their id), the current model the rest. `/experiment status` "
                "shows both arms.")

    async def stop_experiment(self) -> str:
        stopped = await self.experiments.stop(self.store, self.settings.resolved_model_dir)
        if stopped is None:
            return "No experiment is running."
        return (f"🧪 Experiment {stopped.id} stopped: everyone gets the current model again. Its votes stay "
                f"for `/experiment status` and `python -m recommender evaluate --experiment {stopped.id}`.")

    async def experiment_card(self) -> render.Card | None:
        """Both arms of the running (or last) experiment, None if there never was one."""
        found = await self.experiments.report(self.store)
        if found is None:
            return None
        info, report = found
        control = self._recommender.version if self._recommender else None
        return experiment_card(info, report, control)


async def _until_stored(work: Callable[[], Awaitable[Any]]) -> None:
    """Run a bookkeeping write, again and again while the database cannot take it; other failures
    are logged (bookkeeping only: answering users matters more)."""
    while True:
        try:
            await work()
            return
        except StoreUnavailable as exc:
            log.warning("start-up bookkeeping waits for the database (%s); retrying in %.0f s", exc,
                        HOUSEKEEPING_RETRY)
        except Exception:
            log.exception("store housekeeping failed")
            return
        await asyncio.sleep(HOUSEKEEPING_RETRY)


async def outcome_within(future: asyncio.Future[VoteOutcome], wait: float) -> VoteOutcome:
    """The vote's outcome if it is known within `wait` seconds, else QUEUED (it stays journaled)."""
    try:
        return await asyncio.wait_for(asyncio.shield(future), wait)
    except TimeoutError:
        return VoteOutcome(VoteStatus.QUEUED)


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


async def _shielded(coro: Awaitable[Any]) -> None:
    try:
        await asyncio.shield(coro)
    except Exception:
        log.exception("could not record the end of a retrain job")
