"""Join an optional titles file (genres, description, cast, director...) onto the catalog.

The engagement report says nothing about what a title is about; the public `netflix_titles.csv`
does for about 40% of it. Rows are joined by franchise key (normalised base title), so every
season of a show receives the show's metadata.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
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


# How far apart the catalog's and the listing's years may be and still describe the same work.
# Listed shows get slack because a listing carries one year for all seasons; movies barely any, so that
# `Extraction 2` (2023) does not inherit the cast of the 2015 `Extraction`.
MAX_YEAR_GAP = {True: 5, False: 1}


def enrich(catalog: Catalog, path: Path) -> None:
    """Fill the catalog's text columns and missing years in place, and count what was enriched.

    Each item is matched to the listings with its franchise key; among them a listing of the same
    type (movie vs show) and the closest year wins, and a listing whose year is known and too far
    from the item's is refused rather than attached to the wrong work.
    """
    table = load_enrichment(path).reset_index(drop=True)
    table["_listing"] = table.index
    items = catalog.items
    left = pd.DataFrame({
        "_row": np.arange(len(items)),
        "franchise_key": items["franchise_key"].to_numpy(),
        "_is_show": items["content_type"].str.lower().eq("show").to_numpy(),
        "_year": items["release_year"].astype("Float64").to_numpy(dtype="float64", na_value=np.nan),
    })
    pairs = left.merge(table[["franchise_key", "is_show", "release_year", "_listing"]], on="franchise_key")
    listing_year = pairs["release_year"].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    gap = np.abs(pairs["_year"].to_numpy() - listing_year)
    # The listing's type decides the slack: the catalog's Content Type is noisy (`Stranger Things 4`
    # is a "Movie" there), the titles file's is not.
    allowed = np.where(pairs["is_show"], MAX_YEAR_GAP[True], MAX_YEAR_GAP[False])
    pairs = pairs[~(gap > allowed)]  # unknown years (NaN) never refuse a match
    pairs = pairs.assign(
        _type_miss=(pairs["_is_show"] != pairs["is_show"]).astype(int),
        _gap=np.nan_to_num(gap[~(gap > allowed)], nan=99.0),
    ).sort_values(["_row", "_type_miss", "_gap", "_listing"], kind="stable")
    best = pairs.drop_duplicates("_row").set_index("_row")["_listing"]
    listing = best.reindex(np.arange(len(items)))
    found = listing.notna().to_numpy()
    matched = table.reindex(listing.fillna(-1).astype(int).to_numpy()).reset_index(drop=True)
    for column in _TEXT_COLUMNS:
        items[column] = matched[column].fillna("").to_numpy()
    years = matched["release_year"].astype("Int64")
    fill_year = items["release_year"].isna().to_numpy() & years.notna().to_numpy()
    items.loc[fill_year, "release_year"] = years[fill_year].to_numpy()
    items.loc[fill_year, "year_source"] = "enrichment"
    catalog.report.enrichment_source = str(path)
    catalog.report.enriched = int(found.sum())
