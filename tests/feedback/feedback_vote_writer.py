"""Writer process for the crash test (run as a script, not collected by pytest).

usage: feedback_vote_writer.py DATABASE_URL MESSAGE_ID[,MESSAGE_ID...]

Opens the store, prints "ready", then votes from 8 concurrent tasks forever; after each vote's
transaction has committed it prints "committed MESSAGE USER VALUE" and flushes, so every line the
parent reads is a promise that the vote is durable.
"""

from __future__ import annotations

import asyncio
import sys

from feedback import FeedbackStore

TASKS = 8


async def main(url: str, messages: list[int]) -> None:
    store = await FeedbackStore.open(url, migrate=False)
    print("ready", flush=True)

    async def writer(task: int) -> None:
        for i in range(1_000_000):
            user_id = task * 1_000_000 + i
            message_id = messages[i % len(messages)]
            value = 1 if (user_id % 3) else -1
            await store.vote_message(message_id=message_id, user_id=user_id, value=value)
            print(f"committed {message_id} {user_id} {value}", flush=True)

    await asyncio.gather(*(writer(t) for t in range(TASKS)))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], [int(m) for m in sys.argv[2].split(",")]))
