"""1,000 concurrent votes (duplicates, switches, retractions) end in exactly the expected state.

Ops on the same (user, target) key have a defined order only if they are issued in order, so each
key's ops run sequentially inside one task while hundreds of keys run concurrently - through two
FeedbackStore instances (two engines, two connection pools) on the same database, so the writers
also contend through the database's own locks (SQLite's write lock, PostgreSQL's row locks and
unique constraints) and not only through the in-process queue.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter

import pytest

from feedback import FeedbackStore
from tests.feedback.store_helpers import retract_item_vote

N_OPS = 1000
MESSAGES = list(range(9000, 9020))          # 20 recommendation messages
VERSION = {m: ("vA" if m % 2 else "vB") for m in MESSAGES}
USERS = list(range(1, 41))


def generate_ops(rng: random.Random) -> dict[tuple[str, int, int], list[tuple[str, int]]]:
    """Per key ("msg"|"item", user, target): its ops in issue order."""
    keys = [("msg", rng.choice(USERS), rng.choice(MESSAGES)) for _ in range(260)]
    keys += [("item", rng.choice(USERS), rng.choice(MESSAGES) * 10 + rng.randint(1, 3)) for _ in range(60)]
    ops: dict[tuple[str, int, int], list[tuple[str, int]]] = {}
    for _ in range(N_OPS):
        key = rng.choice(keys)
        kind = "vote" if rng.random() < 0.7 else "retract"
        ops.setdefault(key, []).append((kind, rng.choice((1, -1))))
    return ops


def expected_state(ops: dict) -> dict[tuple[str, int, int], int]:
    """Replay each key's ops in issue order: vote sets; a message retract removes a matching vote,
    an item retract removes any vote."""
    final = {}
    for key, sequence in ops.items():
        state = None
        for kind, value in sequence:
            if kind == "vote":
                state = value
            elif key[0] == "item" or state == value:
                state = None
        if state is not None:
            final[key] = state
    return final


@pytest.mark.slow
async def test_thousand_concurrent_votes_end_in_the_exact_state(db_url, db) -> None:
    setup = await FeedbackStore.open(db_url)
    request_of: dict[int, int] = {}
    for message_id in MESSAGES:
        request_of[message_id] = await setup.record_request(
            guild_id=1, channel_id=1, user_id=999, query="q", resolved_item_id=None,
            resolved_title=None, model_version=VERSION[message_id], latency_ms=1.0,
            items=[(1, "a", 0.3), (2, "b", 0.2), (3, "c", 0.1)],
        )
        await setup.attach_message(request_of[message_id], message_id)
    await setup.close()

    ops = generate_ops(random.Random(20261127))
    assert sum(len(seq) for seq in ops.values()) == N_OPS
    assert sum(1 for seq in ops.values() if len(seq) > 1) > 100       # plenty of duplicates
    assert sum(1 for seq in ops.values() for kind, _ in seq if kind == "retract") > 200
    expected = expected_state(ops)

    stores = [await FeedbackStore.open(db_url), await FeedbackStore.open(db_url, migrate=False)]

    async def run_key(index: int, key: tuple[str, int, int], sequence: list[tuple[str, int]]) -> None:
        store = stores[index % 2]
        kind_of_key, user_id, target = key
        for kind, value in sequence:
            if kind_of_key == "msg":
                if kind == "vote":
                    await store.vote_message(message_id=target, user_id=user_id, value=value)
                else:
                    await store.retract_message_vote(message_id=target, user_id=user_id, value=value)
            else:
                request_id, rank = request_of[target // 10], target % 10
                if kind == "vote":
                    await store.vote_item(request_id=request_id, rank=rank, user_id=user_id, value=value)
                else:
                    await retract_item_vote(store, request_id=request_id, rank=rank, user_id=user_id)

    try:
        await asyncio.gather(*(run_key(i, key, seq) for i, (key, seq) in enumerate(ops.items())))
        stats = {s.version: s for s in await stores[0].feedback_stats()}
        counts = {m: await stores[1].message_counts(m) for m in MESSAGES}
    finally:
        for store in stores:
            await store.close()

    # The exact final state, read independently of the store.
    stored = {("msg", u, m): v for m, u, v in db.query("SELECT message_id, user_id, value FROM message_votes")}
    stored.update(
        (("item", u, m * 10 + rank), v)
        for m, rank, u, v in db.query(
            "SELECT msg.message_id, i.rank, v.user_id, v.value FROM item_votes v "
            "JOIN recommended_items i ON i.id = v.recommended_item_id "
            "JOIN recommendation_messages msg ON msg.request_id = i.request_id"
        )
    )
    assert db.integrity_ok()
    assert stored == expected

    tally: Counter[tuple[str, int]] = Counter()
    for (kind, _user, target), value in expected.items():
        if kind == "msg":
            tally[(VERSION[target], value)] += 1
            tally[(str(target), value)] += 1
        else:  # /feedback-stats reports item button votes beside the reactions
            tally[("items " + VERSION[target // 10], value)] += 1
    for message_id in MESSAGES:
        assert counts[message_id] == (tally[(str(message_id), 1)], tally[(str(message_id), -1)])
    for version in ("vA", "vB"):
        assert (stats[version].up, stats[version].down) == (tally[(version, 1)], tally[(version, -1)])
        assert (stats[version].item_up, stats[version].item_down) == (
            tally[("items " + version, 1)], tally[("items " + version, -1)])
