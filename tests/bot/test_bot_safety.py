"""Output that cannot surprise a server: escaping, mentions, broken Unicode, private failures.

The services, model and SQLite store are real; the catalog gets one hostile title (markdown and a
mass mention) so that catalog text, not only user text, is exercised.
"""

from __future__ import annotations

import asyncio
import io
import os
import random
import re
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot import render
from bot.admin.cog import AdminCog
from bot.admin.retrain import RetrainRun
from bot.app import create_bot
from bot.console import Console
from bot.errors import UserError
from bot.recommend.service import DidYouMean, Recommended
from bot.services import Services
from bot.settings import BotSettings
from feedback import FeedbackStore
from recommender.events import DoneEvent, EpochEvent, ErrorEvent
from recommender.serving import Recommender
from tests.bot.bot_helpers import ADMIN_ID, USER_ID, FakeBot, StubInteraction
from tests.bot.e2e import restore_endpoints

HOSTILE_TITLE = "The F**k-It List @everyone"
# A mention that would ping: @everyone/@here, or <@id>, <@!id>, <@&role> without the inserted zero-width space.
PING = re.compile(r"@(everyone|here)|<@[!&]?\d+>")
UNESCAPED_MARKDOWN = re.compile(r"(?<!\\)[*_~|`]")
TMPFS = "/dev/shm" if os.path.isdir("/dev/shm") else None


@pytest.fixture(scope="module")
def hostile_recommender(session_recommender: Recommender) -> Recommender:
    """The session model with its most watched title renamed to markdown and a mass mention."""
    items = session_recommender.items.copy()
    row = int(items["hours_viewed"].to_numpy().argmax())
    items.loc[row, "title"] = HOSTILE_TITLE
    return Recommender(session_recommender.embeddings, items, session_recommender.metadata)


@pytest.fixture
def hostile_service(settings: BotSettings, store, hostile_recommender: Recommender) -> Services:
    return Services(settings, store, hostile_recommender)


async def _ask(services: Services, query: str, **options: object) -> Recommended | DidYouMean:
    return await services.recommend.recommend(user_id=USER_ID, guild_id=1, channel_id=2, query=query, **options)


def _discord_texts(answer: Recommended | DidYouMean) -> list[str]:
    if isinstance(answer, DidYouMean):
        return [answer.text]
    card = answer.card
    return [card.title, card.description, card.footer, *(v for _, v in card.fields)]


async def test_catalog_markdown_and_mentions_are_escaped(hostile_service: Services) -> None:
    answer = await _ask(hostile_service, HOSTILE_TITLE)
    assert isinstance(answer, Recommended)
    title = answer.card.title
    assert "The F\\*\\*k-It List" in title and "F**k" not in title
    assert not PING.search(title)
    dym = await _ask(hostile_service, "The F**k-It Lis @here <@&123456789012345678>")
    assert isinstance(dym, DidYouMean), dym
    assert not PING.search(dym.text) and not UNESCAPED_MARKDOWN.search(dym.text)
    assert "F\\*\\*k" in dym.text  # the candidate title is shown, literally
    neighbour = await _ask(hostile_service, "Wednesday", k=20)
    assert isinstance(neighbour, Recommended)
    assert "F**k" not in neighbour.card.description


async def test_lone_surrogates_are_refused_before_the_database(hostile_service: Services) -> None:
    with pytest.raises(UserError, match="broken characters"):
        await _ask(hostile_service, "Wednesday\udcff")
    with pytest.raises(UserError, match="Unknown language") as refused:
        await _ask(hostile_service, "Wednesday", language="Kor\ud800ean **x** @everyone")
    message = str(refused.value)
    message.encode("utf-8")  # no surrogate echoed back
    assert not PING.search(message) and "**x**" not in message
    assert (await hostile_service.store.export_user(USER_ID))["requests"] == []  # neither reached the database


def test_escape_is_discord_safe() -> None:
    out = render.escape("**bold** __u__ ~~s~~ ||spoiler|| `code` @here <@&1234567890123456789> \udcff")
    assert not PING.search(out) and not UNESCAPED_MARKDOWN.search(out)
    out.encode("utf-8")
    card = render.Card(title="t", description=out)
    assert "**bold** __u__" in card.to_text()  # the console shows the text as typed


