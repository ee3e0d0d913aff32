"""The offline console through its real stdin/stdout: `python -m bot` with no token."""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.console import Console, parse_recommend_args
from bot.errors import UserError
from bot.services import Services
from tests.bot.bot_helpers import CATALOG, ENRICHMENT, REPO, USER_ID, journal_on_full_disk


def _env(tmp_path: Path, model_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_", "ADMIN_"))}
    env.update(
        DATA_DIR=str(tmp_path / "data"),
        MODEL_DIR=str(model_dir),
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'data' / 'console.db'}",
        CATALOG_PATH=str(CATALOG),
        ENRICHMENT_PATH=str(ENRICHMENT),  # the data the session model was trained on (and only that)
        BUNDLED_ENRICHMENT="false",
        DISCORD_TOKEN="",
        LOG_LEVEL="WARNING",
    )
    return env


def test_console_session(tmp_path: Path, model_root: Path) -> None:
    lines = [
        "/help",
        "/recommend Wednesday k:3 type:Show language:English",
        "/vote 1 up",
        "/vote-item 1 2 down",
        "/vote 424242 up",
        "/recommend Stranger",
        "/pick 1",
        "/recommend 🎬🍿",
        "/recommend '; DROP TABLE votes; --",
        "/model",
        "/feedback-stats",
        "/privacy",
        "/frobnicate",
    ]
    proc = subprocess.run(
        [sys.executable, "-m", "bot"], input="\n".join(lines) + "\n", capture_output=True, text=True,
        env=_env(tmp_path, model_root), cwd=tmp_path, timeout=60,
    )
    out = proc.stdout
    assert proc.returncode == 0, proc.stderr
    assert "offline console" in out and "/vote-item" in out
    assert "== Because you watched Wednesday: Season 1 ==" in out
    first = out.split("== Because you watched Wednesday: Season 1 ==")[1].split("Vote:")[0]
    assert "\n1. " in first and "\n3. " in first and "\n4. " not in first  # k:3
    assert "Show · English" in first and "Movie ·" not in first  # type:Show language:English
    assert "Recorded 👍 for request 1." in out
    assert "Recorded 👎 for recommendation #2 of request 1." in out
    assert "! 424242 is not a recommendation request or message." in out
    assert "Did you mean" in out and "== Because you watched Stranger Things" in out
    assert "no letters" in out
    assert "couldn't find a title matching “'; DROP TABLE votes; --”" in out
    assert "== Active model ==" in out and "👍 1 · 👎 0" in out
    assert "What Reelmate stores" in out
    assert "Unknown command /frobnicate" in out
    assert out.rstrip().endswith("bye")  # EOF ends the session cleanly
    db = sqlite3.connect(tmp_path / "data" / "console.db")
    try:
        assert db.execute("select count(*) from recommendation_requests").fetchone()[0] == 2
    finally:
        db.close()


