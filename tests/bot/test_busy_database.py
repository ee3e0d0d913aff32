"""Another process holds the SQLite write lock: /recommend still answers, and start-up does not wait.

A plain sqlite3 connection (the test process; the console is a real `python -m bot` child) holds
`BEGIN IMMEDIATE` while the bot starts, answers a list and takes votes on it; once the lock is
released the request and every vote on it are stored. The full 60 s version of this scenario is
measured by hand (docs/reliability-startup.md); here the lock lasts a few seconds.
"""

from __future__ import annotations

import asyncio
import os
import queue
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from pathlib import Path
from typing import IO

from bot.recommend.service import Recommended
from bot.services import Services
from bot.settings import BotSettings
from bot.tree import describe_error
from feedback import FeedbackStore, StoreUnavailable, VoteStatus
from feedback.db import sqlite_path
from tests.bot.bot_helpers import CATALOG, ENRICHMENT, REPO

ANSWER_DEADLINE = 3.0  # Discord's interaction deadline
STARTUP_DEADLINE = 15.0  # a console started under the lock answers /recommend within this


def _stored(db_file: Path, sql: str, *args: object) -> list[tuple]:
    with closing(sqlite3.connect(db_file)) as con:
        return con.execute(sql, args).fetchall()


async def test_recommend_answers_under_a_write_lock_and_its_votes_land_after(services: Services) -> None:
    db_file = sqlite_path(services.settings.resolved_database_url)
    assert db_file is not None
    await services.votes.open_outbox()
    blocker = sqlite3.connect(db_file, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock from now on
    try:
        started = time.monotonic()
        outcome = await asyncio.wait_for(
            services.recommend.recommend(user_id=7, guild_id=None, channel_id=None, query="Wednesday", k=3),
            ANSWER_DEADLINE,
        )
        assert isinstance(outcome, Recommended) and len(outcome.result.items) == 3
        await asyncio.wait_for(services.votes.attach_message(outcome.request_id, 555), ANSWER_DEADLINE)
        assert time.monotonic() - started < ANSWER_DEADLINE
        reaction = await services.votes.vote_message(message_id=555, user_id=8, value=1, wait=0.1)
        assert reaction.status is VoteStatus.QUEUED  # kept, not refused as "not a recommendation"
        item = await services.votes.vote_item(request_id=outcome.request_id, rank=2, user_id=9, value=-1, wait=0.1)
        assert "kept safe in the outbox" in item
        assert _stored(db_file, "SELECT count(*) FROM recommendation_requests") == [(0,)]
    finally:
        blocker.execute("COMMIT")
        blocker.close()
    assert services.votes.outbox is not None
    await asyncio.wait_for(services.votes.outbox.drained(), 20)
    assert services.votes.outbox.rejected == 0
    assert _stored(db_file, "SELECT id, user_id, query FROM recommendation_requests") == [
        (outcome.request_id, 7, "Wednesday")]
    assert _stored(db_file, "SELECT count(*) FROM recommended_items WHERE request_id = ?", outcome.request_id) == [(3,)]
    assert _stored(db_file, "SELECT message_id, request_id FROM recommendation_messages") == [(555, outcome.request_id)]
    assert _stored(db_file, "SELECT message_id, user_id, value FROM message_votes") == [(555, 8, 1)]
    assert _stored(db_file, "SELECT i.rank, v.user_id, v.value FROM item_votes v "
                            "JOIN recommended_items i ON i.id = v.recommended_item_id") == [(2, 9, -1)]


async def test_start_up_needs_no_write_lock_when_the_schema_is_current(
    settings: BotSettings, migrated_database: Path, model_root: Path
) -> None:
    db_file = sqlite_path(settings.resolved_database_url)
    assert db_file is not None
    shutil.copyfile(migrated_database, db_file)
    with closing(sqlite3.connect(db_file)) as con:  # a retrain a killed process left "running"
        con.execute("INSERT INTO retrain_jobs (status, started_at) VALUES ('running', '2026-01-01 00:00:00')")
        con.commit()
    blocker = sqlite3.connect(db_file, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        store = await asyncio.wait_for(FeedbackStore.open(settings.resolved_database_url), ANSWER_DEADLINE)
        services = Services(settings, store)
        await asyncio.wait_for(services.startup(), ANSWER_DEADLINE)  # housekeeping waits in the background
        assert services.model.has_model
        assert _stored(db_file, "SELECT status FROM retrain_jobs") == [("running",)]
    finally:
        blocker.execute("COMMIT")
        blocker.close()
    try:
        await asyncio.wait_for(services.model.housekeeping.done(), 20)
        assert _stored(db_file, "SELECT status FROM retrain_jobs") == [("failed",)]
        assert _stored(db_file, "SELECT version, active FROM model_versions") == [
            (services.model.recommender.version, 1)]
    finally:
        await services.close()
        await store.close()


def test_a_busy_database_is_not_reported_as_a_bug() -> None:
    message, is_bug = describe_error(StoreUnavailable("the feedback database stayed busy"))
    assert not is_bug and "busy" in message


def _reader(stream: IO[str], lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line)


def _wait_for_line(lines: queue.Queue[str], pattern: str, deadline: float, seen: list[str]) -> re.Match[str]:
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"no line matching {pattern!r} in time; output so far:\n{''.join(seen)}")
        try:
            line = lines.get(timeout=remaining)
        except queue.Empty:
            continue
        seen.append(line)
        found = re.search(pattern, line)
        if found:
            return found


def test_console_starts_and_answers_while_another_process_holds_the_write_lock(
    tmp_path: Path, model_root: Path, migrated_database: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    db_file = data / "console.db"
    shutil.copyfile(migrated_database, db_file)  # the schema is current: starting needs no write
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_", "ADMIN_"))}
    env.update(DATA_DIR=str(data), MODEL_DIR=str(model_root), DATABASE_URL=f"sqlite+aiosqlite:///{db_file}",
               CATALOG_PATH=str(CATALOG), ENRICHMENT_PATH=str(ENRICHMENT), BUNDLED_ENRICHMENT="false",
               DISCORD_TOKEN="", LOG_LEVEL="WARNING",
               PYTHONPATH=os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]))  # this checkout's code
    blocker = sqlite3.connect(db_file, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    locked = True
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "bot"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    assert proc.stdin is not None and proc.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_reader, args=(proc.stdout, lines), daemon=True).start()
    seen: list[str] = []
    try:
        proc.stdin.write("/recommend Wednesday k:3\n")
        proc.stdin.flush()
        vote = _wait_for_line(lines, r"Vote: /vote (\d+) up\|down", started + STARTUP_DEADLINE, seen)
        request_id = int(vote.group(1))
        assert proc.poll() is None
        proc.stdin.write(f"/vote {request_id} up\n/vote-item {request_id} 2 down\n")
        proc.stdin.flush()
        _wait_for_line(lines, r"Recorded 👎 for recommendation #2", time.monotonic() + 10, seen)
        assert _stored(db_file, "SELECT count(*) FROM recommendation_requests") == [(0,)]  # still locked
        blocker.execute("COMMIT")
        locked = False
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not _stored(db_file, "SELECT count(*) FROM item_votes")[0][0]:
            time.sleep(0.2)
        proc.stdin.write("/quit\n")
        proc.stdin.flush()
        assert proc.wait(timeout=20) == 0, proc.stderr.read() if proc.stderr else ""
    finally:
        if locked:
            blocker.execute("COMMIT")
        blocker.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
            print(proc.stderr.read() if proc.stderr else "")  # shown by pytest when the test fails
    assert _stored(db_file, "SELECT id, user_id FROM recommendation_requests") == [(request_id, 1)]
    assert _stored(db_file, "SELECT message_id, user_id, value FROM message_votes") == [(request_id, 1, 1)]
    assert _stored(db_file, "SELECT i.rank, v.user_id, v.value FROM item_votes v "
                            "JOIN recommended_items i ON i.id = v.recommended_item_id") == [(2, 1, -1)]
