"""`evaluate --pairs ... --feedback-database`: the feedback-aware ranking on a real migrated SQLite file."""

from __future__ import annotations

import asyncio
import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np

from bot.retrain_child import read_member_votes
from bot.retrain_child import run as retrain_child
from feedback import FeedbackStore
from lab.cli import main
from recommender.ranking.votes import VoteChannel, VoteSettings
from recommender.serving import Recommender

QUERY = "Squid Game: Season 1 // 오징어 게임: 시즌 1"
OTHER = "Wednesday: Season 1"


async def _vote(url: str, shown: dict[str, list[str]], up: dict[str, str], down: dict[str, str]) -> None:
    """One request per query showing `shown[query]`; 60 members up-vote `up[query]`, 60 down-vote `down[query]`."""
    store = await FeedbackStore.open(url)
    try:
        for query, titles in shown.items():
            request = await store.record_request(
                guild_id=1, channel_id=2, user_id=3, query=query[:20], resolved_item_id=1, resolved_title=query,
                model_version="test-v1", latency_ms=1.0, items=[(i, t, 0.5) for i, t in enumerate(titles)],
            )
            for member in range(60):
                for title, value in ((up.get(query), 1), (down.get(query), -1)):
                    if title is not None:
                        await store.vote_item(request_id=request, rank=titles.index(title) + 1,
                                              user_id=1000 + member, value=value)
    finally:
        await store.close()


