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
# ": Season 2", ": Part 3", ": Part1", ": Volume 1", ": Limited Series", ": The Final Season Part 3",
# ": The Series: Season 1"; and a colon-less "Bestiary Season 1, Part 1".
_SEQUEL_SUFFIX = re.compile(
    r"\s*:\s*((the\s+)?final\s+)?"
    r"(season|series|part|volume|vol\.?|book|chapter|limited series|collection|miniseries)(\b|(?=\d)).*$"
    r"|\s*:\s*the\s+series\b.*$|\s+season\s+\d+,\s*part\b.*$",
    re.IGNORECASE,
)
# An arc of a long-running anime: `Demon Slayer: ...: Mugen Train Arc`, or an original-language title
# whose subtitle is an arc/season/episode range (`ワンピース: イーストブルー編`, `マギ: 第2期`, `第406～407話`).
_ENGLISH_ARC = re.compile(r"\barc$", re.IGNORECASE)
_ORIGINAL_ARC = re.compile(r"[編期話]")
# A numbered sequel with a subtitle: `Hotel Transylvania 3: Summer Vacation`, `Jujutsu Kaisen 0: The Movie`.
# Only 2-9 before the first colon: `Formula 1: ...`, `Apollo 17: ...` and `World War II: ...` are names.
_NUMBERED_SUBTITLE = re.compile(r"^([^:]*[^\W\d_][^:]*?)\s+[2-9]\s*:\s")
_YEAR_IN_PARENS = re.compile(r"\((1[89]\d\d|20\d\d)\)")
# A trailing sequel number or roman numeral: `Stranger Things 4`, `Rocky II`.
_TRAILING_NUMBER = re.compile(r"\s+(\d{1,2}|ii|iii|iv|v|vi)$", re.IGNORECASE)
_MAX_SEQUEL = 12
# What a spreadsheet makes of `22 July` or `October 1`: `22-Jul`, `Oct-01`, `1-Oct`.
_MANGLED_DATE = re.compile(
    r"^(\d{1,2}-(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)|"
    r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)-\d{1,2})$",
    re.IGNORECASE,
)
# Words that name no work on their own: articles and other function words, the words a catalog numbers
# entries with, and numbers. `The 43` and `Movie 43` are not `the` and `movie`, and a query of such words
# only (`season 1`, `the movie`) names no title.
_FUNCTION_WORDS = frozenset({
    "the", "a", "an", "and", "or", "of", "to", "in", "on", "at", "for", "with", "from", "by", "about", "is",
    "no", "this", "that", "my", "your", "our", "his", "her", "its", "their",
})
_FORMAT_WORDS = frozenset({
    "movie", "film", "season", "series", "part", "pt", "volume", "vol", "chapter", "book", "episode", "ep",
    "collection", "special", "number", "limited", "final",
})
_NUMBER_WORDS = frozenset({
    "i", "ii", "iii", "iv", "v", "vi", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
    "ten", "first", "second", "third", "fourth", "fifth", "sixth",
})
# The words other languages number seasons with; with the English format words, a number after one of them
# counts entries however high (`Staffel 16`, `Season 49`).
_SEASON_WORDS = _FORMAT_WORDS | {"staffel", "stagione", "temporada", "saison", "seizoen", "sæson", "sesong", "säsong",
                                 "sezon"}
# A name does not end in these (`This Is 40`, `Back to 15`, `Korea No.1`); `Project A 2` does end in `a`.
_DANGLING = _FUNCTION_WORDS - {"a", "her", "his", "my", "your", "our", "their", "this", "that", "its"}


def only_generic_words(text: str) -> bool:
    """True when a normalised text has no word that could name a work: `the`, `season 1`, `the movie 2`."""
    return all(w in _FUNCTION_WORDS or w in _FORMAT_WORDS or w in _NUMBER_WORDS or w.isdigit()
               for w in text.split())


def _names_a_work(key: str) -> bool:
    """Whether a shortened key still names something: not only generic words, not ending mid-phrase."""
    words = key.split()
    return bool(words) and not only_generic_words(key) and words[-1] not in _DANGLING


