"""Fixtures for the feedback store tests: real SQLite files in tmp_path, real migrations."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import closing
from pathlib import Path

import pytest

from feedback import FeedbackStore


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "reelmate.db"


@pytest.fixture
def db_url(db_path: Path) -> str:
    return f"sqlite+aiosqlite:///{db_path}"


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[FeedbackStore]:
    opened = await FeedbackStore.open(db_url)
    try:
        yield opened
    finally:
        await opened.close()


PostedRequest = Callable[..., Awaitable[int]]


@pytest.fixture
def post(store: FeedbackStore) -> PostedRequest:
    """Record a request with `n_items` items, attach it to `message_id`, return the request id."""

    async def _post(message_id: int, *, user_id: int = 1, version: str | None = "vA",
                    n_items: int = 5, query: str = "dark") -> int:
        request_id = await store.record_request(
            guild_id=10, channel_id=20, user_id=user_id, query=query, resolved_item_id=7,
            resolved_title="Dark", model_version=version, latency_ms=12.5,
            items=[(100 + r, f"Title {r}", 1.0 - r / 10) for r in range(1, n_items + 1)],
        )
        await store.attach_message(request_id, message_id)
        return request_id

    return _post


def count_rows(path: Path, table: str, where: str = "1=1") -> int:
    """Independent read through the stdlib driver (not the store under test)."""
    with closing(sqlite3.connect(path)) as con:
        return con.execute(f"SELECT COUNT(*) FROM {table} WHERE {where}").fetchone()[0]


@pytest.fixture
def rows() -> Callable[..., int]:
    return count_rows

