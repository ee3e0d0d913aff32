"""Wikipedia's American films as a fifth listing: its format, its genres and kinds on the product's scale,
a lead paragraph without the frame every row shares, a join with English-language catalog films only, and
its presence never counting as "described" (`has_metadata`) nor deciding a type."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from recommender.catalog import Catalog, CatalogError, load_catalog
from recommender.enrichment import load_enrichment
from recommender.settings import bundled_enrichment_paths
from recommender.wikifilms import FILE_NAME, film_genres, story_text

WriteCsv = Callable[..., Path]
HEADER = "Title,Available Globally?,Release Date,Hours Viewed,Language Indicator,Content Type\n"
FILMS_HEADER = "title,release_year,wikipedia_film_genres,extract,cast\n"
OTTO = ('A Man Called Otto,2022,Comedy; Drama,"A Man Called Otto is a 2022 American comedy-drama film directed '
        'by Marc Forster. It is an adaptation of the novel A Man Called Ove. It was released by Netflix.",'
        'Tom Hanks; Mariana Treviño')


def test_table_genres_land_on_the_scale_and_kinds_stay() -> None:
    assert film_genres("Action; Superhero") == "action, fantasy, superhero"
    assert film_genres("Animated; Family; Musical") == "animation, family, music"
    assert film_genres("Science Fiction; Independent") == "sci-fi, independent"
    # How a film was made is not what it is: live action is not action, silent not a genre.
    assert film_genres("Live Action; Comedy") == "comedy"
    assert film_genres("Silent; Short") == ""


def test_the_description_keeps_the_story_not_the_frame_every_row_shares() -> None:
    text = story_text("A Man Called Otto", "A Man Called Otto is a 2022 American comedy-drama film directed by "
                      "Marc Forster. It is an adaptation of the novel A Man Called Ove. It was released by Netflix.")
    words = set(text.casefold().replace(".", " ").split())
    assert {"comedy-drama", "marc", "forster", "adaptation", "novel", "ove"} <= words
    assert not words & {"american", "film", "directed", "released", "netflix", "2022", "otto"}


@pytest.mark.parametrize(("content", "message"), [
    ("title,release_year,extract\nHeat,1995,A film.\n", "missing column.*wikipedia_film_genres"),
    (FILMS_HEADER + "Heat,1995,Crime,A film.,Al Pacino\nChupa,soon,Fantasy,A film.,\n", "line 3"),
    (FILMS_HEADER, "no titles"),
])
def test_a_malformed_list_is_refused_with_a_clear_message(write_csv: WriteCsv, content: str, message: str) -> None:
    with pytest.raises(CatalogError, match=message):
        load_enrichment(write_csv(content, name=FILE_NAME))


def test_english_language_films_take_genres_story_and_cast_and_nothing_else_does(write_csv: WriteCsv) -> None:
    catalog = write_csv(HEADER + "\n".join([
        "A Man Called Otto,Yes,2022-12-30,100,English,Movie",
        "Taxi Driver // 모범택시,Yes,2021-04-09,100,Korean,Movie",  # a Korean series' English name
        "Ponyo,Yes,2008-07-19,100,Japanese,Movie",  # the report files it under Japanese
        "Missing: Season 1,Yes,2023-01-01,100,English,Show",  # a show is never a listed film
        "Heat,Yes,2013-01-01,100,English,Movie",  # the listed Heat is the 1995 film
    ]) + "\n")
    films = write_csv(FILMS_HEADER + "\n".join([
        OTTO,
        "Taxi Driver,2021,Crime; Drama,A film about a taxi driver.,Robert De Niro",
        "Ponyo,2008,Animated; Fantasy,A fish who wants to be a girl.,Noah Cyrus",
        "Missing,2023,Thriller,A girl searches for her mother.,Storm Reid",
        "Heat,1995,Crime; Thriller,A heist thriller.,Al Pacino",
    ]) + "\n", name=FILE_NAME)
    loaded = load_catalog(catalog, [films])
    items = loaded.items.set_index("title")
    otto = items.loc["A Man Called Otto"]
    assert otto["genres"] == "comedy, drama"
    assert "adaptation" in otto["description"] and "American" not in otto["description"]
    assert otto["cast"] == "Tom Hanks, Mariana Treviño"
    for other in ("Taxi Driver // 모범택시", "Ponyo", "Missing: Season 1", "Heat"):
        assert items.loc[other, "genres"] == "" and items.loc[other, "description"] == "", other
    # Matched or not, nothing is "described" by this listing alone, and it decides no type.
    assert not items["has_metadata"].any()
    assert items.loc["Taxi Driver // 모범택시", "content_type"] == "Movie"
    assert loaded.report.added_by_source[str(films)] == {"items": 1, "years": 0, "genres": 1}


def test_the_lead_paragraph_is_added_to_an_earlier_listing_s_story(write_csv: WriteCsv) -> None:
    catalog = write_csv(HEADER + "The Pale Blue Eye,Yes,2023-01-06,100,English,Movie\n")
    flixable = write_csv("title,type,release_year,listed_in,description\n"
                         "The Pale Blue Eye,Movie,2022,Thrillers,A detective is hired to investigate a murder.\n",
                         name="flixable.csv")
    films = write_csv(FILMS_HEADER + 'The Pale Blue Eye,2022,Mystery; Thriller,"The Pale Blue Eye is a 2022 '
                      'American mystery thriller film adapted from the novel by Louis Bayard.",Christian Bale\n',
                      name=FILE_NAME)
    item = load_catalog(catalog, [flixable, films]).items.iloc[0]
    # Both: the blurb tells the story, the lead paragraph what kind of film it is; the blurb first.
    assert item["description"].startswith("A detective is hired")
    assert "mystery thriller" in item["description"] and "novel" in item["description"]
    assert item["genres"] == "thriller, mystery"


def test_bundled_list_describes_the_year_s_films(bundled_enriched_catalog: Catalog) -> None:
    assert bundled_enrichment_paths()[4].name == FILE_NAME
    items = bundled_enriched_catalog.items.set_index("title")
    assert "Tom Hanks" in items.loc["A Man Called Otto", "cast"]
    assert "novel" in items.loc["A Man Called Otto", "description"]
    assert "Jennifer Lopez" in items.loc["The Mother", "cast"]
    added = bundled_enriched_catalog.report.added_by_source[str(bundled_enrichment_paths()[4])]
    assert added["items"] > 2_500 and added["genres"] > 500
    assert FILE_NAME in bundled_enriched_catalog.report.summary()
