"""Fold spin-offs, films and sequels into the franchise they belong to, using the whole catalog.

`titles.franchise_key` sees one title at a time, so it can strip `: Season 2` but cannot know that
`Naruto Shippuden`, `Naruto the Movie: ...` and `Boruto: Naruto Next Generations` are Naruto, or that
`Money Heist: The Phenomenon` is Money Heist: only the other titles of the catalog say that `naruto`
and `money heist` are franchises. A list should hold one entry per franchise, so keys are folded here,
after the listings are joined (the join needs each title's own work key, or a film would take its
show's listing).

Three rules link a title's own key to an anchor, the key of other entries of the catalog:

1. head: the title is `Anchor: subtitle` (`Money Heist: Korea - Joint Economic Area`, `The Witcher:
   Blood Origin`). A colon after a franchise name is how spin-offs are named in every language, so
   only phrases as common as everyday words are refused (`Life: Untitled`), unless the anchor has
   five or more entries in the title's language (`One Piece: Episode of Alabasta`, but not the
   Japanese `Friends: Naki on the Monster Island` under the English sitcom).
2. prefix: the title's key starts with the anchor's words (`Naruto Shippuden`, `Doraemon the Movie:
   ...`, `Star Trek Beyond`). Titles start with ordinary words all the time (`You Me Her` is not `You`,
   `Love Is Blind` not `Love`, `Black Mirror` not `Black`), so the anchor must be a rare phrase, the
   title must share a language with the anchor's entries and, where both have genres, a genre, and
   where both have an original-language title, the title's must contain the anchor's (`Hometown
   Cha-Cha-Cha // 갯마을 차차차` is not `Hometown // 홈타운`; `NARUTO-ナルト- 疾風伝` is `NARUTO-ナルト-`);
   a one-word anchor must have two or more entries of its own. A commoner anchor (Zipf 4-5) is
   followed only when it has five or more entries and the title's original name starts with the
   anchor's (`Elite Short Stories // Élite historias breves` is `Elite // Élite`).
3. subtitle: the title is `X: Anchor ...` with an established anchor of five or more entries
   (`Boruto: Naruto Next Generations`, `The Last: Naruto the Movie`), under the rarity and genre
   guards of rule 2 (Boruto's Japanese title does not name Naruto, and the report gives the film
   `The Last` no original title, so its language reads English).

4. named head: a franchise with no bare entry of its own (no title is just `Barbie` or `Monster High`)
   is still named by the head of two or more `Head: subtitle` titles of different works (`Barbie:
   Princess Charm School`, `Barbie: Spy Squad`); every key that starts with that head then joins it
   (`Barbie Dreamhouse Adventures`), under the prefix rule's rarity limit, and where its entries share
   a language with the titles the head names and, where both have genres, a genre.
5. known franchises: a short table for what the rarity rules cannot see: `Pokémon` is as common a word
   in ordinary text as `mission` (so `Pokémon Journeys`, `Pokémon Horizons`, `Pokémon Concierge` and
   the `Pokémon The Series: ...` seasons stayed apart), and spin-offs whose names share nothing with
   their origin (`Cobra Kai` is The Karate Kid's). Every key that contains a listed phrase as whole
   words joins the franchise.

Famous film series stay apart on purpose: `Harry Potter and the ...` has no colon to go by, and `the lord
of the rings` (Zipf 4.3) is too common a phrase for rule 4. Folding them was tried: their sequels are 41
of the movie dev set's co-liked pairs, which a list without the query's own franchise can never show, and
its NDCG@10 fell from 0.097 to 0.079 with both folded, to 0.090 with the rule-4 change that folded The Lord
of the Rings (its three queries lost 0.59-0.71 each). Until the product shows a query's sequels, these stay apart.

Rarity comes from `wordfreq` (Zipf frequency: 4 is about once per 100,000 words of ordinary text,
`love` is 5.8, `naruto` 3.7), the highest over the Latin-script languages most titles are in, so a
common word of any of them never anchors a fold. Links are unioned, so the Boruto seasons reach
Naruto through `boruto`; each franchise is named after a key that was never folded into another.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache

import pandas as pd
from wordfreq import zipf_frequency

from recommender import titles as t
from recommender.tables import genre_set

# The languages whose everyday words must not anchor a fold (Zipf frequency, max over them).
RARITY_LANGUAGES = ("en", "es", "fr", "de", "it", "pt")
# A colon after a phrase this common does not make it a franchise name (`Life: Untitled`).
HEAD_MAX_ZIPF = 5.0
# A title that merely starts with a phrase this common is not part of its franchise (`You Me Her`).
PREFIX_MAX_ZIPF = 4.0
MIN_ENTRIES_ONE_WORD_PREFIX = 2
MIN_ENTRIES_SUBTITLE = 5
# A franchise with this many entries of its own is known to be one, whatever words name it (`ONE PIECE`).
MIN_ENTRIES_ESTABLISHED = 5
# Rule 4: `Head: subtitle` titles (of distinct works) that make a head with no entry of its own a franchise.
MIN_NAMED_HEADS = 2
# Rule 5: the phrases (accents folded, whole words) that put a key in one franchise. Only what the other
# rules cannot find belongs here.
KNOWN_FRANCHISES = (
    ("pokemon", "pocket monsters"),
    ("cobra kai", "karate kid"),
)
_EXAMPLES = 8


@dataclass
class Folding:
    """Folded keys aligned with the input rows, and what folding did (for the cleaning report)."""

    keys: list[str]
    franchises_joined: int = 0  # franchises (distinct own keys) merged into another one
    examples: list[str] = field(default_factory=list)
    folds: list[tuple[str, str, str]] = field(default_factory=list)  # (title, own key, folded key)

    @property
    def folded_titles(self) -> int:
        """Titles whose key changed."""
        return len(self.folds)


@cache
def zipf(phrase: str) -> float:
    """How common a phrase is in ordinary text of any of `RARITY_LANGUAGES` (higher = commoner)."""
    # The small lists hold every word down to Zipf 3, below both thresholds, and load ten times faster.
    highest = 0.0
    for lang in RARITY_LANGUAGES:
        highest = max(highest, zipf_frequency(phrase, lang, wordlist="small"))
        if highest >= HEAD_MAX_ZIPF:  # common enough for every rule: the other languages cannot matter
            break
    return highest


def fold_franchises(
    titles: Iterable[str], keys: Iterable[str], languages: Iterable[str], genres: Iterable[object]
) -> Folding:
    """Each row's franchise key after folding spin-offs into their franchise (rules in the module doc).

    Most titles share their first word with no other work, so only the rest are examined, and an
    anchor's languages, genres and original names are gathered only when a title asks for them: 1 s
    CPU for the bundled catalog, about 34 s for a synthetic 10^6 (training only; serving reads keys).
    """
    titles, keys, languages, genres = list(titles), list(keys), list(languages), list(genres)
    own = [t.fold_accents(k) for k in keys]
    entries = Counter(own)
    rows_of: dict[str, list[int]] = defaultdict(list)
    keys_by_first_word: Counter[str] = Counter()
    for row, key in enumerate(own):
        rows_of[key].append(row)
    for key in entries:
        keys_by_first_word[key.partition(" ")[0]] += 1
    established = {k for k, n in entries.items() if n >= MIN_ENTRIES_SUBTITLE and zipf(k) < PREFIX_MAX_ZIPF}
    established_first = {k.partition(" ")[0] for k in established}

    @cache
    def genres_of(row: int) -> frozenset[str]:
        return genre_set(genres[row])

    @cache
    def original_of(row: int) -> str:
        return t.fold_accents(t.normalize(t.split_alias(titles[row])[1]))

    @cache
    def about(anchor: str) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
        """The anchor's entries' languages, genres and original-language names."""
        rows = rows_of[anchor]
        named = (t.fold_accents(t.alias_key(titles[r])) for r in rows)
        return (frozenset(languages[r] for r in rows), frozenset().union(*(genres_of(r) for r in rows)),
                frozenset(n for n in named if n))

    def fits(anchor: str, row: int, min_entries: int, prefix: bool = True) -> bool:
        """Rule 2/3 guards: a rare, established anchor; for a prefix, its language and original name."""
        if anchor == own[row] or entries.get(anchor, 0) < min_entries:
            return False
        rarity = zipf(anchor)
        if rarity >= HEAD_MAX_ZIPF:
            return False
        anchor_languages, anchor_genres, named = about(anchor)
        if prefix and languages[row] not in anchor_languages:
            return False
        if genres_of(row) and anchor_genres and not genres_of(row) & anchor_genres:
            return False
        original = original_of(row)
        if rarity >= PREFIX_MAX_ZIPF:  # a commoner word: an established franchise whose original name starts it
            return prefix and entries[anchor] >= MIN_ENTRIES_ESTABLISHED and any(
                f"{original} ".startswith(f"{n} ") for n in named)
        return not (prefix and named and original) or any(n in original for n in named)

    links: set[tuple[str, str]] = set()
    for row, title in enumerate(titles):
        key = own[row]
        english, _ = t.split_alias(title)
        head, _, subtitle = english.partition(": ")
        shares_first_word = keys_by_first_word[key.partition(" ")[0]] > 1
        if subtitle and shares_first_word:
            anchor = t.fold_accents(t.franchise_key(head))
            if anchor != key and anchor in entries and (zipf(anchor) < HEAD_MAX_ZIPF or (
                    entries[anchor] >= MIN_ENTRIES_ESTABLISHED and languages[row] in about(anchor)[0])):
                links.add((key, anchor))
        if subtitle and _first_word(subtitle) in established_first:
            words = t.fold_accents(t.normalize(subtitle)).split()
            links.update((key, a) for a in _prefixes(words, whole=True)
                         if a in established and fits(a, row, MIN_ENTRIES_SUBTITLE, prefix=False))
        if shares_first_word:
            for anchor in _prefixes(key.split(), whole=False):
                one_word_minimum = MIN_ENTRIES_ONE_WORD_PREFIX if " " not in anchor else 1
                if anchor in entries and fits(anchor, row, one_word_minimum):
                    links.add((key, anchor))
    links |= _named_head_links(titles, own, entries, rows_of, languages, genres_of)
    links |= _known_franchise_links(entries)
    names = _franchise_names(entries, links)
    # Each franchise is labelled with its name's first spelling in the catalog (accents kept).
    label: dict[str, str] = {}
    for key, original in zip(own, keys, strict=True):
        label.setdefault(key, original)
    folded = [label[names[k]] for k in own]
    changed = [(title, key, new) for title, key, new in zip(titles, keys, folded, strict=True) if new != key]
    return Folding(
        keys=folded,
        franchises_joined=sum(1 for k in entries if names[k] != k),
        examples=[f"{title!r} -> {new!r}" for title, _, new in _spread(changed, _EXAMPLES)],
        folds=changed,
    )


def _named_head_links(titles: list[str], own: list[str], entries: Counter[str], rows_of: dict[str, list[int]],
                      languages: list[str], genres_of: Callable[[int], frozenset[str]]) -> set[tuple[str, str]]:
    """Rule 4: heads of `Head: subtitle` titles that are no key themselves, linked to every key they start
    whose entries share a language with the titles the head names (`Mission Kashmir` is not `Mission:
    Impossible`) and, where both have genres, a genre."""
    by_first_word: dict[str, list[str]] = defaultdict(list)
    for key in entries:
        by_first_word[key.partition(" ")[0]].append(key)
    head_rows: dict[str, list[int]] = defaultdict(list)
    for row, title in enumerate(titles):
        head, colon, _ = t.split_alias(title)[0].partition(": ")
        if not colon or len(by_first_word[own[row].partition(" ")[0]]) < 2:
            continue
        anchor = t.fold_accents(t.franchise_key(head))
        if anchor and anchor not in entries and anchor != own[row]:
            head_rows[anchor].append(row)
    links: set[tuple[str, str]] = set()
    for anchor, rows in head_rows.items():
        heads = {own[r] for r in rows}
        if len(heads) < MIN_NAMED_HEADS or zipf(anchor) >= PREFIX_MAX_ZIPF:
            continue
        anchor_languages = {languages[r] for r in rows}
        anchor_genres = frozenset().union(*(genres_of(r) for r in rows))
        representative = min(heads, key=lambda k: (-entries[k], len(k), k))
        for key in by_first_word[anchor.partition(" ")[0]]:
            if key == representative or not f"{key} ".startswith(f"{anchor} "):
                continue
            if key not in heads and not all(
                    languages[r] in anchor_languages
                    and not (genres_of(r) and anchor_genres and not genres_of(r) & anchor_genres)
                    for r in rows_of[key]):
                continue
            links.add((key, representative))
    return links


def _known_franchise_links(entries: Counter[str]) -> set[tuple[str, str]]:
    """Rule 5: the keys containing one of a known franchise's phrases, linked to its most frequent key."""
    links: set[tuple[str, str]] = set()
    for phrases in KNOWN_FRANCHISES:
        members = [k for k in entries if any(f" {p} " in f" {k} " for p in phrases)]
        if len(members) > 1:
            representative = min(members, key=lambda k: (-entries[k], len(k), k))
            links.update((k, representative) for k in members if k != representative)
    return links


