"""Votes that reach beyond their exact (query, title) pair: members' co-likes, their bounds, and a
brigade through them on a real model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recommender.ranking.votes import VoteChannel, VoteSettings

TITLES = [f"T{i}" for i in range(10)]
AT = pd.Timestamp("2026-01-01")


def _pairs(*rows: tuple[str, str, int, int]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["query_title", "item_title", "up", "down"])


def _member_votes(*rows: tuple[str, str, int, int]) -> pd.DataFrame:
    """(query title, title, member, value) rows as `feedback.vote_stats.member_votes` returns them."""
    frame = pd.DataFrame(rows, columns=["query_title", "item_title", "user_id", "value"])
    return frame.assign(voted_at=AT)


def _counts(member_votes: pd.DataFrame) -> pd.DataFrame:
    value = member_votes["value"]
    votes = member_votes.assign(up=(value > 0).astype(int), down=(value < 0).astype(int))
    return votes.groupby(["query_title", "item_title"], as_index=False)[["up", "down"]].sum()


def test_a_like_informs_the_lists_of_what_the_same_members_asked_about() -> None:
    # Members 1-6 asked about T0 (and voted there on T1); in lists for T3 they 👍 T5. Nobody voted on (T0, T5).
    rows = [("T0", "T1", m, 1) for m in range(1, 7)] + [("T3", "T5", m, 1) for m in range(1, 7)]
    rows += [("T8", "T9", m, -1) for m in range(7, 13)]  # other members: nothing in common with T0
    votes = _member_votes(*rows)
    settings = VoteSettings(weight=0.5, co_like_weight=0.3, co_like_shortlist=8, co_like_shrink=1.0)
    channel = VoteChannel(_counts(votes), TITLES, settings, member_votes=votes)
    content = np.linspace(1.0, 0.1, 10)
    added = channel.scores(0, content)
    # T5: 6 members liked both T0 (asked) and T5, 6 liked each: 6 / (6 + 1) of the co-like weight.
    assert added[5] == pytest.approx(0.3 * 6 / 7)
    assert added[9] == 0.0  # outside the co-like shortlist of 8: nothing, however liked
    assert added[0] == 0.0 and added[2] == 0.0  # the query itself; a title nobody liked
    assert np.all(added <= settings.weight + settings.co_like_weight)
    # A query none of these members liked gets nothing from them (its own lists stay as they were).
    assert not channel.scores(6, content[::-1].copy()).any()
    # Off (the default), the same votes give exactly the exact-pair channel.
    plain = VoteChannel(_counts(votes), TITLES, VoteSettings(weight=0.5), member_votes=votes)
    assert plain.scores(0, content)[5] == 0.0


def _kids_query_and_adult_title(rec) -> tuple[int, int]:
    ranker = rec.ranker
    query = int(np.flatnonzero(ranker.maturity == "kids")[0])
    adult = np.flatnonzero(ranker.maturity == "adult")
    return query, int(adult[np.argmax(ranker.scores(query)[adult])])


@pytest.mark.parametrize("accounts", [10, 1000])
def test_a_co_like_brigade_cannot_bring_an_adult_or_unrelated_title_into_a_kids_list(session_recommender,
                                                                                       accounts: int) -> None:
    rec = session_recommender
    query, adult = _kids_query_and_adult_title(rec)
    content = rec.ranker.scores(query)
    unrelated = int(next(r for r in np.argsort(content) if rec.ranker.safety_tier[r] < 3 and r != query))
    titles = rec.items["title"].astype(str)
    # Every account asks about the kids' title and 👍 both targets (on that list and elsewhere).
    rows = []
    for member in range(accounts):
        rows += [(titles[query], titles[adult], member, 1), (titles[query], titles[unrelated], member, 1),
                 (titles[adult], titles[unrelated], member, 1)]
    votes = _member_votes(*rows)
    settings = VoteSettings(weight=0.5, co_like_weight=1.0)
    channel = VoteChannel(_counts(votes), titles.tolist(), settings, votes)
    assert channel.co_likes(query, np.array([adult, unrelated])).min() > 0.9  # the brigade is counted in full
    assert channel.scores(query, content.astype(np.float64))[unrelated] == 0.0  # outside every shortlist
    shown = {r.item.item_id for r in rec.recommend(int(rec.items["item_id"][query]), k=10, votes=channel).items}
    assert int(rec.items["item_id"][adult]) not in shown
    assert int(rec.items["item_id"][unrelated]) not in shown
    assert all(rec.item(i).maturity != "adult" for i in shown)


def test_a_members_taste_is_the_co_likes_of_what_they_liked_themselves() -> None:
    # Members 1-6 liked T0 and T5; member 9 liked only T0 (asked about it, voted 👍 on T1 there).
    rows = [("T0", "T1", 9, 1)] + [("T0", "T1", m, 1) for m in range(1, 7)] + [("T3", "T5", m, 1) for m in range(1, 7)]
    votes = _member_votes(*rows)
    channel = VoteChannel(_counts(votes), TITLES, VoteSettings(weight=0.5, co_like_weight=0.3), member_votes=votes)
    taste = channel.member_taste(9, np.arange(10))
    assert taste[5] > 0 and taste[2] == 0.0  # liked by those who share their likes; liked by nobody
    assert taste[0] == 0.0 and taste[1] == 0.0  # what they liked already is no discovery
    assert not channel.member_taste(12345, np.arange(10)).any()  # a member the votes do not know
