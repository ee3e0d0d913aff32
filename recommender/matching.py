"""Resolve what a user typed to a catalog item, and complete prefixes as they type.

People type titles the way they remember them: without accents (`pokemon`), without the subtitle
(`Glass Onion`), without the article or with `and` for `&` (`lockwood and co`), with a season the
catalog spells differently (`stranger things season 4` for `Stranger Things 4`), misspelt (`wensday`)
or in the original script (`더 글로리`). Each view is cheap on its own and they are tried from the
cheapest and most certain to the most expensive:

1. exact equality on accent-folded names (every name form: title, English, original, franchise);
2. the same on "loose" names (articles, `and`/`&`, apostrophes and punctuation dropped);
3. a season/part/number phrase peeled off the end and mapped onto the franchise's own numbering;
4. whole-word prefix and whole-word containment, from a sorted name list and a word index;
5. typos: names sharing the most character bigrams with the query (a numpy bincount over bigram
   postings, ~0.3 ms) are scored with rapidfuzz `process.cdist` + `ratio`, and the best few are
   rescored with `token_set_ratio` and `WRatio` (scoring all ~54k names cost 3 ms on an idle core).

Candidates whose text scores are close are ordered by the filters the user gave and by hours viewed
(a popularity prior). A name shared by several items is settled by what the items are (the serving
layer says which items are films, and their languages):

- a film's own title names that film, not its sequels: `extraction` is Extraction, `extraction 2`
  and `enola holmes two` the sequels (a sequel is not named by its franchise's name);
- a show's name names its most watched season (`stranger things` -> Stranger Things 4), with a note;
- different works under one name (the anime and the live-action `One Piece`, the Korean and the
  Japanese `Kingdom`, same-titled films of different years) answer with the one the filters pick,
  else the most watched, name the others as alternatives (most watched first) and say so in the note.

"Did you mean" is kept for weak matches and for real ties: typo-level matches of different works that
are about equally watched.
"""

from __future__ import annotations

import bisect
import re
import threading
import unicodedata
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import overload

import numpy as np
from rapidfuzz import fuzz, process

from recommender import titles as t

MAX_QUERY_LENGTH = 200
CONFIDENT_SCORE = 85.0
_CANDIDATE_CUTOFF = 55.0
_BIGRAM_POOL = 400        # names sharing the most bigrams with the query, scored with ratio
_COMMON_BIGRAM = 3000     # a bigram in more names than this is skipped when rarer ones exist
_FUZZY_POOL = 24          # names kept from the ratio pass for richer scorers
_NEAR_TIE = 5.0           # text scores this close are ordered by filters and popularity
_CLEAR_LEAD = 2.0         # a typo-level match needs twice the runner-up's hours to be "clearly ahead"
_NOT_FOUND = 80.0         # confidence of "that season is not in the catalog; here is the work"
_FUZZY_FILL = 5           # autocomplete asks the fuzzy pass only when fewer titles matched
_GROUP_READ = 256          # items sharing one exact name whose titles are read to tell works apart
_SHORTLIST_CAP = 600      # prefix/containment names scored per query (bounded work for `the ...`)
# At a million names every bigram is "common": the rarest ones are then read only up to this many
# postings in all (never reached on the bundled catalog, where rare bigrams have <= 3000 names each).
_BIGRAM_BUDGET = 150_000
# A word in more names than this many times the candidates left is checked on the candidates' own
# words instead of intersecting its long posting list (same result, cost of the short side).
_INTERSECT_RATIO = 32
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


@dataclass(frozen=True)
class NameHit:
    item_index: int
    score: float
    name: str


@dataclass(frozen=True)
class Outcome:
    """What the index concluded: candidates best first (item, text score), the answer, and why."""

    hits: list[NameHit]
    answer: int | None
    confidence: float
    note: str | None = None
    ambiguity_reason: str | None = None
    # Other works named exactly what was typed (one entry each, most watched first); also in `hits`.
    alternatives: tuple[int, ...] = ()


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


