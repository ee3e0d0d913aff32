"""Stopping the bot's background loops (vote-cache refresh, retrain schedule, housekeeping) the same way."""

from __future__ import annotations

import asyncio


async def stop_task(task: asyncio.Task[object] | None) -> None:
    """Cancel a background task and wait until it has really ended, so shutdown leaves none running
    (a task still pending when the loop closes logs "Task was destroyed but it is pending")."""
    if task is None:
        return
    task.cancel()
    await asyncio.wait([task])
