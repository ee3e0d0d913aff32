"""Match a server's titles to the catalog with the same resolver `/recommend` uses.

Why a year and type check on top of the resolver: a typed query has no year, but an export does, and
`Dune (1984)` on a Plex server is not the catalog's `Dune` (2021). So the resolver proposes (its
type preference breaks ties between a show and a film of one name) and the export's year decides:

- matched: the resolver is confident, the names are the same (once normalised), the types agree and
  so do the years (within a year; an unknown year on either side agrees), or the year picks exactly
  one work among the equally named candidates;
- matched with doubt: the best candidate is close but not certain (an approximate spelling, a tie the
  year cannot break, another type): it is used, and listed with what it matched so an admin can check;
- not in the catalog: nothing close, or the close title is another work (same name, other year).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rapidfuzz import fuzz

from recommender.content_type import SHOW
from recommender.enrichment import MAX_LATER_SEASON_YEARS
from recommender.library.formats import LibraryTitle
from recommender.matching import QueryError, match_form
from recommender.serving import Item, Match, Recommender, Resolution
from recommender.titles import ALIAS_SEPARATOR, base_title

# Names this close (rapidfuzz ratio of the normalised names) make a doubtful match rather than none.
DOUBT_SPELLING = 85.0
YEAR_SLACK = 1  # a film's year differs by one between listings (festival vs release)


@dataclass(frozen=True)
class TitleMatch:
    """One library title and the catalog item it was matched to (None: not in the catalog)."""

    entry: LibraryTitle
    item: Item | None
    doubt: str | None = None  # why the match is not certain (None when it is)


@dataclass(frozen=True)
class LibraryMatch:
    matched: list[TitleMatch]
    doubtful: list[TitleMatch]
    missing: list[LibraryTitle]

    @property
    def item_ids(self) -> list[int]:
        """Catalog ids the server has (matched and doubtful), without repeats, in file order."""
        return list(dict.fromkeys(m.item.item_id for m in self.matched + self.doubtful if m.item is not None))


def _years_agree(entry: LibraryTitle, item: Item) -> bool:
    """Within a year; a show's year is its first season's, so a later season may be years after it."""
    if entry.year is None or item.release_year is None:
        return True
    later = MAX_LATER_SEASON_YEARS if item.content_type == SHOW and entry.content_type in (None, SHOW) else YEAR_SLACK
    return -YEAR_SLACK <= item.release_year - entry.year <= later


def _forms(entry: LibraryTitle) -> set[str]:
    return {match_form(base_title(name)) for name in (entry.title, entry.original_title) if name} - {""}


def _names(item: Item) -> set[str]:
    """An item's names as compared: English and original title, without season suffix or `(2018)`."""
    return {match_form(base_title(part)) for part in item.title.split(ALIAS_SEPARATOR)} - {""}


def _same_name(entry: LibraryTitle, item: Item) -> bool:
    return bool(_forms(entry) & _names(item))


def _spelling(entry: LibraryTitle, item: Item) -> float:
    """How close the best pair of names is (0-100): a tie or a typo is a doubt, a different title is not."""
    return max((fuzz.ratio(a, b) for a in _forms(entry) for b in _names(item)), default=0.0)


def match_title(rec: Recommender, entry: LibraryTitle) -> TitleMatch:
    """The catalog item one library title is (see the module doc for the three outcomes)."""
    resolution = _resolve(rec, entry.title, entry.content_type)
    if (resolution is None or resolution.item is None) and entry.original_title:
        resolution = _resolve(rec, entry.original_title, entry.content_type)
    if resolution is None or not resolution.candidates:
        return TitleMatch(entry, None)
    pool: list[Match] = list(dict.fromkeys([*resolution.candidates, *resolution.alternatives]))
    answer = resolution.item
    if (resolution.confident and answer is not None and _years_agree(entry, answer) and _same_name(entry, answer)
            and entry.content_type in (None, answer.content_type)):
        return TitleMatch(entry, answer)
    # The year picks among equally named works (a tie, or the answer being another year's remake).
    named = [m.item for m in pool if _same_name(entry, m.item)]
    if entry.year is not None:
        dated = [item for item in named if item.release_year is not None and _years_agree(entry, item)]
        if len({item.franchise_key for item in dated}) == 1:
            return TitleMatch(entry, dated[0])
        if named and not dated and all(item.release_year is not None for item in named):
            return TitleMatch(entry, None)  # the catalog has this name only for other years' works
    best = resolution.item or resolution.candidates[0].item
    if _spelling(entry, best) < DOUBT_SPELLING:
        return TitleMatch(entry, None)
    if resolution.ambiguity_reason:
        why = resolution.ambiguity_reason
    elif not _years_agree(entry, best):
        why = f"the catalog's is from {best.release_year}"
    elif entry.content_type and best.content_type != entry.content_type:
        why = f"the catalog's is a {best.content_type.lower()}"
    else:
        why = "approximate title"
    return TitleMatch(entry, best, why)


def _resolve(rec: Recommender, title: str, content_type: str | None) -> Resolution | None:
    kind = content_type if content_type in rec.content_types else None
    try:
        return rec.resolve(title, content_type=kind)
    except QueryError:
        return None


def match_library(rec: Recommender, entries: list[LibraryTitle],
                  progress: Callable[[int, int], None] | None = None) -> LibraryMatch:
    """Every title matched (synchronous and CPU-bound: run it in a worker thread)."""
    matched: list[TitleMatch] = []
    doubtful: list[TitleMatch] = []
    missing: list[LibraryTitle] = []
    for i, entry in enumerate(entries, start=1):
        outcome = match_title(rec, entry)
        if outcome.item is None:
            missing.append(entry)
        elif outcome.doubt:
            doubtful.append(outcome)
        else:
            matched.append(outcome)
        if progress is not None and i % 500 == 0:
            progress(i, len(entries))
    return LibraryMatch(matched, doubtful, missing)
