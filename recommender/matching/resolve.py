"""Resolution and autocomplete over the name index: what a typed title means (exact, loose, numbered,
prefix and containment, typo-level), ties settled by filters and popularity, with a note that says why.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from recommender import titles as t
from recommender.matching.index import NameIndex, _bigrams, _distinct, _gram_code
from recommender.matching.normalise import (
    _KIND_KEYS,
    _KIND_NAMES,
    loose_form,
    match_form,
    split_number_phrase,
)

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

class TitleIndex(NameIndex):
    """Every name form of every item (`NameIndex`), resolved and completed as people type."""

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
            # The console and the CLI show no list to pick from; a full title works everywhere.
            note = f"{_shown(query)} — using {self._titles[best]} (most watched); type the full title for another"
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
                    " type the full title for another")
        return Outcome(hits, best, best_score, note=note, ambiguity_reason=reason)

    def _ambiguity(
        self, window: np.ndarray, best: int, best_score: float, partial: bool, loose: str,
        preference: np.ndarray | None,
    ) -> str | None:
        """Why no candidate is clearly ahead, or None when one is."""
        if best_score < CONFIDENT_SCORE:
            return None  # a weak match is "did you mean" already; there is no tie to explain
        if t.only_generic_words(loose):
            # `season 1`, `part 2`, `the movie`: words hundreds of titles carry name none of them.
            return f"`{loose}` is not a title on its own; type more of the one you mean"
        if len(loose.split()) < 2 and partial and not self._is_name_head(loose):
            # One word that only starts or appears inside titles (`stranger`, `love`) names none of them.
            where = "a title" if len(window) == 1 else f"{len(window)} titles"
            return f"`{loose}` is only part of {where}; type more of the one you mean"
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


def _shown(query: str) -> str:
    return query.strip()[:80]
