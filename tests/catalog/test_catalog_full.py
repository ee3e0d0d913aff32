"""The full bundled catalog (24,812 rows): counts, dedup, digit grouping, ids, keys, aliases, years."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from recommender.catalog import Catalog, load_catalog

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _by_title(catalog: Catalog) -> pd.DataFrame:
    return catalog.items.set_index("title")


def test_counts_of_the_bundled_file(bundled_catalog: Catalog) -> None:
    report = bundled_catalog.report
    assert report.rows_read == 24_812
    assert report.items == len(bundled_catalog) == 19_158
    assert report.duplicate_rows_merged == 5_654
    assert report.rows_dropped_no_title == 0
    assert report.date_format == "ISO (YYYY-MM-DD)"
    assert report.unparseable == {"hours_viewed": 0, "release_date": 0, "available_globally": 0}
    items = bundled_catalog.items
    assert items["title"].is_unique
    assert list(items.index) == list(items["item_id"]) == list(range(19_158))


def test_duplicates_keep_the_larger_hours(bundled_catalog: Catalog) -> None:
    assert _by_title(bundled_catalog).loc["The Night Agent: Season 1", "hours_viewed"] == 812_100_000
    assert "The Night Agent: Season 1" in bundled_catalog.report.merged_examples


def test_hours_match_an_independent_read_of_the_file(bundled_catalog: Catalog, bundled_path: Path) -> None:
    """Indian grouping (`81,21,00,000`) parsed for every row: compare with the csv module, max per title."""
    expected: dict[str, int] = {}
    grouped = 0
    with bundled_path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            raw = row["Hours Viewed"]
            grouped += raw.count(",") >= 3 and len(raw.split(",")[1]) == 2
            title = " ".join(row["Title"].split())
            expected[title] = max(expected.get(title, 0), int(raw.replace(",", "")))
    assert grouped > 1_000  # the file really uses lakh/crore grouping
    hours = _by_title(bundled_catalog)["hours_viewed"]
    assert hours.to_dict() == expected
    assert hours.dtype == "int64"


def test_ids_are_stable_across_loads(bundled_catalog: Catalog, bundled_path: Path) -> None:
    again = load_catalog(bundled_path)
    pd.testing.assert_series_equal(again.items["title"], bundled_catalog.items["title"])
    pd.testing.assert_series_equal(again.items["item_id"], bundled_catalog.items["item_id"])
    # Ids follow first appearance in the file.
    assert bundled_catalog.items.loc[0, "title"] == "The Night Agent: Season 1"


def test_franchise_keys(bundled_catalog: Catalog) -> None:
    items = _by_title(bundled_catalog)
    for title in ("Outer Banks: Season 1", "Outer Banks: Season 2", "Outer Banks: Season 3"):
        assert items.loc[title, "franchise_key"] == "outer banks"
    for title in ("Stranger Things", "Stranger Things 2", "Stranger Things 4"):
        assert items.loc[title, "franchise_key"] == "stranger things"
    groups = bundled_catalog.items.groupby("franchise_key").size()
    assert 1_000 < int((groups > 1).sum()) < 2_500  # design.md measures about 1,550 groups


def test_alias_split(bundled_catalog: Catalog) -> None:
    row = _by_title(bundled_catalog).loc["The Glory: Season 1 // 더 글로리: 시즌 1"]
    assert row["english_title"] == "The Glory: Season 1"
    assert row["original_title"] == "더 글로리: 시즌 1"
    assert row["franchise_key"] == "the glory"
    plain = _by_title(bundled_catalog).loc["Wednesday: Season 1"]
    assert plain["english_title"] == "Wednesday: Season 1" and plain["original_title"] == ""
    assert int((bundled_catalog.items["original_title"] != "").sum()) > 5_000


def test_year_recovered_from_title(bundled_catalog: Catalog) -> None:
    items = _by_title(bundled_catalog)
    for title, year in (("Suits (2011): Season 1", 2011), ("Sing (2016)", 2016), ("Chiquititas (2013)", 2013)):
        assert pd.isna(items.loc[title, "release_date"])
        assert items.loc[title, "release_year"] == year
        assert items.loc[title, "year_source"] == "title"
    dated = items.loc["The Night Agent: Season 1"]
    assert dated["release_year"] == 2023 and dated["year_source"] == "date"
    report = bundled_catalog.report
    assert report.year_sources["title"] == int((bundled_catalog.items["year_source"] == "title").sum()) > 0
    assert report.year_sources["date"] == int(bundled_catalog.items["release_date"].notna().sum())
    assert report.items_without_year == int(bundled_catalog.items["release_year"].isna().sum())


def test_language_and_type_codes_match_the_vocabularies(bundled_catalog: Catalog) -> None:
    items = bundled_catalog.items
    # The report's six labels, and the original languages its English/Non-English labels hid (`languages`).
    assert {"English", "Hindi", "Japanese", "Korean", "Non-English", "Russian"} < set(bundled_catalog.languages)
    assert {"Spanish", "German", "French", "Chinese"} < set(bundled_catalog.languages)
    assert bundled_catalog.languages == sorted(bundled_catalog.languages)
    assert bundled_catalog.content_types == ["Movie", "Show"]
    decoded_language = [bundled_catalog.languages[i] for i in items["language_id"]]
    decoded_type = [bundled_catalog.content_types[i] for i in items["type_id"]]
    assert decoded_language == list(items["language"])
    assert decoded_type == list(items["content_type"])
    assert items["popularity"].between(0, 1).all() and items["popularity"].dtype == "float32"
    assert items["available_globally"].dtype == bool and items["available_globally"].any()


def test_enrichment_fills_genres(bundled_path: Path) -> None:
    catalog = load_catalog(bundled_path, FIXTURES / "enrichment.csv")
    report = catalog.report
    enriched = catalog.items["genres"] != ""
    assert report.enriched > 0 and report.enriched >= int(enriched.sum()) > 0
    assert report.enrichment_source == str(FIXTURES / "enrichment.csv")
    assert catalog.has_enrichment
    squid = _by_title(catalog).loc["Squid Game: Season 1 // 오징어 게임: 시즌 1"]
    assert squid["genres"] == "international, drama, thriller"  # `International TV Shows, TV Dramas, ...`
    assert "cash-strapped players" in squid["description"]
    assert "Lee Jung-jae" in squid["cast"]
    # Every season of a show receives the show's metadata.
    seasons = catalog.items[catalog.items["franchise_key"] == "outer banks"]
    assert len(seasons) == 3 and seasons["genres"].nunique() == 1 and seasons["genres"].iloc[0] != ""
    # Enrichment also supplies years the report lacks.
    assert report.year_sources["enrichment"] > 0
