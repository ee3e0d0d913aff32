"""The model holder: the Recommender the bot serves, loaded, swapped and checked in one place.

Why one holder every feature shares: a retrain, a start-up and a child that failed after activating
all end the same way (swap the model in, record it as active, re-check the configured catalog, let
the features rebuild what depends on the model), and every request reads the same reference, so a
hot swap never stops the bot. Loading runs in a worker thread; requests already running keep the
old object until they finish.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.errors import NoModelError
from bot.housekeeping import Housekeeping
from bot.settings import BotSettings
from bot.store import BotStore
from recommender.serving import Recommender

log = logging.getLogger(__name__)


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


class ModelHolder:
    """The active Recommender (hot-swappable), the models serving beside it, and the catalog check."""

    def __init__(self, settings: BotSettings, store: BotStore, recommender: Recommender | None = None) -> None:
        self.settings = settings
        self.store = store
        self._recommender = recommender
        # Set when the serving model was trained on other data than CATALOG_PATH (+ ENRICHMENT_PATH).
        self.catalog_warning: str | None = None
        self.housekeeping = Housekeeping()
        self._also_serving: list[Callable[[], Recommender | None]] = []
        self._on_serve: list[Callable[[], Awaitable[Any]]] = []

    @property
    def recommender(self) -> Recommender:
        rec = self._recommender
        if rec is None:
            raise NoModelError("No model has been trained yet: an admin can run /retrain.")
        return rec

    @property
    def current(self) -> Recommender | None:
        """The serving model, or None before the first one (for callers that can do without)."""
        return self._recommender

    @property
    def has_model(self) -> bool:
        return self._recommender is not None

    def also_serving(self, models: Callable[[], Recommender | None]) -> None:
        """A feature that serves another model to some members (the A/B challenger) names it here."""
        self._also_serving.append(models)

    def on_serve(self, hook: Callable[[], Awaitable[Any]]) -> None:
        """Run `hook` after every model swapped in (the vote channel is rebuilt for it)."""
        self._on_serve.append(hook)

    def serving_models(self) -> tuple[Recommender | None, ...]:
        """The models lists come from: the current one and, during an A/B experiment, the challenger."""
        return (self._recommender, *(models() for models in self._also_serving))

    async def models_changed(self) -> None:
        """Tell the features the serving models changed (a swap, an experiment started or stopped)."""
        for hook in self._on_serve:
            await hook()

    def swap(self, recommender: Recommender) -> None:
        """Replace the model; requests already running keep the old object until they finish."""
        old = self._recommender
        self._recommender = recommender
        if old is None:
            log.info("model loaded: %s", recommender.version)
        else:
            log.info("model swapped: %s -> %s", old.version, recommender.version)

    async def load_current(self) -> Recommender | None:
        """Load the model the model dir's `CURRENT` names (or, that being broken or lost, the newest
        version that served), or None if there is none yet."""
        from recommender.artifacts import ArtifactError, current_version, list_versions

        root = self.settings.resolved_model_dir
        # Versions without a `CURRENT` are no empty root: the loader serves the newest that served.
        if not root.exists() or (current_version(root) is None and not list_versions(root)):
            log.info("no model in %s yet", root)  # a fresh clone: `python -m bot` says so and trains one
            return None
        try:
            rec = await asyncio.to_thread(Recommender.load, root)
        except ArtifactError:
            log.exception("could not load the model in %s", root)
            return None
        await self.serve(rec, lambda: self.register_active(rec), in_background=True)
        return rec

    async def serve(self, rec: Recommender, register: Callable[[], Awaitable[Any]], *,
                    in_background: bool = False) -> None:
        """Serve `rec`: swap it in, record it as active (behind other bookkeeping when `in_background`),
        re-check the configured catalog and let the features rebuild for the models now serving."""
        self.swap(rec)
        if in_background:
            self.housekeeping.queue(register)
        else:
            await register()
        await self.check_catalog()
        await self.models_changed()

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

    def tidy_models(self) -> None:
        """Half-written versions a killed training left, and versions beyond KEEP_MODEL_VERSIONS."""
        from recommender.artifacts import tidy

        try:
            tidy(self.settings.resolved_model_dir, keep=self.settings.keep_model_versions)
        except OSError:
            log.exception("could not tidy the model directory %s", self.settings.resolved_model_dir)

    async def register_active(self, rec: Recommender) -> None:
        if self._recommender is not rec:  # a retrain swapped in (and registered) a newer one meanwhile
            return
        metrics = rec.metadata.get("evaluation", {}) if isinstance(rec.metadata, dict) else {}
        await self.store.register_model(rec.version, metrics if isinstance(metrics, dict) else {}, active=True)

    def warning(self) -> str | None:
        """What the /model card warns about: a broken version replaced, a catalog it was not trained on."""
        rec = self._recommender
        meta = rec.metadata if rec is not None and isinstance(rec.metadata, dict) else {}
        return " ".join(w for w in (fallback_warning(meta), self.catalog_warning) if w) or None