def normalize(text: str) -> str:
    """Case-, accent-width- and punctuation-insensitive form of any text, in any script."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _PUNCT.sub(" ", text).replace("_", " ")
    return _SPACES.sub(" ", text).strip()


def fold_accents(text: str) -> str:
    """`naruto shippûden` -> `naruto shippuden`: the same title is typed with and without accents.

    Only marks on Latin letters are dropped; a Japanese voicing mark or a Hangul syllable is part of
    the letter, not an accent, and is kept as it was.
    """
    if text.isascii():
        return text
    kept: list[str] = []
    for char in unicodedata.normalize("NFD", text):
        if unicodedata.combining(char) and kept and kept[-1] < "\u0250":
            continue
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))


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


def base_year_free(title: str) -> str:
    """The title without a disambiguating `(2018)`."""
    return _SPACES.sub(" ", _YEAR_IN_PARENS.sub("", title)).strip()


def film_key(title: str) -> str:
    """One key per film: the English title without `(2018)`, normalised, sequel markers kept.

    A film listing describes exactly one work: `Hostel: Part II` and `Sinister 2` are not `Hostel` and
    `Sinister`, although they share a franchise key (seasons of a show do share their show's listing).
    """
    return normalize(base_year_free(split_alias(title)[0]))


def base_title(title: str) -> str:
    """The work a row belongs to, before normalisation: no alias, season suffix or `(year)`."""
    english, _ = split_alias(title)
    stem = _SEQUEL_SUFFIX.sub("", english)
    stem = _YEAR_IN_PARENS.sub("", stem)
    return _SPACES.sub(" ", stem).strip() or english


def _is_arc(english: str, original: str) -> bool:
    """A subtitle that names an arc, not a separate work (a season suffix is handled by base_title)."""
    if ": " not in english or base_title(english) != english:
        return False
    if _ENGLISH_ARC.search(english.rsplit(": ", 1)[1].strip()):
        return True
    return ": " in original and bool(_ORIGINAL_ARC.search(original.split(": ", 1)[1]))


def franchise_key(title: str) -> str:
    """One key per franchise: `Outer Banks: Season 2`, `Stranger Things 4`, `ONE PIECE: Alabasta` (an arc)
    and `Attack on Titan: The Final Season Part 3` fold to their work, so a list holds one of each."""
    english, original = split_alias(title)
    if _is_arc(english, original):
        arc_stem = normalize(_YEAR_IN_PARENS.sub("", english.split(": ", 1)[0]))
        if _names_a_work(arc_stem):
            return arc_stem
    numbered = _NUMBERED_SUBTITLE.match(english)
    if numbered and _names_a_work(normalize(numbered.group(1))):
        return normalize(numbered.group(1))  # `Hotel Transylvania 3: Summer Vacation`
    key = normalize(base_title(title))
    stripped = _TRAILING_NUMBER.sub("", key)
    # Keep `1917`, `2 hearts`, `The 43`, `Movie 43` and `This Is 40` whole: a number is a sequel's only
    # after words that name a work, and only if it could count entries.
    return stripped if stripped != key and _names_a_work(stripped) and _numbers_an_entry(key) else key


def _numbers_an_entry(key: str) -> bool:
    """Whether a key's trailing number counts entries: sequels go up to 12 (no catalog entry goes further),
    seasons and volumes higher (`Staffel 16`); `Case 39`, `Area 51` and `Mile 22` are names."""
    *head, last = key.split()
    return not last.isdecimal() or int(last) <= _MAX_SEQUEL or (bool(head) and head[-1] in _SEASON_WORDS)


def alias_key(title: str) -> str:
    """The original-language title's work name: `더 글로리: 시즌 1` -> `더 글로리` (seasons vary by language)."""
    _, original = split_alias(title)
    return normalize(original.split(":", 1)[0]) if original else ""


def looks_like_mangled_date(title: str) -> bool:
    """True for titles a spreadsheet turned into dates (`22 July` -> `22-Jul`)."""
    return bool(_MANGLED_DATE.match(title.strip()))
