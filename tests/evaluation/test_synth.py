"""The synthetic catalog is a real catalog: it loads through `load_catalog` cleanly, with the
structure the scale benchmarks rely on (franchises, skewed languages and hours, enrichment)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lab.cli import main
from lab.synth import generate, indian_grouping
from recommender.catalog import load_catalog

N = 3000


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("synth")
    assert main(["synth", "--items", str(N), "--out", str(root / "c.csv"), "--seed", "7",
                 "--enrich-out", str(root / "e.csv")]) == 0
    return root / "c.csv", root / "e.csv"


def test_loads_cleanly_with_structure(synthetic: tuple[Path, Path]) -> None:
    catalog_path, listing_path = synthetic
    catalog = load_catalog(catalog_path, listing_path)
    items, report = catalog.items, catalog.report
    assert len(catalog) == N and report.rows_read == N and report.duplicate_rows_merged == 0
    assert report.date_format == "ISO (YYYY-MM-DD)" and not any(report.unparseable.values())
    assert report.missing_columns == []
    # Franchises: shows with several seasons fold to one key.
    per_franchise = items.groupby("franchise_key").size()
    assert per_franchise.max() >= 3 and (per_franchise > 1).sum() > N / 20
    # A skewed language share: English first and most, several others present.
    shares = items["language"].value_counts(normalize=True)
    assert shares.index[0] == "English" and 0.5 < shares.iloc[0] < 0.9 and len(shares) >= 4
    assert items["original_title"].ne("").sum() > N / 20
    # Skewed hours: the top 1% of titles hold far more than 1% of viewing.
    hours = np.sort(items["hours_viewed"].to_numpy())[::-1]
    assert hours[: N // 100].sum() > 0.08 * hours.sum()
    # Enrichment for a share of the items, not all and not none.
    assert 0.25 < report.enriched / N < 0.7
    # (a few listings carry only the bare `Movies`/`TV Shows` labels, which name no genre)
    assert items.loc[items["has_metadata"], "genres"].ne("").mean() > 0.9


def test_deterministic_by_seed(synthetic: tuple[Path, Path], tmp_path: Path) -> None:
    catalog_path, _ = synthetic
    generate(N, tmp_path / "same.csv", seed=7)
    generate(N, tmp_path / "other.csv", seed=8)
    assert (tmp_path / "same.csv").read_bytes() == catalog_path.read_bytes()
    assert (tmp_path / "other.csv").read_bytes() != catalog_path.read_bytes()


def test_indian_digit_grouping() -> None:
    assert indian_grouping(812100000) == "81,21,00,000"
    assert indian_grouping(100000) == "1,00,000"
    assert indian_grouping(999) == "999"
