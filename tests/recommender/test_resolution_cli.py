"""The issue's title examples through `python -m recommender recommend`, on the full catalog."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recommender import cli
from recommender.serving import Recommender
from tests.recommender.test_recommender_cli import run_cli
from tests.recommender.test_resolution import ISSUE_EXAMPLES
from tests.resolution_catalog import sequel_film_queries

pytestmark = pytest.mark.slow  # real processes on the full catalog


def test_cli_prints_the_franchise_note(full_catalog_model: Path, tmp_path: Path) -> None:
    proc = run_cli("recommend", "stranger things", "-k", "3", "--model-dir", full_catalog_model, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("Stranger Things 4 (")
    assert lines[1] == "stranger things — using Stranger Things 4 (most watched); type the full title for another"
    assert [line.split(".")[0].strip() for line in lines[2:]] == ["1", "2", "3"]


@pytest.fixture(scope="module")
def full_recommender(full_catalog_model: Path) -> Recommender:
    return Recommender.load(full_catalog_model)


@pytest.fixture
def loaded_once(full_catalog_model: Path, full_recommender: Recommender, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`Recommender.load` of that model, loaded for real once: each CLI call below would otherwise
    spend seconds rebuilding the same title index."""
    def load(path: str | Path) -> Recommender:
        assert Path(path) == full_catalog_model
        return full_recommender

    monkeypatch.setattr(Recommender, "load", staticmethod(load))
    return full_catalog_model


@pytest.mark.parametrize(("query", "title"), ISSUE_EXAMPLES)
def test_cli_resolves_every_issue_example(loaded_once: Path, capsys: pytest.CaptureFixture[str],
                                          query: str, title: str) -> None:
    code = cli.main(["recommend", query, "-k", "3", "--json", "--model-dir", str(loaded_once)])
    out = capsys.readouterr()
    assert code == 0, out.err
    data = json.loads(out.out)
    assert data["query"]["title"] == title
    assert len(data["items"]) == 3


def test_cli_language_filter_settles_kingdom(loaded_once: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["recommend", "Kingdom", "-k", "3", "--json", "--language", "Korean",
                     "--model-dir", str(loaded_once)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["query"]["title"] == "Kingdom: Season 1 // 킹덤: 시즌 1"
    assert data["note"].startswith("Kingdom — using Kingdom: Season 1")


def test_cli_tie_explains_itself(loaded_once: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["recommend", "kingdm", "--json", "--model-dir", str(loaded_once)]) == 2
    data = json.loads(capsys.readouterr().out)
    assert "about equally" in data["ambiguity_reason"]
    assert {"The Kingdom (2007)", "Kingdom: Season 1 // 킹덤: 시즌 1"} <= set(data["did_you_mean"][:3])


def test_cli_answers_every_film_with_a_sequel_typed_exactly(loaded_once: Path, full_recommender: Recommender,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    rows = sequel_film_queries(full_recommender.items)
    got = {}
    for row in rows:
        assert cli.main(["recommend", row.query, "-k", "1", "--json", "--model-dir", str(loaded_once)]) == 0
        got[row.query] = json.loads(capsys.readouterr().out)["query"]["title"]
    assert len(rows) >= 200 and got == {row.query: row.expected for row in rows}


def test_cli_names_the_other_works_of_a_shared_name(loaded_once: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["recommend", "One Piece", "-k", "2", "--model-dir", str(loaded_once)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("ONE PIECE: Season 1 (Show, English")
    assert lines[1].startswith("One Piece — using ONE PIECE: Season 1 (English show, most watched of 2 works")
    assert lines[2] == "  did you mean: ONE PIECE: East Blue // ワンピース: イーストブルー編 (Show, Japanese)"
    assert cli.main(["recommend", "kingdom", "--json", "--model-dir", str(loaded_once)]) == 0
    assert json.loads(capsys.readouterr().out)["did_you_mean"] == ["Kingdom: Series 1 // キングダム: 第1シリーズ"]
