"""Export and delete what is stored about one user; retention purge of old requests."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta

import pytest


async def seed(store, post) -> dict[str, int]:
    """User 1 asks twice, user 2 once; both vote on each other's messages."""
    mine = await post(101, user_id=1, query="my secret query")
    mine2 = await post(102, user_id=1, n_items=2)
    theirs = await post(201, user_id=2, query="their query")
    await store.vote_message(message_id=101, user_id=1, value=1)
    await store.vote_message(message_id=101, user_id=2, value=-1)  # other user on my message
    await store.vote_message(message_id=201, user_id=1, value=1)   # me on their message
    await store.vote_message(message_id=201, user_id=2, value=1)
    await store.vote_item(request_id=mine, rank=1, user_id=2, value=1)
    await store.vote_item(request_id=theirs, rank=3, user_id=1, value=-1)
    job = await store.start_retrain(requested_by=1, guild_id=10)
    return {"mine": mine, "mine2": mine2, "theirs": theirs, "job": job}


async def test_export_user_holds_everything_about_them_and_nothing_else(store, post) -> None:
    ids = await seed(store, post)
    exported = json.loads(json.dumps(await store.export_user(1)))  # JSON-serialisable as is
    assert exported["user_id"] == 1
    assert [r["id"] for r in exported["requests"]] == [ids["mine"], ids["mine2"]]
    first = exported["requests"][0]
    assert first["query"] == "my secret query" and first["message_ids"] == [101]
    assert [i["rank"] for i in first["items"]] == [1, 2, 3, 4, 5]
    assert {(v["message_id"], v["value"]) for v in exported["message_votes"]} == {(101, 1), (201, 1)}
    assert [(v["request_id"], v["rank"], v["value"]) for v in exported["item_votes"]] == [(ids["theirs"], 3, -1)]
    assert [j["id"] for j in exported["retrain_jobs"]] == [ids["job"]]
    assert "their query" not in json.dumps(exported)


async def test_delete_user_removes_their_rows_and_keeps_everyone_elses(store, post, db_path, rows) -> None:
    ids = await seed(store, post)
    # Expected deletions: own votes (2 message + 1 item), own requests (2) with their items (5+2),
    # messages (2), and the other user's votes that hung off them (1 message + 1 item vote).
    assert await store.delete_user(1) == 2 + 1 + 2 + 7 + 2 + 1 + 1
    assert rows(db_path, "recommendation_requests", "user_id = 1") == 0
    assert rows(db_path, "message_votes", "user_id = 1") == 0
    assert rows(db_path, "item_votes") == 0
    assert rows(db_path, "recommendation_requests", "user_id = 2") == 1
    assert rows(db_path, "recommended_items", f"request_id = {ids['theirs']}") == 5
    assert await store.message_counts(201) == (1, 0)
    assert rows(db_path, "retrain_jobs", f"id = {ids['job']} AND requested_by IS NULL") == 1
    after = await store.export_user(1)
    assert (after["requests"], after["message_votes"], after["item_votes"], after["retrain_jobs"]) == ([], [], [], [])
    assert await store.delete_user(1) == 0


async def test_purge_older_than_cascades_to_items_messages_and_votes(store, post, db_path, rows) -> None:
    ids = await seed(store, post)
    old = (datetime.now(UTC) - timedelta(days=40)).replace(tzinfo=None).isoformat(" ")
    with closing(sqlite3.connect(db_path)) as con, con:
        con.execute("UPDATE recommendation_requests SET created_at = ? WHERE id IN (?, ?)",
                    (old, ids["mine"], ids["theirs"]))
    assert await store.purge_older_than(30) == (
        2 + 5 + 5  # two requests and their items
        + 2        # their messages
        + 4        # message votes on 101 and 201
        + 2        # item votes on those requests
    )
    assert rows(db_path, "recommendation_requests") == 1
    assert rows(db_path, "recommended_items", f"request_id = {ids['mine2']}") == 2
    assert rows(db_path, "recommendation_messages") == 1
    assert rows(db_path, "message_votes") == 0 and rows(db_path, "item_votes") == 0
    assert await store.purge_older_than(30) == 0


@pytest.mark.parametrize("table", ["recommended_items", "recommendation_messages"])
async def test_foreign_keys_cascade_even_for_a_manual_delete(store, post, db_path, rows, table) -> None:
    """The safety net: deleting a request with foreign keys on cascades in the database itself."""
    request_id = await post(5)
    await store.vote_message(message_id=5, user_id=9, value=1)
    with closing(sqlite3.connect(db_path)) as con, con:
        con.execute("PRAGMA foreign_keys = ON")
        con.execute("DELETE FROM recommendation_requests WHERE id = ?", (request_id,))
    assert rows(db_path, table) == 0
    assert rows(db_path, "message_votes") == 0
