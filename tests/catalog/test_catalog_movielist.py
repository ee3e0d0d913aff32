"""The MovieTweetings film list as a third listing: its format, its genres on the product's scale, films
only, and its presence never counting as "described" (`has_metadata`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from recommender.catalog import Catalog, CatalogError, load_catalog
from recommender.movielist import imdb_genres, read_movie_list
from recommender.settings import bundled_enrichment_paths

WriteCsv = Callable[..., Path]
HEADER = "Title,Available Globally?,Release Date,Hours Viewed,Language Indicator,Content Type\n"
FLIXABLE_HEADER = ("show_id,type,title,director,cast,country,date_added,release_year,rating,duration,listed_in,"
                   "description\n")


def test_imdb_genres_land_on_the_listings_scale() -> None:
    assert imdb_genres("Sci-Fi|Film-Noir|Drama") == "sci-fi, crime, classic, drama"
    assert imdb_genres("Adventure|Action|Short") == "action"  # one `action`, `Short` says nothing
    assert imdb_genres("Musical|Biography") == "music, biography"
    assert imdb_genres("") == ""


def test_a_malformed_line_is_refused_with_its_number(write_csv: WriteCsv) -> None:
    path = write_csv("0000001::Heat (1995)::Crime\n0000002::No year here::Drama\n", name="films.dat")
    with pytest.raises(CatalogError, match="line 2"):
        read_movie_list(path)


def test_the_film_list_joins_films_of_its_own_title_and_year_only(write_csv: WriteCsv) -> None:
    catalog = write_csv(HEADER + "\n".join([
        "Heat,Yes,,100,English,Movie",
        "Heat 2,Yes,,100,English,Movie",  # not `Heat`: a film listing joins only its own title
        "Dark: Season 1,Yes,,100,English,Show",  # a show never takes the 2005 film `Dark`
        "Alien,Yes,2019-01-01,100,English,Movie",  # its year is far from the listed 1979: refused
        "Arrival,Yes,2016-11-11,100,English,Movie",
    ]) + "\n")
    films = write_csv("\n".join([
        "0113277::Heat (1995)::Action|Crime|Drama",
        "0411267::Dark (2005)::Horror",
        "0078748::Alien (1979)::Horror|Sci-Fi",
        "2543164::Arrival (2016)::Drama|Mystery|Sci-Fi",
    ]) + "\n", name="films.dat")
    items = load_catalog(catalog, [films]).items.set_index("title")
    assert items.loc["Heat", "release_year"] == 1995 and items.loc["Heat", "genres"] == "action, crime, drama"
    assert items.loc["Arrival", "genres"] == "drama, mystery, sci-fi"
    for title in ("Heat 2", "Dark: Season 1", "Alien"):
        assert items.loc[title, "genres"] == "", title
    assert items.loc["Heat 2"].isna()["release_year"]
    # Matched or not, nothing is "described" by this listing alone, and no type comes from it.
    assert not items["has_metadata"].any()
    assert items.loc["Dark: Season 1", "content_type"] == "Show"


def test_the_film_list_never_counts_as_metadata(write_csv: WriteCsv) -> None:
    catalog = write_csv(HEADER + "Heat,Yes,,100,English,Movie\nRoma,Yes,,100,Non-English,Movie\n")
    flixable = write_csv(FLIXABLE_HEADER + "s1,Movie,Roma,Alfonso Cuarón,,Mexico,,2018,R,135 min,Dramas,A maid\n",
                         name="flixable.csv")
    films = write_csv("0113277::Heat (1995)::Crime\n6155172::Roma (2018)::Drama\n", name="films.dat")
    loaded = load_catalog(catalog, [flixable, films])
    items = loaded.items.set_index("title")
    assert items.loc["Roma", "has_metadata"] and not items.loc["Heat", "has_metadata"]
    assert items.loc["Heat", "genres"] == "crime"
    added = loaded.report.added_by_source
    assert added[str(films)] == {"items": 2, "years": 1, "genres": 1}  # Heat's: Roma's came from Flixable
    assert added[str(flixable)] == {"items": 1, "years": 1, "genres": 1}
    assert loaded.report.enriched == 1


@pytest.fixture(scope="module")
def without_film_list(bundled_path: Path) -> Catalog:
    return load_catalog(bundled_path, bundled_enrichment_paths()[:2])


def test_bundled_film_list_adds_years_and_genres_but_no_presence_signal(
    bundled_enriched_catalog: Catalog, without_film_list: Catalog
) -> None:
    enriched, before = bundled_enriched_catalog.items, without_film_list.items
    godfather = enriched.set_index("title").loc["The Godfather"]
    assert godfather["release_year"] == 1972 and set(godfather["genres"].split(", ")) == {"crime", "drama"}
    # Every item "described" with the film list was described without it, and the reverse.
    assert (enriched["has_metadata"] == before["has_metadata"]).all()
    # Types change only where the Wikipedia list after it names a series (Queen Charlotte, ...).
    retyped = enriched["content_type"].ne(before["content_type"])
    assert set(enriched.loc[retyped, "content_type"]) == {"Show"} and retyped.sum() == 5
    assert (enriched["maturity"] == before["maturity"]).all()
    # What the report says the film list (and the Wikipedia lists after it) added is what changed.
    added, *later = (bundled_enriched_catalog.report.added_by_source[str(p)] for p in bundled_enrichment_paths()[2:])
    new_years = before["release_year"].isna() & enriched["release_year"].notna()
    new_genres = before["genres"].eq("") & enriched["genres"].ne("")
    assert added["years"] + sum(w["years"] for w in later) == int(new_years.sum()) and added["years"] > 1_000
    assert added["genres"] + sum(w["genres"] for w in later) == int(new_genres.sum()) and added["genres"] > 1_500
    assert "movietweetings_movies.dat" in bundled_enriched_catalog.report.summary()
