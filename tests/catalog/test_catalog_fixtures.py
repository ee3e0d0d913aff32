"""The three public copies of the report (ISO, DD-MM-YYYY, M/D/YYYY dates) load to the same catalog."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from recommender.catalog import Catalog, load_catalog

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

# What a spreadsheet made of three real titles in the non-ISO copies (same rows in all three files).
MANGLED = {
    "ddmmyyyy": {"22 July": "22-Jul", "15 August": "15-Aug", "October 1": "Oct-01"},
    "usdate": {"22 July": "22-Jul", "15 August": "15-Aug", "October 1": "1-Oct"},
}
COMPARED = ["item_id", "hours_viewed", "release_date", "release_year", "available_globally",
            "language", "content_type", "language_id", "type_id"]


@pytest.fixture(scope="module")
def copies() -> dict[str, Catalog]:
    return {name: load_catalog(FIXTURES / f"catalog_{name}.csv") for name in ("iso", "ddmmyyyy", "usdate")}


def test_each_copy_reports_its_date_format(copies: dict[str, Catalog]) -> None:
    assert {name: c.report.date_format for name, c in copies.items()} == {
        "iso": "ISO (YYYY-MM-DD)",
        "ddmmyyyy": "DD-MM-YYYY",
        "usdate": "M/D/YYYY",
    }
    for catalog in copies.values():
        assert catalog.report.rows_read == 969
        assert catalog.report.unparseable == {"hours_viewed": 0, "release_date": 0, "available_globally": 0}


def test_copies_agree_on_ids_hours_dates_and_codes(copies: dict[str, Catalog]) -> None:
    iso = copies["iso"].items
    dates = iso["release_date"].dropna()
    # The comparison is only meaningful if swapping day and month would change some dates.
    assert len(dates) > 250 and (dates.dt.day > 12).any()
    assert iso.loc[0, "title"] == "The Night Agent: Season 1"
    assert iso.loc[0, "release_date"] == pd.Timestamp("2023-03-23")
    for name in ("ddmmyyyy", "usdate"):
        other = copies[name].items
        assert len(other) == len(iso)
        pd.testing.assert_frame_equal(other[COMPARED], iso[COMPARED], check_dtype=True)
        assert copies[name].report.duplicate_rows_merged == copies["iso"].report.duplicate_rows_merged


@pytest.mark.parametrize("name", ["ddmmyyyy", "usdate"])
def test_titles_agree_except_the_mangled_ones(copies: dict[str, Catalog], name: str) -> None:
    iso, other = copies["iso"].items, copies[name].items
    different = iso.loc[iso["title"] != other["title"], "title"]
    assert dict(zip(different, other.loc[different.index, "title"], strict=True)) == MANGLED[name]


@pytest.mark.parametrize("name", ["ddmmyyyy", "usdate"])
def test_mangled_titles_are_reported_and_kept_as_typed(copies: dict[str, Catalog], name: str) -> None:
    catalog = copies[name]
    assert catalog.report.suspicious_titles == list(MANGLED[name].values())
    assert "spreadsheet-mangled" in catalog.report.summary()
    items = catalog.items.set_index("title")
    iso = copies["iso"].items.set_index("title")
    for real, mangled in MANGLED[name].items():
        # Kept as a title (not turned into a date): same row, same release date as the ISO copy.
        assert items.loc[mangled, "item_id"] == iso.loc[real, "item_id"]
        ours, theirs = items.loc[mangled, "release_date"], iso.loc[real, "release_date"]
        assert (pd.isna(ours) and pd.isna(theirs)) or ours == theirs


def test_iso_copy_has_no_suspicious_titles(copies: dict[str, Catalog]) -> None:
    assert copies["iso"].report.suspicious_titles == []
    assert "spreadsheet-mangled" not in copies["iso"].report.summary()
