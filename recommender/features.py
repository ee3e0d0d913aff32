"""Turn catalog rows into padded token-id arrays, one array per feature group.

The vocabularies built here are saved with every model (`vocab.json`) and the same code featurises
rows at training time and for cold-start embedding, so training and serving cannot drift. Text is fed
as token ids for embedding lookups with pooling, never as dense multi-hot matrices (see design notes:
a dense 19k x 70k float32 input would be 5 GB).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
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


@dataclass
class FeatureSpace:
    """Vocabularies for the feature groups a model uses; serialisable to and from JSON."""

    groups: list[str]
    vocab: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def fit(cls, items: pd.DataFrame, withhold: frozenset[str] = frozenset()) -> FeatureSpace:
        has_enrichment = bool((items.get("genres", pd.Series(dtype=str)) != "").any())
        groups = [
            g
            for g in GROUP_LENGTHS
            if g not in withhold and (has_enrichment or g not in ENRICHMENT_GROUPS)
        ]
        seen_in: dict[str, dict[str, set[str]]] = {g: defaultdict(set) for g in groups}
        for row in items.to_dict("records"):
            toks = item_tokens(row)
            franchise = row.get("franchise_key") or row["title"]
            for g in groups:
                for tok in toks[g]:
                    seen_in[g][tok].add(franchise)
        vocab = {
            g: sorted(tok for tok, where in seen_in[g].items() if len(where) >= MIN_FRANCHISES.get(g, 1))
            for g in groups
        }
        return cls(groups=groups, vocab=vocab)

    def vocab_size(self, group: str) -> int:
        return len(self.vocab[group]) + RESERVED

    def transform(self, items: pd.DataFrame) -> dict[str, np.ndarray]:
        """Padded int32 id arrays per group; unknown tokens map to OOV so new titles still embed."""
        lookup = {g: {tok: i + RESERVED for i, tok in enumerate(self.vocab[g])} for g in self.groups}
        arrays = {g: np.zeros((len(items), GROUP_LENGTHS[g]), dtype=np.int32) for g in self.groups}
        for r, row in enumerate(items.to_dict("records")):
            toks = item_tokens(row)
            for g in self.groups:
                ids = [lookup[g].get(tok, OOV) for tok in toks[g]]
                arrays[g][r, : len(ids)] = ids
        return arrays

    def to_json(self) -> dict:
        return {"groups": self.groups, "lengths": {g: GROUP_LENGTHS[g] for g in self.groups}, "vocab": self.vocab}

    @classmethod
    def from_json(cls, data: dict) -> FeatureSpace:
        return cls(groups=list(data["groups"]), vocab={g: list(v) for g, v in data["vocab"].items()})