def _first_word(text: str) -> str:
    """The first word of `normalize(text)`, accents folded, without normalising the whole text."""
    for token in text.split():
        if word := t.fold_accents(t.normalize(token)).partition(" ")[0]:
            return word
    return ""


def _prefixes(words: list[str], whole: bool) -> Iterable[str]:
    """`naruto shippuden movie` -> `naruto`, `naruto shippuden` (and the whole phrase when `whole`)."""
    for end in range(1, len(words) + (1 if whole else 0)):
        yield " ".join(words[:end])


def _franchise_names(entries: Counter[str], links: set[tuple[str, str]]) -> dict[str, str]:
    """Union the linked keys; name each group after a key never folded into another (most entries)."""
    parent = {k: k for k in entries}

    def root(k: str) -> str:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for key, anchor in sorted(links):
        a, b = root(key), root(anchor)
        if a != b:
            parent[max(a, b)] = min(a, b)
    sources = {key for key, _ in links}
    groups: dict[str, list[str]] = defaultdict(list)
    for k in entries:
        groups[root(k)].append(k)
    names: dict[str, str] = {}
    for members in groups.values():
        anchors = [k for k in members if k not in sources] or members
        name = min(anchors, key=lambda k: (-entries[k], len(k), k))
        names.update(dict.fromkeys(members, name))
    return names


def _spread(rows: list[tuple[str, str, str]], n: int) -> list[tuple[str, str, str]]:
    """Up to n examples from different franchises, so the report does not show eight Naruto films."""
    seen: set[str] = set()
    picked = []
    for row in rows:
        if row[2] not in seen:
            seen.add(row[2])
            picked.append(row)
        if len(picked) == n:
            break
    return picked


def fold_frame(items: pd.DataFrame) -> Folding:
    """`fold_franchises` over an item table with title, franchise_key, language and genres columns."""
    genres = items["genres"].tolist() if "genres" in items else [""] * len(items)
    return fold_franchises(items["title"].tolist(), items["franchise_key"].tolist(), items["language"].tolist(), genres)
