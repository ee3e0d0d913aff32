"""Load test: two bot processes on one database, 1,000 concurrent votes, exact counts.

Each process is a real subprocess doing what the bot does with votes (tests/feedback/
feedback_bot_voter.py: settings from the environment, the store, the vote outbox with its own
journal in the shared DATA_DIR). Both start on an empty database, so both run the migrations at
once (they queue on an advisory lock), and both start voting at the same moment. Their members are
disjoint except for 50 who react the same way through both processes (the same reaction seen by
two shards): those must be stored once. Every other key gets a sequence of votes, flips and
removals whose final state is known. The final rows, read without the store, must be exactly the
expected ones, and the per-message counts the bot shows must match. PostgreSQL only: it is the
store for several processes (two processes on one SQLite file are covered by the concurrency and
crash tests, at a lower cost).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest

from feedback import FeedbackStore, Vote, VoteKind, migrate
from tests.feedback.direct_db import DirectDatabase
from tests.feedback.test_feedback_outbox import expected_votes, stored_votes

pytestmark = pytest.mark.slow  # two bot processes, 1,000 votes

VOTER = Path(__file__).with_name("feedback_bot_voter.py")
REPO_ROOT = Path(__file__).resolve().parents[2]
MESSAGES = list(range(7000, 7020))
VOTES_PER_PROCESS = 500
SHARED_MEMBERS = range(5000, 5050)


def plan_for_process(rng: random.Random, process: int, request_of: dict[int, int]) -> list[Vote]:
    """450 votes of this process's own members (duplicates, flips, stale and real removals, item
    buttons) and one 👍 from each shared member, in an order where a vote applied twice or out of
    order would show."""
    users = range(1000 * (process + 1), 1000 * (process + 1) + 60)
    keys = [("message", rng.choice(users), rng.choice(MESSAGES)) for _ in range(200)]
    keys += [("item", rng.choice(users), rng.choice(MESSAGES) * 10 + rng.randint(1, 3)) for _ in range(60)]
    plan: list[Vote] = []
    for _ in range(VOTES_PER_PROCESS - len(SHARED_MEMBERS)):
        kind, user, target = rng.choice(keys)
        value = rng.choice((1, -1))
        if kind == "item":
            plan.append(Vote(kind=VoteKind.ITEM, user_id=user, request_id=request_of[target // 10],
                             rank=target % 10, value=value))
        else:
            vote_kind = VoteKind.MESSAGE if rng.random() < 0.7 else VoteKind.RETRACT_MESSAGE
            plan.append(Vote(kind=vote_kind, user_id=user, message_id=target, value=value))
    plan += [Vote(kind=VoteKind.MESSAGE, user_id=user, message_id=MESSAGES[user % len(MESSAGES)], value=1)
             for user in SHARED_MEMBERS]
    rng.shuffle(plan)  # keys interleave; each key's own votes keep their relative order below
    return plan


def start_two_bot_processes(db_url: str, data_dir: Path) -> list[subprocess.Popen[str]]:
    """Start both processes; return once both have migrated, opened the store and their outbox."""
    env = {**os.environ, "DATABASE_URL": db_url, "DATA_DIR": str(data_dir),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
    procs = [subprocess.Popen([sys.executable, str(VOTER), str(data_dir / f"plan-{n}.json")], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=data_dir)
             for n in range(2)]
    watchdog = threading.Timer(180, lambda: [p.kill() for p in procs])  # never hang the suite
    watchdog.start()
    try:
        for proc in procs:
            assert proc.stdout is not None
            line = proc.stdout.readline().strip()
            if line != "ready":
                proc.kill()
                raise AssertionError(f"a bot process failed to start: {line} {proc.communicate()[1]}")
    finally:
        watchdog.cancel()
    return procs


def vote_and_collect(procs: list[subprocess.Popen[str]], data_dir: Path, plans: list[list[Vote]]) -> list[dict]:
    """Write the plans, tell both processes to go at once, collect what each reports."""
    for n, plan in enumerate(plans):
        (data_dir / f"plan-{n}.json").write_text(json.dumps([v.model_dump(mode="json") for v in plan]),
                                                 encoding="utf-8")
    watchdog = threading.Timer(180, lambda: [p.kill() for p in procs])  # never hang the suite
    watchdog.start()
    try:
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        results = []
        for proc in procs:
            out, errors = proc.communicate(timeout=180)
            assert proc.returncode == 0, errors
            results.append(json.loads(out.strip().splitlines()[-1]))
        return results
    finally:
        watchdog.cancel()


@pytest.mark.postgresql_only(reason="several bot processes share one PostgreSQL server")
async def test_two_bot_processes_store_a_thousand_concurrent_votes_exactly(empty_db_url, tmp_path) -> None:
    db_url = empty_db_url
    db = DirectDatabase(db_url)
    data_dir = tmp_path / "shared-data-dir"
    data_dir.mkdir()
    procs = await asyncio.to_thread(start_two_bot_processes, db_url, data_dir)
    try:
        assert db.query("SELECT version_num FROM alembic_version") == [(h,) for h in migrate.head_revisions()]
        setup = await FeedbackStore.open(db_url, migrate=False)
        request_of: dict[int, int] = {}
        for message_id in MESSAGES:
            request_of[message_id] = await setup.record_request(
                guild_id=1, channel_id=1, user_id=999, query="q", resolved_item_id=None, resolved_title=None,
                model_version="vA", latency_ms=1.0, items=[(1, "a", 0.3), (2, "b", 0.2), (3, "c", 0.1)],
            )
            await setup.attach_message(request_of[message_id], message_id)
        await setup.close()

        rng = random.Random(20261128)
        plans = [plan_for_process(rng, n, request_of) for n in (0, 1)]
        results = await asyncio.to_thread(vote_and_collect, procs, data_dir, plans)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()

    assert sum(len(p) for p in plans) == 2 * VOTES_PER_PROCESS
    assert sum(1 for p in plans for v in p if v.kind is VoteKind.RETRACT_MESSAGE) > 150
    expected = expected_votes(plans[0]) | expected_votes(plans[1])  # disjoint but for identical shared 👍
    assert len(expected) > 300
    assert [r["outcomes"] for r in results] == [{"stored": VOTES_PER_PROCESS}] * 2
    journals = sorted(Path(r["journal"]).name for r in results)
    assert journals == ["reelmate.db-outbox", "reelmate.db-outbox.2"]  # one journal per process
    assert [r["unfinished_in_journal"] for r in results] == [0, 0]
    print("voting seconds per process:", [r["seconds"] for r in results])

    assert stored_votes(db) == expected
    assert db.rows("message_votes", f"user_id >= {SHARED_MEMBERS.start}") == len(SHARED_MEMBERS)  # once each
    tally: Counter[tuple[int, int]] = Counter()
    for (kind, _user, message_id, _rank), value in expected.items():
        if kind == "message":
            tally[(message_id, value)] += 1
    store = await FeedbackStore.open(db_url, migrate=False)
    try:
        for message_id in MESSAGES:
            assert await store.message_counts(message_id) == (tally[(message_id, 1)], tally[(message_id, -1)])
    finally:
        await store.close()
