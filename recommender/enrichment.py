"""Join an optional titles file (genres, description, cast, director...) onto the catalog.

The engagement report says nothing about what a title is about; the public `netflix_titles.csv`
does for about 40% of it. Rows are joined by franchise key (normalised base title), so every
season of a show receives the show's metadata.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from recommender import titles as t
from recommender.catalog import Catalog, CatalogError, _read_table

_TEXT_COLUMNS = ("genres", "description", "cast", "director", "country", "rating")
_SOURCE_COLUMNS = {
    "genres": ("listed_in", "genres", "genre"),
    "description": ("description", "overview", "summary"),
    "cast": ("cast", "actors"),
    "director": ("director", "directors"),
    "country": ("country", "countries"),
    "rating": ("rating", "age_rating"),
    "release_year": ("release_year", "year"),
    "type": ("type", "content_type"),
}


def _pick(frame: pd.DataFrame, aliases: tuple[str, ...]) -> pd.Series:
    for alias in aliases:
        if alias in frame:
            return frame[alias].fillna("").astype(str).str.strip()
    return pd.Series("", index=frame.index, dtype=object)


def load_enrichment(path: Path) -> pd.DataFrame:
    """Read the enrichment CSV into one row per franchise key (first listing wins, shows first)."""
    frame = _read_table(path, "enrichment")
    if "title" not in frame:
        raise CatalogError(f"enrichment {path}: no title column (found: {', '.join(frame.columns[:8])})")
    table = pd.DataFrame({"franchise_key": frame["title"].astype(str).map(t.franchise_key)})
    for column, aliases in _SOURCE_COLUMNS.items():
        table[column] = _pick(frame, aliases)
    # A director column holding a bare number is a known defect of the public file: drop it.
    table.loc[table["director"].str.fullmatch(r"\d+"), "director"] = ""
    table["release_year"] = pd.to_numeric(table["release_year"], errors="coerce").astype("Int64")
    table["is_show"] = table["type"].str.lower().str.contains("show")
    table = table[table["franchise_key"] != ""]
    return table


def enrich(catalog: Catalog, path: Path) -> None:
    """Fill the catalog's text columns and missing years in place, and count what was enriched."""
    table = load_enrichment(path)
    items = catalog.items
    items["_is_show"] = items["content_type"].str.lower().eq("show")
    # Prefer a listing of the same type (movie vs show) for each key, else any listing of it.
    typed = table.drop_duplicates(["franchise_key", "is_show"]).set_index(["franchise_key", "is_show"])
    anytype = table.drop_duplicates("franchise_key").set_index("franchise_key")
    keys = pd.MultiIndex.from_arrays([items["franchise_key"], items["_is_show"]])
    same_type = typed.reindex(keys).reset_index(drop=True)
    fallback = anytype.reindex(items["franchise_key"]).reset_index(drop=True)
    matched = same_type.combine_first(fallback)
    found = matched["type"].notna().to_numpy()
    for column in _TEXT_COLUMNS:
        items[column] = matched[column].fillna("").to_numpy()
    years = matched["release_year"].astype("Int64")
    fill_year = items["release_year"].isna().to_numpy() & years.notna().to_numpy()
    items.loc[fill_year, "release_year"] = years[fill_year].to_numpy()
    items.loc[fill_year, "year_source"] = "enrichment"
    del items["_is_show"]  # in place: `catalog.items` is this very frame (drop(inplace=) is deprecated)
    catalog.report.enrichment_source = str(path)
    catalog.report.enriched = int(found.sum())
