"""Read Wikipedia's American films (`title,release_year,wikipedia_film_genres,extract,cast`) as a film listing.

The two Netflix listings describe Netflix's own catalog up to 2021 (Flixable) and March 2023 (JustWatch),
so the year's films (The Mother, Extraction 2, A Man Called Otto, Chupa) and most licensed Hollywood films
(Shrek, Sing, The Boss Baby) had no story, cast or genres beyond MovieTweetings' IMDb genres, and their
lists were filled by same-year films of other tones. Wikipedia's "List of American films of <year>" tables
give every American film's genres and cast, and the lead paragraph of each film's article says what kind
of film it is (`a 2022 American comedy-drama film ... the second film adaptation of the novel A Man Called
Ove`). Credits and licence: `recommender/data/WIKIPEDIA_FILMS_NOTICE.md`.

What the ranking reads from it: genres on the product's scale (`wikilist.wikipedia_genres`) plus a few
kinds of film no scale genre names (`superhero`, `spy`, ...), the lead paragraph as the description, and
the cast. The lead paragraph opens with the same frame in every row (`<Title> is a 2022 American ...
film directed by ...`, `released by Netflix`), and only these rows have it, so the frame words, the year
and the film's own title are dropped from the description the ranking reads (`story_text`): otherwise
"has a Wikipedia article" and "shares title words" would become similarity of their own.

Its rows are American films with an English Wikipedia article, so being *in* it says "American, and
notable": the listing is marked `PRESENCE_NEUTRAL = False` and never counts towards `has_metadata` nor
decides a type; it joins films only (`FILMS_ONLY`), and only catalog titles that are English-language works
(`ENGLISH_ONLY`: no original title after ` // `, and not labelled Korean, Japanese, ... by the report),
because an American film's name is often a foreign work's English title (`Ponyo`, `Taxi Driver // 모범택시`).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from recommender.tables import CatalogError, join_list, require_rows_and_columns
from recommender.wikilist import wikipedia_genres

# The bundled file is read by this module whatever its header says; any other file is when it has the
# Wikipedia film-genre column.
FILE_NAME = "wikipedia_american_films.csv"
GENRE_COLUMN = "wikipedia_film_genres"
EXTRACT_COLUMN = "extract"
REQUIRED = ("title", "release_year", GENRE_COLUMN, EXTRACT_COLUMN)
# Whether the mere presence of a title in this listing may count as "described": no (see above).
PRESENCE_NEUTRAL = False
# Every row is a film: it never joins a title the catalog calls a show.
FILMS_ONLY = True
# An American film describes only catalog titles that are English-language works (see above).
ENGLISH_ONLY = True
# Its description is added to an earlier listing's rather than only filling a gap: Flixable's blurb
# tells the story (`Five years after an ominous unseen presence...`), the lead paragraph says what kind of
# film it is (`post-apocalyptic horror thriller`, `based on the novel`), and lists matched on one broad
# genre lacked exactly that.
ADDS_DESCRIPTION = True
YEARS = (1900, 2100)

# Wikipedia's table genres that name a kind of film the product's scale has no word for: kept as genres
# of their own, so that superhero films find superhero films rather than any action film.
KINDS = ("superhero", "spy", "martial arts", "slasher", "disaster")
# Table genres that say how a film was made, not what it is (`Live Action` is not action).
_DROPPED = frozenset({"live action", "silent", "short", "found footage", "performance"})
# Words of the lead paragraph's frame, shared by every row and only by this listing's rows.
_FRAME = re.compile(
    r"\b(?:american|films?|movies?|directed|director|written|produced|producers?|starring|stars|"
    r"screenplay|released|release|upcoming|distributed|netflix|pictures|studios?)\b"
    r"|\b(?:18|19|20)\d\d\b",
    re.IGNORECASE,
)
_SPACES = re.compile(r"\s{2,}")


def is_wikipedia_film_list(frame: pd.DataFrame, path: Path) -> bool:
    return GENRE_COLUMN in frame or path.name == FILE_NAME


def film_genres(cell: str) -> str:
    """`Action; Superhero; Live Action` -> `action, fantasy, superhero`: the scale's genres, then the kinds."""
    names = [g.strip().casefold() for g in cell.split(";") if g.strip()]
    kept = [g for g in names if g not in _DROPPED]
    own = [g for g in ("independent", *KINDS) if g in kept]
    return join_list([*wikipedia_genres("; ".join(kept)).split(", "), *own])


def story_text(title: str, extract: str) -> str:
    """The lead paragraph without its frame: the film's own title, the year, and the words every row's
    first sentence shares (`is a 2022 American ... film directed by`, `released ... by Netflix`)."""
    text = extract
    if title.strip():
        text = re.sub(re.escape(title.strip()), " ", text, flags=re.IGNORECASE)
    return _SPACES.sub(" ", _FRAME.sub(" ", text)).strip()


def to_listing(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """The file's rows as a listing frame (`title`, `type`, `release_year`, `genres`, `description`,
    `cast`), or `CatalogError` naming the first bad line: every row needs a title and a year."""
    require_rows_and_columns(frame, REQUIRED, f"Wikipedia film list {path}")
    years = pd.to_numeric(frame["release_year"], errors="coerce")
    bad = (frame["title"] == "") | years.isna() | ~years.between(*YEARS)
    if bad.any():
        row = int(bad.to_numpy().argmax())
        raise CatalogError(f"Wikipedia film list {path}: line {row + 2} needs a title and a year: "
                           f"{','.join(frame.iloc[row][['title', 'release_year']].astype(str))!r}")
    cast = frame["cast"] if "cast" in frame else pd.Series("", index=frame.index)
    return pd.DataFrame({
        "title": frame["title"],
        "type": "Movie",
        "release_year": years.astype("Int64"),
        "genres": frame[GENRE_COLUMN].map(film_genres),
        "description": [story_text(t, e) for t, e in zip(frame["title"], frame[EXTRACT_COLUMN], strict=True)],
        # The table's cast cell, `;`-separated (names hold commas: `Robert Downey, Jr.` in older rows).
        "cast": cast.map(lambda v: join_list([c.strip() for c in v.split(";") if c.strip()])),
    })
