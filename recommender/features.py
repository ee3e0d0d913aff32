"""Turn catalog rows into token ids, one ragged array per feature group, padded a batch at a time.

The vocabularies built here are saved with every model (`vocab.json`) and the same code featurises
rows at training time and for cold-start embedding, so training and serving cannot drift. Text is fed
as token ids for embedding lookups with pooling, never as dense multi-hot matrices (see design notes:
a dense 19k x 70k float32 input would be 5 GB). Building them is one pass over the rows, with memory
proportional to the ids and the vocabulary, so that a catalog of a million titles featurises in
linear time and fits in memory (`FeatureSpace.fit_encode`).
"""

from __future__ import annotations

import math
import re
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from recommender import titles as t
from recommender.tables import split_list

PAD, OOV = 0, 1
RESERVED = 2

# Group name -> max tokens kept per item. Single-token groups are categorical features.
GROUP_LENGTHS: dict[str, int] = {
    "title_words": 12,
    "title_trigrams": 48,
    "language": 1,
    "content_type": 1,
    "year": 1,
    "popularity": 1,
    "availability": 1,
    "genres": 8,  # two listings merged: up to ~8 genres on one lowercase scale
    "description": 40,
    "people": 16,
    "country": 4,
    "rating": 1,
}
# Groups that only an enrichment file provides; withheld groups are dropped from the model entirely.
ENRICHMENT_GROUPS = frozenset({"genres", "description", "people", "country", "rating"})
# A text token enters the vocabulary only if it occurs in this many different franchises. A token
# confined to one franchise (a character's name, a show's cast) links nothing to anything else: it
# would only let the model memorise that franchise, like a content_id, and a new title could never
# have it. Counting franchises rather than items keeps warm and cold-start items on equal terms;
# such tokens map to the shared OOV id, whose vector training learns as "a rare word".
MIN_FRANCHISES = {"title_words": 2, "title_trigrams": 2, "description": 2, "people": 2}
# `fit_encode` remembers per token only "seen in one franchise / in two or more", which is all a
# threshold of 1 or 2 needs; a higher threshold would need counts (and more memory per token).
if not set(MIN_FRANCHISES.values()) <= {1, 2}:
    raise ValueError("MIN_FRANCHISES thresholds must be 1 or 2")
POPULARITY_BUCKETS = 10

_WORD = re.compile(r"\w+", re.UNICODE)
_STOPWORDS = frozenset(
    [
        "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "has", "have", "he", "her",
        "his", "in", "into", "is", "it", "its", "of", "on", "or", "she", "that", "the", "their", "them",
        "they", "this", "to", "was", "when", "where", "which", "while", "who", "will", "with", "after",
        "before", "about", "all", "also", "any", "can", "each", "him", "how", "if", "more", "most", "new",
        "one", "only", "other", "our", "out", "over", "own", "so", "some", "such", "than", "then", "there",
        "these", "through", "up", "very", "what", "why", "you", "your", "season", "part", "volume", "series",
        "limited",
    ]
)


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(t.normalize(text)) if w not in _STOPWORDS and not w.isdigit()]


