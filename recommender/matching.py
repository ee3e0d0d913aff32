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
(a popularity prior): `Kingdom` is the Korean series with 10.2M hours, not a Japanese film with 0.7M.
A name shared by several items (a franchise, `stranger things`) answers with the most watched of them
and says so in a note. "Did you mean" is kept for weak matches and for real ties: typo-level matches
of different works that are about equally watched.
"""

from __future__ import annotations

import bisect
import itertools
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

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
    "any": ("season", "sequel", "part", "volume"),
}

_KIND_NAMES = {"s": "season", "series": "season", "pt": "part", "vol": "volume", "any": ""}


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
        if bare and not wanted:
            wanted.append(("any", _to_number(bare["n"])))
            form = bare["base"]
        break
    return form, wanted


@dataclass
class _Names:
    """Name -> items, for one form family (exact folded names or loose names)."""

    items: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))

    def add(self, name: str, item: int) -> None:
        if name and (not self.items[name] or self.items[name][-1] != item):
            self.items[name].append(item)


class TitleIndex:
    """Every name form of every item, for exact, number, prefix, containment and fuzzy lookups."""

    def __init__(self, titles: list[str], hours: np.ndarray) -> None:
        self._hours = np.asarray(hours, dtype=np.float64)
        self._titles = titles
        exact, loose, heads = _Names(), _Names(), set()
        self._franchise: list[str] = []
        self._numbers: list[dict[str, int]] = []
        self._display: list[str] = []
        for index, title in enumerate(titles):
            english, original = t.split_alias(title)
            franchise = match_form(t.franchise_key(_APOSTROPHES.sub("", title)))
            self._franchise.append(franchise)
            title_form = match_form(title)
            english_form = match_form(english) if original else title_form
            self._numbers.append(_item_numbers(match_form(t.base_year_free(english)) if "(" in english
                                               else english_form))
            self._display.append(title_form)
            head = match_form(english.split(": ", 1)[0]) if ": " in english else english_form
            forms = {title_form, english_form, franchise}
            if original:
                forms |= {match_form(original), match_form(t.alias_key(title))}
            if _APOSTROPHES.search(title):
                forms |= {match_form(title, join_apostrophes=False), match_form(english, join_apostrophes=False)}
            for form in forms:
                exact.add(form, index)
                loose.add(loose_form(form), index)
                loose.add(form, index)  # `the crown` is a closer target for `the crwon` than `crown`
            if head:
                heads.add(loose_form(head))
                loose.add(loose_form(head), -1 - index)  # a head is a name to search, not an exact name
        # Tuples, not arrays: ~50k tiny arrays cost more to build than the few looked up per query.
        self._exact = {name: tuple(sorted(set(items))) for name, items in exact.items.items()}
        loose_exact: dict[str, tuple[int, ...]] = {}
        by_name: dict[str, set[int]] = defaultdict(set)
        for name, items in loose.items.items():
            whole = sorted({i for i in items if i >= 0})
            if whole:
                loose_exact[name] = tuple(whole)
            # `squid game` names Squid Game, not (also) the head of `Squid Game: The Challenge`.
            by_name[name].update(whole or [-1 - i for i in items])
        self._loose_exact = loose_exact
        self._heads = heads
        # One sorted list of search names (loose forms and heads) with their items, for prefix,
        # word containment and the fuzzy pass.
        self.names = sorted(by_name)
        self._name_items = [tuple(sorted(by_name[n])) for n in self.names]
        words: dict[str, list[int]] = defaultdict(list)
        for position, name in enumerate(self.names):
            for word in set(name.split()):
                words[word].append(position)
        self._words = {w: np.array(p, dtype=np.int64) for w, p in words.items()}
        self._vocabulary = sorted(self._words)
        grams: dict[str, list[int]] = defaultdict(list)
        sizes = []
        for position, name in enumerate(self.names):
            name_grams = _bigrams(name)
            sizes.append(len(name_grams))
            for gram in name_grams:
                grams[gram].append(position)
        self._bigram_postings = {g: np.array(p, dtype=np.int32) for g, p in grams.items()}
        self._bigram_sizes = np.array(sizes, dtype=np.float64)
        self._franchise_ids = _factorize(self._franchise)
        members: dict[int, list[int]] = defaultdict(list)
        for item, franchise_id in enumerate(self._franchise_ids.tolist()):
            members[franchise_id].append(item)
        self._franchise_members = {f: np.array(m, dtype=np.int64) for f, m in members.items()}
        # Autocomplete: every folded display form too, so `stranger th` and `더 글` complete.
        prefix_names: dict[str, set[int]] = defaultdict(set)
        for name, exact_items in self._exact.items():
            prefix_names[name].update(exact_items)
        for name, name_items in zip(self.names, self._name_items, strict=True):
            prefix_names[name].update(name_items)
        self._prefix_names = sorted(prefix_names)
        self._prefix_items = [tuple(prefix_names[n]) for n in self._prefix_names]

    # -- resolution ------------------------------------------------------------------------------

    def resolve(self, query: str, preference: np.ndarray | None = None) -> Outcome:
        """Resolve a raw (already validated) query; `preference` scores items matching the filters."""
        form = match_form(query)
        if not form:
            return Outcome([], None, 0.0)
        exact = self._exact_group(form)
        if exact is not None:
            return self._group_answer(exact, query, preference)
        base, wanted = split_number_phrase(form)
        if wanted and base != form:
            numbered = self._numbered_answer(base, wanted, query, preference)
            if numbered is not None:
                return numbered
        return self._scored_answer(form, query, preference)

    def _exact_group(self, form: str) -> np.ndarray | None:
        group = self._exact.get(form)
        if group is None:
            group = self._loose_exact.get(loose_form(form))
        return None if group is None else np.array(group, dtype=np.int64)

    def _best(self, items: np.ndarray, preference: np.ndarray | None) -> int:
        prefer = preference[items] if preference is not None else np.zeros(len(items))
        order = np.lexsort((items, -self._hours[items], -prefer))
        return int(items[order[0]])

    def _group_answer(self, items: np.ndarray, query: str, preference: np.ndarray | None) -> Outcome:
        best = self._best(items, preference)
        ordered = sorted(items.tolist(), key=lambda i: (i != best, -self._hours[i], i))
        hits = [NameHit(i, 100.0, self._display[i]) for i in ordered[:8]]
        note = None
        if len(items) > 1:
            note = f"{_shown(query)} — using {self._titles[best]} (most watched); pick another in the list"
        return Outcome(hits, best, 100.0, note=note)

    def _numbered_answer(
        self, base: str, wanted: list[tuple[str, int]], query: str, preference: np.ndarray | None,
    ) -> Outcome | None:
        base_outcome = self.resolve(base, preference)
        if base_outcome.answer is None or base_outcome.confidence < CONFIDENT_SCORE or base_outcome.ambiguity_reason:
            return None
        members = self._franchise_members[int(self._franchise_ids[base_outcome.answer])]
        explicit_one = any(1 in self._numbers[i].values() for i in members)
        matching = [
            i for i in members.tolist()
            if all(self._has_number(i, kind, n, explicit_one) for kind, n in wanted)
        ]
        phrase = " ".join(f"{_KIND_NAMES.get(kind, kind)} {n}".strip() for kind, n in reversed(wanted))
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
        best = self._best(np.array(matching, dtype=np.int64), preference)
        others = [h for h in base_outcome.hits if h.item_index != best]
        hits = [NameHit(best, base_outcome.confidence, self._display[best]), *others][:8]
        return Outcome(hits, best, base_outcome.confidence)

    def _has_number(self, item: int, kind: str, n: int, explicit_one: bool) -> bool:
        numbers = self._numbers[item]
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
        empty = np.empty(0, dtype=np.int64)
        by_rarity = sorted(((w, self._words.get(w, empty)) for w in set(words)), key=lambda pair: len(pair[1]))
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
        postings = [self._bigram_postings[g] for g in grams if g in self._bigram_postings]
        rare = [p for p in postings if len(p) <= _COMMON_BIGRAM]
        postings = rare if len(rare) >= 2 else postings
        if sum(map(len, postings)) > _BIGRAM_BUDGET:
            postings = sorted(postings, key=len)
            sizes = np.cumsum([len(p) for p in postings])
            postings = postings[: max(2, int(np.searchsorted(sizes, _BIGRAM_BUDGET, side="right")))]
        if not postings:
            return np.empty(0, dtype=np.int64)
        shared = np.bincount(np.concatenate(postings), minlength=len(self.names))
        # Names sharing under half the best overlap cannot be close; rank only the rest.
        candidates = np.flatnonzero(shared >= max(1, int(shared.max()) // 2))
        dice = shared[candidates] / (self._bigram_sizes[candidates] + len(grams))
        if len(candidates) <= _BIGRAM_POOL:
            return candidates
        return candidates[np.argpartition(-dice, _BIGRAM_POOL - 1)[:_BIGRAM_POOL]]

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
            for item in self._name_items[position]:
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
        if len(loose.split()) < 2 and partial and loose not in self._heads:
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
                ((score, i) for p, score in self._fuzzy([loose]).items() for i in self._name_items[p]),
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
        postings = [self._words[w] for w in self._vocabulary[start:stop]]
        if not postings or len(last) < 3 or sum(map(len, postings)) > 4 * _SHORTLIST_CAP:
            return np.empty(0, dtype=np.int64)  # nothing, or too little typed to narrow it down
        positions = np.unique(np.concatenate(postings))
        for word in whole:
            positions = np.intersect1d(positions, self._words.get(word, np.empty(0, dtype=np.int64)))
        found = set(itertools.chain.from_iterable(self._name_items[p] for p in positions[:_SHORTLIST_CAP].tolist()))
        return np.fromiter(found, dtype=np.int64, count=len(found))

    def _prefix_matches(self, form: str) -> np.ndarray:
        start = bisect.bisect_left(self._prefix_names, form)
        stop = bisect.bisect_left(self._prefix_names, form + "\U0010ffff")
        if stop <= start:
            return np.empty(0, dtype=np.int64)
        found = set(itertools.chain.from_iterable(self._prefix_items[start:stop]))
        return np.fromiter(found, dtype=np.int64, count=len(found))

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


def _bigrams(text: str) -> set[str]:
    padded = f" {text} "
    return {padded[i:i + 2] for i in range(len(padded) - 1)}


def _factorize(keys: list[str]) -> np.ndarray:
    codes: dict[str, int] = {}
    return np.array([codes.setdefault(k, len(codes)) for k in keys], dtype=np.int64)


def _shown(query: str) -> str:
    return query.strip()[:80]
