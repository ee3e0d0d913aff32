"""A/B between model versions in the bot: the challenger loaded beside the serving model, and the arm
of each member.

Why a separate holder: the model holder keeps one hot-swappable "current" model; an experiment adds a
second one for a share of the members. The experiment itself lives in the store (so it survives a
restart and is the same for every process); this object only mirrors it and holds the loaded
challenger. Loading happens in a thread (`asyncio.to_thread`), never on the event loop, and before
the experiment is recorded, so a version that does not load is refused without side effects.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot import render
from feedback.experiments import CHALLENGER, ExperimentInfo, arm_for
from recommender.evaluation.ab_report import ExperimentReport, analyse
from recommender.serving import Recommender

if TYPE_CHECKING:
    from bot.store import BotStore

log = logging.getLogger(__name__)


class ExperimentError(Exception):
    """An /experiment request that cannot be done; str(exc) is shown to the admin."""


@dataclass(frozen=True)
class Arm:
    """Who serves one request: the model, and the experiment arm (None outside an experiment)."""

    recommender: Recommender
    experiment_id: int | None = None
    arm: str | None = None


class ExperimentArms:
    """The running experiment (if any) and its loaded challenger model."""

    def __init__(self) -> None:
        self.experiment: ExperimentInfo | None = None
        self.challenger: Recommender | None = None
        self._lock = asyncio.Lock()

    async def load_version(self, model_root: Path, version: str) -> Recommender:
        """A named version of the model root, loaded off the event loop."""
        from recommender.artifacts import ArtifactError, check_version_name, list_versions

        try:
            name = check_version_name(version, "experiment")
        except ArtifactError as exc:
            raise ExperimentError(str(exc)) from None
        if name not in await asyncio.to_thread(list_versions, model_root):
            raise ExperimentError(f"There is no model version `{render.escape(render.clip(name, 64))}`; "
                                  "/model shows the active one, /retrain makes new ones.")
        try:
            return await asyncio.to_thread(Recommender.load, model_root / name)
        except ArtifactError as exc:
            raise ExperimentError(f"Version {name} does not load: {exc}") from None

    async def refresh(self, store: BotStore, model_root: Path) -> None:
        """Mirror the store's running experiment (at start-up); a challenger that no longer loads
        is logged and the experiment paused in this process (everyone gets the current model).
        The challenger's version is pinned in the model root (`artifacts.set_pinned`), so no tidy
        deletes it while the experiment runs, and unpinned once it has stopped."""
        async with self._lock:
            running = await store.running_experiment()
            self.experiment, self.challenger = running, None
            await _pin(model_root, running)
            if running is None:
                return
            try:
                self.challenger = await self.load_version(model_root, running.version)
            except ExperimentError as exc:
                log.error("experiment %s: %s; serving everyone from the current model", running.id, exc)

    async def start(self, store: BotStore, model_root: Path, *, version: str, share: int, started_by: int | None,
                    current_version: str | None) -> ExperimentInfo:
        if version == current_version:
            raise ExperimentError(f"{version} is already the serving model; pick another version to test against it.")
        if not 1 <= share <= 99:
            raise ExperimentError("share is the percent of members who get the challenger: 1 to 99.")
        async with self._lock:
            challenger = await self.load_version(model_root, version)
            from feedback import StoreError

            try:
                started = await store.start_experiment(version=version, share=share, started_by=started_by)
            except StoreError as exc:
                raise ExperimentError(str(exc)) from None
            self.experiment, self.challenger = started, challenger
            await _pin(model_root, started)
            log.info("experiment %s started: %s on %d%% of members", started.id, version, share)
            return started

    async def stop(self, store: BotStore, model_root: Path) -> ExperimentInfo | None:
        async with self._lock:
            stopped = await store.stop_experiment()
            self.experiment, self.challenger = None, None
            await _pin(model_root, None)
            return stopped

    def choose(self, user_id: int, current: Recommender) -> Arm:
        """The member's arm (stable for the experiment) and the model that serves it."""
        experiment, challenger = self.experiment, self.challenger
        if experiment is None or challenger is None:
            return Arm(current)
        arm = arm_for(user_id, experiment.id, experiment.share)
        return Arm(challenger if arm == CHALLENGER else current, experiment.id, arm)

    async def report(self, store: BotStore, experiment_id: int | None = None
                     ) -> tuple[ExperimentInfo, ExperimentReport] | None:
        """The latest (or the given) experiment and its per-arm figures; None if there never was one."""
        info = await (store.get_experiment(experiment_id) if experiment_id is not None else store.latest_experiment())
        if info is None:
            return None
        votes = await store.experiment_votes(info.id)
        return info, await asyncio.to_thread(analyse, votes)


async def _pin(model_root: Path, experiment: ExperimentInfo | None) -> None:
    """Pin the running experiment's challenger (or nothing) in the model root; a failure is logged:
    the experiment itself must not fail because a file could not be written."""
    from recommender.artifacts import ArtifactError, set_pinned

    try:
        await asyncio.to_thread(set_pinned, model_root, [] if experiment is None else [experiment.version])
    except (OSError, ArtifactError) as exc:
        log.error("could not record the experiment's version in %s (%s): a tidy may delete it", model_root, exc)
