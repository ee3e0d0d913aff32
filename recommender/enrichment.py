"""Join title listings (genres, description, cast, certification, IMDb figures...) onto the catalog.

The engagement report says nothing about what a title is about. Two public listings ship with the
package (see README, "Data credits"): `netflix_titles.csv` (Flixable, up to 2021) and
`netflix_titles_2023_jw.csv` (JustWatch, US, March 2023); a user's own file may be added. Each
listing is joined on its own, by franchise key (so every season of a show receives the show's
metadata), preferring a listing of the same type and the closest year and refusing one whose year
is too far; then the sources are merged per item: lists (genres, countries) are united, a
certification is the most mature one any source gives, anything else comes from the first source
that has it (the user's file first).
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pycountry

from recommender import maturity, movielist, wikifilms, wikilist
from recommender import titles as t
from recommender.tables import CatalogError, join_list, read_table, split_list

# Listing column -> accepted header spellings (after `tables.header_key`).
_SOURCE_COLUMNS = {
    "genres": ("listed_in", "genres", "genre"),
    "description": ("description", "overview", "summary"),
    "cast": ("cast", "actors"),
    "director": ("director", "directors"),
    "country": ("country", "countries", "production_countries"),
    "certification": ("rating", "age_certification", "certification", "age_rating"),
    "release_year": ("release_year", "year"),
    "type": ("type", "content_type"),
    "imdb_score": ("imdb_score",),
    "imdb_votes": ("imdb_votes",),
    "tmdb_popularity": ("tmdb_popularity",),
    "seasons": ("seasons",),
    "original_language": ("original_language",),
}
NUMERIC_COLUMNS = ("imdb_score", "imdb_votes", "tmdb_popularity", "seasons")
_LIST_COLUMNS = ("genres", "country")
_FIRST_COLUMNS = ("description", "cast", "director", "original_language")

# The two listings' genre vocabularies on one lowercase scale: `TV Comedies` (Flixable) and
# `comedy` (JustWatch) are one genre. Labels that only say where or for whom (`International
# Movies`, `Kids' TV`) keep a short name; bare `Movies`/`TV Shows` say nothing and are dropped.
GENRE_NAMES: dict[str, tuple[str, ...]] = {
    "action & adventure": ("action",), "tv action & adventure": ("action",),
    "anime features": ("animation", "anime"), "anime series": ("animation", "anime"),
    "children & family movies": ("family",), "kids' tv": ("family", "kids"),
    "classic movies": ("classic",), "classic & cult tv": ("classic", "cult"), "cult movies": ("cult",),
    "comedies": ("comedy",), "tv comedies": ("comedy",),
    "stand-up comedy": ("comedy", "stand-up"), "stand-up comedy & talk shows": ("comedy", "stand-up"),
    "crime tv shows": ("crime",),
    "documentaries": ("documentary",), "docuseries": ("documentary",), "documentation": ("documentary",),
    "science & nature tv": ("documentary", "science & nature"),
    "dramas": ("drama",), "tv dramas": ("drama",),
    "horror movies": ("horror",), "tv horror": ("horror",),
    "international movies": ("international",), "international tv shows": ("international",),
    "british tv shows": ("british",), "korean tv shows": ("korean",),
    "spanish-language tv shows": ("spanish-language",),
    "independent movies": ("independent",), "lgbtq movies": ("lgbtq",),
    "faith & spirituality": ("faith & spirituality",),
    "music & musicals": ("music",), "reality tv": ("reality",),
    "romantic movies": ("romance",), "romantic tv shows": ("romance",),
    "sci-fi & fantasy": ("sci-fi", "fantasy"), "tv sci-fi & fantasy": ("sci-fi", "fantasy"), "scifi": ("sci-fi",),
    "sports movies": ("sport",), "teen tv shows": ("teen",),
    "thrillers": ("thriller",), "tv thrillers": ("thriller",), "tv mysteries": ("mystery",),
    "movies": (), "tv shows": (),
}
# How far apart the catalog's and the listing's years may be and still describe the same work.
# Listed shows get slack because a listing carries one year for all seasons; movies barely any, so that
# `Extraction 2` (2023) does not inherit the cast of the 2015 `Extraction`.
MAX_YEAR_GAP = {True: 5, False: 1}
# A later season may come this many years after its show's listed year (a listing's year is often the
# first season's: `The Crown: Season 6`, 2023, is the 2016 show; with the 5-year slack its last two
# seasons lost the genres and IMDb figures the first four have). Before the listed year the slack stays 5:
# the 2011 US `Suits` is not the 2018 Korean remake.
MAX_LATER_SEASON_YEARS = 15


def _cells(value: str) -> list[str]:
    """A list cell in either spelling: `Drama, Crime` or the Python literal `['drama', 'crime']`."""
    if value.startswith("["):
        try:
            parsed = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            parsed = None
        if isinstance(parsed, list):
            return [str(p).strip().casefold() for p in parsed if str(p).strip()]
    return split_list(value)


def normalise_genres(value: str) -> str:
    return join_list([name for g in _cells(value) for name in GENRE_NAMES.get(g, (g,))])


def _country_name(code_or_name: str) -> str:
    if len(code_or_name) == 2:
        found = pycountry.countries.get(alpha_2=code_or_name.upper())
        if found is not None:
            return str(getattr(found, "common_name", None) or found.name).casefold()
    return code_or_name


def normalise_countries(value: str) -> str:
    return join_list([_country_name(c) for c in _cells(value)])


def _pick(frame: pd.DataFrame, aliases: tuple[str, ...]) -> pd.Series:
    for alias in aliases:
        if alias in frame:
            return frame[alias].fillna("").astype(str).str.strip()
    return pd.Series("", index=frame.index, dtype=object)


def load_enrichment(path: Path) -> pd.DataFrame:
    """Read one listing file into normalised columns, one row per listing.

    `attrs["presence_neutral"]` says whether being in the file may count as "described"
    (`has_metadata`); `attrs["films_only"]` whether it describes films alone (it then never joins a show);
    `attrs["strict"]` whether it names each work once with a reliable type, so that a title of the other
    type joins only with the very same year and a listed film describes one catalog film or none
    (Wikipedia's lists of Netflix originals and of American films); `attrs["english_only"]` whether it
    describes English-language works alone (it then never joins a title with an original-language half
    or one the report files under another language: Wikipedia's American films)."""
    is_movie_list = path.suffix.casefold() == movielist.SUFFIX
    frame = movielist.read_movie_list(path) if is_movie_list else read_table(path, "enrichment")
    is_wikipedia_list = wikilist.is_wikipedia_list(frame, path)
    is_film_list = not is_wikipedia_list and wikifilms.is_wikipedia_film_list(frame, path)
    if is_wikipedia_list:
        frame = wikilist.to_listing(frame, path)
    elif is_film_list:
        frame = wikifilms.to_listing(frame, path)
    if "title" not in frame:
        raise CatalogError(
            f"enrichment {path}: no title column (found: {', '.join(frame.columns[:8])})"
            + ("" if frame.attrs.get("separator") == "comma" else f"; the file uses {frame.attrs['separator']}s")
        )
    table = pd.DataFrame({
        "franchise_key": frame["title"].astype(str).map(t.franchise_key),
        "film_key": frame["title"].astype(str).map(t.film_key),
    })
    for column, aliases in _SOURCE_COLUMNS.items():
        table[column] = _pick(frame, aliases)
    # A director column holding a bare number, or a rating like `74 min`, are known defects of the
    # public Flixable file: drop them.
    table.loc[table["director"].str.fullmatch(r"\d+"), "director"] = ""
    table["genres"] = table["genres"].map(normalise_genres)
    table["country"] = table["country"].map(normalise_countries)
    table["cast"] = table["cast"].map(lambda v: join_list([c.strip() for c in v.split(",")]))
    table["release_year"] = pd.to_numeric(table["release_year"], errors="coerce").astype("Int64")
    for column in NUMERIC_COLUMNS:
        table[column] = pd.to_numeric(table[column], errors="coerce").astype("float64")
    kind = table["type"].str.lower()
    table["is_show"] = pd.Series(pd.NA, index=table.index, dtype="boolean")
    table.loc[kind.str.contains("show|series"), "is_show"] = True
    table.loc[kind.str.contains("movie|film"), "is_show"] = False
    table = table[table["franchise_key"] != ""].reset_index(drop=True)
    table.attrs["presence_neutral"] = (
        movielist.PRESENCE_NEUTRAL if is_movie_list else wikilist.PRESENCE_NEUTRAL if is_wikipedia_list
        else wikifilms.PRESENCE_NEUTRAL if is_film_list else True)
    table.attrs["films_only"] = is_movie_list or (is_film_list and wikifilms.FILMS_ONLY)
    table.attrs["strict"] = is_wikipedia_list or is_film_list
    table.attrs["english_only"] = is_film_list and wikifilms.ENGLISH_ONLY
    table.attrs["adds_description"] = is_film_list and wikifilms.ADDS_DESCRIPTION
    return table


# The report's labels that name no language other than English (its `Non-English` says only "not English"
# and is often wrong the other way: `Léon: The Professional`, `The Hitman's Bodyguard`).
_NOT_FOREIGN_LABELS = frozenset({"english", "non-english", "unknown", ""})


def english_work(items: pd.DataFrame) -> np.ndarray:
    """Per item, whether it may be an English-language work: its title has no original-language half
    (` // 킹덤`) and the report does not file it under another named language (Korean, Japanese, ...)."""
    titles = items["title"].astype(str)
    labels = items["language"].astype(str).str.strip().str.casefold() if "language" in items else None
    english = ~titles.str.contains(t.ALIAS_SEPARATOR, regex=False).to_numpy()
    if labels is not None:
        english &= labels.isin(_NOT_FOREIGN_LABELS).to_numpy()
    return english


def match(items: pd.DataFrame, is_show: pd.Series, film_keys: np.ndarray, table: pd.DataFrame) -> pd.DataFrame:
    """For every item, its best listing in `table` (all-NA row when none fits), aligned with `items`.

    Among the listings with the item's franchise key a listing of the same type and the closest
    year wins; a listing whose year is known and too far from the item's is refused rather than
    attached to the wrong work. A film listing needs the film's own title (`film_keys`, the items'
    `t.film_key`): without it `The Hangover: Part II` took `The Hangover`'s year and IMDb votes, and
    `Sinister` its sequel's.
    """
    attrs = dict(table.attrs)
    table = table.assign(_listing=np.arange(len(table)))
    left = pd.DataFrame({
        "_row": np.arange(len(items)),
        "franchise_key": items["franchise_key"].to_numpy(),
        "_is_show": is_show.to_numpy(dtype=bool),
        "_year": items["release_year"].astype("Float64").to_numpy(dtype="float64", na_value=np.nan),
        "_film_key": film_keys,
    })
    listing = table[["franchise_key", "film_key", "is_show", "release_year", "_listing"]]
    # Candidates by franchise key (a show's seasons) and by film title (`The Hangover Part II` is listed
    # without the colon that makes the catalog's `The Hangover: Part II` a sequel suffix).
    pairs = pd.concat([
        left.merge(listing, on="franchise_key"),
        left.merge(listing.drop(columns="franchise_key"), left_on="_film_key", right_on="film_key"),
    ], ignore_index=True).drop_duplicates(["_row", "_listing"])
    listing_year = pairs["release_year"].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    signed_gap = pairs["_year"].to_numpy() - listing_year
    gap = np.abs(signed_gap)
    # The listing's type decides the slack: the catalog's Content Type is noisy, the listing's is not.
    listed_show = pairs["is_show"].fillna(pairs["_is_show"]).to_numpy(dtype=bool)
    later_season = listed_show & pairs["_is_show"].to_numpy(dtype=bool) & (signed_gap > 0)  # not the 2018 film `Bleach`
    allowed = np.where(listed_show, MAX_YEAR_GAP[True], MAX_YEAR_GAP[False])
    allowed = np.where(later_season, MAX_LATER_SEASON_YEARS, allowed)
    # Unknown years (NaN) never refuse a match; a film listing needs the film's own title.
    keep = ~(gap > allowed) & (listed_show | (pairs["film_key"] == pairs["_film_key"]).to_numpy())
    if attrs.get("films_only"):  # a film list never describes a show, whatever its title
        keep &= ~pairs["_is_show"].to_numpy(dtype=bool)
    if attrs.get("english_only"):  # an American film is not the foreign work of its English name
        keep &= english_work(items)[pairs["_row"].to_numpy()]
    if attrs.get("strict"):  # a listing of the other type needs the very year (`Bros (2022)`, a
        # film, is not the 2023 Israeli series `Bros`; the report's `Queen Charlotte`, "Movie", is the series)
        keep &= (pairs["_is_show"].to_numpy(dtype=bool) == listed_show) | (gap == 0)
    pairs = pairs[keep].assign(
        _type_miss=(pairs["_is_show"][keep] != listed_show[keep]).astype(int),
        _gap=np.nan_to_num(gap[keep], nan=99.0),
    ).sort_values(["_row", "_type_miss", "_gap", "_listing"], kind="stable")
    chosen = pairs.drop_duplicates("_row")
    if attrs.get("strict"):  # one listed film is one work: two catalog films taking it are two works
        # (`Noise`, the Belgian film, and `Noise // Ruido`, the Mexican one), and which is which is unknown
        film = ~chosen["is_show"].fillna(chosen["_is_show"]).to_numpy(dtype=bool)
        chosen = chosen[~(film & chosen["_listing"].duplicated(keep=False).to_numpy())]
    best = chosen.set_index("_row")["_listing"].reindex(np.arange(len(items)))
    matched = table.reindex(best.fillna(-1).astype(int).to_numpy()).reset_index(drop=True)
    matched["_found"] = best.notna().to_numpy()
    matched.attrs = {"presence_neutral": True, "films_only": False, "strict": False, "english_only": False, **attrs}
    return matched


def merge_sources(items: pd.DataFrame, matches: Sequence[pd.DataFrame]) -> tuple[pd.Series, list[dict[str, int]]]:
    """Write the merged listing columns into `items` in place; returns each item's listing type
    (True show, False movie, NA unknown) for the content-type inference, and what each source added.

    A listing whose presence is not neutral (`attrs["presence_neutral"]`, the MovieTweetings film list:
    its rows are what Twitter users rated) gives its years and genres like any other, but its matches
    never count towards `has_metadata`: "is in that file" must not become a signal. Such a listing
    types an item only when it names films and shows alike (`strict`), after the neutral ones.
    """
    n = len(items)
    genres_before = [False] * n
    added = []
    for m in matches:
        has_genres = m["genres"].fillna("").to_numpy(dtype=object) != ""
        added.append({"items": int(m["_found"].sum()),
                      "genres": int((has_genres & ~np.asarray(genres_before, dtype=bool)).sum())})
        genres_before = np.asarray(genres_before, dtype=bool) | has_genres
    for column in _LIST_COLUMNS:
        parts = [m[column].fillna("").to_numpy(dtype=object) for m in matches]
        merged_lists = [join_list([g for p in cells for g in split_list(p)]) for cells in zip(*parts, strict=True)]
        items[column] = merged_lists if parts else ""
    for column in _FIRST_COLUMNS:
        merged = pd.Series("", index=range(n), dtype=object)
        for m in matches:
            value = m[column].fillna("").reset_index(drop=True)
            if column == "description" and m.attrs.get("adds_description"):  # a story told another way
                merged = merged.where((merged == "") | (value == ""), merged + " " + value)
            merged = merged.where(merged != "", value)
        items[column] = merged.to_numpy()
    for column in NUMERIC_COLUMNS:
        merged_num = pd.Series(np.nan, index=range(n), dtype="float64")
        for m in matches:
            merged_num = merged_num.fillna(m[column].reset_index(drop=True).astype("float64"))
        items[column] = merged_num.to_numpy()
    certifications = [m["certification"].fillna("").to_numpy(dtype=object) for m in matches]
    bands, raws = [], []
    for cells in zip(*certifications, strict=True) if certifications else ((),) * n:
        known = [(maturity.band(c), c) for c in cells if c]
        band = maturity.most_mature(b for b, _ in known)
        bands.append(band)
        raws.append(next((c for b, c in known if b == band), known[0][1] if known else ""))
    items["maturity"] = bands
    items["certification"] = raws
    items["rating"] = raws
    found = np.zeros(n, dtype=bool)
    listing_is_show = pd.Series(pd.NA, index=items.index, dtype="boolean")
    year = pd.Series(pd.NA, index=range(n), dtype="Int64")
    for m, counts in zip(matches, added, strict=True):
        if m.attrs.get("presence_neutral", True):
            found |= m["_found"].to_numpy(dtype=bool)
            listing_is_show = listing_is_show.fillna(
                pd.Series(m["is_show"].to_numpy(), index=items.index, dtype="boolean"))
        before = year.notna().to_numpy()
        year = year.fillna(m["release_year"].reset_index(drop=True).astype("Int64"))
        counts["years"] = int((items["release_year"].isna().to_numpy() & ~before & year.notna().to_numpy()).sum())
    for m in matches:  # after the neutral ones: a strict list naming films and shows alike (type is not presence)
        if m.attrs.get("strict") and not m.attrs.get("films_only") and not m.attrs.get("presence_neutral", True):
            listing_is_show = listing_is_show.fillna(
                pd.Series(m["is_show"].to_numpy(), index=items.index, dtype="boolean"))
    items["has_metadata"] = found
    fill_year = items["release_year"].isna().to_numpy() & year.notna().to_numpy()
    items.loc[fill_year, "release_year"] = year[fill_year].to_numpy()
    items.loc[fill_year, "year_source"] = "enrichment"
    return listing_is_show, added


def enrich(
    items: pd.DataFrame, is_show: pd.Series, paths: Sequence[Path]
) -> tuple[pd.Series, dict[str, dict[str, int]]]:
    """Join every listing file onto `items` in place; returns the listings' type per item and, per
    file, what it added: items it matched, years no earlier source (nor the report) had, items whose
    genres no earlier file gave."""
    film_keys = items["title"].astype(str).map(t.film_key).to_numpy()  # once, for every listing
    matches = [match(items, is_show, film_keys, load_enrichment(path)) for path in paths]
    listing_is_show, added = merge_sources(items, matches)
    return listing_is_show, {str(path): counts for path, counts in zip(paths, added, strict=True)}
