"""The vote-trained embedding correction: it pulls what members like together, it is saved with a
version and refused for another catalog, and a brigade through it cannot reach a kids' list."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recommender.ranking.correction import EmbeddingCorrection
from recommender.ranking.votes import VoteChannel, VoteSettings
from recommender.vote_correction import CorrectionFit, fit_correction, training_pairs

AT = pd.Timestamp("2026-01-01")
FAST = CorrectionFit(epochs=3, batch=64)


def _member_votes(rows: list[tuple[str, str, int, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["query_title", "item_title", "user_id", "value"]).assign(voted_at=AT)


def _counts(member_votes: pd.DataFrame) -> pd.DataFrame:
    value = member_votes["value"]
    votes = member_votes.assign(up=(value > 0).astype(int), down=(value < 0).astype(int))
    return votes.groupby(["query_title", "item_title"], as_index=False)[["up", "down"]].sum()


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def test_pairs_are_each_members_liked_titles_and_down_votes_are_hard_negatives() -> None:
    votes = _member_votes([("T0", "T1", 1, 1), ("T0", "T2", 1, -1), ("T3", "T4", 2, 1), ("T9", "T5", 3, -1)])
    row_of = {f"T{i}": i for i in range(6)}  # T9 is not in this catalog
    positives, negatives = training_pairs(votes, row_of, pairs_per_member=100)
    assert {tuple(p) for p in positives.tolist()} == {(0, 1), (1, 0), (3, 4), (4, 3)}  # T2 was a 👎: not liked
    assert negatives.tolist() == [[0, 2]]


def test_the_correction_pulls_co_liked_titles_together_and_round_trips(tmp_path: Path) -> None:
    embeddings = _unit(np.random.default_rng(0).normal(size=(40, 16)))
    titles = [f"T{i}" for i in range(40)]
    # 30 members each ask about T0 and like T1 (and T2..T9, to give the batch negatives); T0/T30 is 👎.
    rows = []
    for member in range(30):
        rows += [("T0", "T1", member, 1), (f"T{2 + member % 8}", f"T{10 + member % 8}", member, 1),
                 ("T0", "T30", member, -1)]
    correction = fit_correction(_member_votes(rows), {t: i for i, t in enumerate(titles)}, embeddings,
                                CorrectionFit(epochs=20, batch=32))
    assert correction is not None
    change = correction.cosine_change(embeddings, 0, np.arange(40))
    assert change[1] > 0.05 and change[1] > np.median(change) + 0.05  # liked together: closer
    assert change[30] < change[1]  # the 👎 pair does not gain like the liked one
    correction.save(tmp_path)
    loaded = EmbeddingCorrection.load(tmp_path, 40)
    assert loaded is not None and np.allclose(loaded.cosine_change(embeddings, 0, np.arange(40)), change)
    assert EmbeddingCorrection.load(tmp_path, 41) is None  # fitted for another catalog: not used
    assert fit_correction(_member_votes([("T0", "T1", 1, -1)]), {"T0": 0, "T1": 1}, embeddings) is None


def test_off_or_without_a_correction_the_channel_is_unchanged() -> None:
    embeddings = _unit(np.random.default_rng(1).normal(size=(10, 8)))
    titles = [f"T{i}" for i in range(10)]
    votes = _member_votes([("T0", "T1", m, 1) for m in range(5)])
    correction = EmbeddingCorrection(np.array([1]), np.full((1, 8), 0.5, np.float32), np.zeros((8, 2), np.float32),
                                     np.zeros((2, 8), np.float32), 10)
    content = np.linspace(1.0, 0.1, 10)
    plain = VoteChannel(_counts(votes), titles, VoteSettings(weight=0.5), votes).scores(0, content)
    off = VoteChannel(_counts(votes), titles, VoteSettings(weight=0.5), votes, correction, embeddings)
    on = VoteChannel(_counts(votes), titles, VoteSettings(weight=0.5, correction_weight=0.5, correction_shortlist=5),
                     votes, correction, embeddings)
    assert np.array_equal(off.scores(0, content), plain)
    added = on.scores(0, content) - plain
    assert added[1] != 0.0 and not added[6:].any()  # only inside its shortlist of 5 (rows 1-5: not the query)
    assert np.all(np.abs(added) <= 2 * 0.5)


@pytest.mark.parametrize("accounts", [10, 1000])
def test_a_brigade_through_the_correction_cannot_reach_a_kids_list(session_recommender, accounts: int) -> None:
    rec = session_recommender
    ranker = rec.ranker
    query = int(np.flatnonzero(ranker.maturity == "kids")[0])
    adult_rows = np.flatnonzero(ranker.maturity == "adult")
    content = ranker.scores(query).astype(np.float64)
    adult = int(adult_rows[np.argmax(content[adult_rows])])
    unrelated = int(next(r for r in np.argsort(content) if ranker.safety_tier[r] < 3 and r != query))
    titles = rec.items["title"].astype(str)
    rows = []
    for member in range(accounts):  # each asks about the kids' title and 👍 both targets, everywhere
        rows += [(titles[query], titles[adult], member, 1), (titles[query], titles[unrelated], member, 1),
                 (titles[adult], titles[unrelated], member, 1)]
    votes = _member_votes(rows)
    embeddings = ranker.channels.embeddings
    correction = fit_correction(votes, {t: i for i, t in enumerate(titles)}, embeddings, FAST)
    assert correction is not None
    assert correction.cosine_change(embeddings, query, np.array([unrelated]))[0] > 0  # the brigade moved it
    shortlist = max(10, len(rec) // 20)
    settings = VoteSettings(weight=0.5, co_like_weight=1.0, correction_weight=1.0, correction_shortlist=shortlist)
    channel = VoteChannel(_counts(votes), titles.tolist(), settings, votes, correction, embeddings)
    assert channel.scores(query, content)[unrelated] == 0.0  # outside the correction's shortlist: nothing
    shown = {r.item.item_id for r in rec.recommend(int(rec.items["item_id"][query]), k=10, votes=channel).items}
    assert int(rec.items["item_id"][adult]) not in shown
    assert int(rec.items["item_id"][unrelated]) not in shown
    assert all(rec.item(i).maturity != "adult" for i in shown)
