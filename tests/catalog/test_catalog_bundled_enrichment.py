"""The bundled catalog joined with both bundled listings: types, maturity, merged metadata, coverage."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from recommender import content_type, maturity
from recommender import titles as t
from recommender.catalog import Catalog
from recommender.settings import bundled_catalog_path, bundled_enrichment_paths


@pytest.fixture(scope="module")
def enriched(bundled_enriched_catalog: Catalog) -> Catalog:
    return bundled_enriched_catalog


def _row(catalog: Catalog, title: str) -> pd.Series:
    return catalog.items.set_index("title").loc[title]


def test_the_listings_ship_with_the_package() -> None:
    names = [p.name for p in bundled_enrichment_paths()]
    assert names == ["netflix_titles.csv", "netflix_titles_2023_jw.csv", "movietweetings_movies.dat",
                     "wikipedia_netflix_originals.csv", "wikipedia_american_films.csv"]
    assert all(p.is_file() and p.stat().st_size > 100_000 for p in bundled_enrichment_paths())


# The report calls all of these "Movie".
SAID_BY_TITLE = [
    "Money Heist: Part 1 // La casa de papel: Parte 1",
    "Lupin: Part 1",
    "Conversations with a Killer: The Jeffrey Dahmer Tapes: Limited Series",
    "ONE PIECE: Alabasta // ワンピース: アラバスタ編",
]
SAID_BY_LISTINGS = ["Stranger Things", "Stranger Things 4", "DAHMER: Monster: The Jeffrey Dahmer Story"]


@pytest.mark.parametrize("title", SAID_BY_TITLE)
def test_titles_that_say_show_are_shows_even_without_listings(bundled_catalog: Catalog, title: str) -> None:
    assert _row(bundled_catalog, title)["content_type"] == "Show"


@pytest.mark.parametrize("title", SAID_BY_TITLE + SAID_BY_LISTINGS)
def test_shows_the_report_calls_movies_are_shows(enriched: Catalog, bundled_catalog: Catalog, title: str) -> None:
    assert _row(enriched, title)["content_type"] == "Show"


def test_a_sequel_film_takes_its_own_listing_not_its_original_s(enriched: Catalog) -> None:
    # The listing spells `The Hangover Part II` (no colon); the sequels used to inherit the first film's
    # year and IMDb votes.
    years = {title: _row(enriched, title)["release_year"] for title in
             ("The Hangover", "The Hangover: Part II", "The Hangover: Part III")}
    assert years == {"The Hangover": 2009, "The Hangover: Part II": 2011, "The Hangover: Part III": 2013}
    # No listing of its own: nothing, rather than `Sinister 2`'s or `American Pie 2`'s.
    for title in ("Sinister", "American Pie"):
        assert not _row(enriched, title)["has_metadata"], title


def test_every_season_of_a_long_running_show_takes_its_listing(enriched: Catalog) -> None:
    # JustWatch lists The Crown once, as of 2016; seasons 5 (2022) and 6 (2023) used to miss it.
    genres = {season: _row(enriched, f"The Crown: Season {season}")["genres"] for season in (1, 5, 6)}
    assert all("history" in g for g in genres.values()), genres
    # A film of a show's name, years later, is not a later season.
    assert "anime" not in _row(enriched, "Bleach")["genres"]


def test_real_movies_stay_movies(enriched: Catalog) -> None:
    for title in ("Glass Onion: A Knives Out Mystery", "Extraction 2", "Bird Box", "The Gray Man"):
        assert _row(enriched, title)["content_type"] == "Movie", title


def test_type_corrections_are_counted(enriched: Catalog, bundled_catalog: Catalog) -> None:
    raw = pd.read_csv(bundled_catalog_path(), dtype=str, keep_default_na=False)
    reported = raw.drop_duplicates("Title").set_index("Title")["Content Type"]
    for catalog in (enriched, bundled_catalog):
        changed = (catalog.items.set_index("title")["content_type"] != reported.reindex(catalog.items["title"])).sum()
        assert sum(catalog.report.type_corrections.values()) == changed > 500
    # The listings know the type of shows whose titles do not say it (Stranger Things, DAHMER).
    assert enriched.report.type_corrections[content_type.BY_LISTING] > 100
    assert bundled_catalog.report.type_corrections[content_type.BY_LISTING] == 0
    assert "content type corrected for" in enriched.report.summary()


def test_every_item_has_a_maturity_band(enriched: Catalog, bundled_catalog: Catalog) -> None:
    assert set(enriched.items["maturity"]) <= set(maturity.BANDS)
    assert set(bundled_catalog.items["maturity"]) == {"unknown"}  # nothing to tell without listings
    counts = enriched.items["maturity"].value_counts().to_dict()
    assert enriched.report.maturity == {band: counts.get(band, 0) for band in maturity.BANDS}
    assert all(counts[band] > 500 for band in ("kids", "family", "teen", "adult"))
    assert _row(enriched, "CoComelon: Season 1")["maturity"] == "kids"
    assert _row(enriched, "DAHMER: Monster: The Jeffrey Dahmer Story")["maturity"] == "adult"
    # The band agrees with the raw certification kept beside it, where that certification has a band
    # (an `NR` entry takes its work's band: `Nymphomaniac: Volume 1` is as adult as its Volume II).
    certified = enriched.items["certification"].map(maturity.band)
    known = certified != "unknown"
    assert (certified[known] == enriched.items.loc[known, "maturity"]).all()
    assert _row(enriched, "Nymphomaniac: Volume 1")["maturity"] == "adult"


def test_metadata_from_both_listings_is_merged(enriched: Catalog) -> None:
    wednesday = _row(enriched, "Wednesday: Season 1")  # only in the 2023 JustWatch listing
    assert wednesday["has_metadata"] and wednesday["imdb_votes"] > 100_000 and wednesday["seasons"] >= 1
    assert "comedy" in wednesday["genres"].split(", ") and wednesday["description"]
    assert wednesday["country"] == "united states"
    squid = _row(enriched, "Squid Game: Season 1 // 오징어 게임: 시즌 1")  # in both listings
    genres = squid["genres"].split(", ")
    assert "international" in genres and "drama" in genres and "thriller" in genres  # Flixable
    assert "action" in genres  # JustWatch
    assert len(genres) == len(set(genres))  # `drama` from both, listed once
    assert "Lee Jung-jae" in squid["cast"] and squid["country"] == "south korea"
    assert isinstance(squid["imdb_score"], float) and 7 < squid["imdb_score"] <= 10
    nothing = enriched.items[~enriched.items["has_metadata"]]
    # Undescribed items have no figures; some have a year and genres from the film list, and some films a
    # story from Wikipedia's American films, which never count as a description of their own.
    assert nothing["imdb_votes"].isna().all()
    storied = nothing[nothing["description"] != ""]
    assert 1_000 < len(storied) < 2_729 and storied["content_type"].eq("Movie").all()
    assert 1_500 < (nothing["genres"] != "").sum() < 0.3 * len(nothing)
    # no listing: unknown, unless another entry of the same work has a band (then the most mature)
    items = enriched.items
    # Bands are shared within a title's own work, not its whole franchise (a spin-off is rated apart).
    work = items["title"].map(t.franchise_key)
    rated = set(work[items["maturity"].ne("unknown") & items["has_metadata"]])
    alone = nothing[~work[nothing.index].isin(rated)]
    assert len(alone) > 0.5 * len(nothing) and (alone["maturity"] == "unknown").all()
    inherited = nothing[work[nothing.index].isin(rated)]
    assert 0 < len(inherited) <= enriched.report.maturity_inherited  # (listed items without a rating inherit too)
    assert inherited["maturity"].ne("unknown").all()
    assert not math.isnan(float(squid["tmdb_popularity"]))


def test_coverage_is_reported(enriched: Catalog) -> None:
    coverage = enriched.report.coverage
    items, hours = enriched.items, enriched.items["hours_viewed"]
    genres = items["genres"] != ""
    assert coverage["genres"]["items"] == round(float(genres.mean()), 4)
    assert coverage["genres"]["hours"] == round(float(hours[genres].sum() / hours.sum()), 4)
    # The listings together give genres to about half the items and most of the hours watched.
    assert 0.50 < coverage["genres"]["items"] < 0.60 and coverage["genres"]["hours"] > 0.60
    assert 0.40 < coverage["any metadata"]["items"] < 0.50  # the film list's presence is no description
    assert coverage["imdb_votes"]["items"] > 0.30 and coverage["maturity"]["items"] > 0.40
    assert enriched.report.enriched_by_source[str(bundled_enrichment_paths()[1])] > 6_000
    assert "coverage (items / hours viewed): genres 5" in enriched.report.summary()
