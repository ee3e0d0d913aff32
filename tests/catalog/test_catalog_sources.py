"""Which listings a training run joins: the bundled ones by default, a user's file in addition,
none of the bundled with `--no-enrich` (or BUNDLED_ENRICHMENT=false)."""

from __future__ import annotations

from pathlib import Path

import pytest

from recommender.cli import build_parser
from recommender.settings import RecommenderSettings, bundled_enrichment_paths, enrichment_sources


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env from the working directory
    for name in ("ENRICHMENT_PATH", "BUNDLED_ENRICHMENT"):
        monkeypatch.delenv(name, raising=False)


def _sources(argv: list[str]) -> list[Path]:
    args = build_parser(RecommenderSettings()).parse_args(["train", *argv])
    return enrichment_sources(args.enrich, args.bundled_enrichment)


def test_bundled_listings_by_default() -> None:
    assert _sources([]) == bundled_enrichment_paths()


def test_own_file_is_added_first(tmp_path: Path) -> None:
    own = tmp_path / "mine.csv"
    assert _sources(["--enrich", str(own)]) == [own, *bundled_enrichment_paths()]


def test_no_enrich_turns_the_bundled_off(tmp_path: Path) -> None:
    assert _sources(["--no-enrich"]) == []
    own = tmp_path / "mine.csv"
    assert _sources(["--no-enrich", "--enrich", str(own)]) == [own]


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ENRICHMENT_PATH", str(tmp_path / "env.csv"))
    assert RecommenderSettings().enrichment_sources == [tmp_path / "env.csv", *bundled_enrichment_paths()]
    monkeypatch.setenv("BUNDLED_ENRICHMENT", "false")
    assert _sources([]) == [tmp_path / "env.csv"]
