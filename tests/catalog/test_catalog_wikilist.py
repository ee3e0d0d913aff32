"""Wikipedia's list of Netflix originals as a fourth listing: its format, its free-text genres on the
product's scale, a join only with an agreeing year, its languages, and its presence never counting as
"described" (`has_metadata`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from recommender.catalog import Catalog, CatalogError, load_catalog
from recommender.enrichment import load_enrichment
from recommender.settings import bundled_enrichment_paths
from recommender.wikilist import wikipedia_genres

WriteCsv = Callable[..., Path]
HEADER = "Title,Available Globally?,Release Date,Hours Viewed,Language Indicator,Content Type\n"
WIKI_HEADER = "title,type,release_year,wikipedia_genre,original_language\n"


def test_wikipedia_genres_land_on_the_listings_scale() -> None:
    assert wikipedia_genres("Spy action comedy; Comedy", "English") == "comedy, action"
    assert wikipedia_genres("Reality competition; Reality", "Korean") == "reality, international, korean"
    assert wikipedia_genres("Heist crime drama", "Spanish") == "drama, crime, international, spanish-language"
    assert wikipedia_genres("Martial arts; Anime", "Japanese") == "action, animation, anime, international"
    # A family drama is a drama about a family, not a family title; a family adventure is one.
    assert wikipedia_genres("Family drama") == "drama"
    assert wikipedia_genres("Family adventure") == "action, family"
    assert wikipedia_genres("Kids & family animation") == "animation, family, kids"
    assert wikipedia_genres("Anthology") == ""  # says nothing on the scale


@pytest.mark.parametrize(("content", "message"), [
    ("title,type,release_year,original_language\nDark,TV Show,2017,German\n", "missing column.*wikipedia_genre"),
    (WIKI_HEADER + "Dark,TV Show,2017,Science fiction,German\nFUBAR,TV Show,soon,Spy comedy,English\n", "line 3"),
    (WIKI_HEADER + "Dark,Podcast,2017,Science fiction,German\n", "line 2"),
    (WIKI_HEADER, "no titles"),
])
def test_a_malformed_list_is_refused_with_a_clear_message(write_csv: WriteCsv, content: str, message: str) -> None:
    with pytest.raises(CatalogError, match=message):
        load_enrichment(write_csv(content, name="wikipedia_netflix_originals.csv"))


def test_a_title_joins_only_with_an_agreeing_year(write_csv: WriteCsv) -> None:
    catalog = write_csv(HEADER + "\n".join([
        "The Night Agent: Season 1,Yes,2023-03-23,100,English,Show",
        "The Mother,Yes,2023-05-12,100,English,Movie",
        "Heat,Yes,2023-01-01,100,English,Movie",  # the listed Heat premiered in 2019: another film
        "Dark: Season 1,Yes,,100,English,Show",  # no year in the report: the title alone decides
        "Kingdom: Season 1 // 킹덤: 시즌 1,Yes,2019-01-25,100,Korean,Show",
    ]) + "\n")
    originals = write_csv(WIKI_HEADER + "\n".join([
        "The Night Agent,TV Show,2023,Political thriller; Drama,English",
        "The Mother,Movie,2023,Action drama,English",
        "Heat,Movie,2019,Crime thriller,Spanish",
        "Dark,TV Show,2017,Science fiction,German",
        "Kingdom,TV Show,2019,Period horror thriller,Korean",
    ]) + "\n", name="originals.csv")
    loaded = load_catalog(catalog, [originals])
    items = loaded.items.set_index("title")
    assert items.loc["The Night Agent: Season 1", "genres"] == "drama, thriller"
    assert items.loc["The Mother", "genres"] == "drama, action"
    assert items.loc["Heat", "genres"] == "" and items.loc["Heat", "language"] == "English"
    assert items.loc["Dark: Season 1", "release_year"] == 2017
    # The listing's language corrects the report's English; the report's own Korean stays.
    assert items.loc["Dark: Season 1", "language"] == "German"
    assert items.loc["Kingdom: Season 1 // 킹덤: 시즌 1", "language"] == "Korean"
    assert loaded.report.language_corrections["English -> specific language by listing"] == 1
    # Matched or not, nothing is "described" by this listing alone.
    assert not items["has_metadata"].any()
    assert loaded.report.added_by_source[str(originals)] == {"items": 4, "years": 1, "genres": 4}


def test_the_list_types_what_no_other_listing_does_and_the_other_type_needs_the_very_year(
        write_csv: WriteCsv) -> None:
    catalog = write_csv(HEADER + "Arcane,Yes,2021-11-06,100,English,Movie\n"
                        "Bros (2022),Yes,2022-09-30,100,English,Movie\n")
    originals = write_csv(WIKI_HEADER + "Arcane,TV Show,2021,Steampunk; Adult animation,English\n"
                          "Bros,TV Show,2023,Drama,Hebrew\n", name="originals.csv")
    loaded = load_catalog(catalog, [originals])
    items = loaded.items.set_index("title")
    # The list names films and shows alike, so its type says nothing about being listed: the
    # report's "Movie" Arcane (like its Queen Charlotte) is the series the list names.
    assert items.loc["Arcane", "content_type"] == "Show"
    assert loaded.report.type_corrections["enrichment listing"] == 1
    assert items.loc["Arcane", "genres"] == "animation"  # the other type, the very year: the same work
    # The other type a year apart is another work: the 2022 film is not the 2023 Israeli series.
    assert items.loc["Bros (2022)", "genres"] == "" and items.loc["Bros (2022)", "language"] == "English"


def test_a_listed_film_taken_by_two_catalog_films_describes_neither(write_csv: WriteCsv) -> None:
    catalog = write_csv(HEADER + "Noise,Yes,2023-03-17,100,English,Movie\n"
                        "Noise // Ruido,No,2023-01-11,100,English,Movie\nThe Mother,Yes,2023-05-12,100,English,Movie\n")
    originals = write_csv(WIKI_HEADER + "Noise,Movie,2023,Drama,Spanish\nThe Mother,Movie,2023,Action drama,English\n",
                          name="originals.csv")
    items = load_catalog(catalog, [originals]).items.set_index("title")
    # The Belgian `Noise` and the Mexican `Noise // Ruido` are two works; the list names one of them.
    assert items.loc["Noise", "genres"] == "" and items.loc["Noise", "language"] == "English"
    assert items.loc["Noise // Ruido", "genres"] == ""
    assert items.loc["The Mother", "genres"] == "drama, action"


def test_bundled_list_fills_the_2023_originals(bundled_enriched_catalog: Catalog) -> None:
    assert bundled_enrichment_paths()[3].name == "wikipedia_netflix_originals.csv"
    items = bundled_enriched_catalog.items.set_index("title")
    assert {"thriller", "drama"} <= set(items.loc["The Night Agent: Season 1", "genres"].split(", "))
    assert "reality" in items.loc["Squid Game: The Challenge: Season 1", "genres"]
    assert items.loc["Pact of Silence: Season 1 // Pacto de silencio: Season 1", "language"] == "Spanish"
    assert items.loc["Queen Charlotte: A Bridgerton Story", "content_type"] == "Show"  # the report says Movie
    added = bundled_enriched_catalog.report.added_by_source[str(bundled_enrichment_paths()[3])]
    assert added["genres"] > 250
    assert "wikipedia_netflix_originals.csv" in bundled_enriched_catalog.report.summary()
