"""Resolve what a user typed to a catalog item, and complete prefixes as they type.

Users type either title form (`The Glory`, `더 글로리`), a show without its season, or a misspelling
(`strnger thngs`). Exact lookups over every name form come first (O(1)); the fuzzy pass uses
rapidfuzz's plain `ratio` over ~41k precomputed normalised names, which costs ~2-3 ms where `WRatio`
costs ~45 ms on this catalog, and is enough because both sides are already normalised.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from recommender import titles as t

MAX_QUERY_LENGTH = 200
CONFIDENT_SCORE = 85.0
_CANDIDATE_CUTOFF = 55.0


class QueryError(ValueError):
    """A query that cannot name any title (empty, too long, no letters); the message is for users."""


@dataclass(frozen=True)
class NameHit:
    item_index: int
    score: float
    name: str


def clean_query(query: str) -> str:
    """Validate a raw query and return its normalised form, or raise QueryError with a user message."""
    if not isinstance(query, str) or not query.strip():
        raise QueryError("Type a show or movie title, for example `Wednesday`.")
    if len(query) > MAX_QUERY_LENGTH:
        raise QueryError(f"That title is {len(query):,} characters long; titles are at most {MAX_QUERY_LENGTH}.")
    normalised = t.normalize(query)
    if not normalised:
        raise QueryError("That has no letters or digits, so it cannot name a title. Try `Stranger Things`.")
    return normalised


class TitleIndex:
    """Every name form of every item, for exact, prefix and fuzzy lookups.

    A name shared by several items (a franchise key such as `outer banks`) points to the most
    watched of them, and exact titles outrank franchise keys, so `Stranger Things` is the first
    season, not whichever sequel happens to be more popular.
    """

    def __init__(self, titles: list[str], hours: np.ndarray) -> None:
        best: dict[str, tuple[int, float, int]] = {}  # name -> (priority, -hours, item)
        for index, title in enumerate(titles):
            english, original = t.split_alias(title)
            forms = [
                (0, t.normalize(title)), (0, t.normalize(english)), (1, t.normalize(original)),
                (2, t.franchise_key(title)), (3, t.alias_key(title)),
            ]
            for priority, name in forms:
                if not name:
                    continue
                rank = (priority, -float(hours[index]), index)
                if name not in best or rank < best[name]:
                    best[name] = rank
        self.names = sorted(best)
        self.items = np.array([best[n][2] for n in self.names], dtype=np.int64)
        self._exact = dict(zip(self.names, self.items.tolist()))
        self._hours = hours

    def exact(self, normalised: str) -> int | None:
        return self._exact.get(normalised)

    def fuzzy(self, normalised: str, limit: int = 8) -> list[NameHit]:
        """Best items by name similarity, one hit per item, highest score first."""
        # cdist scores every name into one float32 array in C++ (no per-match Python objects),
        # measurably faster than process.extract over ~40k names.
        scores = process.cdist(
            [normalised], self.names, scorer=fuzz.ratio, processor=None, score_cutoff=_CANDIDATE_CUTOFF,
        )[0]
        pool = min(limit * 3, len(scores))
        top = np.argpartition(-scores, pool - 1)[:pool] if pool < len(scores) else np.arange(len(scores))
        hits: dict[int, NameHit] = {}
        for position in top[scores[top] > 0].tolist():
            item, score = int(self.items[position]), float(scores[position])
            if item not in hits or score > hits[item].score:
                hits[item] = NameHit(item, score, self.names[position])
        return sorted(hits.values(), key=lambda h: (-h.score, -self._hours[h.item_index]))[:limit]

    def prefix(self, normalised: str, limit: int) -> list[int]:
        """Items with a name starting with the typed text, most watched first."""
        start = bisect.bisect_left(self.names, normalised)
        stop = bisect.bisect_left(self.names, normalised + "\U0010ffff")
        matched = np.unique(self.items[start:stop])
        if len(matched) > limit:
            matched = matched[np.argsort(-self._hours[matched], kind="stable")[:limit]]
        else:
            matched = matched[np.argsort(-self._hours[matched], kind="stable")]
        return matched.tolist()
