"""Voter process for the full-disk journal tests (run as a script, not collected by pytest).

usage: feedback_journal_voter.py DATABASE_URL OUTBOX_PATH      then commands on stdin, one a line:

    vote USER VALUE MESSAGE   submit a reaction vote: prints "accepted ID" once it is journaled
                              (a promise that it survives), or "refused REASON"
    fill BYTES                the disk fills: writes may grow the journal by BYTES more, then fail.
                              A file-size limit (RLIMIT_FSIZE) makes the kernel do what a full disk
                              does: a write that crosses it is cut short (its first part stays in the
                              file), the next one fails - with no mount and no root.
    free                      space is freed: the limit is lifted
    close                     what /quit does: close the outbox and the store, print "closed", exit

It prints "ready" once the outbox is open. The store gives up on a held write lock after ~0.1 s
(the tests hold it), so closing does not wait for a blocked database write.
"""

from __future__ import annotations

import asyncio
import resource
import sys
from pathlib import Path

import feedback.db
from feedback import FeedbackStore, StoreError, Vote, VoteKind, VoteOutbox
from feedback.transactions import RetryPolicy


async def main(url: str, outbox_path: Path) -> None:
    feedback.db.BUSY_TIMEOUT_MS = 50
    store = await FeedbackStore.open(url, migrate=False)
    store._transactor.retry = RetryPolicy(attempts=2, first_delay=0.01, max_delay=0.02)
    outbox = await VoteOutbox.open(store, outbox_path, max_backoff=0.1)
    _, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    print("ready", flush=True)
    while line := await asyncio.to_thread(sys.stdin.readline):
        command, *args = line.split()
        if command == "vote":
            user, value, message = map(int, args)
            vote = Vote(kind=VoteKind.MESSAGE, user_id=user, value=value, message_id=message)
            try:
                await outbox.submit(vote)
            except StoreError as exc:
                print(f"refused {exc}", flush=True)
            else:
                print(f"accepted {vote.id}", flush=True)
        elif command == "fill":
            resource.setrlimit(resource.RLIMIT_FSIZE, (outbox.path.stat().st_size + int(args[0]), hard))
            print("ok", flush=True)
        elif command == "free":
            resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))
            print("ok", flush=True)
        elif command == "close":
            await outbox.close()
            await store.close()
            print("closed", flush=True)
            return


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2])))
