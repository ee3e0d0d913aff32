"""Voter process for the outbox kill test (run as a script, not collected by pytest).

usage: feedback_outbox_writer.py DATABASE_URL OUTBOX_PATH PLAN_JSON   (or `run_voter_and_kill_it` from a test)

Opens the store and the outbox, prints "ready", then submits the votes of the plan (a JSON list of
Vote fields) one by one; after each submit has returned (the vote is fsynced in the journal) it
prints "accepted ID" and flushes, so every line the parent reads is a promise that the vote
survives. Then it waits forever (the parent kills it while the database is still locked).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from feedback import FeedbackStore, Vote, VoteOutbox

REPO_ROOT = Path(__file__).resolve().parents[2]


async def main(url: str, outbox_path: str, plan: list[dict]) -> None:
    store = await FeedbackStore.open(url, migrate=False)
    outbox = await VoteOutbox.open(store, Path(outbox_path))
    print("ready", flush=True)
    for fields in plan:
        vote = Vote(**fields)
        await outbox.submit(vote)
        print(f"accepted {vote.id}", flush=True)
    await asyncio.Event().wait()


def run_voter_and_kill_it(db_url: str, outbox_path: Path, plan: list[Vote]) -> list[str]:
    """Start the voter process, wait until it acknowledged every vote, SIGKILL it."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.Popen(
        [sys.executable, __file__, db_url, str(outbox_path),
         json.dumps([v.model_dump(mode="json") for v in plan])],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    accepted: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("accepted "):
                accepted.append(line.split()[1])
                if len(accepted) == len(plan):
                    break
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        _, errors = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL, errors
    return accepted


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], json.loads(sys.argv[3])))
