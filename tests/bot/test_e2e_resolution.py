"""End to end: the issue's title examples through `/recommend` on the Discord stand-in, with the
real discord.py client and a model over the full bundled catalog (stand-in embeddings)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import BotSettings
from tests.bot.conftest import make_settings
from tests.bot.e2e import running_bot
from tests.fakediscord import FakeDiscord
from tests.recommender.test_resolution import ISSUE_EXAMPLES

pytestmark = pytest.mark.slow


@pytest.fixture
def full_settings(tmp_path: Path, full_catalog_model: Path) -> BotSettings:
    return make_settings(tmp_path, full_catalog_model)


async def test_issue_examples_through_recommend_and_autocomplete(fake: FakeDiscord, full_settings: BotSettings) -> None:
    async with running_bot(full_settings, fake):
        for query, title in [*ISSUE_EXAMPLES, ("Kingdom", "Kingdom: Season 1 // 킹덤: 시즌 1")]:
            options: dict[str, object] = {"title": query, "k": 3}
            if query == "Kingdom":
                options["language"] = "Korean"
            inter = await fake.send_slash_command("recommend", options)
            await inter.wait_response(3)
            assert inter.responded_after is not None and inter.responded_after < 3
            message = await inter.wait_final_message(15, where=lambda m: bool(m.get("embeds")))
            assert title in message["embeds"][0]["title"], (query, message["embeds"][0]["title"])
            if query == "witcher":  # a bare franchise name says which entry it used
                assert "using The Witcher: Season 3 (most watched)" in message["embeds"][0]["description"]

        # a film's own title is that film, not its most watched sequel
        films = [("extraction", "Extraction"), ("enola holmes", "Enola Holmes"), ("john wick", "John Wick")]
        for query, title in films:
            inter = await fake.send_slash_command("recommend", {"title": query, "k": 3})
            message = await inter.wait_final_message(15, where=lambda m: bool(m.get("embeds")))
            assert message["embeds"][0]["title"] == f"Because you watched {title}", query

        # works sharing a name: the most watched answers, the card names the other, and a private
        # did-you-mean offers it as a button that recommends from it
        inter = await fake.send_slash_command("recommend", {"title": "One Piece", "k": 3})
        message = await inter.wait_final_message(15, where=lambda m: bool(m.get("embeds")))
        embed = message["embeds"][0]
        assert embed["title"] == "Because you watched ONE PIECE: Season 1"
        assert "using ONE PIECE: Season 1 (English show, most watched of 2 works" in embed["description"]
        assert "• ONE PIECE: East Blue // ワンピース: イーストブルー編 (Show, Japanese)" in embed["description"]
        offer = await inter.wait_final_message(15, where=lambda m: bool(m.get("components")) and not m.get("embeds"))
        assert int(offer["flags"]) & 64 and "Did you mean" in offer["content"]
        buttons = [c for row in offer["components"] for c in row["components"]]
        assert [b["label"] for b in buttons] == ["ONE PIECE: East Blue // ワンピース: イーストブルー編"]
        click = await fake.send_component(buttons[0]["custom_id"], int(offer["id"]))
        anime = await click.wait_final_message(15, where=lambda m: bool(m.get("embeds")))
        assert anime["embeds"][0]["title"] == "Because you watched ONE PIECE: East Blue // ワンピース: イーストブルー編"

        # one bot start (the full catalog's index takes seconds to build) serves autocomplete too
        ac = await fake.send_autocomplete("recommend", {"title": "stranger th"}, focused="title")
        await ac.wait_response(3)
        names = [c["name"] for c in ac.choices]
        assert names[0] == "Stranger Things 4"  # the franchise before its other seasons
        assert {"Stranger Things", "Stranger Things 2", "Stranger Things 3"} <= set(names)
        assert not fake.unknown_requests and not fake.server_errors
