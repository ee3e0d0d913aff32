"""The admin side without Discord: the model card, vote statistics, and /retrain with a hot swap.

Training runs in a child process (`bot.admin.retrain`), one at a time; the new version is loaded
in a thread and swapped in through the model holder, so the bot keeps answering throughout.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

from bot import render
from bot.admin.retrain import RetrainRun, retrain_command, run_retrain
from bot.errors import UserError
from bot.experiments.service import ExperimentsService
from bot.model import ModelHolder
from bot.privacy.registry import MemberData, PrivacyRegistry
from bot.settings import BotSettings
from bot.store import BotStore
from recommender.cli import FEEDBACK_DATABASE_ENV
from recommender.events import ProgressCallback
from recommender.serving import Recommender

log = logging.getLogger(__name__)

BUSY = "A retrain is already running; I'll keep using the current model until it ends."


class RetrainBusy(UserError):
    """A retrain is already running: one at a time."""


@dataclass(frozen=True)
class RetrainOutcome:
    status: str  # succeeded | rejected | failed
    version: str | None
    message: str
    run: RetrainRun | None = field(default=None, repr=False)
    # The child failed after activating the version now serving: `message` then names its error, which
    # may name files and hosts (only the admin who asked may see it).
    failed_child: bool = False


class AdminService:
    """/model, /feedback-stats and /retrain."""

    def __init__(self, settings: BotSettings, store: BotStore, model: ModelHolder, experiments: ExperimentsService,
                 privacy: PrivacyRegistry) -> None:
        self.settings = settings
        self.store = store
        self.model = model
        self.experiments = experiments
        self._retrain_lock = asyncio.Lock()
        privacy.register(MemberData("admin", {"retrain_jobs": ("requested_by",)}))

    # -- model info and statistics -------------------------------------------------------------------
    def model_card(self) -> render.Card:
        rec = self.model.recommender
        meta = rec.metadata if isinstance(rec.metadata, dict) else {}
        return render.model_card(rec.version, meta, warning=self.model.warning())

    async def model_cards(self) -> list[render.Card]:
        """/model: the active model, then the running experiment's arms (no model yet: a UserError
        before anything is read)."""
        cards = [self.model_card()]
        experiment = await self.experiments.card() if self.experiments.running else None
        return cards + ([experiment] if experiment is not None else [])

    async def stats_card(self) -> render.Card:
        return render.stats_card(list(await self.store.feedback_stats()))

    async def stats_cards(self) -> list[render.Card]:
        """/feedback-stats: the thumbs-up rate per version, then per arm of the last experiment."""
        cards = [await self.stats_card(), await self.experiments.card()]
        return [card for card in cards if card is not None]

    # -- retraining ----------------------------------------------------------------------------------
    @property
    def retrain_running(self) -> bool:
        return self._retrain_lock.locked()

    def check_not_busy(self) -> None:
        """Refuse a second retrain before anything is answered."""
        if self._retrain_lock.locked():
            raise RetrainBusy(BUSY)

    async def retrain(
        self,
        *,
        requested_by: int | None,
        guild_id: int | None,
        progress: ProgressCallback | None = None,
        gate: bool = True,
    ) -> RetrainOutcome:
        """Train a new version in a child process and hot-swap it in if the CLI activated it.

        One at a time: a second call while one runs raises RetrainBusy immediately. `gate=False`
        activates without comparing with the current model (whose catalog may differ).
        `requested_by` None: no member asked (the start-up training), so the job is nobody's data.
        """
        self.check_not_busy()
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
        first = not self.model.has_model
        await self.model.serve(new, lambda: self.store.register_model(new.version, done.metrics, active=True))
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
        serving = self.model.current
        if named is None or (serving is not None and named == serving.version):
            return RetrainOutcome("failed", None, failed, run)
        try:
            new = await asyncio.to_thread(Recommender.load, root)
        except ArtifactError as exc:
            log.warning("after the failed retrain, %s names %s, which does not load: %s", root, named[:64], exc)
            return RetrainOutcome("failed", None, failed, run)
        if new.metadata.get("serving_fallback"):  # not the version named: keep what serves
            return RetrainOutcome("failed", None, failed, run)
        log.warning("the retrain child failed after activating %s; serving it (%s)", new.version, run.error)
        await self.model.serve(new, lambda: self.model.register_active(new))
        return RetrainOutcome(
            "succeeded", new.version,
            f"The retrain process did not finish ({failed}), but it had already activated model {new.version}, "
            f"which loads: now serving {new.version}.", run, failed_child=True,
        )


async def _shielded(coro: Awaitable[Any]) -> None:
    try:
        await asyncio.shield(coro)
    except Exception:
        log.exception("could not record the end of a retrain job")
