"""Certifications (TV-MA, PG-13, ...) folded into five maturity bands that lists can be filtered by.

The two public listings use US TV and film certifications; a kids' query must never be answered
with an adult title, so the bands are ordered and, where sources disagree, the more mature wins.

| band    | certifications                      |
| ------- | ----------------------------------- |
| kids    | TV-Y, TV-Y7, TV-Y7-FV, TV-G, G      |
| family  | TV-PG, PG                           |
| teen    | TV-14, PG-13                        |
| adult   | TV-MA, R, NC-17                     |
| unknown | NR, UR, empty, anything else        |
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

BANDS = ("kids", "family", "teen", "adult", "unknown")
UNKNOWN = "unknown"
# Known bands from least to most mature; `unknown` is not on this scale.
_ORDER = {"kids": 0, "family": 1, "teen": 2, "adult": 3}
CERTIFICATION_BANDS: dict[str, str] = {
    "TV-Y": "kids", "TV-Y7": "kids", "TV-Y7-FV": "kids", "TV-G": "kids", "G": "kids",
    "TV-PG": "family", "PG": "family",
    "TV-14": "teen", "PG-13": "teen",
    "TV-MA": "adult", "R": "adult", "NC-17": "adult",
}


def band(certification: object) -> str:
    """The band of one raw certification; NR, UR, blanks and stray values are `unknown`."""
    return CERTIFICATION_BANDS.get(str(certification).strip().upper(), UNKNOWN)


def most_mature(bands: Iterable[str]) -> str:
    """The most mature known band among several sources' bands, `unknown` if none is known."""
    known = [b for b in bands if b in _ORDER]
    return max(known, key=_ORDER.__getitem__) if known else UNKNOWN


def inherit_within_franchise(bands: pd.Series, franchise: pd.Series) -> tuple[pd.Series, int]:
    """Unknown bands take the most mature known band of the same work's other entries.

    Listings describe a show once, under one season's title (or not the film of a show), so
    `Paw Patrol: The Movie` or a later season would otherwise be `unknown`, and a kids' query on
    it would not be protected. Taking the most mature sibling band keeps the rule conservative.
    Returns the new bands and how many were filled.
    """
    rank = bands.map(_ORDER)
    known_max = rank.groupby(franchise).transform("max")
    fill = bands.eq(UNKNOWN) & known_max.notna()
    by_rank = {r: b for b, r in _ORDER.items()}
    filled = bands.copy()
    filled[fill] = known_max[fill].map(by_rank)
    return filled, int(fill.sum())



# Preschool franchises no bundled listing describes (every entry `unknown`, without genres, and no sibling
# with a band): their lists were filled by whatever unknown titles scored best, adult dramas included. A
# franchise key equal to one of these, or starting with one and a space, is one of them.
PRESCHOOL_FRANCHISES = ("peppa pig", "paw patrol", "blippi", "pinkfong", "baby shark", "cocomelon", "bluey")


def preschool_queries(bands: pd.Series, franchise: pd.Series) -> np.ndarray:
    """Per title, whether its own list is a preschool one although its band is unknown (`PRESCHOOL_FRANCHISES`).

    Query side only: such a title gets a preschool list (preschool titles first, then the other known-safe
    ones, adult never), but it is never itself treated as safe in another list: a guess must not put an
    unrated title before rated children's titles.
    """
    keys = franchise.fillna("").astype(str)
    named = np.zeros(len(keys), dtype=bool)
    for name in PRESCHOOL_FRANCHISES:
        named |= (keys.eq(name) | keys.str.startswith(name + " ")).to_numpy()
    return bands.eq(UNKNOWN).to_numpy() & named


def childrens_franchise_queries(bands: pd.Series, franchise: pd.Series) -> np.ndarray:
    """Per title, whether its own list is a children's one although its band is unknown: an unrated entry of
    a franchise whose rated entries are kids or family, one at least kids (The Boss Baby film, rated nowhere, beside its
    TV-Y7 series), so its list gets the kids' tiers instead of unrated adult dramas.

    Query side only, like `preschool_queries`: the title itself stays unknown in other lists, since an
    unrated film of a children's franchise may still be a rougher one. Takes the *folded* franchise (film
    and series together); `inherit_within_franchise` deliberately does not cross that line for candidates.
    """
    rank = bands.map(_ORDER).groupby(franchise.to_numpy())
    # A kids-rated entry is required: franchises rated family at most include PG-13 blockbusters' cartoons
    # (Jurassic World beside Camp Cretaceous), whose fans want the films' lists.
    childrens = rank.transform("max").le(_ORDER["family"]) & rank.transform("min").eq(_ORDER["kids"])
    return (bands.eq(UNKNOWN) & childrens).to_numpy()