def test_console_forget_me_needs_confirmation(tmp_path: Path, model_root: Path) -> None:
    lines = ["/recommend Wednesday", "/forget-me", "no", "/forget-me", "yes", "/quit", "/model"]
    proc = subprocess.run(
        [sys.executable, "-m", "bot"], input="\n".join(lines) + "\n", capture_output=True, text=True,
        env=_env(tmp_path, model_root), cwd=tmp_path, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Cancelled: nothing was deleted." in proc.stdout
    assert "Done: deleted" in proc.stdout
    assert "Active model" not in proc.stdout  # /quit stopped before /model


def test_console_trains_first_model_when_none(tmp_path: Path) -> None:
    """A fresh clone: no model yet, so the entry point trains one first, with epoch progress."""
    env = _env(tmp_path, tmp_path / "models")
    env["RETRAIN_EPOCHS"] = "1"
    proc = subprocess.run(
        [sys.executable, "-m", "bot"], input="/recommend Wednesday k:2\n", capture_output=True, text=True,
        env=env, cwd=tmp_path, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "training one from" in proc.stdout
    assert "epoch 1/1" in proc.stdout
    assert "Now serving model" in proc.stdout
    assert "== Because you watched Wednesday: Season 1 ==" in proc.stdout


def test_parse_recommend_args() -> None:
    assert parse_recommend_args("Wednesday k:5 type:Show language:English") == {
        "query": "Wednesday", "k": 5, "content_type": "Show", "language": "English"}
    assert parse_recommend_args('title:"Outer Banks" k:2') == {"query": "Outer Banks", "k": 2}
    assert parse_recommend_args("'; DROP TABLE votes; --") == {"query": "'; DROP TABLE votes; --"}
    with pytest.raises(UserError):
        parse_recommend_args("Wednesday k:lots")


def test_repo_root_is_where_tests_run() -> None:
    assert (REPO / "bot" / "__main__.py").exists()


def test_console_seen_and_experiment_commands(tmp_path: Path, model_root_copy: Path) -> None:
    from tests.bot.experiment_helpers import CHALLENGER_VERSION, add_challenger

    add_challenger(model_root_copy)
    lines = [
        "/recommend Wednesday k:3",
        "/seen-item 1 1",
        "/seen Squid Game",
        "/experiment status",
        "/experiment start version:nope share:20",
        f"/experiment start version:{CHALLENGER_VERSION} share:99",
        "/recommend Wednesday k:3",
        "/vote 2 up",
        "/experiment status",
        "/experiment stop",
        "/privacy",
    ]
    proc = subprocess.run(
        [sys.executable, "-m", "bot"], input="\n".join(lines) + "\n", capture_output=True, text=True,
        env=_env(tmp_path, model_root_copy), cwd=tmp_path, timeout=60,
    )
    out = proc.stdout
    assert proc.returncode == 0, proc.stderr
    first, second = out.split("== Because you watched Wednesday: Season 1 ==")[1:3]
    seen_title = first.split("\n1. ")[1].split("\n")[0].split(" · ")[0].strip()
    assert "Marked #1 of request 1 as seen" in out and "Marked Squid Game" in out
    assert "No experiment has been run yet." in out and "There is no model version" in out
    assert "Experiment 1 started" in out
    assert seen_title and seen_title not in second.split("Vote:")[0]  # the seen title left the next list
    status = out.split("== A/B experiment ==")[1]
    assert "control (1%)" in status and "challenger (99%)" in status and "Experiment 1 stopped" in out
    with sqlite3.connect(tmp_path / "data" / "console.db") as con:
        arms = con.execute("SELECT arm, model_version FROM recommendation_requests ORDER BY id").fetchall()
    # The console user is one member: hashed into one arm for experiment 1 (99%: almost surely challenger).
    assert arms[0] == (None, arms[0][1]) and arms[1][0] in ("control", "challenger")
    assert (arms[1][0] == "challenger") == (arms[1][1] == CHALLENGER_VERSION)
    assert "title(s) marked as seen" in out


async def test_vote_and_vote_item_refuse_alike_when_the_journal_cannot_be_written(services: Services) -> None:
    out = io.StringIO()
    console = Console(services, user_id=USER_ID, stdout=out)
    await console.handle("/recommend Wednesday")
    await services.votes.open_outbox()
    with journal_on_full_disk(services.settings.outbox_path):
        await console.handle("/vote 1 up")
        await console.handle("/vote-item 1 2 down")
    refusals = [line for line in out.getvalue().splitlines() if line.startswith("!")]
    assert refusals == ["! the vote could not be saved (No space left on device); please vote again"] * 2
    exported = await services.store.export_user(USER_ID)
    assert (exported["message_votes"], exported["item_votes"]) == ([], [])


async def test_the_console_does_not_echo_control_characters(services: Services) -> None:
    out = io.StringIO()
    console = Console(services, user_id=USER_ID, stdout=out)
    for line in ("/recommend \x1b[31mWednes\x07day\x1b]0;owned\x07", "\x1b[2Jzzqqxx\u202e", "/vote \x1b[31m up",
                 "/frob\x1b[31m"):
        await console.handle(line)
    said = out.getvalue()
    assert said.strip()
    assert not any((ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) < 0xA0 or c == "\u202e" for c in said), said
