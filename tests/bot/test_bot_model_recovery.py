"""The bot keeps serving the right model when the model root's pointer is lost, or a retrain child dies
after it switched `CURRENT` (real model files, a real child process, a real migrated store)."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.__main__ import ensure_model
from bot.admin.cog import AdminCog
from bot.services import Services
from bot.settings import BotSettings
from feedback import FeedbackStore
from recommender import artifacts
from tests.bot.bot_helpers import ADMIN_ID, FakeBot, StubInteraction
from tests.bot.experiment_helpers import add_challenger


@pytest.fixture
async def own_root_service(settings: BotSettings, store: FeedbackStore,
                           model_root_copy: Path) -> AsyncIterator[Services]:
    """Services over a private copy of the session model root, nothing loaded yet."""
    services = Services(settings.model_copy(update={"model_dir": model_root_copy}), store)
    try:
        yield services
    finally:
        await services.close()


@pytest.mark.parametrize("pointer", ["missing", "empty"])
async def test_a_lost_current_serves_the_version_that_served_and_model_says_so(
    own_root_service: Services, model_root_copy: Path, pointer: str, monkeypatch
) -> None:
    services, root = own_root_service, model_root_copy
    served = artifacts.current_version(root)
    never = root / add_challenger(root, "20991231-000000-never")  # newer, but saved without ever serving
    meta = json.loads((never / "metadata.json").read_text())
    del meta["activated_at"]
    (never / "metadata.json").write_text(json.dumps(meta))
    if pointer == "missing":
        (root / "CURRENT").unlink()
    else:
        (root / "CURRENT").write_text("")

    async def no_training(*_, **__):
        raise AssertionError("trained a new model although a version that served is intact")

    monkeypatch.setattr("bot.admin.service.run_retrain", no_training)
    await ensure_model(services.settings, services)  # what `python -m bot` does first
    assert services.model.recommender.version == served
    card = services.admin.model_card().description
    assert f"CURRENT is {pointer}" in card and served in card and "/retrain" in card, card


async def test_a_child_killed_after_activation_serves_what_current_names(
    own_root_service: Services, model_root_copy: Path, monkeypatch
) -> None:
    services, root = own_root_service, model_root_copy
    await services.model.load_current()
    old = services.model.recommender.version
    new = add_challenger(root, "20991231-000000-new")
    # The child switches CURRENT to its new version and is killed before it can report (SIGKILL).
    script = (f"import os, signal; from recommender import artifacts; artifacts.activate({str(root)!r}, {new!r}); "
              "os.kill(os.getpid(), signal.SIGKILL)")
    monkeypatch.setattr("bot.admin.service.retrain_command", lambda **_: [sys.executable, "-c", script])
    fbot = FakeBot(services.settings, services)
    cog = AdminCog(fbot)  # type: ignore[arg-type]
    cog.status_interval = 0.0
    inter = StubInteraction(fbot, user_id=ADMIN_ID)
    await cog.retrain.callback(cog, inter)

    assert artifacts.current_version(root) == new and old != new
    assert services.model.recommender.version == new
    assert await services.store.active_model() == new
    public = inter.edits[-1]
    assert "Retrain failed" not in public and "keeps serving" not in public, public
    assert new in public and "did not finish" in public, public
    private = inter.sent[-1]
    assert private.kind == "followup" and private.ephemeral and "code -9" in private.content
    job = (await services.store.retrain_jobs())[0]
    assert job["status"] == "succeeded" and job["version"] == new and "code -9" in job["error"], job


async def test_a_failed_child_that_left_current_alone_still_fails(
    own_root_service: Services, model_root_copy: Path, monkeypatch
) -> None:
    services = own_root_service
    await services.model.load_current()
    old = services.model.recommender
    monkeypatch.setattr("bot.admin.service.retrain_command", lambda **_: [sys.executable, "-c", "raise SystemExit(3)"])
    outcome = await services.admin.retrain(requested_by=ADMIN_ID, guild_id=None)
    assert outcome.status == "failed" and "code 3" in outcome.message
    assert services.model.recommender is old  # not even reloaded


async def test_the_first_training_at_start_up_is_nobodys_retrain(
    settings: BotSettings, store: FeedbackStore, tmp_path: Path, monkeypatch
) -> None:
    """With no model, start-up trains one; that job is recorded without a user id, so /privacy does not
    tell the console user (or anyone) that they ran /retrain. A failing child keeps the test fast."""
    services = Services(settings.model_copy(update={"model_dir": tmp_path / "no-models"}), store)
    monkeypatch.setattr("bot.admin.service.retrain_command", lambda **_: [sys.executable, "-c", "raise SystemExit(3)"])
    try:
        with pytest.raises(SystemExit, match="Could not train a first model"):
            await ensure_model(services.settings, services)
    finally:
        await services.close()
    jobs = await store.retrain_jobs()
    assert [job["requested_by"] for job in jobs] == [None]
    summary = await store.summarise_user(settings.console_user_id)
    assert summary["counts"]["retrain_jobs"] == 0, summary