def test_resolution_note_and_tie_reason_are_shown_escaped() -> None:
    """How a loose query was read, and why candidates tie, reach the member as plain text."""
    text = render.did_you_mean_text("kingdm", [], reason="ignored without candidates")
    assert "ignored" not in text
    item = type("It", (), {"title": "A **B**", "content_type": "Show", "language": "English"})()
    match = type("M", (), {"item": item})()
    text = render.did_you_mean_text("kingdm", [match], reason="two **works** are as watched @here")
    assert "(two \\*\\*works\\*\\* are as watched" in text and not PING.search(text)


def test_the_bot_pings_nobody(settings: BotSettings) -> None:
    with restore_endpoints():
        bot = create_bot(settings)
    mentions = bot.allowed_mentions
    assert mentions is not None
    assert (mentions.everyone, mentions.users, mentions.roles, mentions.replied_user) == (False, False, False, False)


_FRAGMENTS = [
    "Wednesday", "Stranger", "The Glory", HOSTILE_TITLE, "더 글로리", "進撃の巨人", "x" * 120,
    "\udcff", "\ud800", "\udfff", "\x00", "\x07", "\x1b[31m", "\x7f", "\u200b", "\u200c", "\u200d", "\ufeff",
    "\u202e", "\u200f", "\u2066", "مرحبا", "שלום", "**", "__", "~~", "||", "`", "```", "> ", "# ", "- ",
    "[link](https://example.com)", "@everyone", "@here", "<@&123456789012345678>", "<@123456789012345678>",
    "<@!123456789012345678>", "<#123456789012345678>", " ", "\n", "\t", "'; DROP TABLE votes; --", "%s", "{0}",
]


def _fuzz_queries(n: int, seed: int = 20261128) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(_FRAGMENTS) for _ in range(rng.randint(1, 6))) for _ in range(n)]


@pytest.fixture
async def fuzz_service(settings: BotSettings, hostile_recommender: Recommender) -> AsyncIterator[Services]:
    """A real migrated SQLite store, on tmpfs when there is one: the fuzz run records hundreds of requests
    and the disk's fsync would dominate the test's time, not the code under test."""
    with tempfile.TemporaryDirectory(dir=TMPFS) as tmp:
        store = await FeedbackStore.open(f"sqlite+aiosqlite:///{Path(tmp) / 'fuzz.db'}")
        try:
            yield Services(settings, store, hostile_recommender)
        finally:
            await store.close()


async def test_fuzz_10000_queries_are_answered_clearly_and_ping_nobody(fuzz_service: Services) -> None:
    """Generated hostile queries (and now and then a hostile language filter) through the services.

    Every answer is a recommendation, a did-you-mean or a refusal with a message (any other
    exception fails the test); none can ping; none carries a lone surrogate; each takes under 1 s.
    """
    slowest = 0.0
    kinds = {"recommended": 0, "did_you_mean": 0, "refused": 0}
    rng = random.Random(7)
    for query in _fuzz_queries(10_000):
        options = {"language": rng.choice(_FRAGMENTS)} if rng.random() < 0.05 else {}
        started = time.perf_counter()
        try:
            answer = await _ask(fuzz_service, query, **options)
        except UserError as exc:
            texts = [str(exc)]
            kinds["refused"] += 1
        else:
            texts = _discord_texts(answer)
            kinds["recommended" if isinstance(answer, Recommended) else "did_you_mean"] += 1
            if isinstance(answer, DidYouMean):
                assert not UNESCAPED_MARKDOWN.search(answer.text), (query, answer.text)
        slowest = max(slowest, time.perf_counter() - started)
        for text in texts:
            assert text.strip(), repr(query)
            text.encode("utf-8")  # sendable: no lone surrogate in any answer
            assert not PING.search(text), (query, text)
    assert slowest < 1.0, slowest
    assert all(kinds.values()), kinds  # the generator reached every kind of answer