def _trigrams(text: str) -> list[str]:
    grams: list[str] = []
    for word in t.normalize(text).split():
        padded = f"<{word}>"
        grams.extend(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


def _year_token(value: int | float | None) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "year:unknown"
    year = int(value)
    if year < 1980:
        return "year:<1980"
    if year < 2000:
        return f"year:{year // 10 * 10}s"
    if year < 2010:
        return "year:2000s"
    return f"year:{min(year, 2025)}"


def item_tokens(row: pd.Series | dict) -> dict[str, list[str]]:
    """The string tokens of every feature group for one catalog row."""
    english, original = t.split_alias(str(row["title"]))
    base = t.base_title(english)
    hours = float(row.get("popularity", 0.0) or 0.0)
    tokens = {
        "title_words": _words(base) + _words(original),
        "title_trigrams": _trigrams(base) + _trigrams(t.base_title(original) if original else ""),
        "language": [f"lang:{row['language']}"],
        "content_type": [f"type:{row['content_type']}"],
        "year": [_year_token(row.get("release_year"))],
        "popularity": [f"pop:{min(int(hours * POPULARITY_BUCKETS), POPULARITY_BUCKETS - 1)}"],
        "availability": [f"global:{bool(row.get('available_globally', False))}"],
        "genres": split_list(row.get("genres", "")),
        "description": _words(str(row.get("description", ""))),
        "people": split_list(row.get("director", "")) + split_list(row.get("cast", "")),
        "country": split_list(row.get("country", "")),
        # The maturity band, not the raw certification: `TV-14` and `PG-13` mean the same to a viewer.
        "rating": [f"maturity:{row['maturity']}"] if row.get("maturity") not in (None, "", "unknown") else [],
    }
    return {g: toks[: GROUP_LENGTHS[g]] for g, toks in tokens.items()}


@dataclass(frozen=True)
class RaggedIds:
    """One group's token ids for many items in CSR layout: item r's ids are `values[offsets[r]:offsets[r + 1]]`.

    Stored ragged rather than padded because most items use a fraction of a group's width (a title has
    ~15 trigrams of 48, most items no description): at 10^6 items the padded arrays would take 0.5 GB,
    the ragged ones a third of that. Batches are padded when they are drawn (`padded`).
    """

    values: np.ndarray  # int32 token ids
    offsets: np.ndarray  # int64, one more than there are items
    width: int  # the group's padded length (GROUP_LENGTHS)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def padded(self, rows: np.ndarray | None = None) -> np.ndarray:
        """A (len(rows), width) int32 matrix, PAD after each item's ids; all items when `rows` is None."""
        if rows is None:
            starts, ends = self.offsets[:-1], self.offsets[1:]
        else:
            rows = np.asarray(rows, dtype=np.int64)
            starts, ends = self.offsets[rows], self.offsets[rows + 1]
        positions = starts[:, None] + np.arange(self.width, dtype=np.int64)
        inside = positions < ends[:, None]
        if not len(self.values):
            return np.zeros(inside.shape, dtype=np.int32)
        return np.where(inside, self.values[np.where(inside, positions, 0)], PAD).astype(np.int32)


class _RaggedBuilder:
    """Appends one item's ids at a time into compact typed arrays (no per-item Python lists kept)."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.values = array("i")
        self.offsets = array("q", [0])

    def add(self, ids: list[int]) -> None:
        self.values.extend(ids)
        self.offsets.append(len(self.values))

    def build(self, remap: np.ndarray | None = None) -> RaggedIds:
        values = np.frombuffer(self.values, dtype=np.int32) if len(self.values) else np.zeros(0, np.int32)
        if remap is not None:
            values = remap[values]
        return RaggedIds(values.astype(np.int32), np.frombuffer(self.offsets, dtype=np.int64).copy(), self.width)


@dataclass(frozen=True)
class EncodedItems:
    """Every feature group of a set of items as ragged token ids, row i = item row i."""

    groups: dict[str, RaggedIds]

    def __len__(self) -> int:
        return len(next(iter(self.groups.values()))) if self.groups else 0

    def padded(self, rows: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """The model's inputs for these rows (all rows when None): one padded int32 matrix per group."""
        return {g: ids.padded(rows) for g, ids in self.groups.items()}


# Rows are turned into dicts a chunk at a time: `to_dict("records")` over a million rows at once
# would hold a million dicts (~1.5 GB) just to read them.
RECORD_CHUNK = 10_000


def _records(items: pd.DataFrame) -> Iterator[dict]:
    for start in range(0, len(items), RECORD_CHUNK):
        yield from items.iloc[start : start + RECORD_CHUNK].to_dict("records")


@dataclass
class FeatureSpace:
    """Vocabularies for the feature groups a model uses; serialisable to and from JSON."""

    groups: list[str]
    vocab: dict[str, list[str]] = field(default_factory=dict)

    @staticmethod
    def _groups(items: pd.DataFrame, withhold: frozenset[str]) -> list[str]:
        has_enrichment = bool((items.get("genres", pd.Series(dtype=str)) != "").any())
        return [g for g in GROUP_LENGTHS if g not in withhold and (has_enrichment or g not in ENRICHMENT_GROUPS)]

    @classmethod
    def fit(cls, items: pd.DataFrame, withhold: frozenset[str] = frozenset()) -> FeatureSpace:
        return cls.fit_encode(items, withhold)[0]

    @classmethod
    def fit_encode(
        cls, items: pd.DataFrame, withhold: frozenset[str] = frozenset()
    ) -> tuple[FeatureSpace, EncodedItems]:
        """Build the vocabularies and encode the same items in one pass over the rows.

        Linear in the number of items and in memory proportional to the vocabulary: each distinct token
        remembers only the first franchise it was seen in and whether a second one had it too (all the
        `MIN_FRANCHISES` rule needs), never the set of franchises or items that use it. Items are
        tokenised once, into provisional ids that are renumbered to the sorted vocabulary at the end.
        """
        groups = cls._groups(items, withhold)
        provisional: dict[str, dict[str, int]] = {g: {} for g in groups}
        first_franchise = {g: array("i") for g in groups}
        in_two = {g: bytearray() for g in groups}
        builders = {g: _RaggedBuilder(GROUP_LENGTHS[g]) for g in groups}
        franchise_code: dict[str, int] = {}
        for row in _records(items):
            toks = item_tokens(row)
            key = row.get("franchise_key") or row["title"]
            franchise = franchise_code.setdefault(key, len(franchise_code))
            for g in groups:
                table, firsts, spread = provisional[g], first_franchise[g], in_two[g]
                ids = []
                for tok in toks[g]:
                    pid = table.get(tok)
                    if pid is None:
                        pid = table[tok] = len(firsts)
                        firsts.append(franchise)
                        spread.append(0)
                    elif firsts[pid] != franchise:
                        spread[pid] = 1
                    ids.append(pid)
                builders[g].add(ids)
        vocab: dict[str, list[str]] = {}
        encoded: dict[str, RaggedIds] = {}
        for g in groups:
            table, spread = provisional[g], in_two[g]
            needs_two = MIN_FRANCHISES.get(g, 1) >= 2
            vocab[g] = sorted(tok for tok, pid in table.items() if not needs_two or spread[pid])
            remap = np.full(len(table), OOV, dtype=np.int32)
            for i, tok in enumerate(vocab[g]):
                remap[table[tok]] = i + RESERVED
            encoded[g] = builders[g].build(remap)
        return cls(groups=groups, vocab=vocab), EncodedItems(encoded)

    def vocab_size(self, group: str) -> int:
        return len(self.vocab[group]) + RESERVED

    def encode(self, items: pd.DataFrame) -> EncodedItems:
        """Ragged token ids per group; unknown tokens map to OOV so new titles still embed."""
        lookup = {g: {tok: i + RESERVED for i, tok in enumerate(self.vocab[g])} for g in self.groups}
        builders = {g: _RaggedBuilder(GROUP_LENGTHS[g]) for g in self.groups}
        for row in _records(items):
            toks = item_tokens(row)
            for g in self.groups:
                table = lookup[g]
                builders[g].add([table.get(tok, OOV) for tok in toks[g]])
        return EncodedItems({g: b.build() for g, b in builders.items()})

    def transform(self, items: pd.DataFrame) -> dict[str, np.ndarray]:
        """Padded int32 id arrays per group (all rows at once: for small sets of items)."""
        return self.encode(items).padded()

    def to_json(self) -> dict:
        return {"groups": self.groups, "lengths": {g: GROUP_LENGTHS[g] for g in self.groups}, "vocab": self.vocab}

    @classmethod
    def from_json(cls, data: dict) -> FeatureSpace:
        return cls(groups=list(data["groups"]), vocab={g: list(v) for g, v in data["vocab"].items()})
