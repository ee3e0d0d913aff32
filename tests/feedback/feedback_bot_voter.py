"""One bot process of the two-process load test (run as a script, not collected by pytest).

usage: feedback_bot_voter.py PLAN_JSON_FILE      (DATABASE_URL and DATA_DIR from the environment)

Does what the bot does with votes: `FeedbackSettings` from the environment, `FeedbackStore.open`
(which migrates: the test starts both processes on an empty database, so they migrate it at the
same time), the vote outbox at `settings.outbox_path` (its own journal: the second process on the
same DATA_DIR gets `...-outbox.2`). Prints "ready", waits for a line on stdin so that both
processes start voting at the same moment, reads the plan (written meanwhile, once the parent
has posted the recommendations it votes on), then submits its votes concurrently
(`outbox.submit`, as the listeners do): one task per (user, target), whose votes go in plan order
as one member's reactions do, all tasks at once. It waits until every vote is written and prints
one JSON line: the outcomes, the journal it used, how many votes in it are unfinished, and the seconds it took.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from pathlib import Path

from feedback import FeedbackStore, Vote, VoteKind, VoteOutbox, VoteOutcome
from feedback.outbox import _pending
from feedback.settings import FeedbackSettings


async def main(plan_file: Path) -> None:
    settings = FeedbackSettings()
    store = await FeedbackStore.open(settings.resolved_database_url)
    outbox = await VoteOutbox.open(store, settings.outbox_path)
    await outbox.replay()
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    started = time.perf_counter()
    plan_json = json.loads(await asyncio.to_thread(plan_file.read_text, encoding="utf-8"))
    plan = [Vote(**fields) for fields in plan_json]
    by_key: dict[tuple[object, ...], list[Vote]] = {}
    for vote in plan:
        by_key.setdefault((vote.kind is VoteKind.ITEM, vote.user_id, vote.message_id, vote.request_id,
                           vote.rank), []).append(vote)

    async def member(votes: list[Vote]) -> list[VoteOutcome]:
        futures = [await outbox.submit(vote) for vote in votes]
        return list(await asyncio.gather(*futures))

    results = await asyncio.wait_for(asyncio.gather(*(member(v) for v in by_key.values())), 120)
    outcomes = [o for per_member in results for o in per_member]
    await asyncio.wait_for(outbox.drained(), 120)
    seconds = time.perf_counter() - started
    journal = outbox.path
    await outbox.close()
    await store.close()
    unfinished = len(_pending(await asyncio.to_thread(journal.read_text, encoding="utf-8")))
    print(json.dumps({"outcomes": Counter(o.status.value for o in outcomes), "journal": str(journal),
                      "unfinished_in_journal": unfinished, "seconds": round(seconds, 2)}), flush=True)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
