"""Voter process for the outbox kill test (run as a script, not collected by pytest).

usage: feedback_outbox_writer.py DATABASE_URL OUTBOX_PATH PLAN_JSON

Opens the store and the outbox, prints "ready", then submits the votes of the plan (a JSON list of
Vote fields) one by one; after each submit has returned (the vote is fsynced in the journal) it
prints "accepted ID" and flushes, so every line the parent reads is a promise that the vote
survives. Then it waits forever (the parent kills it while the database is still locked).
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from feedback import FeedbackStore, Vote, VoteOutbox


async def main(url: str, outbox_path: str, plan: list[dict]) -> None:
    store = await FeedbackStore.open(url, migrate=False)
    outbox = await VoteOutbox.open(store, Path(outbox_path))
    print("ready", flush=True)
    for fields in plan:
        vote = Vote(**fields)
        await outbox.submit(vote)
        print(f"accepted {vote.id}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], json.loads(sys.argv[3])))
