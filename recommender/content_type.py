"""Show or Movie, decided from what the title and the listings say rather than the report's label.

The engagement report labels a row "Show" only when its title says `: Season`; Limited Series,
`: Part N` rows, numbered seasons (`Stranger Things 4`) and anime arcs are all "Movie" there, so
`type:` filters and "also English movie" reasons were wrong for the most-watched shows. Evidence,
strongest first:

1. the title names a season or a limited series (`: Season 2`, `: Limited Series`, `: Series 3`);
2. an enrichment listing of the same work says SHOW or MOVIE;
3. the title names a part, volume, book or chapter (`Money Heist: Part 5`), or an anime arc
   (`ONE PIECE: Alabasta // ワンピース: アラバスタ編`, `(Ep.892 - Ep.1000)`);
4. a trailing sequel number (`Stranger Things 4`) on a work whose other rows are shows;
5. otherwise the report's own label.
"""

from __future__ import annotations

import re

import pandas as pd

from recommender import titles as t

SHOW, MOVIE = "Show", "Movie"
_SEASON = re.compile(r":\s*(?:the\s+)?(?:final\s+)?season\b|:\s*series\s+\d|\blimited series\b|\bminiseries\b", re.I)
_PART = re.compile(r":\s*(?:part|volume|vol\.|book|chapter)\s*(?:\d+|[ivx]+|one|two|three|four|five)\b", re.I)
_ARC = re.compile(r"編(?:\s*\(.*\))?$|\(ep\.\s*\d+", re.I)
_SEQUEL_NUMBER = re.compile(r"\s(?:\d{1,2}|ii|iii|iv|v|vi)$", re.I)
# `Sailor Moon Eternal The Movie: Part 1` is a film in two parts, whatever its suffix says.
_SAYS_MOVIE = re.compile(r"\b(?:the movie|film)\b", re.I)

# Reasons, as counted in the cleaning report.
BY_SEASON = "title names a season or limited series"
BY_LISTING = "enrichment listing"
BY_PART = "title names a part, volume, book or arc"
BY_SEQUEL = "sequel number of a show"


def _title_says(title: str) -> str:
    english, original = t.split_alias(title)
    if _SEASON.search(english) or _SEASON.search(original):
        return BY_SEASON
    if _SAYS_MOVIE.search(english):
        return ""
    if _PART.search(english) or _ARC.search(original) or _ARC.search(english):
        return BY_PART
    if _SEQUEL_NUMBER.search(t.base_title(english)):
        return BY_SEQUEL
    return ""


def provisional(titles: pd.Series, reported: pd.Series) -> pd.Series:
    """The type used to prefer listings during the enrichment join: title evidence over the report."""
    says = titles.map(_title_says)
    return reported.where(~says.isin([BY_SEASON, BY_PART]), SHOW)


def infer(items: pd.DataFrame, listing_is_show: pd.Series) -> tuple[pd.Series, dict[str, int], list[str]]:
    """Final types for `items` (columns title, franchise_key, content_type as reported).

    `listing_is_show` holds True/False where an enrichment listing was matched, NA elsewhere.
    Returns the types, the number of corrections per reason and a few corrected titles.
    """
    reported = items["content_type"]
    says = items["title"].map(_title_says)
    listed = listing_is_show.map({True: SHOW, False: MOVIE})
    decided = pd.Series(None, index=items.index, dtype=object)
    reason = pd.Series("", index=items.index, dtype=object)
    decided[says == BY_SEASON], reason[says == BY_SEASON] = SHOW, BY_SEASON
    by_part = pd.Series(None, index=items.index, dtype=object).mask(says == BY_PART, SHOW)
    for value, why in ((listed, BY_LISTING), (by_part, BY_PART)):
        take = decided.isna() & value.notna()
        decided[take], reason[take] = value[take], why
    # A numbered row belongs to a show when any other row of its work is known to be a show.
    show_works = set(items.loc[decided.eq(SHOW), "franchise_key"])
    sequel = decided.isna() & says.eq(BY_SEQUEL) & items["franchise_key"].isin(show_works)
    decided[sequel], reason[sequel] = SHOW, BY_SEQUEL
    final = decided.fillna(reported).astype(str)
    changed = final.ne(reported)
    counts = reason[changed].value_counts()
    return final, {why: int(counts.get(why, 0)) for why in (BY_SEASON, BY_LISTING, BY_PART, BY_SEQUEL)}, list(
        items.loc[changed, "title"].head(5)
    )
