"""Read the Wikipedia list of Netflix originals (`title,type,release_year,wikipedia_genre,original_language`).

The two Netflix listings stop in 2021 (Flixable) and March 2023 (JustWatch, and thin on shows), so the
engagement report's 2023 shows (The Night Agent, FUBAR, Squid Game: The Challenge), many Korean and
Spanish series and the year's films had no genres, and their lists were filled by same-year titles of
the same type. Wikipedia's lists of Netflix original programming and films name a genre, a premiere
year and (for non-English titles) the language of nearly every original. Credits and licence:
`recommender/data/WIKIPEDIA_NOTICE.md`.

Wikipedia's genres are free text (`Spy action comedy`, `Heist crime drama`, `Reality competition;
Reality`: the cell, then the list's section), mapped here by keyword onto the other listings' genre
scale (`enrichment.GENRE_NAMES`); a non-English title also gets the foreign tags Flixable gives
(`international`, `korean`, `spanish-language`). Its rows are the titles Netflix commissioned, so being
*in* it says "a Netflix original": the listing is marked `PRESENCE_NEUTRAL = False` and the join never
turns a match into a feature of its own (see `enrichment.merge_sources`).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from recommender.tables import CatalogError, join_list, require_rows_and_columns

# The bundled file is read by this module whatever its header says (a damaged copy is refused, not read
# as a plain listing); any other file is when it has the Wikipedia genre column.
FILE_NAME = "wikipedia_netflix_originals.csv"
GENRE_COLUMN = "wikipedia_genre"
LANGUAGE_COLUMN = "original_language"
REQUIRED = ("title", "type", "release_year", GENRE_COLUMN)
TYPES = {"movie": "Movie", "tv show": "TV Show"}
# Whether the mere presence of a title in this listing may count as "described": no (see above).
PRESENCE_NEUTRAL = False
YEARS = (1900, 2100)

# Keyword (a regex on the lowercased genre text) -> genres on the product's scale. Order does not
# matter: every keyword that occurs adds its genres. `family drama` is a drama about a family, not a
# family title, so `family` counts only when no drama or saga follows it.
_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (r"comed|sitcom|satir|parody|mockumentary|sketch|comedic|farce", ("comedy",)),
    (r"stand-up", ("comedy", "stand-up")),
    (r"drama|telenovela|soap opera|melodrama", ("drama",)),
    (r"thriller|suspense", ("thriller",)),
    (r"horror|slasher|zombie", ("horror",)),
    (r"science fiction|sci-fi|scifi|cyberpunk|dystopi|apocalyptic|space opera", ("sci-fi",)),
    (r"fantasy|supernatural|fairy tale|mytholog", ("fantasy",)),
    (r"superhero", ("action", "fantasy")),
    (r"crime|police|procedural|heist|gangster|legal|detective|mafia|narco|noir", ("crime",)),
    (r"myster|whodunit", ("mystery",)),
    (r"roman|dating|love story", ("romance",)),
    (r"action|martial arts|adventure|spy|swashbuckl|wuxia", ("action",)),
    (r"documentar|docuseries|docu-series|true crime|making of", ("documentary",)),
    (r"reality|competition|game show|makeover|talent show|dating show|cooking", ("reality",)),
    (r"\banime\b", ("animation", "anime")),
    (r"animat|cartoon|stop-motion|stop motion|cgi", ("animation",)),
    (r"\bkids\b|children|preschool|educational", ("family", "kids")),
    (r"\bfamily\b(?! (?:drama|saga|thriller))", ("family",)),
    (r"\bteen|coming-of-age|coming of age|high school", ("teen",)),
    (r"music|concert|hip hop|\bdance", ("music",)),
    (r"sport|football|soccer|basketball|boxing|racing|formula 1|wrestling|tennis|golf", ("sport",)),
    (r"histor|period|costume", ("history",)),
    (r"biograph|biopic", ("biography",)),
    (r"\bwar\b|military", ("war",)),
    (r"western", ("western",)),
    (r"talk show|late-night|late night|interview", ("talk show",)),
    (r"nature|wildlife", ("documentary", "science & nature")),
    (r"lgbt|queer", ("lgbtq",)),
)
_COMPILED = tuple((re.compile(pattern), genres) for pattern, genres in _KEYWORDS)
# Foreign tags as Flixable gives them (`International TV Shows`, `Korean TV Shows`, `Spanish-Language TV
# Shows`); the language correction and the genres channel read them like any listing's.
_LANGUAGE_TAGS = {"korean": ("korean",), "spanish": ("spanish-language",)}
# Wikipedia's language names that the catalog spells otherwise.
LANGUAGE_NAMES = {"mandarin": "Chinese", "cantonese": "Chinese", "filipino": "Tagalog"}


def is_wikipedia_list(frame: pd.DataFrame, path: Path) -> bool:
    return GENRE_COLUMN in frame or path.name == FILE_NAME


def wikipedia_genres(cell: str, language: str = "") -> str:
    """`Spy action comedy; Comedy` -> `action, comedy`; a Korean title adds `international, korean`."""
    text = cell.casefold()
    names = [name for pattern, genres in _COMPILED if pattern.search(text) for name in genres]
    lang = language.casefold()
    if lang and lang != "english":
        names += ["international", *_LANGUAGE_TAGS.get(lang, ())]
    return join_list(names)


def language_name(cell: str) -> str:
    """`Mandarin` -> `Chinese`; the catalog's spelling of a language Wikipedia names."""
    name = cell.strip()
    return LANGUAGE_NAMES.get(name.casefold(), name)


def to_listing(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """The file's rows as a listing frame (`title`, `type`, `release_year`, `genres`, `original_language`),
    or `CatalogError` naming the first bad line: every row must have a title, a known type and a year."""
    require_rows_and_columns(frame, REQUIRED, f"Wikipedia list {path}")
    kinds = frame["type"].str.casefold().map(TYPES)
    years = pd.to_numeric(frame["release_year"], errors="coerce")
    bad = (frame["title"] == "") | kinds.isna() | years.isna() | ~years.between(*YEARS)
    if bad.any():
        row = int(bad.to_numpy().argmax())
        raise CatalogError(
            f"Wikipedia list {path}: line {row + 2} needs a title, a type (Movie or TV Show) and a year: "
            f"{','.join(frame.iloc[row][list(REQUIRED)].astype(str))!r}")
    languages = frame[LANGUAGE_COLUMN] if LANGUAGE_COLUMN in frame else pd.Series("", index=frame.index)
    return pd.DataFrame({
        "title": frame["title"],
        "type": kinds,
        "release_year": years.astype("Int64"),
        "genres": [wikipedia_genres(g, lang) for g, lang in zip(frame[GENRE_COLUMN], languages, strict=True)],
        "original_language": languages.map(language_name),
    })