async def test_a_failed_retrain_is_told_privately_to_the_admin(settings, services, monkeypatch) -> None:
    async def failing_run(cmd, progress=None, **_):
        await progress(EpochEvent(epoch=1, epochs=2, loss=0.5, seconds=0.1))
        await progress(ErrorEvent(message="catalog /srv/private/catalog.csv has no Title column"))
        return RetrainRun(returncode=2, error="catalog /srv/private/catalog.csv has no Title column")

    monkeypatch.setattr("bot.admin.service.run_retrain", failing_run)
    fbot = FakeBot(settings, services)
    cog = AdminCog(fbot)  # type: ignore[arg-type]
    cog.status_interval = 0.0
    inter = StubInteraction(fbot, user_id=ADMIN_ID)
    await cog.retrain.callback(cog, inter)
    assert all("/srv/private" not in edit for edit in inter.edits)  # the public status message
    assert "Retrain failed" in inter.edits[-1] and "privately" in inter.edits[-1]
    private = inter.sent[-1]
    assert private.kind == "followup" and private.ephemeral
    assert private.content.count("no Title column") == 1


async def test_console_retrain_runs_in_the_background(services: Services, monkeypatch) -> None:
    gate = asyncio.Event()

    async def slow_run(cmd, progress=None, **_):
        progress(EpochEvent(epoch=1, epochs=1, loss=0.5, seconds=0.1))
        await gate.wait()
        return RetrainRun(returncode=0, done=DoneEvent(version="v-new", path="/m/v-new", activated=False,
                                                       reason="worse than current"))

    monkeypatch.setattr("bot.admin.service.run_retrain", slow_run)
    out = io.StringIO()
    console = Console(services, user_id=USER_ID, stdin=io.StringIO(""), stdout=out)
    await console.handle("/retrain")
    assert services.admin.retrain_running
    await console.handle("Wednesday")  # answered while the retrain still runs
    assert "== Because you watched Wednesday: Season 1 ==" in out.getvalue()
    await console.handle("/retrain")
    assert "already running" in out.getvalue()
    gate.set()
    await console.finish_retrain()
    text = out.getvalue()
    assert "[retrain] epoch 1/1" in text and text.count("kept the current model") == 1


async def test_a_changed_catalog_is_reported(tmp_path, settings: BotSettings, store, session_recommender) -> None:
    same = Services(settings, store, session_recommender)
    assert await same.model.check_catalog() and same.model.catalog_warning is None
    changed_csv = tmp_path / "changed.csv"
    extra_row = b'New Show: Season 1,Yes,2024-01-01,"1,000",English,Show\n'
    changed_csv.write_bytes(settings.catalog_path.read_bytes() + extra_row)
    changed = Services(settings.model_copy(update={"catalog_path": changed_csv}), store, session_recommender)
    assert not await changed.model.check_catalog()
    assert "changed.csv" in (changed.model.catalog_warning or "")
    assert "⚠️" in changed.admin.model_card().description and "/retrain" in changed.admin.model_card().description


async def test_model_card_says_when_an_older_version_serves(settings: BotSettings, store, session_recommender) -> None:
    """A broken CURRENT is not hidden: /model names the broken version and why."""
    metadata = {**session_recommender.metadata,
                "serving_fallback": {"wanted": "v-broken", "reason": "items.csv does not match its checksum"}}
    rec = Recommender(session_recommender.embeddings, session_recommender.items, metadata)
    card = Services(settings, store, rec).admin.model_card()
    assert "v-broken" in card.description and "checksum" in card.description
    assert "v-broken" not in Services(settings, store, session_recommender).admin.model_card().description


async def test_startup_removes_abandoned_staging_folders(settings: BotSettings, store, tmp_path) -> None:
    from recommender import artifacts

    root = tmp_path / "models"  # empty: no model to load, only the leftover of a killed save
    root.mkdir()
    staging = root / f"{artifacts.STAGING_PREFIX}killed"
    staging.mkdir()
    old = time.time() - artifacts.STALE_STAGING_SECONDS - 60
    os.utime(staging, (old, old))
    services = Services(settings.model_copy(update={"model_dir": root}), store)
    await services.startup()
    assert not staging.exists()
    await services.close()
