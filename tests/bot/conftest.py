"""Fixtures for the bot tests: real SQLite stores and settings in tmp dirs.

The model fixtures (`model_root`, `model_root_copy`, `session_recommender`) come from tests/conftest.py.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.services import Services
from bot.settings import BotSettings
from feedback import FeedbackStore
from feedback.db import sqlite_path
from lab.simulate.bot_handle import RecommendService
from recommender.serving import Recommender
from tests.bot.bot_helpers import ADMIN_ID, CATALOG, ENRICHMENT
from tests.fakediscord import FakeDiscord


def make_settings(tmp_path: Path, model_dir: Path, **overrides: object) -> BotSettings:
    values: dict[str, object] = dict(
        _env_file=None,
        discord_token=None,
        data_dir=tmp_path,
        model_dir=model_dir,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        catalog_path=CATALOG,
        enrichment_path=ENRICHMENT,
        bundled_enrichment=False,  # the session model was trained on the fixture listing alone
        admin_user_ids=[ADMIN_ID],
        dev_guild_id=None,
        retrain_epochs=1,
        cooldown_rate=100,
        cooldown_per=10.0,
        guild_ready_timeout=0.1,
        discord_api_base=None,
        discord_gateway_url=None,
    )
    values.update(overrides)
    return BotSettings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(tmp_path: Path, model_root: Path) -> BotSettings:
    return make_settings(tmp_path, model_root)


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file upgraded to head by the real Alembic migrations, once per session.

    Each `store` starts from a copy: running every migration again per test costs ~0.3 s, and the
    migrations themselves are tested in tests/feedback/test_feedback_migrations.py.
    """
    path = tmp_path_factory.mktemp("migrated") / "template.db"

    async def migrate() -> None:
        await (await FeedbackStore.open(f"sqlite+aiosqlite:///{path}")).close()

    asyncio.run(migrate())
    return path


@pytest.fixture
async def store(settings: BotSettings, migrated_database: Path) -> AsyncIterator[FeedbackStore]:
    database = sqlite_path(settings.resolved_database_url)
    assert database is not None
    shutil.copyfile(migrated_database, database)
    s = await FeedbackStore.open(settings.resolved_database_url)  # finds the schema at head
    try:
        yield s
    finally:
        await s.close()


@pytest.fixture
async def services(
    settings: BotSettings, store: FeedbackStore, session_recommender: Recommender
) -> AsyncIterator[Services]:
    opened = Services(settings, store, session_recommender)
    try:
        yield opened
    finally:
        await opened.close()  # the vote outbox's writer task and journal lock


@pytest.fixture
async def service(
    settings: BotSettings, store: FeedbackStore, session_recommender: Recommender
) -> AsyncIterator[RecommendService]:
    """The simulator's handle on the bot (`lab.simulate.bot_handle`), for the simulation tests."""
    opened = RecommendService(settings, store, session_recommender)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    """The local Discord stand-in the end-to-end tests drive the real discord.py client against."""
    async with FakeDiscord(token="test-token-e2e-secret", patch_discord=False) as f:
        yield f
