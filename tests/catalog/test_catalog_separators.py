"""A user's own catalog with `;`, tab or `|` separators loads like the comma file; what cannot be read
is refused in plain words with the offending lines, never parser jargon."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from recommender.catalog import load_catalog
from recommender.tables import CatalogError, detect_separator

WriteCsv = Callable[..., Path]
ROWS = [
    ["Title", "Available Globally?", "Release Date", "Hours Viewed", "Language Indicator", "Content Type"],
    ["Wednesday: Season 1", "Yes", "2022-11-23", "50,77,00,000", "English", "Show"],
    ["The Glory: Season 1 // 더 글로리: 시즌 1", "No", "", "62,28,00,000", "Korean", "Show"],
    ["Glass Onion: A Knives Out Mystery", "Yes", "2022-12-23", "1,25,00,000", "English", "Movie"],
]


def _joined(sep: str) -> str:
    return "".join(sep.join(row) + "\n" for row in ROWS)


def _comma_file() -> str:
    return "".join(",".join(f'"{c}"' if "," in c else c for c in row) + "\n" for row in ROWS)


@pytest.mark.parametrize("sep", [";", "\t", "|"], ids=["semicolon", "tab", "pipe"])
def test_other_separators_load_like_the_comma_file(write_csv: WriteCsv, sep: str) -> None:
    reference = load_catalog(write_csv(_comma_file(), "comma.csv"))
    variant = load_catalog(write_csv(_joined(sep), "variant.csv"))
    pd.testing.assert_frame_equal(variant.items, reference.items)
    assert list(variant.items["hours_viewed"]) == [507_700_000, 622_800_000, 12_500_000]


def test_semicolon_file_with_commas_in_cells_is_not_split_on_them(write_csv: WriteCsv) -> None:
    """Titles with commas (`Love, Death & Robots`) would mislead a naive guess."""
    text = _joined(";") + "Love, Death & Robots: Volume 1;Yes;;5;English;Movie\n"
    assert detect_separator(text) == ";"
    catalog = load_catalog(write_csv(text))
    assert catalog.items["title"].iloc[-1] == "Love, Death & Robots: Volume 1"


def test_mixed_separators_name_the_separator_and_show_the_lines(write_csv: WriteCsv) -> None:
    path = write_csv(_joined(";") + "Broken;Yes;2023-01-01;5;English;Movie;extra\n")
    with pytest.raises(CatalogError) as info:
        load_catalog(path)
    message = str(info.value)
    assert message == (
        f"catalog {path}: 1 row(s) have more than the header's 6 semicolon-separated fields "
        "(quote cells that contain a ';'): line 5: 'Broken;Yes;2023-01-01;5;English;Movie;extra'"
    )
    rendered = "".join(traceback.format_exception(info.value))
    assert "C error" not in rendered and "tokenizing" not in rendered


def test_missing_title_shows_the_first_rows(write_csv: WriteCsv) -> None:
    path = write_csv("Programme;Hours\nWednesday;5\nThe Crown;7\n")
    with pytest.raises(CatalogError) as info:
        load_catalog(path)
    message = str(info.value)
    assert message.startswith(f"catalog {path}: no Title column (found columns: 'programme', 'hours')")
    assert "separated by commas, semicolons, tabs or pipes" in message
    assert "(first rows: line 2: 'Wednesday;5'; line 3: 'The Crown;7')" in message


def test_enrichment_with_semicolons_is_read(write_csv: WriteCsv) -> None:
    titles = write_csv("title;type;listed_in;rating\nWednesday;TV Show;TV Comedies, TV Mysteries;TV-14\n", "t.csv")
    catalog = load_catalog(write_csv(_comma_file()), titles)
    row = catalog.items.set_index("title").loc["Wednesday: Season 1"]
    assert row["genres"] == "comedy, mystery" and row["maturity"] == "teen"
