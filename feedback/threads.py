"""The worker threads SQLite transactions run on: a whole transaction in one hand-off.

Why: through aiosqlite every statement crossed from the event loop to the connection's thread and
back several times (a busy server answering /recommend paid some 30 crossings a request, each a
thread wake-up and an event-loop wake-up). Here the event loop hands the whole transaction - its
BEGIN, every statement, the commit - to a worker thread once and is woken once when it is done;
on that thread the statements run at once (`feedback.sqlite_inline`).

One writer thread: SQLite has a single writer anyway, and a write that outlives its caller
(cancelled while it runs) still finishes before the next one starts. A few reader threads: reads
run beside the writer (WAL) and beside each other. Each thread has an event loop of its own, on
which the transaction's coroutine (the store's operations are plain `async def`s on an
`AsyncSession`) runs to completion without ever waiting on it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

READER_THREADS = 4


class TransactionThreads:
    """Runs coroutines that never wait on I/O of the event loop (SQLite transactions) on worker threads."""

    def __init__(self, readers: int = READER_THREADS) -> None:
        self._readers = readers
        # Each executor with the event loops its threads made: `close` closes a loop only once the
        # executor whose thread runs it has finished (a `run` after `close` starts new threads).
        self._executors: dict[bool, tuple[ThreadPoolExecutor, list[asyncio.AbstractEventLoop]]] = {}
        self._local = threading.local()
        self._lock = threading.Lock()

    def _executor(self, write: bool) -> tuple[ThreadPoolExecutor, list[asyncio.AbstractEventLoop]]:
        with self._lock:
            if write not in self._executors:
                self._executors[write] = (ThreadPoolExecutor(
                    max_workers=1 if write else self._readers,
                    thread_name_prefix="feedback-writer" if write else "feedback-reader"), [])
            return self._executors[write]

    def _run_here(self, loops: list[asyncio.AbstractEventLoop], make: Callable[[], Coroutine[Any, Any, T]]) -> T:
        loop: asyncio.AbstractEventLoop | None = getattr(self._local, "loop", None)
        if loop is None:  # a thread belongs to one executor: `loops` is that executor's list
            loop = self._local.loop = asyncio.new_event_loop()
            with self._lock:
                loops.append(loop)
        return loop.run_until_complete(make())

    async def run(self, make: Callable[[], Coroutine[Any, Any, T]], *, write: bool) -> T:
        """`make()` run to completion on the writer thread (`write`) or a reader thread."""
        executor, loops = self._executor(write)
        return await asyncio.get_running_loop().run_in_executor(executor, self._run_here, loops, make)

    async def close(self) -> None:
        """Stop the threads once their work is done (a later `run` starts new ones)."""
        with self._lock:
            executors, self._executors = list(self._executors.values()), {}
        for executor, loops in executors:
            await asyncio.to_thread(executor.shutdown)
            for loop in loops:  # its threads have ended: none of these loops still runs
                loop.close()
