"""Listing files: the JustWatch format (Python-list cells, ISO countries, IMDb figures), several files
merged, certifications folded into maturity bands, and the type rules on small inputs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from recommender import maturity
from recommender.catalog import load_catalog
from recommender.enrichment import normalise_countries, normalise_genres

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
WriteCsv = Callable[..., Path]
HEADER = "Title,Available Globally?,Release Date,Hours Viewed,Language Indicator,Content Type\n"
JW_HEADER = ("id,title,type,description,release_year,age_certification,runtime,genres,production_countries,"
             "seasons,imdb_id,imdb_score,imdb_votes,tmdb_popularity,tmdb_score\n")
FLIXABLE_HEADER = ("show_id,type,title,director,cast,country,date_added,release_year,rating,duration,listed_in,"
                   "description\n")


@pytest.mark.parametrize(
    ("certification", "band"),
    [("TV-Y", "kids"), ("TV-Y7", "kids"), ("TV-Y7-FV", "kids"), ("TV-G", "kids"), ("G", "kids"),
     ("TV-PG", "family"), ("PG", "family"), ("TV-14", "teen"), ("PG-13", "teen"), ("pg-13", "teen"),
     ("TV-MA", "adult"), ("R", "adult"), ("NC-17", "adult"), ("NR", "unknown"), ("UR", "unknown"),
     ("", "unknown"), ("74 min", "unknown")],
)
def test_certification_bands(certification: str, band: str) -> None:
    assert maturity.band(certification) == band


def test_the_more_mature_band_wins() -> None:
    assert maturity.most_mature(["kids", "adult", "unknown"]) == "adult"
    assert maturity.most_mature(["family", "teen"]) == "teen"
    assert maturity.most_mature(["unknown"]) == maturity.most_mature([]) == "unknown"


def test_both_vocabularies_on_one_scale() -> None:
    assert normalise_genres("['comedy', 'scifi', 'documentation']") == "comedy, sci-fi, documentary"
    assert normalise_genres("TV Comedies, TV Sci-Fi & Fantasy, Docuseries, TV Shows") == (
        "comedy, sci-fi, fantasy, documentary"
    )
    assert normalise_countries("['US', 'KR']") == "united states, south korea"
    assert normalise_countries("United States, South Korea") == "united states, south korea"
    assert normalise_genres("[]") == normalise_genres("") == ""


def test_justwatch_fixture_slice(write_csv: WriteCsv) -> None:
    catalog = load_catalog(FIXTURES / "catalog_iso.csv", FIXTURES / "enrichment_jw.csv")
    items = catalog.items
    assert catalog.report.enriched > 150
    assert items.loc[items["has_metadata"], "genres"].ne("").mean() > 0.95
    assert not items["genres"].str.contains(r"[\[\]']").any()  # no Python-list residue
    assert items["imdb_votes"].dtype == "float64" and items["imdb_votes"].notna().sum() > 100
    walking = items.set_index("title").loc["The Walking Dead: Season 11"]
    assert walking["maturity"] == "adult" and walking["certification"] == "TV-MA"
    assert walking["country"] == "united states" and walking["seasons"] >= 11


def test_sources_merge_lists_and_take_the_more_mature_certification(write_csv: WriteCsv) -> None:
    catalog_path = write_csv(HEADER + 'Dark Tale: Season 1,Yes,2020-01-01,"1,00,000",English,Show\n'
                             'Plain Film,Yes,2019-01-01,5,English,Movie\n')
    flixable = write_csv(FLIXABLE_HEADER + 's1,TV Show,Dark Tale,,Ann Lee,Germany,,2020,TV-PG,1 Season,'
                         '"TV Dramas, TV Horror",A village.\n', "flixable.csv")
    jw = write_csv(JW_HEADER + "ts1,Dark Tale,SHOW,A village hides a secret.,2020,TV-MA,50,\"['drama', 'thriller']\","
                   "\"['DE', 'AT']\",2.0,tt1,8.7,400000,50.5,8.4\n", "jw.csv")
    catalog = load_catalog(catalog_path, [flixable, jw])
    tale = catalog.items.set_index("title").loc["Dark Tale: Season 1"]
    assert tale["genres"] == "drama, horror, thriller"
    assert tale["country"] == "germany, austria"
    assert tale["description"] == "A village."  # the earlier file wins on single values
    assert (tale["maturity"], tale["certification"], tale["rating"]) == ("adult", "TV-MA", "TV-MA")
    assert (tale["imdb_score"], tale["imdb_votes"], tale["tmdb_popularity"], tale["seasons"]) == (8.7, 4e5, 50.5, 2.0)
    assert bool(tale["has_metadata"])
    film = catalog.items.set_index("title").loc["Plain Film"]
    assert not film["has_metadata"] and film["maturity"] == "unknown" and pd.isna(film["imdb_score"])
    assert catalog.report.enriched_by_source == {str(flixable): 1, str(jw): 1}
    assert catalog.report.maturity == {"kids": 0, "family": 0, "teen": 0, "adult": 1, "unknown": 1}


def test_listing_type_corrects_the_report_and_a_numbered_sequel_follows(write_csv: WriteCsv) -> None:
    rows = ("Hawkins,Yes,2016-07-15,5,English,Movie\n"
            "Hawkins 2,Yes,2022-05-27,5,English,Movie\n"  # too late for the 2016 listing
            "Rescue Job 2,Yes,2023-06-16,5,English,Movie\n"
            "Heist: Part 3,Yes,2019-07-19,5,English,Movie\n"
            "Finale: Part 2,Yes,2011-07-15,5,English,Movie\n"
            "Moon Eternal The Movie: Part 1,Yes,2021-06-03,5,Japanese,Movie\n")
    listing = write_csv(JW_HEADER + "ts1,Hawkins,SHOW,Kids.,2016,TV-14,50,[],[],4,,,,,\n"
                        "tm2,Finale: Part 2,MOVIE,Wizards.,2011,PG-13,130,[],[],,,,,,\n", "jw.csv")
    catalog = load_catalog(write_csv(HEADER + rows), listing)
    types = catalog.items.set_index("title")["content_type"].to_dict()
    assert types == {"Hawkins": "Show", "Hawkins 2": "Show", "Rescue Job 2": "Movie",
                     "Heist: Part 3": "Show", "Finale: Part 2": "Movie", "Moon Eternal The Movie: Part 1": "Movie"}
    assert catalog.report.type_corrections == {
        "title names a season or limited series": 0, "enrichment listing": 1,
        "title names a part, volume, book or arc": 1, "sequel number of a show": 1,
    }
    assert catalog.content_types == ["Movie", "Show"]


def test_unknown_maturity_inherits_the_most_mature_band_of_its_franchise() -> None:
    bands = pd.Series(["kids", "unknown", "unknown", "teen", "unknown", "adult", "unknown"])
    franchise = pd.Series(["gabby", "gabby", "solo", "mix", "mix", "mix", "other"])
    filled, count = maturity.inherit_within_franchise(bands, franchise)
    # a later season of a kids' show is kids; a franchise with teen and adult entries is adult;
    # a work nothing is known about stays unknown
    assert filled.tolist() == ["kids", "kids", "unknown", "teen", "adult", "adult", "unknown"]
    assert count == 2
