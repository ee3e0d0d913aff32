"""/experiment without Discord: A/B between the serving model and another version.

The experiment lives in the store (the same for every process, surviving a restart); `arms` holds
the loaded challenger and picks each member's arm. The challenger serves beside the current model
(the model holder names it among the serving models, so the vote channel is built for both arms).
"""

from __future__ import annotations

import logging

from bot import render
from bot.errors import UserError
from bot.experiments.arms import ExperimentArms, ExperimentError
from bot.model import ModelHolder
from bot.privacy.registry import MemberData, PrivacyRegistry
from bot.settings import BotSettings
from bot.store import BotStore
from feedback.experiments import CHALLENGER, CONTROL, ExperimentInfo
from recommender.evaluation.ab_report import ExperimentReport

log = logging.getLogger(__name__)

NO_EXPERIMENT = "No experiment has been run yet."


class ExperimentsService:
    """Start, stop and report A/B experiments (starting and stopping are for admins: callers check)."""

    def __init__(self, settings: BotSettings, store: BotStore, model: ModelHolder, privacy: PrivacyRegistry) -> None:
        self.settings = settings
        self.store = store
        self.model = model
        self.arms = ExperimentArms()
        model.also_serving(lambda: self.arms.challenger)
        privacy.register(MemberData("experiments", {"experiments": ("started_by",)}))

    @property
    def running(self) -> bool:
        return self.arms.experiment is not None

    async def restore(self) -> None:
        """At start-up: mirror the running experiment and load its challenger (a failure is logged and
        everyone is served from the current model)."""
        try:
            await self.arms.refresh(self.store, self.settings.resolved_model_dir)
        except Exception:
            log.exception("could not restore the running experiment; serving everyone from the current model")
        if self.arms.challenger is not None:  # the current model's vote channel is built already
            await self.model.models_changed()

    async def start(self, *, version: str, share: int, started_by: int | None) -> str:
        """Serve `version` to `share` percent of members (admins only: the caller checks)."""
        current = self.model.current
        try:
            started = await self.arms.start(
                self.store, self.settings.resolved_model_dir, version=version.strip(), share=share,
                started_by=started_by, current_version=current.version if current else None,
            )
        except ExperimentError as exc:
            raise UserError(str(exc)) from None
        await self.model.models_changed()  # both arms rank with the same votes
        return (f"🧪 Experiment {started.id} started: {render.escape(started.version)} serves {started.share}% of "
                "members (chosen by a hash of their id), the current model the rest. `/experiment status` "
                "shows both arms.")

    async def stop(self) -> str:
        stopped = await self.arms.stop(self.store, self.settings.resolved_model_dir)
        if stopped is None:
            return "No experiment is running."
        return (f"🧪 Experiment {stopped.id} stopped: everyone gets the current model again. Its votes stay "
                "for `/experiment status` and `python -m recommender evaluate --feedback-database <DATABASE_URL> "
                f"--experiment {stopped.id}`.")

    async def card(self) -> render.Card | None:
        """Both arms of the running (or last) experiment, None if there never was one."""
        found = await self.arms.report(self.store)
        if found is None:
            return None
        info, report = found
        current = self.model.current
        return experiment_card(info, report, current.version if current else None)


def experiment_card(info: ExperimentInfo, report: ExperimentReport, control_version: str | None) -> render.Card:
    """Both arms side by side: model version, thumbs-up rate (Wilson 95%), precision@k, the verdict."""
    state = "running" if info.running else f"stopped {info.stopped_at:%Y-%m-%d %H:%M} UTC"
    fields = []
    for arm, version in ((CONTROL, control_version), (CHALLENGER, info.version)):
        figures = report.arms[arm]
        shown = ", ".join(figures.versions) or version or "?"
        if figures.judgements:
            rate = (f"{figures.rate:.0%} 👍 (95% CI {figures.ci_low:.0%}–{figures.ci_high:.0%}) of "
                    f"{figures.judgements} lists judged ({figures.votes} votes)")
        else:
            rate = "no votes yet"
        precision = (f"\nprecision@{report.k} {figures.precision:.0%} over {figures.lists} lists"
                     if figures.precision is not None else "")
        share = info.share if arm == CHALLENGER else 100 - info.share
        fields.append((f"{arm} ({share}%)", render.escape(render.clip(shown, 64)) + "\n" + rate + precision))
    description = (f"Experiment **{info.id}**, {state}: **{render.escape(info.version)}** against the serving model.\n"
                   + report.verdict())
    return render.Card(title="A/B experiment", description=description, fields=fields)
