"""Judgments files: titles resolved like the bot, nothing dropped silently, clear messages."""

from __future__ import annotations

import json

import pytest

from lab.cli import main
from recommender.evaluation.pairs import PairsError, load_pairs_task
from recommender.serving import Recommender

from .conftest import NEAR_PAIRS


@pytest.fixture(scope="module")
def rec(model_dir) -> Recommender:
    return Recommender.load(model_dir)


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


PAIRS = """query_title,relevant_title,score
squid game,the glory,2
Wednesday,Emily in Paris: Season 3,1
zzzzqqq xylophone,The Glory,1
squid game,the glory,2
squid game,The Glory,3
,,
Outer Banks: Season 1,Outer Banks: Season 2,1
Wednesday,Wednesday,1
"""


def test_unknown_duplicate_blank_and_sibling_rows_are_counted_and_listed(tmp_path, rec):
    task, report = load_pairs_task(write(tmp_path, "pairs.csv", PAIRS), rec.items, rec.resolve, k=5)
    assert report.rows_read == 8
    assert report.pairs_used == 2 and report.queries == 2
    assert report.duplicate_rows == [5, 6]  # exact repeat, and the same pair in other letter case
    assert report.conflicting_duplicates and "line 2: 2, line 6: 3" in report.conflicting_duplicates[0]
    assert report.blank_rows == [7]
    assert [u.title for u in report.unresolved] == ["zzzzqqq xylophone"]
    assert report.unresolved[0].rows == [4]
    assert report.same_franchise_pairs == 1 and report.self_pairs == 1
    text = "\n".join(report.lines())
    assert "1 titles not recognised" in text and "'zzzzqqq xylophone' (line 4)" in text
    assert "2 duplicated rows counted once (lines 5, 6)" in text
    assert "conflicting scores for one pair, highest kept" in text
    # the highest of conflicting scores is kept
    squid = int(rec.items.index[rec.items["title"] == NEAR_PAIRS[0][0]][0])
    glory = int(rec.items.loc[rec.items["title"] == NEAR_PAIRS[0][1], "item_id"].iloc[0])
    grades = dict(zip(rec.items["item_id"].iloc[task.queries].tolist(), task.relevance, strict=False))
    assert grades[int(rec.items["item_id"].iloc[squid])] == {glory: 3.0}


@pytest.mark.parametrize(
    "header,missing", [("query_title,relevant\n", "'relevant_title'"), ("query,relevant_title\n", "'query_title'")]
)
def test_missing_column_names_file_and_column(tmp_path, rec, header, missing):
    path = write(tmp_path, "bad.csv", header + "a,b\n")
    with pytest.raises(PairsError) as exc:
        load_pairs_task(path, rec.items, rec.resolve)
    message = str(exc.value)
    assert str(path) in message and f"missing column {missing}" in message


def test_bad_score_and_missing_file_messages(tmp_path, rec):
    path = write(tmp_path, "scores.csv", "query_title,relevant_title,score\nsquid game,the glory,high\n")
    with pytest.raises(PairsError, match=r"column 'score' must be a number >= 0 \(line 2: 'high'\)"):
        load_pairs_task(path, rec.items, rec.resolve)
    with pytest.raises(PairsError, match=r"pairs file .*nope\.csv: not found"):
        load_pairs_task(tmp_path / "nope.csv", rec.items, rec.resolve)


def test_candidates_restrict_ranking_and_add_judged_relevant_items(tmp_path, rec):
    pairs = write(tmp_path, "p.csv", "query_title,relevant_title\nsquid game,the glory\n")
    cands = write(tmp_path, "c.csv", "title\nWednesday\nOuter Banks: Season 1\nqqqq zzzz\n")
    task, report = load_pairs_task(pairs, rec.items, rec.resolve, candidates_path=cands)
    assert report.candidates == 3 and report.relevant_added_to_candidates == 1
    assert [u.title for u in report.unresolved_candidates] == ["qqqq zzzz"]
    assert sorted(rec.items["title"].iloc[task.candidates]) == sorted(
        ["Wednesday: Season 1", "Outer Banks: Season 1", NEAR_PAIRS[0][1]]
    )


def test_cli_pairs_json_puts_model_and_baselines_side_by_side(tmp_path, model_dir, capsys):
    pairs = write(
        tmp_path,
        "p.csv",
        "query_title,relevant_title\n" + "".join(f"{q},{r}\n" for q, r in NEAR_PAIRS) + "zzzzqqq xylophone,Wednesday\n",
    )
    code = main(
        [
            "evaluate",
            "--pairs",
            str(pairs),
            "--model-dir",
            str(model_dir),
            "--no-seed-model",
            "--json",
            "--resamples",
            "50",
            "-k",
            "5",
        ]
    )
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    systems = out["evaluation"]["systems"]
    assert list(systems) == [
        "model test-v1",
        "embedding alone",
        "random",
        "most popular",
        "same language+type, popular",
        "title TF-IDF",
    ]
    # the hand-made space puts each relevant item first: every accuracy metric of the embedding is 1 except P@5
    embedding = systems["embedding alone"]
    assert embedding["ndcg"]["mean"] == 1.0 and embedding["mrr"]["mean"] == 1.0
    assert embedding["precision"]["mean"] == 0.2
    # the served ranking (a blend in which the embedding is one channel) is measured under the same rules
    assert 0.0 <= systems["model test-v1"]["ndcg"]["mean"] <= 1.0 and "overlap" in systems["model test-v1"]
    assert systems["random"]["ndcg"]["mean"] < 1.0
    assert out["evaluation"]["queries"] == 2 and out["evaluation"]["k"] == 5
    assert out["pairs"]["unresolved"][0]["title"] == "zzzzqqq xylophone"


def test_cli_pairs_missing_column_exits_2_with_message(tmp_path, model_dir, capsys):
    pairs = write(tmp_path, "p.csv", "query,relevant_title\nsquid game,the glory\n")
    code = main(["evaluate", "--pairs", str(pairs), "--model-dir", str(model_dir), "--no-seed-model"])
    err = capsys.readouterr().err
    assert code == 2
    assert f"pairs file {pairs}: missing column 'query_title'" in err


def test_query_judged_only_irrelevant_is_skipped_from_means_and_counted(tmp_path, model_dir, capsys):
    pairs = write(
        tmp_path,
        "p.csv",
        "query_title,relevant_title,score\n"
        f"{NEAR_PAIRS[0][0]},{NEAR_PAIRS[0][1]},1\nWednesday,Emily in Paris: Season 3,0\n",
    )
    code = main(
        [
            "evaluate",
            "--pairs",
            str(pairs),
            "--model-dir",
            str(model_dir),
            "--no-seed-model",
            "--json",
            "--resamples",
            "20",
        ]
    )
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["evaluation"]["queries"] == 2
    ndcg = out["evaluation"]["systems"]["embedding alone"]["ndcg"]  # the hand-made space ranks the pair first
    assert (ndcg["n"], ndcg["skipped"], ndcg["mean"]) == (1, 1, 1.0)
    served = out["evaluation"]["systems"]["model test-v1"]["ndcg"]
    assert (served["n"], served["skipped"]) == (1, 1)