class TitleIndex:
    """Every name form of every item, for exact, number, prefix, containment and fuzzy lookups.

    Stored as flat arrays over one sorted list of names (no Python object per item or per name
    beyond the name itself): at a million titles per-name tuples, dicts and arrays cost gigabytes.
    A model version saves them (`arrays`, the titles included) and serving restores them (`saved`):
    building them at a million titles takes over a minute of CPU and about 0.7 GB of temporaries
    above the result, and the restored titles stay one UTF-8 buffer instead of a string each.
    """

    def __init__(self, titles: Sequence[str] | None, hours: np.ndarray,
                 saved: Mapping[str, np.ndarray] | None = None) -> None:
        """`saved`: `arrays()` of a built index, titles included (then `titles` is None); ValueError
        if its arrays do not fit together."""
        self._hours = np.asarray(hours, dtype=np.float64)
        self._counter_lock = threading.Lock()
        self.describe_items(np.zeros(len(self._hours), dtype=bool), np.zeros(len(self._hours), dtype=np.int32), [""])
        if saved is not None:
            self._restore(saved)
            return
        if titles is None:
            raise ValueError("an index is built from titles or restored from saved arrays")
        self._titles: Sequence[str] = titles
        table = _name_table(list(titles))
        # One sorted list of search names (every name form, loose forms and heads) for exact lookup
        # (bisect), prefix, word containment and the fuzzy pass; the CSR rows below are per name.
        self._vocabulary, self._words = _word_postings(table.names)
        self._gram_keys, self._bigram_postings, self._bigram_sizes = _bigram_postings(table.names)
        self.names = _StringArray(table.names)
        # Bigram overlap counts per name (a query has at most a few hundred bigrams), zero between
        # queries; one query at a time uses it (requests may run in several threads).
        self._counter = np.zeros(len(self.names), dtype=np.uint16)
        self._name_items = table.search_items  # what a name finds: its whole-name items, else its heads'
        self._exact = table.exact_items  # items whose own (folded) name form this is
        self._has_whole = table.has_whole  # a loose name of whole items (not only a head)
        self._is_head = table.is_head
        self._franchise_ids = table.franchise_ids
        self._franchise_members = _Csr.from_pairs(table.franchise_ids, np.arange(len(titles)),
                                                  int(table.franchise_ids.max(initial=-1)) + 1)

    def describe_items(self, films: np.ndarray, languages: np.ndarray, language_names: Sequence[str]) -> None:
        """What titles cannot say and the answers need: which items are films (a film's own title
        names it, not its sequels) and each item's language (code into `language_names`; a show
        in another language under the same name is another work). Like hours, these come from the
        item table at load time, not from the saved index. Until told, every item is a show in one
        language."""
        films, languages = np.asarray(films, dtype=bool), np.asarray(languages)
        if len(films) != len(self._hours) or len(languages) != len(self._hours):
            raise ValueError(f"{len(films)} film flags and {len(languages)} languages for {len(self._hours)} items")
        self._films, self._languages, self._language_names = films, languages, list(language_names)

    def arrays(self) -> dict[str, np.ndarray]:
        """Everything built from the titles, as named flat arrays (what a model version saves)."""
        titles = self._titles if isinstance(self._titles, _StringArray) else _StringArray(self._titles)
        out = {"layout": np.array([INDEX_LAYOUT]), **self.names.arrays("names"), **titles.arrays("titles"),
               **_StringArray(self._vocabulary).arrays("vocabulary")}
        out.update({name: getattr(self, f"_{name}") for name in _INDEX_ARRAYS})
        for name in _INDEX_CSRS:
            csr = getattr(self, f"_{name}")
            out.update({f"{name}.indptr": csr.indptr, f"{name}.values": csr.values})
        return out

    @property
    def titles(self) -> Sequence[str]:
        """The indexed titles, item by item (a restored index's are one UTF-8 buffer, not a string each)."""
        return self._titles

    def _restore(self, saved: Mapping[str, np.ndarray]) -> None:
        """Take over saved arrays after checking they fit together and these titles (a checksum
        vouches for the bytes; this catches an index of another catalog or another layout)."""
        expected = {"layout", *(f"{n}.{p}" for n in ("names", "titles", "vocabulary") for p in ("offsets", "buffer")),
                    *_INDEX_ARRAYS, *(f"{n}.{p}" for n in _INDEX_CSRS for p in ("indptr", "values"))}
        if set(saved) != expected or saved["layout"].tolist() != [INDEX_LAYOUT]:
            raise ValueError("it was saved in another layout")
        self.names = _StringArray.from_arrays(saved["names.offsets"], saved["names.buffer"])
        self._titles = _StringArray.from_arrays(saved["titles.offsets"], saved["titles.buffer"])
        self._vocabulary = list(_StringArray.from_arrays(saved["vocabulary.offsets"], saved["vocabulary.buffer"]))
        for name in _INDEX_ARRAYS:
            setattr(self, f"_{name}", saved[name])
        n_names, n_items = len(self.names), len(self._titles)
        bounds = {"words": (len(self._vocabulary), n_names), "bigram_postings": (len(self._gram_keys), n_names),
                  "name_items": (n_names, n_items), "exact": (n_names, n_items),
                  "franchise_members": (int(self._franchise_ids.max(initial=-1)) + 1, n_items)}
        for name in _INDEX_CSRS:
            csr = _Csr(saved[f"{name}.indptr"], saved[f"{name}.values"])
            rows, limit = bounds[name]
            if (len(csr.indptr) != rows + 1 or csr.indptr[0] != 0 or csr.indptr[-1] != len(csr.values)
                    or (len(csr.values) and (csr.values.min() < 0 or csr.values.max() >= limit))):
                raise ValueError(f"its {name} rows do not fit {n_names} names and {n_items} titles")
            setattr(self, f"_{name}", csr)
        if not (len(self._has_whole) == len(self._is_head) == len(self._bigram_sizes) == n_names
                and len(self._franchise_ids) == n_items):
            raise ValueError(f"it does not fit {n_names} names and {n_items} titles")
        self._counter = np.zeros(n_names, dtype=np.uint16)

    # -- name lookups ----------------------------------------------------------------------------

    def _position(self, name: str) -> int | None:
        """The name's position in `names`, or None."""
        at = bisect.bisect_left(self.names, name)
        return at if at < len(self.names) and self.names[at] == name else None

    def _word(self, word: str) -> np.ndarray:
        """Name positions containing `word` (ascending)."""
        at = bisect.bisect_left(self._vocabulary, word)
        if at < len(self._vocabulary) and self._vocabulary[at] == word:
            return self._words.row(at)
        return np.empty(0, dtype=np.int32)

    def _is_name_head(self, name: str) -> bool:
        at = self._position(name)
        return at is not None and bool(self._is_head[at])

    def _display(self, item: int) -> str:
        return match_form(self._titles[item])

    def _numbers(self, item: int) -> dict[str, int]:
        """The season/part/volume/sequel numbers an item's English title carries (computed on demand)."""
        title = self._titles[item]
        english, original = t.split_alias(title)
        if "(" in english:
            return _item_numbers(match_form(t.base_year_free(english)))
        return _item_numbers(match_form(english) if original else match_form(title))

    # -- resolution ------------------------------------------------------------------------------

    def resolve(self, query: str, preference: np.ndarray | None = None) -> Outcome:
        """Resolve a raw (already validated) query; `preference` scores items matching the filters."""
        form = match_form(query)
        if not form:
            return Outcome([], None, 0.0)
        exact = self._exact_group(form)
        if exact is not None:
            return self._group_answer(exact, form, query, preference)
        base, wanted = split_number_phrase(form)
        if wanted and base != form:
            numbered = self._numbered_answer(base, wanted, query, preference)
            if numbered is not None:
                return numbered
        return self._scored_answer(form, query, preference)

    def _exact_group(self, form: str) -> np.ndarray | None:
        at = self._position(form)
        if at is not None and self._exact.indptr[at + 1] > self._exact.indptr[at]:
            return self._exact.row(at).astype(np.int64)
        at = self._position(loose_form(form))
        if at is not None and self._has_whole[at]:
            return self._name_items.row(at).astype(np.int64)
        return None

    def _best(self, items: np.ndarray, preference: np.ndarray | None) -> int:
        prefer = preference[items] if preference is not None else np.zeros(len(items))
        order = np.lexsort((items, -self._hours[items], -prefer))
        return int(items[order[0]])

    def _group_answer(self, items: np.ndarray, form: str, query: str, preference: np.ndarray | None) -> Outcome:
        """Every item carrying the typed name. The filters come first, then the items the name is
        their own (see `_named`), then hours viewed; the other works the name is their own, as
        close to the filters, become alternatives (their most watched entry each)."""
        # Past a few hundred items (synthetic catalogs) the per-title reading below would cost
        # milliseconds; such a name is answered as a franchise's, by the filters and hours alone.
        named = self._named(items, form) if len(items) <= _GROUP_READ else np.zeros(len(items), dtype=bool)
        franchise_only = not named.any()  # `transporter`: no title is called that, its sequels are
        if franchise_only:
            named[:] = True
        prefer = preference[items].astype(np.int64) if preference is not None else np.zeros(len(items), np.int64)
        order = np.lexsort((items, -self._hours[items], -(2 * prefer + named)))
        best = int(items[order[0]])
        pool = items[named & (prefer == prefer[order[0]])].tolist()
        leaders: dict[tuple[int | str, ...], int] = {}
        for item in sorted(pool, key=lambda i: (-self._hours[i], i)):
            leaders.setdefault(self._work(item), item)
        alternatives = [] if franchise_only else [i for work, i in leaders.items() if work != self._work(best)]
        first = [best, *alternatives]
        ordered = first + sorted(set(items.tolist()) - set(first), key=lambda i: (-self._hours[i], i))
        hits = [NameHit(i, 100.0, self._display(i)) for i in ordered[:8]]
        note = None
        if alternatives:  # (works the filters rule out are no alternatives: these tie on the filters)
            note = (f"{_shown(query)} — using {self._titles[best]} ({self._kind(best)}, most watched of "
                    f"{len(alternatives) + 1} works with this name); did you mean "
                    f"{'the other' if len(alternatives) == 1 else 'another'}?")
        elif len(pool) > 1:
            note = f"{_shown(query)} — using {self._titles[best]} (most watched); pick another in the list"
        return Outcome(hits, best, 100.0, note=note, alternatives=tuple(alternatives))

    def _named(self, items: np.ndarray, form: str) -> np.ndarray:
        """Per item, whether `form` is its own name and not only its franchise's.

        A film is named only by its own title (`Extraction (2015)` by `extraction`, `Extraction 2`
        not). A show is named by its name, which its seasons share, unless it is a numbered sequel
        of a film whose title is exactly that name (`John Wick: Chapter 2` is listed as a show):
        same franchise and language, no original title of its own or the film's.
        """
        loose = loose_form(form)
        films = [i for i in items.tolist() if self._films[i] and loose in self._film_names(i)]
        owned = {(int(self._franchise_ids[i]), int(self._languages[i])): t.alias_key(self._titles[i])
                 for i in films if t.year_in_title(self._titles[i]) is None}
        named = np.zeros(len(items), dtype=bool)
        for at, item in enumerate(items.tolist()):
            if self._films[item]:
                named[at] = item in films
                continue
            owner = owned.get((int(self._franchise_ids[item]), int(self._languages[item])))
            named[at] = owner is None or not self._is_sequel(item) or t.alias_key(self._titles[item]) not in ("", owner)
        return named

    def _is_sequel(self, item: int) -> bool:
        """A `Part 2`, `Chapter 3`, `Vol. 2` or a trailing `2` (not a season: shows have those)."""
        numbers = self._numbers(item)
        return any(numbers.get(kind, 0) >= 2 for kind in ("part", "chapter", "volume", "sequel"))

    def _film_names(self, item: int) -> set[str]:
        english, original = t.split_alias(self._titles[item])
        names = {english, t.base_year_free(english), original, t.base_year_free(original)}
        return {loose_form(match_form(n)) for n in names if n}

    def _work(self, item: int) -> tuple[int | str, ...]:
        """Items of one work share this: a show's seasons share its name, language and `(year)`
        (`In the Dark (2019)` is not another `In the Dark`); a film is a work of its own, unless
        its original-language title names the same work as another film's of that name, language
        and year (an anime season listed as a film: `... // とんでもスキルで異世界放浪メシ: 第1期`)."""
        title = self._titles[item]
        key = (int(self._franchise_ids[item]), int(self._languages[item]), t.year_in_title(title) or 0)
        if not self._films[item]:
            return key
        alias = t.alias_key(title)
        return (-1, *key, alias) if alias else (-2, item)

    def _kind(self, item: int) -> str:
        """`Japanese show`, `English film`: what tells works of one name apart."""
        language = self._language_names[int(self._languages[item])]
        return f"{language} {'film' if self._films[item] else 'show'}".strip()

    def _numbered_answer(
        self, base: str, wanted: list[tuple[str, int]], query: str, preference: np.ndarray | None,
    ) -> Outcome | None:
        base_outcome = self.resolve(base, preference)
        if base_outcome.answer is None or base_outcome.confidence < CONFIDENT_SCORE or base_outcome.ambiguity_reason:
            return None
        members = self._franchise_members.row(int(self._franchise_ids[base_outcome.answer])).tolist()
        numbers = {i: self._numbers(i) for i in members}
        explicit_one = any(1 in found.values() for found in numbers.values())
        matching = [i for i in members
                    if all(self._has_number(numbers[i], kind, n, explicit_one) for kind, n in wanted)]
        phrase = " ".join(f"{_KIND_NAMES.get(kind, kind)} {n}".strip() for kind, n in reversed(wanted))
        if not matching and any(kind == "word" for kind, _ in wanted):
            return None  # `rogue one`, `the other two`: a title ending in a word, not a missing sequel
        if not matching:
            # `hotel transylvania 3` is the start of another title; `dune part two` is not in the catalog.
            form = match_form(query)
            if any(score >= 90.0 for score in self._shortlist(loose_form(form)).values()):
                whole = self._scored_answer(form, query, preference)
                if whole.answer is not None and whole.confidence >= 90.0 and whole.ambiguity_reason is None:
                    return whole
            shown = self._titles[base_outcome.answer]
            note = f"No {phrase} of {_shown(base)} in the catalog; did you mean {shown}?"
            return Outcome(base_outcome.hits, base_outcome.answer, min(base_outcome.confidence, _NOT_FOUND), note=note)
        # `kingdom 2` is the Korean series' second season, not the Japanese anime's of the same name.
        same_language = [i for i in matching if self._languages[i] == self._languages[base_outcome.answer]]
        best = self._best(np.array(same_language or matching, dtype=np.int64), preference)
        others = [h for h in base_outcome.hits if h.item_index != best]
        hits = [NameHit(best, base_outcome.confidence, self._display(best)), *others][:8]
        return Outcome(hits, best, base_outcome.confidence)

    @staticmethod
    def _has_number(numbers: dict[str, int], kind: str, n: int, explicit_one: bool) -> bool:
        keys = _KIND_KEYS[kind]
        if any(numbers.get(key) == n for key in keys):
            return True
        # `Stranger Things` is season 1 of a franchise whose later entries are numbered.
        unnumbered = not any(key in numbers for key in ("season", "sequel", "part", "volume"))
        return n == 1 and unnumbered and not explicit_one and kind in ("season", "series", "s", "any")

    def _shortlist(self, loose: str) -> dict[int, float]:
        """Whole-word prefix (90-100) and whole-word containment (86-94): name position -> score."""
        scores: dict[int, float] = {}
        words = loose.split()
        if not words or len(loose) < 3:
            return scores
        start = bisect.bisect_left(self.names, loose + " ")
        stop = bisect.bisect_left(self.names, loose + " \U0010ffff")
        for position in range(start, min(stop, start + _SHORTLIST_CAP)):
            coverage = len(loose) / len(self.names[position])
            scores[position] = 90.0 + 10.0 * coverage
        by_rarity = sorted(((w, self._word(w)) for w in set(words)), key=lambda pair: len(pair[1]))
        common = by_rarity[0][1]
        if len(common) == 0:
            return scores
        for word, other in by_rarity[1:]:
            if len(other) > _INTERSECT_RATIO * len(common):
                common = common[[word in self.names[p].split() for p in common.tolist()]]
            else:
                common = np.intersect1d(common, other, assume_unique=True)
        for position in common[:_SHORTLIST_CAP].tolist():
            if position not in scores:
                coverage = len(loose) / len(self.names[position])
                scores[position] = min(94.0, 86.0 + 8.0 * coverage)
        return scores

    def _bigram_shortlist(self, text: str) -> np.ndarray:
        """Name positions sharing the most character bigrams with the query (Dice coefficient).

        A typo keeps most bigrams, so the right name is in this shortlist; scoring a few hundred
        names instead of ~54k keeps the fuzzy pass near a millisecond. Bigrams found in thousands
        of names (` t`, `e `) say little and cost most, so they are skipped when rarer ones exist.
        """
        grams = _bigrams(text)
        codes = np.array(sorted(_gram_code(g) for g in grams), dtype=np.int64)
        at = np.searchsorted(self._gram_keys, codes)
        known = at[(at < len(self._gram_keys)) & (self._gram_keys[np.minimum(at, len(self._gram_keys) - 1)] == codes)]
        postings = [self._bigram_postings.row(g) for g in known.tolist()]
        rare = [p for p in postings if len(p) <= _COMMON_BIGRAM]
        postings = rare if len(rare) >= 2 else postings
        if sum(map(len, postings)) > _BIGRAM_BUDGET:
            postings = sorted(postings, key=len)
            sizes = np.cumsum([len(p) for p in postings])
            postings = postings[: max(2, int(np.searchsorted(sizes, _BIGRAM_BUDGET, side="right")))]
        if not postings:
            return np.empty(0, dtype=np.int64)
        candidates, shared = self._overlap(postings)
        dice = shared / (self._bigram_sizes[candidates].astype(np.int64) + len(grams))
        if len(candidates) <= _BIGRAM_POOL:
            return candidates
        return candidates[np.argpartition(-dice, _BIGRAM_POOL - 1)[:_BIGRAM_POOL]]

    def _overlap(self, postings: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Names in at least half as many of `postings` as the best name, ascending, with that count.

        Counted in a reusable per-name counter, touching only the posted names: a count array over
        every name (~2 million at 10^6 titles) cost several milliseconds per query to allocate and scan.
        A posting list holds a name once, so `counter[p] += 1` counts exactly.
        """
        with self._counter_lock:
            counter = self._counter
            many = sum(map(len, postings)) * 32 > len(counter)  # then one scan beats sorting the postings
            try:
                for p in postings:
                    counter[p] += 1
                if many:
                    # Names sharing under half the best overlap cannot be close; rank only the rest.
                    candidates = np.flatnonzero(counter >= max(1, int(counter.max()) // 2))
                else:
                    threshold = max(1, max(int(counter[p].max()) for p in postings) // 2)
                    candidates = _distinct(np.concatenate([p[counter[p] >= threshold] for p in postings]))
                shared = counter[candidates].astype(np.int64)
            finally:
                if many:
                    counter[:] = 0
                else:
                    for p in postings:
                        counter[p] = 0
        return candidates.astype(np.int64), shared

    def _fuzzy(self, texts: list[str]) -> dict[int, float]:
        """Typo tolerance: rapidfuzz `ratio` (one C++ cdist pass) on the bigram shortlist, then
        `token_set_ratio` and `WRatio` on the best few. `texts` are forms of one query (with and
        without articles: `the crwon` is nearer `the crown` than `crwon` is to `crown`)."""
        shortlist = self._bigram_shortlist(texts[0])
        if not len(shortlist):
            return {}
        names = [self.names[p] for p in shortlist.tolist()]
        raw = process.cdist(texts, names, scorer=fuzz.ratio, processor=None,
                            score_cutoff=_CANDIDATE_CUTOFF).max(axis=0)
        pool = min(_FUZZY_POOL, len(raw))
        best = np.argpartition(-raw, pool - 1)[:pool] if pool < len(raw) else np.arange(len(raw))
        best = best[raw[best] > 0]
        if not len(best):
            return {}
        top = shortlist[best]
        raw = raw[best]
        names = [names[b] for b in best.tolist()]
        loose = texts[-1]
        token_set = process.cdist([loose], names, scorer=fuzz.token_set_ratio, processor=None)[0]
        weighted = process.cdist([loose], names, scorer=fuzz.WRatio, processor=None)[0]
        # token_set_ratio forgives word order and extra words in the *name*; a name that is only a
        # subset of the query (`twin` for `twin peaks`) must not score 100, so it counts only for
        # names with at least as many words. WRatio (partial matches) is damped below "confident".
        # For one word, containment (the shortlist) already says all token_set_ratio could.
        query_words = len(loose.split())
        covers = np.array([query_words >= 2 and len(n.split()) >= query_words for n in names])
        combined = np.maximum(raw, np.maximum(np.where(covers, token_set * 0.9, 0.0), weighted * 0.9))
        return dict(zip(top.tolist(), combined.tolist(), strict=True))

    def _scored_answer(self, form: str, query: str, preference: np.ndarray | None) -> Outcome:
        loose = loose_form(form)
        shortlist = self._shortlist(loose)
        scores = dict(shortlist)
        if not scores or max(scores.values()) < 90.0 or len(loose.split()) < 2:
            for position, score in self._fuzzy([form, loose] if form != loose else [loose]).items():
                scores[position] = max(score, scores.get(position, 0.0))
        if not scores:
            return Outcome([], None, 0.0)
        per_item: dict[int, tuple[float, str, bool]] = {}
        for position, score in scores.items():
            partial = shortlist.get(position) == score  # the score came from prefix/containment
            for item in self._name_items.row(position).tolist():
                if item not in per_item or score > per_item[item][0]:
                    per_item[item] = (score, self.names[position], partial)
        items = np.fromiter(per_item, dtype=np.int64, count=len(per_item))
        text = np.array([per_item[i][0] for i in items.tolist()])
        top = float(text.max())
        window = items[text >= top - _NEAR_TIE]
        best = self._best(window, preference)
        best_score = per_item[best][0]
        order = sorted(per_item, key=lambda i: (i != best, -round(per_item[i][0]), -self._hours[i], i))
        hits = [NameHit(i, per_item[i][0], per_item[i][1]) for i in order[:8]]
        reason = self._ambiguity(window, best, best_score, per_item[best][2], loose, preference)
        note = None
        same_work = len({int(self._franchise_ids[i]) for i in window.tolist()}) == 1
        if reason is None and len(window) > 1 and best_score >= CONFIDENT_SCORE and (same_work or best_score >= 90):
            note = (f"{_shown(query)} — using {self._titles[best]} (most watched of {len(window)} matching titles);"
                    " pick another in the list")
        return Outcome(hits, best, best_score, note=note, ambiguity_reason=reason)

    def _ambiguity(
        self, window: np.ndarray, best: int, best_score: float, partial: bool, loose: str,
        preference: np.ndarray | None,
    ) -> str | None:
        """Why no candidate is clearly ahead, or None when one is."""
        if best_score < CONFIDENT_SCORE:
            return None  # a weak match is "did you mean" already; there is no tie to explain
        if len(loose.split()) < 2 and partial and not self._is_name_head(loose):
            # One word that only starts or appears inside titles (`stranger`, `love`) names none of them.
            return f"`{loose}` is only part of {len(window)} titles; type more of the one you mean"
        rivals = [i for i in window.tolist() if self._franchise_ids[i] != self._franchise_ids[best]]
        if not rivals or partial:
            return None  # whole words of one work, or prefix/containment settled by popularity
        if preference is not None and preference[best] > max(preference[i] for i in rivals):
            return None  # the filters the user gave decide it
        runner_up = max(rivals, key=lambda i: self._hours[i])
        if self._hours[best] >= _CLEAR_LEAD * self._hours[runner_up]:
            return None
        return (f"`{self._titles[best]}` and `{self._titles[runner_up]}` are about equally close to what you "
                f"typed and about equally watched")

    # -- autocomplete ----------------------------------------------------------------------------

    def autocomplete(self, query: str, limit: int) -> list[int]:
        """Items whose names start with the typed text: franchises (their most watched entry) first,
        then their other entries, most watched first; fuzzy matches fill an empty menu."""
        form = match_form(query)
        matched = self._prefix_matches(form) if form else np.empty(0, dtype=np.int64)
        loose = loose_form(form) if form else ""
        if loose and loose != form:
            matched = np.union1d(matched, self._prefix_matches(loose))
        rows = self._franchises_first(matched, limit)
        if len(rows) < limit and loose:
            # Titles with the typed words anywhere (`onion` -> Glass Onion), the last word partly typed.
            seen = set(rows)
            rows += [i for i in self._franchises_first(self._word_matches(loose), limit) if i not in seen]
        if len(rows) < _FUZZY_FILL and loose:
            seen = set(rows)
            extra = sorted(
                ((score, i) for p, score in self._fuzzy([loose]).items() for i in self._name_items.row(p).tolist()),
                key=lambda pair: (-pair[0], -self._hours[pair[1]]),
            )
            for _, item in extra:
                if item not in seen:
                    seen.add(item)
                    rows.append(item)
        return rows[:limit]

    def _word_matches(self, loose: str) -> np.ndarray:
        *whole, last = loose.split()
        start = bisect.bisect_left(self._vocabulary, last)
        stop = bisect.bisect_left(self._vocabulary, last + "\U0010ffff")
        postings = self._words.span(start, stop)
        if not len(postings) or len(last) < 3 or len(postings) > 4 * _SHORTLIST_CAP:
            return np.empty(0, dtype=np.int64)  # nothing, or too little typed to narrow it down
        positions = np.unique(postings)
        for word in whole:
            positions = np.intersect1d(positions, self._word(word))
        return np.unique(self._name_items.gather(positions[:_SHORTLIST_CAP].tolist())).astype(np.int64)

    def _prefix_matches(self, form: str) -> np.ndarray:
        start = bisect.bisect_left(self.names, form)
        stop = bisect.bisect_left(self.names, form + "\U0010ffff")
        if stop <= start:
            return np.empty(0, dtype=np.int64)
        return np.unique(self._name_items.span(start, stop)).astype(np.int64)

    def _franchises_first(self, matched: np.ndarray, limit: int) -> list[int]:
        if not len(matched):
            return []
        matched = matched[np.argsort(-self._hours[matched], kind="stable")]
        leaders: list[int] = []
        rest: list[int] = []
        seen: set[int] = set()
        for item in matched.tolist():
            franchise = int(self._franchise_ids[item])
            (rest if franchise in seen else leaders).append(item)
            seen.add(franchise)
            if len(leaders) >= limit:
                break
        return (leaders + rest)[:limit]



# What `TitleIndex.arrays` saves besides the names: plain arrays, and CSR rows (indptr + values).
# INDEX_LAYOUT changes whenever these do, so an index saved by older code is rebuilt, not misread.
INDEX_LAYOUT = 1
_INDEX_ARRAYS = ("gram_keys", "bigram_sizes", "has_whole", "is_head", "franchise_ids")
_INDEX_CSRS = ("words", "bigram_postings", "name_items", "exact", "franchise_members")


@dataclass(frozen=True)
class _Csr:
    """Rows of small non-negative integers in two flat arrays (compressed sparse rows): a million
    rows cost two arrays, not a million tuples."""

    indptr: np.ndarray  # int64, one more than there are rows
    values: np.ndarray  # int32, ascending within each row

    @classmethod
    def from_pairs(cls, rows: np.ndarray, values: np.ndarray, n_rows: int) -> _Csr:
        """The distinct (row, value) pairs given, grouped by row."""
        key = _distinct((np.asarray(rows, dtype=np.int64) << 32) | np.asarray(values, dtype=np.int64))
        indptr = np.zeros(n_rows + 1, dtype=np.int64)
        np.cumsum(np.bincount(key >> 32, minlength=n_rows), out=indptr[1:])
        return cls(indptr, (key & 0xFFFFFFFF).astype(np.int32))

    def row(self, row: int) -> np.ndarray:
        return self.values[self.indptr[row]:self.indptr[row + 1]]

    def span(self, start: int, stop: int) -> np.ndarray:
        """The values of rows start..stop-1, concatenated (a view)."""
        return self.values[self.indptr[start]:self.indptr[stop]]

    def gather(self, rows: list[int]) -> np.ndarray:
        return np.concatenate([self.row(r) for r in rows]) if rows else np.empty(0, dtype=np.int32)


class _StringArray(Sequence[str]):
    """A sorted list of strings kept as one UTF-8 buffer and offsets: ~2 million names cost their
    bytes, not a Python object each. UTF-8 byte order is code point order, so `bisect` works on it."""

    def __init__(self, strings: Sequence[str]) -> None:
        encoded = [s.encode("utf-8", "surrogatepass") for s in strings]
        self._offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(b) for b in encoded], out=self._offsets[1:])
        self._buffer = b"".join(encoded)

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {f"{prefix}.offsets": self._offsets, f"{prefix}.buffer": np.frombuffer(self._buffer, dtype=np.uint8)}

    @classmethod
    def from_arrays(cls, offsets: np.ndarray, buffer: np.ndarray) -> _StringArray:
        if (offsets.ndim != 1 or len(offsets) == 0 or offsets[0] != 0 or offsets[-1] != len(buffer)
                or np.any(np.diff(offsets) < 0)):
            raise ValueError("its names are cut")
        strings = cls([])
        strings._offsets, strings._buffer = offsets.astype(np.int64, copy=False), buffer.tobytes()
        return strings

    def __len__(self) -> int:
        return len(self._offsets) - 1

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._buffer[self._offsets[index]:self._offsets[index + 1]].decode("utf-8", "surrogatepass")


@dataclass(frozen=True)
class _NameTable:
    names: list[str]
    search_items: _Csr
    exact_items: _Csr
    has_whole: np.ndarray
    is_head: np.ndarray
    franchise_ids: np.ndarray


_EXACT, _LOOSE, _HEAD = 0, 1, 2


def _name_table(titles: list[str]) -> _NameTable:
    """Every item's name forms as (name id, item, kind) triples in flat arrays, then grouped by name.

    Kinds: an exact name form (title, English, original, franchise; also a whole loose name), its
    loose form, and the head before a subtitle (a name to search, not an exact name).
    """
    ids: dict[str, int] = {}
    name_ids, name_items, kinds = array("q"), array("q"), array("b")
    franchises: dict[str, int] = {}
    franchise_ids = array("q")

    def add(name: str, item: int, kind: int) -> None:
        name_ids.append(ids.setdefault(name, len(ids)))
        name_items.append(item)
        kinds.append(kind)

    for index, title in enumerate(titles):
        english, original = t.split_alias(title)
        franchise = match_form(t.franchise_key(_APOSTROPHES.sub("", title)))
        franchise_ids.append(franchises.setdefault(franchise, len(franchises)))
        title_form = match_form(title)
        english_form = match_form(english) if original else title_form
        head = match_form(english.split(": ", 1)[0]) if ": " in english else english_form
        forms = {title_form, english_form, franchise}
        if original:
            forms |= {match_form(original), match_form(t.alias_key(title))}
        if _APOSTROPHES.search(title):
            forms |= {match_form(title, join_apostrophes=False), match_form(english, join_apostrophes=False)}
        for form in forms:
            if form:
                add(form, index, _EXACT)
                loose = loose_form(form)
                if loose != form:
                    add(loose, index, _LOOSE)
        if head:
            add(loose_form(head), index, _HEAD)
    unsorted = np.array(list(ids), dtype=object)
    ids.clear()
    order = np.argsort(unsorted)  # Python string order: what `bisect` on the list expects
    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order))
    names = unsorted[order].tolist()
    del unsorted
    where = position[np.frombuffer(name_ids, dtype=np.int64)] if name_ids else np.empty(0, dtype=np.int64)
    items = np.frombuffer(name_items, dtype=np.int64) if name_items else np.empty(0, dtype=np.int64)
    kind = np.frombuffer(kinds, dtype=np.int8) if kinds else np.empty(0, dtype=np.int8)
    whole = kind != _HEAD
    has_whole = np.zeros(len(names), dtype=bool)
    has_whole[where[whole]] = True
    is_head = np.zeros(len(names), dtype=bool)
    is_head[where[~whole]] = True
    # `squid game` names Squid Game, not (also) the head of `Squid Game: The Challenge`.
    search = whole | ~has_whole[where]
    exact = kind == _EXACT
    return _NameTable(
        names=names,
        search_items=_Csr.from_pairs(where[search], items[search], len(names)),
        exact_items=_Csr.from_pairs(where[exact], items[exact], len(names)),
        has_whole=has_whole,
        is_head=is_head,
        franchise_ids=np.frombuffer(franchise_ids, dtype=np.int64).astype(np.int32),
    )


def _word_postings(names: list[str]) -> tuple[list[str], _Csr]:
    """The sorted word vocabulary of `names` and, per word, the positions of the names containing it."""
    ids: dict[str, int] = {}
    word_ids, positions = array("q"), array("q")
    for position, name in enumerate(names):
        for word in set(name.split()):
            word_ids.append(ids.setdefault(word, len(ids)))
            positions.append(position)
    unsorted = np.array(list(ids), dtype=object)
    order = np.argsort(unsorted)
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    words = np.frombuffer(word_ids, dtype=np.int64) if word_ids else np.empty(0, dtype=np.int64)
    where = np.frombuffer(positions, dtype=np.int64) if positions else np.empty(0, dtype=np.int64)
    return unsorted[order].tolist(), _Csr.from_pairs(rank[words], where, len(order))


# A bigram as one integer: first code point * _GRAM_BASE + second (both below 0x110000).
_GRAM_BASE = 0x110000
_GRAM_BITS = 42  # codes are below 2**41; the name offset in a chunk goes above them
_GRAM_CHUNK = 100_000  # names per vectorised step (bounds the temporaries at a million names)


def _distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values. `np.unique`'s hash path is pathologically slow on these packed keys
    (low bits mostly equal): a sort and a neighbour comparison are not."""
    values = np.sort(values)
    return values[np.concatenate(([True], values[1:] != values[:-1]))] if len(values) else values


def _gram_code(gram: str) -> int:
    return ord(gram[0]) * _GRAM_BASE + ord(gram[1])


def _name_grams(names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(name offset, bigram code) once per distinct bigram of each space-padded name, by name then code."""
    points = np.frombuffer(("\0" + "\0".join(names) + "\0").encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    boundary = points == 0  # names are normalised text: no NUL inside, so NUL separates them
    owner = np.cumsum(boundary)[:-1] - 1
    points[boundary] = ord(" ")  # the padding `_bigrams` adds on both sides
    key = _distinct((owner << _GRAM_BITS) | (points[:-1] * _GRAM_BASE + points[1:]))
    return key >> _GRAM_BITS, key & ((1 << _GRAM_BITS) - 1)


def _bigram_postings(names: list[str]) -> tuple[np.ndarray, _Csr, np.ndarray]:
    """Sorted bigram codes, per bigram the positions of the names holding it, and each name's bigram count.

    Two vectorised passes over chunks of names (count, then fill), so the temporaries stay a chunk's
    size; the postings are written straight into one int32 array.
    """
    chunks = range(0, len(names), _GRAM_CHUNK)
    counted: list[np.ndarray] = []
    sizes = np.zeros(len(names), dtype=np.int32)
    for start in chunks:
        owner, codes = _name_grams(names[start:start + _GRAM_CHUNK])
        sizes[start:start + _GRAM_CHUNK] = np.bincount(owner, minlength=min(_GRAM_CHUNK, len(names) - start))
        counted.append(np.sort(codes))
    if not counted:
        return np.empty(0, dtype=np.int64), _Csr(np.zeros(1, dtype=np.int64), np.empty(0, dtype=np.int32)), sizes
    keys = _distinct(np.concatenate([_distinct(c) for c in counted]))
    counts = sum(np.bincount(np.searchsorted(keys, c), minlength=len(keys)) for c in counted)
    del counted
    indptr = np.zeros(len(keys) + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    values = np.empty(int(indptr[-1]), dtype=np.int32)
    cursor = indptr[:-1].copy()
    for start in chunks:
        owner, codes = _name_grams(names[start:start + _GRAM_CHUNK])
        gram = np.searchsorted(keys, codes)
        order = np.argsort(gram, kind="stable")  # names stay ascending within a bigram
        gram = gram[order]
        rank = np.arange(len(gram)) - np.searchsorted(gram, gram, side="left")
        values[cursor[gram] + rank] = owner[order] + start
        cursor += np.bincount(gram, minlength=len(keys))
    return keys, _Csr(indptr, values), sizes


def _bigrams(text: str) -> set[str]:
    padded = f" {text} "
    return {padded[i:i + 2] for i in range(len(padded) - 1)}


def _shown(query: str) -> str:
    return query.strip()[:80]
