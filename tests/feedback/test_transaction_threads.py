"""The worker threads' shutdown: closing the store while a transaction that started after the close
began is still running must neither fail nor stop that transaction (a bot closing under load)."""

from __future__ import annotations

import asyncio
import threading

from feedback.threads import TransactionThreads


async def test_close_leaves_the_threads_started_after_it_running() -> None:
    threads = TransactionThreads()
    first_runs, later_runs, release = threading.Event(), threading.Event(), threading.Event()

    async def first() -> int:  # still running when the close begins, and until the later one runs
        first_runs.set()
        later_runs.wait(10)
        return 1

    async def later() -> int:
        later_runs.set()
        release.wait(10)
        return 2

    earlier = asyncio.create_task(threads.run(first, write=True))
    assert await asyncio.to_thread(first_runs.wait, 10)
    closing = asyncio.create_task(threads.close())
    await asyncio.sleep(0)  # the close has taken the running threads; the next run starts new ones
    after = asyncio.create_task(threads.run(later, write=True))
    assert await earlier == 1
    await closing  # closes the old thread's event loop only, not the one `later` runs on
    release.set()
    assert await after == 2
    await threads.close()
