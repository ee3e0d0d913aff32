"""What a new user of the offline console reads: plain text, advice that holds there, no log chatter."""

from __future__ import annotations

import io
import logging
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.__main__ import log_level
from bot.console import Console
from bot.recommend.service import DidYouMean
from bot.services import Services
from bot.settings import BotSettings
from tests.bot.bot_helpers import USER_ID


async def _said(services: Services, *lines: str) -> str:
    out = io.StringIO()
    console = Console(services, user_id=USER_ID, stdout=out)
    for line in lines:
        await console.handle(line)
    return out.getvalue()


async def test_did_you_mean_is_plain_text_and_advice_that_holds_without_autocomplete(services: Services) -> None:
    said = await _said(services, "/recommend [qqzx](http://vvkj) k:2", "/recommend zzqqxxjj")
    assert "[qqzx](http://vvkj)" in said  # the query as typed, not Discord's escapes of it
    assert "\\[" not in said and "\\`" not in said
    assert "couldn't find a title matching “zzqqxxjj”. Check the spelling" in said
    assert "autocomplete" not in said  # the console has none


async def test_a_console_list_offers_only_votes_the_console_can_cast(services: Services) -> None:
    said = await _said(services, "/recommend Wednesday k:2")
    assert "/vote " in said and "/vote-item " in said
    assert "react" not in said and "👍/👎" not in said  # the console has no reactions


async def test_seen_without_a_title_shows_the_usage_of_seen(services: Services) -> None:
    said = await _said(services, "/seen", "/recommend")
    assert "! Please give a title, e.g. `/seen title:Wednesday`." in said
    assert "! Please give a title, e.g. `/recommend title:Wednesday`." in said


async def test_privacy_export_as_its_own_answer_spells_it(services: Services) -> None:
    said = await _said(services, "/recommend Wednesday", "/privacy")
    assert "`/privacy export:True` sends all of it" in said
    said = await _said(services, "/privacy export:True")
    assert "was written to" in said and "Usage" not in said


def test_other_works_after_a_list_are_offered_not_doubted() -> None:
    item = SimpleNamespace(title="ONE PIECE: East Blue", content_type="Show", language="Japanese")
    other = SimpleNamespace(item=item)
    text = DidYouMean("One Piece", [other], chosen="ONE PIECE: Season 1").text  # type: ignore[list-item]
    assert text.splitlines() == [
        "“One Piece” also names another work; the list is for ONE PIECE: Season 1. Did you mean:",
        "1. ONE PIECE: East Blue (Show, Japanese)",
    ]


async def test_the_interactive_prompt_is_the_one_the_readme_shows(services: Services) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = io.StringIO()
    await Console(services, user_id=USER_ID, stdin=Terminal("/quit\n"), stdout=out).run()
    assert "\nreelmate> bye" in out.getvalue()


@pytest.mark.parametrize(("env", "console", "level"), [
    ({}, True, "WARNING"),  # the console's terminal is its screen: no INFO bookkeeping between answers
    ({}, False, "INFO"),
    ({"LOG_LEVEL": "info"}, True, "INFO"),  # asked for: given
    ({"LOG_LEVEL": "DEBUG"}, False, "DEBUG"),
])
def test_log_level_is_quiet_in_the_console_unless_asked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: dict[str, str], console: bool, level: str
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env
    monkeypatch.delenv("LOG_LEVEL", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert log_level(BotSettings(), console) == level


async def test_a_mistyped_rank_is_told_to_the_voter_and_logs_no_warning(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        said = await _said(services, "/recommend Wednesday k:2", "/vote-item 1 9 up", "/seen-item 1 9")
    assert "! request 1 has no recommended item at rank 9; the vote was not recorded" in said
    assert "! request 1 has no recommended item at rank 9; nothing was marked" in said
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text  # console: the terminal


async def test_feedback_stats_of_a_model_without_votes_say_so(services: Services) -> None:
    said = await _said(services, "/recommend Wednesday k:2", "/feedback-stats")
    assert f"{services.model.recommender.version}: no 👍/👎 reactions on its lists yet" in said
    assert "0% positive" not in said


async def test_a_library_of_one_title_is_counted_in_the_singular(services: Services, tmp_path: Path) -> None:
    export = tmp_path / "one.csv"
    export.write_text("title\nWednesday\n", encoding="utf-8")
    said = await _said(services, f"/library import {export}", "/library show", "/library remove")
    assert "Library imported: 1 title (1 row read as CSV, 1 distinct title)." in said
    assert "This server's library: 1 title, imported" in said and "Library removed (1 title)." in said
