"""FeedbackStore behaviour on a real SQLite file and a real PostgreSQL database: votes, restarts, models,
retrains, statistics."""

from __future__ import annotations

import json

import pytest

from feedback import FeedbackStore, StoreError
from feedback.stats import two_proportion_difference, wilson_interval
from tests.feedback.store_helpers import connection_pragmas, integrity_check


@pytest.mark.sqlite_only(reason="PRAGMAs and the data directory are SQLite's")
async def test_open_creates_the_data_directory_and_sets_the_pragmas(store, db_path) -> None:
    assert db_path.is_file()
    pragmas = await connection_pragmas(store)
    assert str(pragmas["journal_mode"]).lower() == "wal"
    assert pragmas["foreign_keys"] == 1
    assert pragmas["busy_timeout"] == 5000
    assert pragmas["synchronous"] == 1  # NORMAL
    assert integrity_check(db_path) == "ok"


async def test_record_request_stores_items_in_rank_order(store, rows) -> None:
    request_id = await store.record_request(
        guild_id=None, channel_id=None, user_id=5, query="stranger things",
        resolved_item_id=None, resolved_title=None, model_version=None, latency_ms=3.0,
        items=[(11, "B", 0.9), (12, "A", 0.8), (13, "C", 0.7)],
    )
    assert rows("recommendation_requests", f"id = {request_id} AND guild_id IS NULL") == 1
    assert rows("recommended_items", f"request_id = {request_id} AND rank = 1 AND item_id = 11") == 1
    assert rows("recommended_items", f"request_id = {request_id} AND rank = 3 AND item_id = 13") == 1


async def test_second_vote_replaces_and_retract_only_removes_the_matching_vote(store, post) -> None:
    await post(555)
    await store.vote_message(message_id=555, user_id=1, value=1)
    await store.vote_message(message_id=555, user_id=1, value=1)  # duplicate reaction event
    assert await store.message_counts(555) == (1, 0)
    await store.vote_message(message_id=555, user_id=1, value=-1)  # switched to thumbs down
    assert await store.message_counts(555) == (0, 1)
    await store.retract_message_vote(message_id=555, user_id=1, value=1)  # stale removal of 👍
    assert await store.message_counts(555) == (0, 1)
    await store.retract_message_vote(message_id=555, user_id=1, value=-1)
    assert await store.message_counts(555) == (0, 0)
    await store.retract_message_vote(message_id=555, user_id=1, value=-1)  # nothing left: no-op
    assert await store.message_counts(555) == (0, 0)


async def test_item_votes_replace_and_are_idempotent(store, post, rows) -> None:
    request_id = await post(556)
    await store.vote_item(request_id=request_id, rank=2, user_id=9, value=1)
    await store.vote_item(request_id=request_id, rank=2, user_id=9, value=1)
    assert rows("item_votes", "user_id = 9 AND value = 1") == 1
    await store.vote_item(request_id=request_id, rank=2, user_id=9, value=-1)
    assert rows("item_votes", "user_id = 9") == 1
    assert rows("item_votes", "user_id = 9 AND value = -1 AND updated_at IS NOT NULL") == 1


async def test_votes_after_a_restart_land_by_message_id(db_url, rows) -> None:
    first = await FeedbackStore.open(db_url)
    request_id = await first.record_request(
        guild_id=1, channel_id=2, user_id=3, query="q", resolved_item_id=None, resolved_title=None,
        model_version="vA", latency_ms=1.0, items=[(1, "a", 0.5)],
    )
    await first.attach_message(request_id, 987654321987654321)
    await first.close()

    second = await FeedbackStore.open(db_url)  # a new process knows nothing but the message id
    try:
        await second.vote_message(message_id=987654321987654321, user_id=42, value=1)
        await second.vote_item(request_id=request_id, rank=1, user_id=42, value=-1)
        assert await second.message_counts(987654321987654321) == (1, 0)
    finally:
        await second.close()
    assert rows("item_votes", "user_id = 42") == 1


async def test_attach_message_is_idempotent_but_not_reassignable(store, post) -> None:
    first = await post(700)
    await store.attach_message(first, 700)
    second = await post(701)
    with pytest.raises(StoreError, match="message 700 is already attached to request"):
        await store.attach_message(second, 700)
    with pytest.raises(StoreError, match="unknown recommendation request 999"):
        await store.attach_message(999, 702)


