"""A writer process killed with SIGKILL mid-burst loses no vote it reported as committed."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from feedback import FeedbackStore

WRITER = Path(__file__).with_name("feedback_vote_writer.py")
REPO_ROOT = Path(__file__).resolve().parents[2]
MESSAGES = [31, 32, 33, 34]
KILL_AFTER = 150  # committed votes seen before the kill


def run_writer_and_kill_it(db_url: str) -> list[tuple[int, int, int]]:
    """Start the writer process, SIGKILL it mid-burst, return the votes it reported committed."""
    proc = subprocess.Popen(
        [sys.executable, str(WRITER), db_url, ",".join(map(str, MESSAGES))],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # The repo first on the path: the child imports this checkout even if the install is stale.
        env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))},
    )
    watchdog = threading.Timer(60, proc.kill)  # never hang the suite if the writer stalls
    watchdog.start()
    committed: list[tuple[int, int, int]] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("committed "):
                _, message_id, user_id, value = line.split()
                committed.append((int(message_id), int(user_id), int(value)))
                if len(committed) >= KILL_AFTER:
                    break
        os.kill(proc.pid, signal.SIGKILL)  # mid-burst: 8 transactions are in flight
        rest, errors = proc.communicate(timeout=30)
    finally:
        watchdog.cancel()
    assert proc.returncode == -signal.SIGKILL, errors
    for line in rest.splitlines(keepends=True):
        if line.startswith("committed ") and line.endswith("\n"):  # ignore a torn last line
            _, message_id, user_id, value = line.split()
            committed.append((int(message_id), int(user_id), int(value)))
    return committed


@pytest.mark.slow
async def test_sigkill_mid_burst_keeps_every_committed_vote(db_url, db) -> None:
    store = await FeedbackStore.open(db_url)
    for message_id in MESSAGES:
        request_id = await store.record_request(
            guild_id=1, channel_id=1, user_id=5, query="q", resolved_item_id=None, resolved_title=None,
            model_version="vA", latency_ms=1.0, items=[(1, "a", 0.5)],
        )
        await store.attach_message(request_id, message_id)
    await store.close()

    committed = await asyncio.to_thread(run_writer_and_kill_it, db_url)
    assert len(committed) >= KILL_AFTER

    assert db.integrity_ok()
    stored = set(db.query("SELECT message_id, user_id, value FROM message_votes"))
    missing = set(committed) - stored
    assert not missing, f"{len(missing)} committed votes lost, e.g. {sorted(missing)[:5]}"
    assert len(stored) - len(committed) <= 8  # at most the in-flight ones committed unreported

    reopened = await FeedbackStore.open(db_url)  # opens cleanly and keeps accepting votes
    try:
        assert db.integrity_ok()
        await reopened.vote_message(message_id=MESSAGES[0], user_id=1, value=1)
        up, down = await reopened.message_counts(MESSAGES[0])
        assert up + down == 1 + sum(1 for m, _, _ in stored if m == MESSAGES[0])
    finally:
        await reopened.close()
