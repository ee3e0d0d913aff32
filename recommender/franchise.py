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
   a one-word anchor must have two or more entries of its own.
3. subtitle: the title is `X: Anchor ...` with an established anchor of five or more entries
   (`Boruto: Naruto Next Generations`, `The Last: Naruto the Movie`), under the rarity and genre
   guards of rule 2 (Boruto's Japanese title does not name Naruto, and the report gives the film
   `The Last` no original title, so its language reads English).

Rarity comes from `wordfreq` (Zipf frequency: 4 is about once per 100,000 words of ordinary text,
`love` is 5.8, `naruto` 3.7), the highest over the Latin-script languages most titles are in, so a
common word of any of them never anchors a fold. Links are unioned, so the Boruto seasons reach
Naruto through `boruto`; each franchise is named after a key that was never folded into another.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
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
_EXAMPLES = 8


@dataclass
class Folding:
    """Folded keys aligned with the input rows, and what folding did (for the cleaning report)."""

    keys: list[str]
    folded_titles: int = 0  # titles whose key changed
    franchises_joined: int = 0  # franchises (distinct own keys) merged into another one
    examples: list[str] = field(default_factory=list)
    folds: list[tuple[str, str, str]] = field(default_factory=list)  # (title, own key, folded key)


@cache
def zipf(phrase: str) -> float:
    """How common a phrase is in ordinary text of any of `RARITY_LANGUAGES` (higher = commoner)."""
    # The small lists hold every word down to Zipf 3, below both thresholds, and load ten times faster.
    return max(zipf_frequency(phrase, lang, wordlist="small") for lang in RARITY_LANGUAGES)


def fold_franchises(
    titles: Iterable[str], keys: Iterable[str], languages: Iterable[str], genres: Iterable[object]
) -> Folding:
    """Each row's franchise key after folding spin-offs into their franchise (rules in the module doc)."""
    titles, keys = list(titles), list(keys)
    own = [t.fold_accents(k) for k in keys]
    languages, genre_sets = list(languages), [genre_set(g) for g in genres]
    entries = Counter(own)
    key_languages: dict[str, set[str]] = defaultdict(set)
    key_genres: dict[str, set[str]] = defaultdict(set)
    key_originals: dict[str, set[str]] = defaultdict(set)
    originals = [t.fold_accents(t.normalize(t.split_alias(title)[1])) for title in titles]
    for key, language, found, title in zip(own, languages, genre_sets, titles, strict=True):
        key_languages[key].add(language)
        key_genres[key] |= found
        if alias := t.fold_accents(t.alias_key(title)):
            key_originals[key].add(alias)

    def fits(anchor: str, row: int, min_entries: int, prefix: bool = True) -> bool:
        """Rule 2/3 guards: a rare, established anchor; for a prefix, its language and original name."""
        if anchor == own[row] or anchor not in entries or zipf(anchor) >= PREFIX_MAX_ZIPF:
            return False
        if entries[anchor] < min_entries or (prefix and languages[row] not in key_languages[anchor]):
            return False
        if genre_sets[row] and key_genres[anchor] and not genre_sets[row] & key_genres[anchor]:
            return False
        named = key_originals[anchor]
        return not (prefix and originals[row] and named) or any(n in originals[row] for n in named)

    links: set[tuple[str, str]] = set()
    for row, title in enumerate(titles):
        key = own[row]
        english, _ = t.split_alias(title)
        head, _, subtitle = english.partition(": ")
        if subtitle:
            anchor = t.fold_accents(t.franchise_key(head))
            if anchor != key and anchor in entries and (zipf(anchor) < HEAD_MAX_ZIPF or (
                    entries[anchor] >= MIN_ENTRIES_ESTABLISHED and languages[row] in key_languages[anchor])):
                links.add((key, anchor))
            words = t.fold_accents(t.normalize(subtitle)).split()
            links.update((key, a) for a in _prefixes(words, whole=True)
                         if fits(a, row, MIN_ENTRIES_SUBTITLE, prefix=False))
        for anchor in _prefixes(key.split(), whole=False):
            one_word_minimum = MIN_ENTRIES_ONE_WORD_PREFIX if " " not in anchor else 1
            if fits(anchor, row, one_word_minimum):
                links.add((key, anchor))
    names = _franchise_names(entries, links)
    # Each franchise is labelled with its name's first spelling in the catalog (accents kept).
    label: dict[str, str] = {}
    for key, original in zip(own, keys, strict=True):
        label.setdefault(key, original)
    folded = [label[names[k]] for k in own]
    changed = [(title, key, new) for title, key, new in zip(titles, keys, folded, strict=True) if new != key]
    return Folding(
        keys=folded,
        folded_titles=len(changed),
        franchises_joined=sum(1 for k in entries if names[k] != k),
        examples=[f"{title!r} -> {new!r}" for title, _, new in _spread(changed, _EXAMPLES)],
        folds=changed,
    )


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
    genres = items["genres"] if "genres" in items else pd.Series("", index=items.index)
    return fold_franchises(items["title"], items["franchise_key"], items["language"], genres)
