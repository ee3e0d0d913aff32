"""The simulated community (lab.simulate): its voting rules, its determinism, and that it goes
through the bot's own service layer into a real migrated SQLite store."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lab.evaluation.coliked import read_ratings, user_half
from lab.simulate.bot_handle import RecommendService
from lab.simulate.cli import main as simulate_main
from lab.simulate.driver import simulate
from lab.simulate.members import MEMBER_ID_OFFSET, Community
from lab.simulate.taste import TasteModel, thumb

REPO = Path(__file__).resolve().parents[2]
RATINGS_SLICE = REPO / "tests" / "fixtures" / "movietweetings_ratings_slice.csv"


def _ratings(rows: list[tuple[int, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["user_id", "title", "rating"])


# A few users who rated a few titles, enough for a taste model to know every title.
_ROWS = [(u, t, float(r)) for u, t, r in [
    (1, "Alpha", 9), (1, "Beta", 5), (1, "Gamma", 7),
    (2, "Alpha", 8), (2, "Delta", 9), (2, "Beta", 4),
    (3, "Gamma", 8), (3, "Delta", 3), (3, "Alpha", 10),
    (4, "Beta", 6), (4, "Delta", 8), (4, "Gamma", 9),
]]


def test_thresholds_are_the_like_definition() -> None:
    assert [thumb(r) for r in (10, 8, 7.9, 6, 5.1, 5, 0)] == [1, 1, None, None, None, -1, -1]


def test_own_ratings_decide_and_unknown_titles_get_no_vote() -> None:
    community = Community.build(_ratings(_ROWS), noise_share=0.0)
    rng = np.random.default_rng(0)
    rating_up = community.opinion(1, "Alpha", rng)
    rating_down = community.opinion(1, "Beta", rng)
    assert rating_up is not None and (rating_up.value, rating_up.source) == (1, "rating")
    assert rating_down is not None and (rating_down.value, rating_down.source) == (-1, "rating")
    assert community.opinion(1, "Gamma", rng) is None  # rated 7: between the thresholds, no vote
    for _ in range(50):
        assert community.opinion(1, "Never Rated By Anyone", rng) is None
    # Delta: user 1 never rated it, the taste model knows it: votes come from the model only.
    opinions = [community.opinion(1, "Delta", rng) for _ in range(200)]
    assert {o.source for o in opinions if o is not None} == {"taste"}
    assert {o.value for o in opinions if o is not None} == {1, -1}  # prediction + noise crosses both ways


def test_ratings_only_votes_only_on_rated_titles() -> None:
    community = Community.build(_ratings(_ROWS), noise_share=0.0, ratings_only=True)
    assert community.taste is None
    rng = np.random.default_rng(0)
    assert all(community.opinion(1, "Delta", rng) is None for _ in range(50))
    vote = community.opinion(2, "Delta", rng)
    assert vote is not None and (vote.value, vote.source) == (1, "rating")


def test_noisy_members_vote_at_random_on_anything() -> None:
    community = Community.build(_ratings(_ROWS), noise_share=1.0)
    assert community.noisy == {1, 2, 3, 4}
    rng = np.random.default_rng(0)
    opinions = [community.opinion(1, "Never Rated By Anyone", rng) for _ in range(100)]
    assert all(o is not None and o.source == "noise" for o in opinions)
    assert 20 < sum(o.value > 0 for o in opinions if o is not None) < 80
    sparse = Community.build(_ratings(_ROWS), noise_share=1.0, ratings_only=True)
    assert all(sparse.opinion(1, "Delta", rng) is None for _ in range(50))  # not rated by user 1: no vote
    assert {sparse.opinion(1, "Gamma", rng).source for _ in range(20)} == {"noise"}  # type: ignore[union-attr]


def test_members_come_from_one_half_and_ask_for_titles_they_liked() -> None:
    ratings = read_ratings(RATINGS_SLICE)
    community = Community.build(ratings, half="A", noise_share=0.0, ratings_only=True)
    assert {user_half(int(u)) for u in community.ratings["user_id"]} == {"A"}
    requests = community.requests(300, seed=3)
    assert requests == community.requests(300, seed=3)
    assert requests != community.requests(300, seed=4)
    for r in requests:
        assert community.own[(r.user_id, r.title)] >= 8


def test_taste_model_beats_the_mean_on_held_out_ratings() -> None:
    """The opinions beyond a member's own ratings must carry taste, not noise around the mean."""
    ratings = read_ratings(REPO / "lab" / "data" / "movietweetings_ratings.csv")
    held_out = np.random.default_rng(1).random(len(ratings)) < 0.1
    model = TasteModel.fit(ratings[~held_out], seed=0)
    test = ratings[held_out]
    pairs = zip(test["user_id"], test["title"], strict=True)
    predicted = np.array([model.predict(int(u), t) for u, t in pairs], dtype=float)
    known = ~np.isnan(predicted)
    truth = test["rating"].to_numpy()[known]
    rmse = np.sqrt(np.mean((predicted[known] - truth) ** 2))
    rmse_mean = np.sqrt(np.mean((ratings[~held_out]["rating"].mean() - truth) ** 2))
    assert rmse < 0.9 * rmse_mean
    assert model.residual_sd == pytest.approx(rmse, rel=0.15)


def _rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


