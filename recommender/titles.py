"""Title normalisation shared by catalog cleaning, enrichment joins and title matching.

Every place that compares titles must normalise them the same way, or a user's `outer banks`
would match in one place and not in another; hence one module.
"""

from __future__ import annotations

import re
import unicodedata

ALIAS_SEPARATOR = " // "

_PUNCT = re.compile(r"[^\w]+", re.UNICODE)
_SPACES = re.compile(r"\s+")
# ": Season 2", ": Part 3", ": Volume 1", ": Limited Series", ": Book 1", ": Chapter 2", ": Collection"
_SEQUEL_SUFFIX = re.compile(
    r"\s*:\s*(season|series|part|volume|vol\.?|book|chapter|limited series|collection|miniseries)\b.*$",
    re.IGNORECASE,
)
_YEAR_IN_PARENS = re.compile(r"\((1[89]\d\d|20\d\d)\)")
# A trailing sequel number or roman numeral: `Stranger Things 4`, `Rocky II`.
_TRAILING_NUMBER = re.compile(r"\s+(\d{1,2}|ii|iii|iv|v|vi)$", re.IGNORECASE)
# What a spreadsheet makes of `22 July` or `October 1`: `22-Jul`, `Oct-01`, `1-Oct`.
_MANGLED_DATE = re.compile(
    r"^(\d{1,2}-(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)|"
    r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)-\d{1,2})$",
    re.IGNORECASE,
)


def normalize(text: str) -> str:
    """Case-, accent-width- and punctuation-insensitive form of any text, in any script."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _PUNCT.sub(" ", text).replace("_", " ")
    return _SPACES.sub(" ", text).strip()


def split_alias(title: str) -> tuple[str, str]:
    """`The Glory: Season 1 // 더 글로리: 시즌 1` -> (English title, original-language title or '')."""
    if ALIAS_SEPARATOR in title:
        english, original = title.split(ALIAS_SEPARATOR, 1)
        return english.strip(), original.strip()
    return title.strip(), ""


def year_in_title(title: str) -> int | None:
    """The `(2018)` that disambiguates remakes is often the only release year a row has."""
    match = _YEAR_IN_PARENS.search(title)
    return int(match.group(1)) if match else None


def base_title(title: str) -> str:
    """The work a row belongs to, before normalisation: no alias, season suffix or `(year)`."""
    english, _ = split_alias(title)
    stem = _SEQUEL_SUFFIX.sub("", english)
    stem = _YEAR_IN_PARENS.sub("", stem)
    return _SPACES.sub(" ", stem).strip() or english


def franchise_key(title: str) -> str:
    """One key per franchise: `Outer Banks: Season 2` and `Stranger Things 4` fold to their show."""
    key = normalize(base_title(title))
    stripped = _TRAILING_NUMBER.sub("", key)
    # Keep `1917` or `2 hearts` whole: only strip a number that follows at least one word.
    return stripped if stripped and stripped != key and not stripped.isdigit() else key


def alias_key(title: str) -> str:
    """The original-language title's work name: `더 글로리: 시즌 1` -> `더 글로리` (seasons vary by language)."""
    _, original = split_alias(title)
    return normalize(original.split(":", 1)[0]) if original else ""


def looks_like_mangled_date(title: str) -> bool:
    """True for titles a spreadsheet turned into dates (`22 July` -> `22-Jul`)."""
    return bool(_MANGLED_DATE.match(title.strip()))
