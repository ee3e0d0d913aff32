"""The judged set's scorer: its arithmetic on hand-made lists, its files, and lists served as the product does."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from lab.cli import main
from lab.evaluation.judged import (
    GROUPS,
    JudgementsError,
    Pick,
    ServedList,
    default_queries_path,
    load_judgements,
    load_queries,
    score_lists,
    serve_lists,
    unjudged_rows,
)
from recommender.serving import Recommender


def judgements(rows: list[tuple[str, str, int]] | list[tuple[str, str, int, str]]) -> pd.DataFrame:
    columns = ["query", "candidate", "score", "judge"][: len(rows[0])]
    return pd.DataFrame(rows, columns=columns).astype({"score": float})


def served(query: str, group: str, titles: list[str], year: int | None = None, maturity: str = "unknown",
           years: list[int | None] | None = None, bands: list[str] | None = None) -> ServedList:
    years = years or [None] * len(titles)
    bands = bands or ["unknown"] * len(titles)
    return ServedList(query, group, tuple(Pick(t, y, b) for t, y, b in zip(titles, years, bands, strict=True)),
                      year, maturity)


def test_mean_counts_judged_picks_only_and_counts_the_unknown() -> None:
    lists = [served("Q1", "anime", ["a", "b", "c", "d"]), served("Q2", "kids", ["e", "f"])]
    judged = judgements([("Q1", "a", 2), ("Q1", "b", 2), ("Q1", "c", 0), ("Q2", "e", 1),
                         ("Q2", "a", 0)])  # Q2 -> a is judged but not served: it plays no part
    report = score_lists(lists, judged, resamples=50)
    overall = report.groups["all"]
    assert (overall.picks, overall.judged, overall.unjudged) == (6, 4, 2)
    assert overall.mean.mean == pytest.approx(5 / 4)  # (2 + 2 + 0 + 1) over the four judged picks
    assert overall.unrelated.mean == pytest.approx(1 / 4)
    assert report.groups["anime"].mean.mean == pytest.approx(4 / 3)
    assert report.groups["kids"].unjudged == 1
    assert set(report.groups) == {"all", "anime", "kids"}


def test_strong_lists_need_three_picks_judged_two_and_judges_are_averaged() -> None:
    lists = [served("Q1", "film", ["a", "b", "c"]), served("Q2", "film", ["a", "b", "c"]),
             served("Q3", "film", ["x"])]
    judged = judgements([
        ("Q1", "a", 2, "j1"), ("Q1", "b", 2, "j1"), ("Q1", "c", 2, "j1"), ("Q1", "c", 1, "j2"),  # c: 1.5, strong
        ("Q2", "a", 2, "j1"), ("Q2", "b", 2, "j1"), ("Q2", "c", 1, "j1"), ("Q2", "c", 0, "j2"),  # c: 0.5, neither
    ])
    report = score_lists(lists, judged, resamples=50)
    strong = report.groups["all"].strong_lists
    assert (strong.mean, strong.n, strong.skipped) == (0.5, 2, 1)  # Q3 has no judged pick: left out
    assert report.groups["all"].unrelated.mean == 0.0
    assert report.groups["all"].mean.mean == pytest.approx((2 + 2 + 1.5 + 2 + 2 + 0.5) / 6)
    assert (report.judge_pairs, report.judge_agreement) == (2, 0.0)


def test_era_hub_and_maturity_checks() -> None:
    lists = [
        served("Q1", "english_show", ["hub", "b", "c"], year=2020, maturity="teen",
               years=[2019, 2022, None], bands=["adult", "teen", "adult"]),
        served("Q2", "kids", ["hub", "d"], year=None, maturity="kids", years=[2020, 2020], bands=["kids", "adult"]),
        served("Q3", "film", ["e", "f", "g", "h", "i", "hub"], year=2010, years=[2011, 2000, 2010, 2009, 1990, 2010]),
    ]
    report = score_lists(lists, judgements([("Q1", "hub", 1)]), resamples=50)
    # dated picks of dated queries: Q1 2019 (in), 2022 (out); Q3 2011, 2010, 2009, 2010 in, 2000, 1990 out
    assert (report.era_dated_picks, report.era_share) == (8, pytest.approx(5 / 8))
    assert (report.hub_title, report.hub_lists) == ("hub", 2)  # Q3's `hub` is 6th: outside its top 5
    assert (report.teen_queries, report.teen_adult_picks, report.teen_adult_lists) == (1, 2, 1)
    assert (report.safe_queries, report.safe_adult_picks) == (1, 1)


def test_no_judgements_reports_every_pick_unjudged(tmp_path: Path) -> None:
    report = score_lists([served("Q1", "anime", ["a", "b"])], load_judgements(tmp_path / "none.csv"), resamples=20)
    assert report.groups["all"].unjudged == 2
    assert math.isnan(report.groups["all"].mean.mean)
    assert json.dumps(report.to_dict())  # nan-free JSON


def test_bad_files_are_refused_with_the_reason(tmp_path: Path) -> None:
    bad_score = tmp_path / "bad.csv"
    bad_score.write_text("query,candidate,score\nQ,C,3\n", encoding="utf-8")
    with pytest.raises(JudgementsError, match="0, 1 or 2"):
        load_judgements(bad_score)
    no_column = tmp_path / "cols.csv"
    no_column.write_text("query,candidate\nQ,C\n", encoding="utf-8")
    with pytest.raises(JudgementsError, match="score"):
        load_judgements(no_column)
    bad_group = tmp_path / "queries.csv"
    bad_group.write_text("query,group\nQ,shows\n", encoding="utf-8")
    with pytest.raises(JudgementsError, match="shows"):
        load_queries(bad_group)


def test_unjudged_rows_are_the_unjudged_picks_in_batch_format() -> None:
    lists = [served("Q1", "anime", ["a", "b", "c"])]
    rows = unjudged_rows(lists, judgements([("Q1", "b", 2)]), lambda title: f"info {title}")
    assert list(rows.columns) == ["query", "query_info", "candidate", "candidate_info"]
    assert sorted(rows["candidate"]) == ["a", "c"]
    assert set(rows["query_info"]) == {"info Q1"}


def test_bundled_queries_cover_every_group() -> None:
    queries = load_queries(default_queries_path())
    counts = queries["group"].value_counts()
    assert len(queries) >= 80 and all(counts.get(g, 0) >= 16 for g in GROUPS), counts.to_dict()
    assert {"Wednesday: Season 1", "Money Heist: Part 1 // La casa de papel: Parte 1", "CoComelon: Season 1"} <= set(
        queries["query"])


def test_lists_are_served_as_recommend_serves_them_and_the_cli_scores_them(model_dir: Path, tmp_path: Path,
                                                                           capsys: pytest.CaptureFixture) -> None:
    recommender = Recommender.load(model_dir)
    titles = ["Wednesday: Season 1", "Squid Game: Season 1 // 오징어 게임: 시즌 1"]
    queries = pd.DataFrame({"query": [*titles, "Not In This Catalog"], "group": ["english_show", "non_english",
                                                                                "film"]})
    lists, missing = serve_lists(recommender, queries)
    assert missing == ["Not In This Catalog"]
    for lst in lists:
        expected = [r.item.title for r in recommender.recommend(lst.query).items]
        assert [p.title for p in lst.picks] == expected and len(expected) == 10
    first = lists[0].picks
    queries_csv, judged_csv, unjudged_csv = tmp_path / "q.csv", tmp_path / "j.csv", tmp_path / "u.csv"
    queries.to_csv(queries_csv, index=False)
    pd.DataFrame({"query": titles[0], "candidate": [first[0].title, first[1].title], "score": [2, 0],
                  "judge": "fan"}).to_csv(judged_csv, index=False)
    code = main(["evaluate-judged", "--model-dir", str(model_dir), "--queries", str(queries_csv), "--judgements",
                 str(judged_csv), "--write-unjudged", str(unjudged_csv), "--json", "--resamples", "20"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["groups"]["all"]["judged"] == 2 and out["groups"]["all"]["unjudged"] == 18
    assert out["groups"]["english_show"]["mean_judgement"]["mean"] == 1.0
    assert out["missing_queries"] == ["Not In This Catalog"]
    assert len(pd.read_csv(unjudged_csv)) == 18


def test_lists_without_a_judged_pick_are_skipped_not_counted_as_zero() -> None:
    lists = [served("Q1", "film", ["a", "b"]), served("Q2", "film", ["c"])]
    figures = score_lists(lists, judgements([("Q1", "a", 2)]), resamples=20).groups["all"]
    assert (figures.mean.mean, figures.mean.n, figures.mean.skipped) == (2.0, 1, 1)
    assert (figures.unrelated.n, figures.unrelated.skipped) == (1, 1)