async def test_requests_and_votes_land_in_the_store_through_the_service(service: RecommendService) -> None:
    community = Community.build(read_ratings(RATINGS_SLICE), noise_share=0.1, seed=5)
    requests = community.requests(30, seed=5)
    report = await simulate(service, community, requests, vote_rate=1.0, seed=5, workers=3, progress=False)
    assert (report.answered, report.failed) == (30, 0)
    assert report.votes and report.stored == len(report.votes) and report.rejected == 0
    db = Path(service.store.sqlite_file or "")
    stored = _rows(db, "SELECT user_id, resolved_title FROM recommendation_requests")
    assert sorted(stored) == sorted((MEMBER_ID_OFFSET + r.user_id, r.title) for r in requests)
    votes = _rows(db, "SELECT v.user_id, i.title, i.rank, v.value FROM item_votes v "
                      "JOIN recommended_items i ON i.id = v.recommended_item_id")
    assert sorted(votes) == sorted((MEMBER_ID_OFFSET + v.user_id, v.title, v.rank, v.value) for v in report.votes)
    # Each vote is the member's opinion of a title they were shown (own ratings win over the model).
    for v in report.votes:
        if v.source == "rating":
            assert thumb(community.own[(v.user_id, v.title)]) == v.value


async def test_same_seed_same_votes_other_seed_other_votes(settings, session_recommender, tmp_path: Path) -> None:
    """Fresh store each run: a member who asks again gets fresh titles, so history changes lists."""
    from feedback import FeedbackStore

    community = Community.build(read_ratings(RATINGS_SLICE), seed=7)
    requests = community.requests(25, seed=7)

    async def votes(seed: int, workers: int) -> list[tuple]:
        url = f"sqlite+aiosqlite:///{tmp_path / f'{seed}-{workers}.db'}"
        store = await FeedbackStore.open(url)
        service = RecommendService(settings.model_copy(update={"database_url": url}), store, session_recommender)
        try:
            report = await simulate(service, community, requests, vote_rate=0.5, seed=seed, workers=workers,
                                    progress=False)
        finally:
            await service.close()
            await store.close()
        return [(v.request_index, v.title, v.rank, v.value, v.source) for v in report.votes]

    first = await votes(7, workers=1)
    assert first and first == await votes(7, workers=4)  # interleaving does not change the votes
    assert first != await votes(8, workers=4)


def test_cli_prints_the_votes_cast(model_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "sim.db"
    code = simulate_main(["--ratings", str(RATINGS_SLICE), "--requests", "12", "--database",
                          f"sqlite+aiosqlite:///{db}", "--model-dir", str(model_root), "--vote-rate", "1",
                          "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0
    assert "12 requests" in out and "votes cast" in out
    assert len(_rows(db, "SELECT id FROM recommendation_requests")) == 12


async def test_vote_refreshes_on_a_request_count_keep_runs_deterministic(
    settings, session_recommender, tmp_path: Path
) -> None:
    """With the bot's vote cache rebuilt every few requests the lists learn from the votes, and a
    seed still gives the same votes (fresh store each run, any number of workers)."""
    from feedback import FeedbackStore

    community = Community.build(read_ratings(RATINGS_SLICE), seed=9)
    requests = community.requests(30, seed=9)

    async def run(name: str, workers: int) -> tuple[list[tuple], bool]:
        url = f"sqlite+aiosqlite:///{tmp_path / name}"  # its own database and vote outbox journal
        store = await FeedbackStore.open(url)
        service = RecommendService(settings.model_copy(update={"database_url": url}), store, session_recommender)
        try:
            report = await simulate(service, community, requests, vote_rate=1.0, seed=9, workers=workers,
                                    refresh_every=10, progress=False)
            return ([(v.request_index, v.title, v.value) for v in report.votes],
                    service.votes.channel_for(session_recommender) is not None)
        finally:
            await service.close()
            await store.close()

    first, refreshed = await run("one.db", workers=1)
    assert refreshed  # the cache was rebuilt from the store's votes
    assert (await run("two.db", workers=4))[0] == first


async def test_members_mark_seen_the_titles_they_rated_and_later_lists_skip_them(service: RecommendService) -> None:
    # Members who liked one title and rated (so watched) two of the titles the bot lists for it.
    rec = service.recommender
    query = rec.items["title"][0]
    listed = [r.item.title for r in rec.recommend(int(rec.items["item_id"][0]), 5).items]
    rows = [(u, t, r) for u in range(1, 9) for t, r in ((query, 9.0), (listed[0], 4.0), (listed[2], 7.0))]
    community = Community.build(_ratings(rows), noise_share=0.0, ratings_only=True, seed=5)
    requests = [r for r in community.requests(40, seed=5) if r.title == query]
    report = await simulate(service, community, requests, vote_rate=0.0, seen_rate=1.0, seed=5, workers=3,
                            progress=False)
    db = Path(service.store.sqlite_file or "")
    marks = _rows(db, "SELECT user_id, title, source FROM seen_marks")
    assert report.seen_marks > 0 and report.seen_stored == report.seen_marks == len(marks)
    assert {title for _, title, _ in marks} == {listed[0], listed[2]}
    for user_id, title, source in marks:  # only titles the member rated (watched), through the button path
        assert community.has_seen(user_id - MEMBER_ID_OFFSET, title) and source == "button"
    # The bot leaves a marked title out of that member's later lists.
    shown_after = _rows(db, "SELECT r.user_id, i.title FROM recommended_items i "
                            "JOIN recommendation_requests r ON r.id = i.request_id "
                            "JOIN seen_marks m ON m.user_id = r.user_id AND m.title = i.title "
                            "WHERE r.created_at > m.created_at")
    assert shown_after == []


def test_processes_split_the_members_between_them() -> None:
    from lab.simulate.cli import part_of

    users = range(5000)
    parts = [part_of(u, 2) for u in users]
    assert set(parts) == {0, 1} and 2000 < parts.count(0) < 3000
    assert all(part_of(u, 1) == 0 for u in users)
    assert {part_of(u, 3) for u in users} == {0, 1, 2}
