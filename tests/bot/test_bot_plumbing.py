"""Settings, secret redaction, endpoint overrides and the retrain child-process runner."""

from __future__ import annotations

import io
import logging
import sys
import textwrap

import discord
import pytest

from bot.admin.retrain import child_env, last_error_line, retrain_command, run_retrain
from bot.app import apply_endpoint_overrides
from bot.logging_setup import configure_logging, redact
from bot.settings import BotSettings
from tests.bot.conftest import make_settings
from tests.bot.e2e import restore_endpoints


def test_settings_from_env(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "tok-123456")
    monkeypatch.setenv("ADMIN_USER_IDS", "11, 22,33")
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    s = BotSettings(_env_file=None)
    assert s.admin_user_ids == [11, 22, 33]
    assert s.token_value() == "tok-123456"
    assert "tok-123456" not in repr(s) and "tok-123456" not in str(s.model_dump())
    assert s.resolved_database_url == f"sqlite+aiosqlite:///{tmp_path / 'reelmate.db'}"
    monkeypatch.setenv("DISCORD_TOKEN", "  ")
    assert BotSettings(_env_file=None).discord_token is None  # blank line in .env = console


def test_env_example_documents_every_setting() -> None:
    from tests.bot.bot_helpers import REPO

    text = (REPO / ".env.example").read_text()
    for name in BotSettings.model_fields:
        assert f"{name.upper()}=" in text, name


def test_token_is_redacted_from_log_lines_and_tracebacks() -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    old_handlers, old_level = root.handlers[:], root.level
    try:
        configure_logging("INFO", secrets=["Bot.s3cr3t-token"], stream=stream)
        log = logging.getLogger("bot.test")
        log.info("connecting with %s", "Bot.s3cr3t-token")
        try:
            raise RuntimeError("bad header Authorization: Bot.s3cr3t-token")
        except RuntimeError:
            log.exception("failed")
    finally:
        for h in root.handlers[:]:
            root.removeHandler(h)
        for h in old_handlers:
            root.addHandler(h)
        root.setLevel(old_level)
    out = stream.getvalue()
    assert "s3cr3t" not in out
    assert "connecting with [REDACTED]" in out and "Authorization: [REDACTED]" in out


def test_endpoint_overrides() -> None:
    with restore_endpoints():
        apply_endpoint_overrides(BotSettings(_env_file=None, discord_api_base="http://127.0.0.1:9/api/v10/",
                                             discord_gateway_url="ws://127.0.0.1:9/"))
        assert discord.http.Route.BASE == "http://127.0.0.1:9/api/v10"
        assert str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY) == "ws://127.0.0.1:9/"
    assert discord.http.Route.BASE == "https://discord.com/api/v10"


def test_retrain_command_and_env(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "tok")
    cmd = retrain_command(data=tmp_path / "c.csv", model_dir=tmp_path / "m", epochs=2)
    assert cmd[:4] == [sys.executable, "-m", "bot.retrain_child", "retrain"]
    assert cmd[-2:] == ["--progress", "json"] and "--epochs" in cmd
    assert "DISCORD_TOKEN" not in child_env()  # the child never sees the token


async def test_run_retrain_streams_events_and_survives_noise() -> None:
    script = textwrap.dedent("""
        import sys
        from recommender.events import DoneEvent, EpochEvent
        print("not json", flush=True)
        print('{"event": "epoch", "epoch": "not a number"}', flush=True)  # malformed: skipped
        for i in (1, 2):
            print(EpochEvent(epoch=i, epochs=2, loss=1.5, seconds=0.25).to_json(), flush=True)
            sys.stderr.write("tf noise\\n" * 2000)
        print(DoneEvent(version="v1", path="/m/v1", activated=True, reason="ok").to_json(), flush=True)
    """)
    events = []

    async def progress(e):
        events.append(e.describe())

    run = await run_retrain([sys.executable, "-c", script], progress)
    assert run.returncode == 0 and run.activated and run.error is None
    assert events == ["epoch 1/2  loss 1.5000  (0.2s)", "epoch 2/2  loss 1.5000  (0.2s)", "model v1 activated: ok"]
    assert run.done is not None and run.done.version == "v1"
    assert run.stderr_tail[-1] == "tf noise"


async def test_run_retrain_failure_is_reported() -> None:
    script = 'import json,sys; print(json.dumps({"event": "error", "message": "catalog has no rows"})); sys.exit(3)'
    run = await run_retrain([sys.executable, "-c", script])
    assert run.returncode == 3 and run.error == "catalog has no rows" and not run.activated
    crash = await run_retrain([sys.executable, "-c", "raise SystemExit('boom')"])
    assert crash.returncode == 1 and "boom" in crash.error


async def test_a_crashed_retrain_reports_its_exception_not_library_chatter() -> None:
    script = textwrap.dedent("""
        import sys
        sys.stderr.write("Traceback (most recent call last):\\n  File \\"x.py\\", line 1\\n")
        sys.stderr.write("MemoryError: Unable to allocate 3.1 GiB for an array\\n")
        sys.stderr.write("I0000 00:00:1764290000.1 1 port.cc:153] oneDNN custom operations are on.\\n")
        sys.stderr.write("2026-11-28 00:40:00.1: I tensorflow/core/util/port.cc:153] oneDNN custom operations\\n")
        sys.exit(1)
    """)
    run = await run_retrain([sys.executable, "-c", script])
    assert run.returncode == 1
    assert run.error == "retrain exited with code 1: MemoryError: Unable to allocate 3.1 GiB for an array"
    assert last_error_line(["oneDNN custom operations are on.", "disk quota exceeded"]) == "disk quota exceeded"
    assert last_error_line(["I0000 00:00:1.2 1 port.cc:153] oneDNN custom operations are on."]) == ""


def test_interaction_tokens_are_redacted_by_shape() -> None:
    token = "aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDpTZWNyZXQ.abc-_x"
    line = (f"POST /api/v10/interactions/123456/{token}/callback; PATCH /webhooks/99/{token}/messages/@original; "
            f"WebSocket Event: {{'t': 'INTERACTION_CREATE', 'd': {{'token': '{token}', 'id': '5'}}}}")
    out = redact(line, [])
    assert token not in out and "aW50ZXJ" not in out
    assert "/interactions/123456/[REDACTED]/callback" in out and "'token': '[REDACTED]'" in out
    assert "'id': '5'" in out  # the rest of the line stays readable


@pytest.mark.parametrize("bundled", [True, False])
def test_retrain_child_trains_on_the_data_the_catalog_check_hashes(tmp_path, bundled: bool) -> None:
    """The child's listings are the bot's, so a fresh model never looks 'trained on other data'."""
    from recommender.cli import build_parser
    from recommender.settings import RecommenderSettings, enrichment_sources

    own = tmp_path / "own.csv"
    settings = make_settings(tmp_path, tmp_path / "m", enrichment_path=own, bundled_enrichment=bundled)
    cmd = retrain_command(data=settings.catalog_path, model_dir=tmp_path / "m", enrich=own, bundled=bundled)
    # the child's environment says the opposite: the command line must still win
    child_defaults = RecommenderSettings(_env_file=None, bundled_enrichment=not bundled)  # type: ignore[call-arg]
    args = build_parser(child_defaults).parse_args(cmd[3:])
    assert enrichment_sources(args.enrich, args.bundled_enrichment) == settings.enrichment_sources
