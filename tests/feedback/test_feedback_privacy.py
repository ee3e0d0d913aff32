"""Export and delete what is stored about one user; retention purge of old requests."""

from __future__ import annotations

import json
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


async def test_delete_user_removes_their_rows_and_keeps_everyone_elses(store, post, db, rows) -> None:
    ids = await seed(store, post)
    # User 1's own records: 2 message votes + 1 item vote, and 2 requests - `mine` is kept
    # anonymised because user 2 voted on it, `mine2` (nobody else voted) is deleted outright.
    assert await store.delete_user(1) == 3 + 2
    assert rows("recommendation_requests", "user_id = 1") == 0
    assert rows("message_votes", "user_id = 1") == 0
    assert rows("item_votes", "user_id = 1") == 0
    assert rows("recommendation_requests", f"id = {ids['mine2']}") == 0
    assert rows("recommended_items", f"request_id = {ids['mine2']}") == 0
    anonymised = (f"id = {ids['mine']} AND user_id IS NULL AND guild_id IS NULL AND channel_id IS NULL "
                  "AND query = '' AND model_version = 'vA'")
    assert rows("recommendation_requests", anonymised) == 1
    assert rows("recommended_items", f"request_id = {ids['mine']}") == 5
    assert await store.message_counts(101) == (0, 1)  # user 2's 👎 on my message survives
    assert rows("item_votes", "user_id = 2 AND value = 1") == 1
    assert rows("recommendation_requests", "user_id = 2") == 1
    assert rows("recommended_items", f"request_id = {ids['theirs']}") == 5
    assert await store.message_counts(201) == (1, 0)
    assert rows("retrain_jobs", f"id = {ids['job']} AND requested_by IS NULL") == 1
    after = await store.export_user(1)
    assert (after["requests"], after["message_votes"], after["item_votes"], after["retrain_jobs"]) == ([], [], [], [])
    assert "my secret query" not in json.dumps(await store.export_user(2))
    assert await store.delete_user(1) == 0


async def test_forget_me_with_three_members_touches_only_the_caller(store, post, db, rows) -> None:
    """A forgets; B's and C's votes on A's recommendations and the per-version figures stay."""
    a, b, c = 1, 2, 3
    a_request = await post(11, user_id=a, version="vA", query="a asks")
    b_request = await post(12, user_id=b, version="vA", query="b asks")
    await post(13, user_id=c, version="vB", query="c asks")
    for voter, value in ((a, 1), (b, 1), (c, -1)):
        await store.vote_message(message_id=11, user_id=voter, value=value)
        await store.vote_item(request_id=a_request, rank=1, user_id=voter, value=value)
    await store.vote_message(message_id=12, user_id=a, value=-1)
    await store.vote_message(message_id=12, user_id=c, value=1)
    await store.vote_item(request_id=b_request, rank=2, user_id=a, value=1)
    await store.vote_message(message_id=13, user_id=b, value=1)
    before = {s.version: s for s in await store.feedback_stats()}
    b_export, c_export = await store.export_user(b), await store.export_user(c)

    # A's own records only: A's 2 votes on their own request, A's 2 votes on B's request, and A's
    # one request (kept anonymised: B and C voted on it).
    assert await store.delete_user(a) == 2 + 2 + 1

    after = {s.version: s for s in await store.feedback_stats()}
    # vA loses exactly A's votes (reactions: 1 up on request 11, 1 down on request 12; item
    # buttons: 1 up on each); vB is untouched.
    assert (after["vA"].up, after["vA"].down) == (before["vA"].up - 1, before["vA"].down - 1)
    assert (after["vA"].item_up, after["vA"].item_down) == (before["vA"].item_up - 2, before["vA"].item_down)
    assert after["vA"].requests == before["vA"].requests == 2
    assert after["vB"] == before["vB"]
    # B's and C's data is byte-for-byte what it was, apart from the export timestamp.
    for member, exported in ((b, b_export), (c, c_export)):
        now = await store.export_user(member)
        assert {k: v for k, v in now.items() if k != "exported_at"} == {
            k: v for k, v in exported.items() if k != "exported_at"}
    assert await store.message_counts(11) == (1, 1)
    assert rows("message_votes", f"user_id = {a}") == 0
    assert rows("item_votes", f"user_id = {a}") == 0
    assert rows("recommendation_requests", f"user_id = {a} OR query = 'a asks'") == 0


async def test_request_ids_are_never_reused_after_forget_me(store, post) -> None:
    first = await post(21, user_id=5)
    second = await post(22, user_id=5)
    assert await store.delete_user(5) == 2
    third = await post(23, user_id=6)
    assert third > second > first


async def test_summary_lists_counts_and_the_latest_items(store, post) -> None:
    await seed(store, post)
    summary = await store.summarise_user(1)
    assert summary["counts"] == {"requests": 2, "reaction_votes": 2, "item_votes": 1, "retrain_jobs": 1,
                                 "seen_marks": 0}
    assert [r["query"] for r in summary["latest_requests"]] == ["dark", "my secret query"]
    assert len(summary["latest_votes"]) == 3
    assert {v["kind"] for v in summary["latest_votes"]} == {"reaction", "item button"}
    assert (await store.summarise_user(99))["counts"] == {
        "requests": 0, "reaction_votes": 0, "item_votes": 0, "retrain_jobs": 0, "seen_marks": 0}


async def test_purge_older_than_cascades_to_items_messages_and_votes(store, post, db, rows) -> None:
    ids = await seed(store, post)
    old = (datetime.now(UTC) - timedelta(days=40)).replace(tzinfo=None).isoformat(" ")
    db.execute(f"UPDATE recommendation_requests SET created_at = '{old}' "
               f"WHERE id IN ({ids['mine']}, {ids['theirs']})")
    assert await store.purge_older_than(30) == (
        2 + 5 + 5  # two requests and their items
        + 2        # their messages
        + 4        # message votes on 101 and 201
        + 2        # item votes on those requests
    )
    assert rows("recommendation_requests") == 1
    assert rows("recommended_items", f"request_id = {ids['mine2']}") == 2
    assert rows("recommendation_messages") == 1
    assert rows("message_votes") == 0 and rows("item_votes") == 0
    assert await store.purge_older_than(30) == 0


@pytest.mark.parametrize("table", ["recommended_items", "recommendation_messages"])
async def test_foreign_keys_cascade_even_for_a_manual_delete(store, post, db, rows, table) -> None:
    """The safety net: deleting a request with foreign keys on cascades in the database itself."""
    request_id = await post(5)
    await store.vote_message(message_id=5, user_id=9, value=1)
    db.execute(f"DELETE FROM recommendation_requests WHERE id = {request_id}")  # foreign keys on
    assert rows(table) == 0
    assert rows("message_votes") == 0
