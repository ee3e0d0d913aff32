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