def test_votes_lift_a_liked_related_title_and_leave_unvoted_queries_measured(tmp_path: Path, model_dir: Path, capsys):
    version = tmp_path / "test-v1"
    shutil.copytree(model_dir, version)
    VoteSettings(weight=0.5).save(version)  # this version's own fitted settings are the ones used
    rec = Recommender.load(version)
    longer = [r.item.title for r in rec.recommend(QUERY, k=20).items]
    liked = longer[14]  # related (content rank 15) but outside the top 10
    other_list = [r.item.title for r in rec.recommend(OTHER, k=10).items]
    third = next(t for t in rec.items["title"] if t not in (QUERY, OTHER) and "Season" in t)
    pairs = tmp_path / "pairs.csv"
    pairs.write_text(f"query_title,relevant_title\n\"{QUERY}\",\"{liked}\"\n\"{OTHER}\",\"{other_list[0]}\"\n"
                     f"\"{third}\",\"{other_list[1]}\"\n", encoding="utf-8")
    url = f"sqlite+aiosqlite:///{tmp_path / 'votes.db'}"
    asyncio.run(_vote(url, {QUERY: longer, OTHER: other_list}, up={QUERY: liked}, down={OTHER: other_list[5]}))

    args = ["evaluate", "--pairs", str(pairs), "--model-dir", str(version), "--no-seed-model", "--resamples", "20",
            "--feedback-database", url]
    assert main([*args, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    systems = out["evaluation"]["systems"]
    served = next(iter(systems))
    assert served == "model test-v1 + votes"
    assert systems[served]["ndcg"]["mean"] > systems["content only (no votes)"]["ndcg"]["mean"]
    channel = out["vote_channel"]
    assert (channel["votes"], channel["pairs"], channel["weight"]) == (120, 2, 0.5)
    assert channel["unvoted_queries"]["queries"] == 1  # the third query: nobody voted on it

    assert main(args) == 0
    assert "queries nobody voted on (1)" in capsys.readouterr().out


def test_missing_feedback_database_is_a_clear_error(tmp_path: Path, model_dir: Path, capsys):
    pairs = tmp_path / "pairs.csv"
    pairs.write_text(f"query_title,relevant_title\n\"{QUERY}\",\"{OTHER}\"\n", encoding="utf-8")
    missing = tmp_path / "nope.db"
    code = main(["evaluate", "--pairs", str(pairs), "--model-dir", str(model_dir), "--no-seed-model",
                 "--feedback-database", f"sqlite+aiosqlite:///{missing}"])
    assert code == 2
    assert "does not exist" in capsys.readouterr().err and not missing.exists()


async def _taste_votes(url: str, shown: list[str], liked: set[str], members: int) -> None:
    """Each member sees `shown` for QUERY and votes on three of its titles: up if liked, else down."""
    store = await FeedbackStore.open(url)
    try:
        for member in range(members):
            request = await store.record_request(
                guild_id=1, channel_id=2, user_id=member, query="squid game", resolved_item_id=1,
                resolved_title=QUERY, model_version="test-v1", latency_ms=1.0,
                items=[(i, t, 0.5) for i, t in enumerate(shown)],
            )
            for rank in (member % 10 + 1, (member * 7) % 10 + 11, (member * 3) % 20 + 1):
                await store.vote_item(request_id=request, rank=rank, user_id=member,
                                      value=1 if shown[rank - 1] in liked else -1)
    finally:
        await store.close()


def _version_with_contrary_votes(tmp_path: Path, model_dir: Path):
    """A copy of the model and 60 members' votes that disagree with its content ranking: they like content
    ranks 11-20 and dislike 1-10."""
    version = tmp_path / "test-v1"
    shutil.copytree(model_dir, version)
    rec = Recommender.load(version)
    shown = [r.item.title for r in rec.recommend(QUERY, k=20).items]
    url = f"sqlite+aiosqlite:///{tmp_path / 'votes.db'}"
    asyncio.run(_taste_votes(url, shown, liked=set(shown[10:]), members=60))
    return version, rec, read_member_votes(url)


def test_retrain_fit_chooses_a_weight_on_held_out_votes_and_saves_it_beside_the_model(tmp_path: Path, model_dir: Path):
    from recommender.pipeline import fit_votes_for_version

    version, _, votes = _version_with_contrary_votes(tmp_path, model_dir)
    figures = fit_votes_for_version(version, votes, VoteSettings(weight=0.0))
    assert figures["comparisons"] >= 30
    assert figures["weight"] > 0 and figures["held_out_auc"][str(figures["weight"])] > figures["held_out_auc"]["0.0"]
    saved = VoteSettings.load(version)
    assert saved.weight == figures["weight"] and saved.fitted["model"] == "test-v1"
    assert Recommender.load(version).vote_settings == saved


def test_retrain_fits_the_embedding_correction_only_when_the_settings_turn_it_on(tmp_path: Path, model_dir: Path):
    from recommender.pipeline import fit_votes_for_version
    from recommender.ranking.correction import CORRECTION_FILE

    version, rec, votes = _version_with_contrary_votes(tmp_path, model_dir)
    off = fit_votes_for_version(version, votes, VoteSettings(weight=0.0), rec)
    assert "correction" not in off and not (version / CORRECTION_FILE).exists()
    on = fit_votes_for_version(version, votes, VoteSettings(weight=0.0, co_like_weight=0.5, correction_weight=0.3))
    assert on["correction"]["fitted"] and (version / CORRECTION_FILE).is_file()
    served = Recommender.load(version)
    assert served.vote_correction is not None and served.vote_settings.correction_weight == 0.3
    channel = served.vote_channel(votes.assign(up=1, down=0)[["query_title", "item_title", "up", "down"]], votes)
    row = next(i for i, t in enumerate(served.index.titles) if t == QUERY)
    content = served.ranker.scores(row).astype(np.float64)
    plain = replace(served.vote_settings, correction_weight=0.0)
    without = VoteChannel(votes.assign(up=1, down=0)[["query_title", "item_title", "up", "down"]],
                          served.index.titles, plain, votes).scores(row, content)
    assert not np.array_equal(channel.scores(row, content), without)  # the served channel uses it


def test_retrain_with_an_unreadable_feedback_database_stops_before_training(tmp_path: Path, capsys):
    missing = tmp_path / "nope.db"
    out = tmp_path / "models"
    code = retrain_child(["retrain", "--data", str(Path(__file__).parents[1] / "fixtures" / "catalog_iso.csv"),
                 "--out", str(out), "--epochs", "1", "--feedback-database", f"sqlite+aiosqlite:///{missing}"])
    assert code == 2
    assert "does not exist" in capsys.readouterr().err
    assert not missing.exists() and not (out / "CURRENT").exists()


def test_the_products_retrain_with_votes_runs_as_the_bots_retrain_child(tmp_path: Path, capfd):
    """`python -m recommender retrain --feedback-database` (the documented command) still reads the votes:
    it runs as `python -m bot.retrain_child`, so the recommender never imports the feedback store."""
    from recommender.cli import main as product_main

    missing, out = tmp_path / "nope.db", tmp_path / "models"
    code = product_main(["retrain", "--data", str(Path(__file__).parents[1] / "fixtures" / "catalog_iso.csv"),
                         "--out", str(out), "--epochs", "1", "--feedback-database", f"sqlite+aiosqlite:///{missing}"])
    assert code == 2
    assert f"feedback database {missing} does not exist" in capfd.readouterr().err  # the child's store said so
    assert not missing.exists() and not (out / "CURRENT").exists()
