"""A member's own likes re-rank their list lightly (bot.recommend.personal), never a list the maturity rule shapes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bot.recommend.personal import Personal, personal_list
from recommender.ranking.votes import VoteChannel, VoteSettings

MEMBER, OTHER = 77, 78


def _channel(rec, query_title: str, liked_title: str, weight: float) -> VoteChannel:
    """30 members asked about `query_title` and 👍 `liked_title` elsewhere; MEMBER asked about the query."""
    rows = [(query_title, liked_title, m, 1) for m in range(100, 130)] + [(query_title, liked_title, MEMBER, -1)]
    votes = pd.DataFrame(rows, columns=["query_title", "item_title", "user_id", "value"]).assign(
        voted_at=pd.Timestamp("2026-01-01"))
    counts = pd.DataFrame([(query_title, liked_title, 0, 0)], columns=["query_title", "item_title", "up", "down"])
    settings = VoteSettings(weight=0.5, co_like_weight=1e-9, co_like_shortlist=1, taste_weight=weight)
    return VoteChannel(counts, rec.items["title"].astype(str).tolist(), settings, votes)


def test_the_members_taste_lifts_a_title_for_them_only_and_not_on_a_kids_list(session_recommender) -> None:
    rec = session_recommender
    adult = int(np.flatnonzero(rec.ranker.maturity == "adult")[0])
    query_id = int(rec.items["item_id"][adult])
    below = rec.recommend(query_id, k=12).items[11].item  # ranked 12th: inside the re-rank pool, not the list
    channel = _channel(rec, str(rec.items["title"][adult]), below.title, weight=1.0)
    mine = [r.item.item_id for r in personal_list(rec, query_id, 5, Personal(), votes=channel, member=MEMBER).items]
    theirs = [r.item.item_id for r in personal_list(rec, query_id, 5, Personal(), votes=channel, member=OTHER).items]
    off = _channel(rec, str(rec.items["title"][adult]), below.title, weight=0.0)
    plain = [r.item.item_id for r in personal_list(rec, query_id, 5, Personal(), votes=off, member=MEMBER).items]
    assert below.item_id in mine and below.item_id not in theirs and below.item_id not in plain
    kids = int(np.flatnonzero(rec.ranker.maturity == "kids")[0])
    kids_id = int(rec.items["item_id"][kids])
    kids_below = rec.recommend(kids_id, k=12).items[11].item
    shaped = _channel(rec, str(rec.items["title"][kids]), kids_below.title, weight=1.0)
    kept = personal_list(rec, kids_id, 5, Personal(), votes=shaped, member=MEMBER).items
    assert kids_below.item_id not in [r.item.item_id for r in kept]  # the safety rule's order stays
