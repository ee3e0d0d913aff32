"""Names and queries in the form they are compared in: validation, accent folding, loose forms,
and the season/part/number phrases people add to a title.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from recommender import titles as t

MAX_QUERY_LENGTH = 200
_LOOSE_DROP = frozenset({"the", "a", "an", "and"})
_APOSTROPHES = re.compile(r"['’`´]")
_SPELT_OUT = re.compile(r"\b\w\b(?: \w\b){2,}")
_ROMAN = {"ii": 2, "iii": 3, "iv": 4}
_WORD_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
}
_NUMBER = r"(\d{1,2}|" + "|".join(_WORD_NUMBERS) + ")"
# Trailing phrases people add: `season 4`, `s2`, `part 2`, `vol 1`, or a bare `4` / `ii`.
_QUERY_PHRASE = re.compile(
    r"^(?P<base>.*\S)\s+(?P<kind>season|series|s|part|pt|volume|vol|book|chapter)\s*(?P<n>" + _NUMBER[1:] + r"$"
)
_QUERY_BARE = re.compile(r"^(?P<base>.*\S)\s+(?P<n>\d{1,2}|ii|iii|iv)$")
# `enola holmes two`: a spelt-out sequel number, only when the work has that sequel (`rogue one` and
# `the other two` are titles, so an unmatched word number never becomes a "not in the catalog" note).
_QUERY_BARE_WORD = re.compile(r"^(?P<base>.*\S)\s+(?P<n>two|three|four|five|six|seven|eight|nine|ten)$")
# How the catalog numbers its entries (on folded English titles).
_ITEM_NUMBERS = {
    "season": re.compile(r"\b(?:season|series)\s*(\d{1,2})\b"),
    "part": re.compile(r"\bpart\s*(\d{1,2})\b"),
    "volume": re.compile(r"\b(?:volume|vol)\s*(\d{1,2})\b"),
    "book": re.compile(r"\bbook\s*(\d{1,2})\b"),
    "chapter": re.compile(r"\bchapter\s*(\d{1,2})\b"),
}
_ITEM_SEQUEL = re.compile(r"\s(\d{1,2}|ii|iii|iv)$")
# Which catalog numbering a query phrase may mean: `season 4` is `Stranger Things 4` too.
_KIND_KEYS = {
    "season": ("season", "sequel"), "series": ("season", "sequel"), "s": ("season", "sequel"),
    "part": ("part", "sequel"), "pt": ("part", "sequel"), "volume": ("volume", "part"),
    "vol": ("volume", "part"), "book": ("book", "part"), "chapter": ("chapter", "part"),
    "any": ("season", "sequel", "part", "volume"), "word": ("season", "sequel", "part", "volume"),
}

_KIND_NAMES = {"s": "season", "series": "season", "pt": "part", "vol": "volume", "any": "", "word": ""}


class QueryError(ValueError):
    """A query that cannot name any title (empty, too long, no letters); the message is for users."""


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


@lru_cache(maxsize=8192)
def _fold_char(char: str) -> str:
    # Only Latin letters lose their accents: Hangul and kana decompose too, and must stay whole.
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    return base if base and base.isascii() else char


def match_form(text: str, *, join_apostrophes: bool = True) -> str:
    """The form names and queries are compared in: normalised, accent-folded, apostrophes joined
    (`Amélie` -> `amelie`, `Sorcerer's` -> `sorcerers`; names are indexed split too: `shark s`)."""
    normalised = t.normalize(_APOSTROPHES.sub("", text) if join_apostrophes else text)
    if normalised.isascii():
        return normalised
    return "".join(c if c.isascii() else _fold_char(c) for c in normalised)


def loose_form(form: str) -> str:
    """Articles and `and` dropped (`&` is already gone): `lockwood and co` == `Lockwood & Co.`;
    spelt-out letters joined: `S.W.A.T.` -> `swat`."""
    words = [w for w in _SPELT_OUT.sub(_join_letters, form).split() if w not in _LOOSE_DROP]
    return " ".join(words) or form


def _join_letters(match: re.Match[str]) -> str:
    return match.group(0).replace(" ", "")


def _item_numbers(english_form: str) -> dict[str, int]:
    numbers = {key: int(m.group(1)) for key, rx in _ITEM_NUMBERS.items() if (m := rx.search(english_form))}
    sequel = _ITEM_SEQUEL.search(english_form)
    if sequel and len(english_form.split()) > 1:
        value = sequel.group(1)
        numbers["sequel"] = _ROMAN.get(value) or int(value)
    return numbers


def _to_number(text: str) -> int:
    return _ROMAN.get(text) or _WORD_NUMBERS.get(text) or int(text)


def split_number_phrase(form: str) -> tuple[str, list[tuple[str, int]]]:
    """`attack on titan season 3 part 2` -> (`attack on titan`, [(part, 2), (season, 3)])."""
    wanted: list[tuple[str, int]] = []
    for _ in range(2):
        match = _QUERY_PHRASE.match(form)
        if match:
            wanted.append((match["kind"], _to_number(match["n"])))
            form = match["base"]
            continue
        bare = _QUERY_BARE.match(form)
        word = None if bare or wanted else _QUERY_BARE_WORD.match(form)
        if bare and not wanted:
            wanted.append(("any", _to_number(bare["n"])))
            form = bare["base"]
        elif word:
            wanted.append(("word", _to_number(word["n"])))
            form = word["base"]
        break
    return form, wanted
