"""End to end: a server imports its own library and `/recommend ... from:library` answers from it alone.

The export is Jellyfin-shaped (Name,ProductionYear,Type,Genres,OfficialRating), 300 titles: 280 of the
session model's catalog (some of them names several works share, one mistyped) and 20 the catalog
lacks, embedded for real by the saved encoder. The test guild sits on the second shard of a
two-shard bot so that a second server, with no library, is driven over the same stand-in.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import AsyncIterator

import pytest

from bot.settings import BotSettings
from feedback.db import sqlite_path
from recommender.library import EXTRA_ID_BASE
from tests.bot.library_helpers import INVENTED, jellyfin_export
from tests.bot.test_e2e_shards import TOKEN, running_sharded_bot
from tests.fakediscord import FakeDiscord

pytestmark = pytest.mark.slow


@pytest.fixture
async def two_servers() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(token=TOKEN, patch_discord=False, shard_count=2) as fake:
        yield fake


def _listed(settings: BotSettings) -> list[tuple[int, str]]:
    """(item_id, title) of the newest recorded list, read from the database file itself."""
    path = sqlite_path(settings.resolved_database_url)
    with sqlite3.connect(str(path)) as db:
        return db.execute("SELECT item_id, title FROM recommended_items WHERE request_id = "
                          "(SELECT max(id) FROM recommendation_requests) ORDER BY rank").fetchall()


async def _final_text(inter, wait: float = 120) -> str:
    message = await inter.wait_final_message(wait, where=lambda m: bool(m.get("content") or m.get("embeds")))
    if message.get("embeds"):
        return message["embeds"][0]["description"]
    return str(message["content"])


async def test_a_server_library_import_and_recommend_from_it(two_servers: FakeDiscord, settings: BotSettings,
                                                             session_recommender) -> None:
    fake = two_servers
    sharded = settings.model_copy(update={"shard_count": 2})
    wednesday = session_recommender.resolve("Wednesday").item
    raw, names = jellyfin_export(session_recommender, wednesday.genres)
    async with running_sharded_bot(sharded, fake) as bot:
        # A member may not import; nothing is stored.
        refused = await fake.send_slash_command("library import", {"file": ("library.csv", raw)}, user=fake.member,
                                                validate=False)
        assert "Manage Server" in (await refused.wait_response(3))["data"]["content"]
        assert await bot.store.get_library(guild_id=fake.guild_id) is None

        # An admin imports: deferred at once, then the counts and the lists.
        inter = await fake.send_slash_command("library import", {"file": ("library.csv", raw)}, user=fake.admin)
        await inter.wait_response(3)
        assert inter.responded_after is not None and inter.responded_after < 3
        report = await _final_text(inter)
        assert "Library imported" in report, report
        assert "300 titles" in report and "1 duplicate rows merged" in report
        assert "✅ 279 matched · ❔ 1 matched with doubt · ➕ 20 not in the catalog" in report, report
        assert "Nevermore Academy Chronicles 1" in report and "…and 10 more" in report  # listed, then counted
        stored = await bot.store.get_library(guild_id=fake.guild_id)
        assert stored is not None and len(stored.entries) == 300 and stored.count("extra") == 20

        # from:library: only this server's titles, some of them ones the catalog lacks.
        ask = await fake.send_slash_command("recommend", {"title": "Wednesday", "k": 20, "from": "library"})
        await ask.wait_response(3)
        text = await _final_text(ask)
        listed = _listed(settings)
        scope = await bot.services.library.scope(fake.guild_id)
        assert scope is not None and len(listed) == 20
        assert all(scope.has(item_id) for item_id, _ in listed), listed
        extras = [title for item_id, title in listed if item_id >= EXTRA_ID_BASE]
        assert extras and set(extras) <= {name for name, _, _ in INVENTED}, listed
        assert "Only titles this server has" in text
        assert all(title in names or item_id >= EXTRA_ID_BASE or _season_of(title, names)
                   for item_id, title in listed)

        # from:all in the same server: the whole catalog and the server's own titles, the server's titles marked.
        everything = await fake.send_slash_command("recommend", {"title": "Wednesday", "k": 20})
        await everything.wait_response(3)
        text = await _final_text(everything)
        listed = _listed(settings)
        owned = [item_id for item_id, _ in listed if scope.has(item_id)]
        assert 0 < len(owned) < 20 and text.count("📚") == len(owned) + 1  # one mark each, and the legend
        assert "📚 = this server has it" in text
        assert any(item_id >= EXTRA_ID_BASE for item_id, _ in listed)  # its own titles count here too

        # Another server is unaffected: no library there, and its lists are unmarked.
        other = fake.other_guild_ids[0]
        there = await fake.send_slash_command("recommend", {"title": "Wednesday", "from": "library"}, guild_id=other)
        assert "no library yet" in (await there.wait_response(3))["data"]["content"]
        plain = await fake.send_slash_command("recommend", {"title": "Wednesday", "k": 20}, guild_id=other)
        await plain.wait_response(3)
        assert "📚" not in await _final_text(plain)
        assert not any(item_id >= EXTRA_ID_BASE for item_id, _ in _listed(settings))  # no other server's titles
        assert await bot.store.get_library(guild_id=other) is None

        # A bad file is refused with one message, and the library is exactly as it was.
        before = await bot.store.get_library(guild_id=fake.guild_id)
        for bad in (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200),
                    b"Name,ProductionYear\n" + b"".join(b"Title %d,2000\n" % i for i in range(100_000))):
            refused = await fake.send_slash_command("library import", {"file": ("bad.csv", bad)}, user=fake.admin)
            await refused.wait_response(3)
            message = await _final_text(refused, wait=10)
            assert message.startswith("Nothing was imported"), message
        assert await bot.store.get_library(guild_id=fake.guild_id) == before
        assert not fake.server_errors


def _season_of(title: str, names: list[str]) -> bool:
    """A season row of a show the export names once (`Wednesday: Season 1` for `Wednesday`)."""
    return any(re.match(re.escape(name) + r"(?!\w)", title) for name in names)  # `S.W.A.T.` ends in no word