async def test_model_registry_keeps_one_active_version(store, db) -> None:
    assert await store.active_model() is None
    await store.register_model("v1", {"hit_rate@10": 0.31, "loss": float("nan")}, active=True)
    await store.register_model("v2", {"hit_rate@10": 0.35}, active=False)
    assert await store.active_model() == "v1"
    await store.register_model("v2", {"hit_rate@10": 0.36}, active=True)
    assert await store.active_model() == "v2"
    metrics = {v: json.loads(m) for v, m in db.query("SELECT version, metrics FROM model_versions")}
    assert metrics == {"v1": {"hit_rate@10": 0.31, "loss": None}, "v2": {"hit_rate@10": 0.36}}
    stats = {s.version: s for s in await store.feedback_stats()}
    assert stats["v2"].active and not stats["v1"].active
    with pytest.raises(StoreError, match="not JSON-serialisable"):
        await store.register_model("v3", {"bad": object()}, active=True)
    assert await store.active_model() == "v2"


async def test_retrain_jobs_lifecycle(store) -> None:
    job = await store.start_retrain(requested_by=77, guild_id=5)
    await store.finish_retrain(job, status="succeeded", version="v9")
    with pytest.raises(StoreError, match=f"retrain job {job} already finished \\(succeeded\\)"):
        await store.finish_retrain(job, status="failed", error="late")
    with pytest.raises(StoreError, match="retrain status must be one of succeeded, rejected, failed"):
        await store.finish_retrain(job, status="done")
    with pytest.raises(StoreError, match="unknown retrain job 12345"):
        await store.finish_retrain(12345, status="failed")
    stale = await store.start_retrain(requested_by=78, guild_id=None)
    assert await store.fail_interrupted_retrains() == 1
    jobs = {j["id"]: j for j in await store.retrain_jobs()}
    assert jobs[job]["status"] == "succeeded" and jobs[job]["version"] == "v9"
    assert jobs[job]["finished_at"] >= jobs[job]["started_at"]
    assert jobs[stale]["status"] == "failed" and "restarted" in jobs[stale]["error"]


async def test_feedback_stats_precision_and_ab_comparison(store, post) -> None:
    for message_id, version in ((1, "vA"), (2, "vA"), (3, "vB")):
        await post(message_id, version=version)
    votes = {(1, 10): 1, (1, 11): 1, (1, 12): -1, (2, 10): 1, (3, 10): -1, (3, 11): 1, (3, 12): -1}
    for (message_id, user_id), value in votes.items():
        await store.vote_message(message_id=message_id, user_id=user_id, value=value)
    stats = {s.version: s for s in await store.feedback_stats()}
    a, b = stats["vA"], stats["vB"]
    assert (a.up, a.down, a.total, a.requests) == (3, 1, 4, 2)
    assert (b.up, b.down, b.total, b.requests) == (1, 2, 3, 1)
    assert a.rate == pytest.approx(0.75) and b.rate == pytest.approx(1 / 3)
    assert (a.ci_low, a.ci_high) == pytest.approx(wilson_interval(3, 4)[1:])

    ab = await store.compare_versions("vA", "vB")
    expected = two_proportion_difference(3, 4, 1, 3)
    assert ab.diff == pytest.approx(0.75 - 1 / 3)
    assert (ab.ci_low, ab.ci_high, ab.p_value) == pytest.approx(
        (expected.ci_low, expected.ci_high, expected.p_value)
    )

    # precision@k from item votes: request 1 (vA) user 10 judges ranks 1(+) 2(-) 6 is outside k=5
    export = await store.export_user(1)
    request_ids = {r["message_ids"][0]: r["id"] for r in export["requests"]}
    await store.vote_item(request_id=request_ids[1], rank=1, user_id=10, value=1)
    await store.vote_item(request_id=request_ids[1], rank=2, user_id=10, value=-1)
    await store.vote_item(request_id=request_ids[1], rank=3, user_id=11, value=1)
    stats = {s.version: s for s in await store.feedback_stats()}  # item votes are counted too
    assert (stats["vA"].item_up, stats["vA"].item_down, stats["vA"].all_votes) == (2, 1, 4 + 3)
    assert (stats["vA"].up, stats["vA"].down) == (3, 1)  # the reaction rate is unchanged by them
    precision = await store.item_precision("vA", k=5)
    assert precision.lists == 2 and precision.precision == pytest.approx((0.5 + 1.0) / 2)
    assert (await store.item_precision("vB")).precision is None

    await post(4, version="vC")
    with pytest.raises(StoreError, match="model version vC has no thumbs votes yet"):
        await store.compare_versions("vA", "vC")
