"""The exploration slot (issue 13): Thompson sampling on the vote channel may give a list's last slot
to a title ranked right below it; never on a list the maturity rule shapes, never beyond slot k."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bot.recommend.personal import Personal, personal_list
from recommender.ranking.votes import EXPLORE_POOL, VoteChannel, VoteSettings

EXPLORE = VoteSettings(weight=0.5, explore_slot=True)


def _ids(result) -> list[int]:
    return [r.item.item_id for r in result.items]


def _channel(rec, pairs: list[tuple[int, int, int, int]], settings: VoteSettings = EXPLORE) -> VoteChannel:
    titles = rec.items["title"]
    frame = pd.DataFrame([(titles[q], titles[r], up, down) for q, r, up, down in pairs],
                         columns=["query_title", "item_title", "up", "down"])
    return VoteChannel(frame, titles.tolist(), settings)


def test_only_the_last_slot_explores_among_the_titles_right_below_the_list(session_recommender) -> None:
    rec = session_recommender
    query = int(np.flatnonzero(rec.ranker.maturity == "adult")[0])
    query_id = int(rec.items["item_id"][query])
    # A few balanced votes elsewhere: every pair of this query is uncertain (nobody voted on it).
    elsewhere = [(q, q + 1, 5, 5) for q in range(0, 40, 2) if query not in (q, q + 1)]
    channel = _channel(rec, elsewhere)
    k = 5
    plain = rec.recommend(query_id, k, votes=channel)
    below = _ids(rec.recommend(query_id, k + EXPLORE_POOL, votes=channel))[k - 1:]
    lists = [personal_list(rec, query_id, k, Personal(), votes=channel, member=m) for m in range(60)]
    for result in lists:
        assert _ids(result)[:k - 1] == _ids(plain)[:k - 1]  # the first k-1 slots never move
        assert _ids(result)[k - 1] in below and [r.rank for r in result.items] == list(range(1, k + 1))
    assert len({_ids(r)[k - 1] for r in lists}) > 1  # some members get another last title
    # The same member, query and history: the same list.
    assert _ids(personal_list(rec, query_id, k, Personal(), votes=channel, member=3)) == _ids(lists[3])
    # Without a member (no request seed) or with the setting off, nothing is explored.
    assert _ids(personal_list(rec, query_id, k, Personal(), votes=channel)) == _ids(plain)
    off = _channel(rec, elsewhere, VoteSettings(weight=0.5))
    assert all(_ids(personal_list(rec, query_id, k, Personal(), votes=off, member=m)) == _ids(plain)
               for m in range(20))


def test_lists_under_the_maturity_rule_never_explore(session_recommender) -> None:
    rec = session_recommender
    checked = 0
    for band in ("kids", "family", "unknown"):
        rows = np.flatnonzero(rec.ranker.maturity == band)
        if not len(rows):
            continue
        query = int(rows[0])
        channel = _channel(rec, [(query, r, 1, 1) for r in range(40) if r != query])
        query_id = int(rec.items["item_id"][query])
        exploit = _ids(rec.recommend(query_id, 5, votes=channel))
        for member in range(30):
            assert _ids(personal_list(rec, query_id, 5, Personal(), votes=channel, member=member)) == exploit
        checked += 1
    assert checked >= 2
