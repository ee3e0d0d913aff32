"""Read a MovieTweetings movie list (`imdb_id::Title (Year)::Genre|Genre`) as a film listing.

The file gives a year and IMDb genres to most licensed films that the two Netflix listings leave bare
(The Godfather, Interstellar, Gone Girl). Its rows are the films that Twitter users rated, so being *in*
it says something about who rated what: the listing is marked `PRESENCE_NEUTRAL = False` and the join
never turns a match into a feature of its own (see `enrichment.merge_sources`). Only the year and the
genres are used; every row is a film.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from recommender.tables import CatalogError, join_list

SUFFIX = ".dat"
# Whether the mere presence of a title in this listing may count as "described": no (see above).
PRESENCE_NEUTRAL = False
_TITLE_YEAR = re.compile(r"^(?P<title>.*\S)\s*\((?P<year>\d{4})\)\s*$")

# IMDb genres on the scale the other listings use (`enrichment.GENRE_NAMES`): `Sci-Fi` is `sci-fi`,
# `Adventure` goes with `action` as Flixable's `Action & Adventure` does, a film noir is a classic crime
# film. Genres with no counterpart keep their own lowercase name; `Short` says only how long it is.
IMDB_GENRES: dict[str, tuple[str, ...]] = {
    "sci-fi": ("sci-fi",),
    "adventure": ("action",),
    "film-noir": ("crime", "classic"),
    "musical": ("music",),
    "news": ("documentary",),
    "reality-tv": ("reality",),
    "game-show": ("reality",),
    "talk-show": ("talk show",),
    "short": (),
}


def imdb_genres(cell: str) -> str:
    """`Sci-Fi|Film-Noir|Drama` -> `sci-fi, crime, classic, drama` (the product's genre scale)."""
    names = [name for g in cell.split("|") if g.strip()
             for name in IMDB_GENRES.get(g.strip().casefold(), (g.strip().casefold(),))]
    return join_list(names)


def read_movie_list(path: Path) -> pd.DataFrame:
    """The file as a listing frame (`title`, `release_year`, `genres`, `type`), one row per film."""
    rows = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(f"movie list {path}: cannot be read ({exc})") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        parts = line.split("::")
        named = _TITLE_YEAR.match(parts[1]) if len(parts) == 3 else None
        if named is None:
            raise CatalogError(
                f"movie list {path}: line {number} is not `imdb_id::Title (Year)::Genres`: {line[:80]!r}")
        rows.append((named["title"], named["year"], imdb_genres(parts[2])))
    if not rows:
        raise CatalogError(f"movie list {path}: no films")
    frame = pd.DataFrame(rows, columns=["title", "release_year", "genres"])
    frame["type"] = "Movie"
    return frame
