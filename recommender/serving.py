"""Answer "what is similar to X" from an exported embedding matrix, in milliseconds.

Production shape (see README): no `model.predict` per request and no TensorFlow import. Exact cosine
top-k over an L2-normalised float32 matrix in memory is ~0.2 ms for 19k x 64; an ANN index only pays
off from ~10^5-10^6 items. Everything here is synchronous and CPU-bound: async callers use
`asyncio.to_thread`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from recommender.artifacts import ArtifactError, load_serving
from recommender.catalog import genre_set
from recommender.matching import CONFIDENT_SCORE, QueryError, TitleIndex, clean_query

__all__ = [
    "ArtifactError", "Item", "Match", "QueryError", "Recommendation", "RecommendationResult",
    "Recommender", "Resolution", "UnknownTitleError",
]
# Popularity re-ranking reorders this many nearest neighbours by hours viewed.
POPULARITY_POOL = 50


@dataclass(frozen=True)
class Item:
    item_id: int
    title: str
    content_type: str
    language: str
    release_date: str | None
    release_year: int | None
    hours_viewed: int
    genres: str
    franchise_key: str


@dataclass(frozen=True)
class Match:
    item: Item
    score: float


@dataclass(frozen=True)
class Resolution:
    query: str
    item: Item | None
    confidence: float
    candidates: list[Match]

    @property
    def confident(self) -> bool:
        return self.item is not None and self.confidence >= CONFIDENT_SCORE


@dataclass(frozen=True)
class Recommendation:
    item: Item
    rank: int
    score: float
    reason: str


@dataclass(frozen=True)
class RecommendationResult:
    query: Item
    items: list[Recommendation]
    model_version: str
    resolution: Resolution


class UnknownTitleError(QueryError):
    """No confident match: `resolution.candidates` holds the "did you mean" choices."""

    def __init__(self, message: str, resolution: Resolution) -> None:
        super().__init__(message)
        self.resolution = resolution


def _items_from_table(table: pd.DataFrame) -> list[Item]:
    years = pd.to_numeric(table["release_year"], errors="coerce")
    return [
        Item(
            item_id=int(row.item_id),
            title=str(row.title),
            content_type=str(row.content_type),
            language=str(row.language),
            release_date=str(row.release_date) or None,
            release_year=None if pd.isna(year) else int(year),
            hours_viewed=int(row.hours_viewed),
            genres=str(row.genres),
            franchise_key=str(row.franchise_key),
        )
        for row, year in zip(table.itertuples(index=False), years, strict=True)
    ]


class Recommender:
    """A loaded model version: embeddings, item table and title index, all in memory."""

    def __init__(self, embeddings: np.ndarray, items: pd.DataFrame, metadata: dict) -> None:
        self.embeddings = embeddings
        self.items = items.reset_index(drop=True)
        self.metadata = metadata
        self.version = str(metadata.get("version", "unversioned"))
        self._items = _items_from_table(self.items)
        self._row_of_id = {item.item_id: row for row, item in enumerate(self._items)}
        self._hours = self.items["hours_viewed"].to_numpy(dtype=np.float64)
        self._franchise = pd.factorize(self.items["franchise_key"])[0]
        self._language = self.items["language"].to_numpy()
        self._type = self.items["content_type"].to_numpy()
        self.languages = sorted(set(self._language))
        self.content_types = sorted(set(self._type))
        self._genres = [genre_set(text) for text in self.items["genres"]]
        self.index = TitleIndex(self.items["title"].tolist(), self._hours)

    @classmethod
    def load(cls, path: str | Path) -> Recommender:
        """Load a version directory, or the version a model root's `CURRENT` names (or, if that one is
        broken, the newest intact version: `metadata["serving_fallback"]` then says so)."""
        artifact = load_serving(Path(path))
        return cls(artifact.embeddings, artifact.items, artifact.metadata)

    def __len__(self) -> int:
        return len(self._items)

    def item(self, item_id: int) -> Item:
        try:
            return self._items[self._row_of_id[int(item_id)]]
        except (KeyError, ValueError):
            raise QueryError(f"No title has id {item_id}.") from None

    # -- title resolution ----------------------------------------------------------------------

    def resolve(self, query: str) -> Resolution:
        normalised = clean_query(query)
        exact = self.index.exact(normalised)
        if exact is not None:
            # An exact name needs no fuzzy pass (the ~3 ms that dominates a request).
            item = self._items[exact]
            return Resolution(query, item, 100.0, [Match(item, 100.0)])
        hits = self.index.fuzzy(normalised)
        candidates = [Match(self._items[h.item_index], h.score) for h in hits]
        if not candidates:
            return Resolution(query, None, 0.0, [])
        return Resolution(query, candidates[0].item, candidates[0].score, candidates)

    def autocomplete(self, prefix: str, limit: int = 25) -> list[Item]:
        """Titles for a partly typed name: prefix matches by popularity, then fuzzy ones."""
        limit = max(1, min(limit, 25))
        try:
            normalised = clean_query(prefix)
        except QueryError:
            rows = np.argsort(-self._hours, kind="stable")[:limit]
            return [self._items[r] for r in rows]
        rows = self.index.prefix(normalised, limit)
        if len(rows) < limit:
            seen = set(rows)
            rows += [h.item_index for h in self.index.fuzzy(normalised, limit) if h.item_index not in seen]
        return [self._items[r] for r in rows[:limit]]

    # -- recommendations -----------------------------------------------------------------------

    def _query_row(self, query: str | int) -> tuple[int, Resolution]:
        if isinstance(query, (int, np.integer)):
            item = self.item(int(query))
            return self._row_of_id[item.item_id], Resolution(str(query), item, 100.0, [Match(item, 100.0)])
        resolution = self.resolve(query)
        if not resolution.confident:
            if resolution.candidates:
                names = ", ".join(f"`{c.item.title}`" for c in resolution.candidates[:3])
                message = f"No title matches `{query.strip()[:80]}` closely. Did you mean {names}?"
            else:
                message = f"No title resembles `{query.strip()[:80]}`. Check the spelling or try another title."
            raise UnknownTitleError(message, resolution)
        return self._row_of_id[resolution.item.item_id], resolution

    def recommend(
        self,
        query: str | int,
        k: int = 10,
        *,
        language: str | None = None,
        content_type: str | None = None,
        include_franchise: bool = False,
        by_popularity: bool = False,
    ) -> RecommendationResult:
        """Top-k by cosine similarity, one entry per franchise unless `include_franchise`."""
        if not 1 <= int(k) <= 100:
            raise QueryError("k must be between 1 and 100.")
        row, resolution = self._query_row(query)
        scores = self.embeddings @ self.embeddings[row]
        allowed = np.ones(len(scores), dtype=bool)
        allowed[row] = False
        if not include_franchise:
            allowed &= self._franchise != self._franchise[row]
        if language:
            allowed &= self._language == self._match_choice(language, self.languages, "language")
        if content_type:
            allowed &= self._type == self._match_choice(content_type, self.content_types, "type")
        scores = np.where(allowed, scores, -np.inf)
        chosen = self._top_rows(scores, k, fold=not include_franchise, by_popularity=by_popularity)
        query_item = self._items[row]
        recs = [
            Recommendation(self._items[r], rank, float(scores[r]), self._reason(row, r))
            for rank, r in enumerate(chosen, start=1)
        ]
        return RecommendationResult(query_item, recs, self.version, resolution)

    @staticmethod
    def _match_choice(value: str, choices: list[str], what: str) -> str:
        for choice in choices:
            if choice.casefold() == value.strip().casefold():
                return choice
        raise QueryError(f"Unknown {what} `{value[:40]}`; choose one of {', '.join(choices)}.")

    def _top_rows(self, scores: np.ndarray, k: int, *, fold: bool, by_popularity: bool) -> list[int]:
        valid = int(np.isfinite(scores).sum())
        want = max(k, POPULARITY_POOL if by_popularity else k)
        pool = min(valid, want * 8 + 32)
        chosen: list[int] = []
        while True:
            top = np.argpartition(-scores, pool - 1)[:pool] if pool < len(scores) else np.arange(len(scores))
            top = top[np.lexsort((top, -scores[top]))]
            top = top[np.isfinite(scores[top])]
            chosen, seen = [], set()
            for r in top.tolist():
                if fold and self._franchise[r] in seen:
                    continue
                seen.add(self._franchise[r])
                chosen.append(r)
                if len(chosen) == want:
                    break
            if len(chosen) == want or pool >= valid:
                break
            pool = min(valid, pool * 4)
        if by_popularity:
            chosen = sorted(chosen, key=lambda r: -self._hours[r])
        return chosen[:k]

    def _reason(self, query_row: int, row: int) -> str:
        """A short, truthful why: shared genres, franchise, language, type and era."""
        parts = []
        shared = sorted(self._genres[query_row] & self._genres[row])
        if shared:
            parts.append("shared genres: " + ", ".join(shared[:2]))
        if self._franchise[query_row] == self._franchise[row]:
            parts.append("same franchise")
        same = []
        if self._language[query_row] == self._language[row]:
            same.append(self._language[row])
        if self._type[query_row] == self._type[row]:
            same.append(self._type[row].lower())
        if same:
            parts.append("also " + " ".join(same))
        q_year, r_year = self._items[query_row].release_year, self._items[row].release_year
        if q_year and r_year and abs(q_year - r_year) <= 2:
            parts.append(f"same era ({r_year})")
        return "; ".join(parts) or "similar title and profile"
