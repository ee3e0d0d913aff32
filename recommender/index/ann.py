"""The HNSW index (usearch) over the L2-normalised item embeddings, with exact filtering.

Chosen by measurement against FAISS (`scripts/bench_ann.py`, table in the README): at the same
recall it builds faster on two cores and answers one query in a fraction of a millisecond.

Filters (language, type, maturity, ...) arrive as a boolean mask over items. HNSW cannot skip
items inside its graph walk without losing recall, so: a small allowed subset (a rare language) is
searched exactly, which is cheap because it is small; a large one is over-fetched in proportion to
its share and filtered; if that still leaves too few, the allowed subset is searched exactly. Every
returned row is allowed, so filters hold exactly whatever the index does.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path

import numpy as np
from usearch.index import Index

INDEX_FILE = "ann.usearch"
# `auto` builds an index from this many items up (below it exact search is under a millisecond).
DEFAULT_MIN_ITEMS = 50_000
# Graph settings: recall@10 >= 0.95 at a million items on the benchmark (connectivity = HNSW's M).
CONNECTIVITY = 32
EXPANSION_ADD = 96
EXPANSION_SEARCH = 128
# An allowed subset this small is searched exactly (one dot product per allowed item, < 1 ms).
EXACT_SUBSET = 30_000
# The most neighbours asked of the graph for one query before searching the subset exactly instead.
MAX_FETCH = 4096


class IndexMode(StrEnum):
    """The `ANN_INDEX` setting: build the index above `ANN_MIN_ITEMS` (auto), always, or never."""

    AUTO = "auto"
    ON = "on"
    OFF = "off"


def wants_index(n_items: int, mode: IndexMode | str = IndexMode.AUTO, min_items: int = DEFAULT_MIN_ITEMS) -> bool:
    mode = IndexMode(mode)
    return mode is IndexMode.ON or (mode is IndexMode.AUTO and n_items >= min_items)


class AnnIndex:
    """Approximate top-n rows by cosine for one embedding, filters exact; rows are embedding rows."""

    def __init__(self, index: Index, embeddings: np.ndarray) -> None:
        if len(index) != len(embeddings) or index.ndim != embeddings.shape[1]:
            raise ValueError(f"index holds {len(index)} vectors of {index.ndim} dims, "
                             f"the model {len(embeddings)} of {embeddings.shape[1]}")
        self._index = index
        self._embeddings = embeddings

    @classmethod
    def build(cls, embeddings: np.ndarray, threads: int = 0) -> AnnIndex:
        """Insert every row (key = row); `threads=0` uses every core (training time, not serving)."""
        vectors = np.ascontiguousarray(embeddings, dtype=np.float32)
        index = Index(ndim=vectors.shape[1], metric="ip", dtype="f32", connectivity=CONNECTIVITY,
                      expansion_add=EXPANSION_ADD, expansion_search=EXPANSION_SEARCH)
        index.add(np.arange(len(vectors), dtype=np.uint64), vectors, threads=threads or (os.cpu_count() or 1))
        return cls(index, vectors)

    def save(self, path: Path) -> None:
        self._index.save(str(path))

    @classmethod
    def load(cls, path: Path, embeddings: np.ndarray) -> AnnIndex:
        """Restore a saved index for these embeddings; a file that is not one raises ValueError."""
        index = Index.restore(str(path), view=False, expansion_search=EXPANSION_SEARCH)  # ef is not saved
        if index is None:
            raise ValueError(f"{path.name} is not a usearch index")
        return cls(index, embeddings)

    def __len__(self) -> int:
        return len(self._embeddings)

    def search(self, vector: np.ndarray, count: int, allowed: np.ndarray | None = None) -> np.ndarray:
        """Up to `count` rows most similar to `vector`, best first, every one of them allowed."""
        n = len(self._embeddings)
        count = min(count, n)
        share = 1.0 if allowed is None else np.count_nonzero(allowed) / n
        if allowed is not None and share * n <= EXACT_SUBSET:
            return self._exact(vector, count, np.flatnonzero(allowed))
        fetch = min(int(count / share * 1.5) + 16, n)
        while True:
            rows = self._graph(vector, fetch)
            if allowed is not None:
                rows = rows[allowed[rows]]
            if len(rows) >= count or fetch >= n:
                return rows[:count]
            if fetch >= MAX_FETCH:
                assert allowed is not None  # an unfiltered graph search returns `fetch` rows
                return self._exact(vector, count, np.flatnonzero(allowed))
            fetch = min(fetch * 4, MAX_FETCH, n)

    def _graph(self, vector: np.ndarray, fetch: int) -> np.ndarray:
        found = self._index.search(np.asarray(vector, dtype=np.float32), fetch, threads=1)
        return np.asarray(found.keys, dtype=np.int64)

    def _exact(self, vector: np.ndarray, count: int, rows: np.ndarray) -> np.ndarray:
        if len(rows) == 0:
            return rows.astype(np.int64)
        scores = self._embeddings[rows] @ np.asarray(vector, dtype=np.float32)
        top = np.argpartition(-scores, count - 1)[:count] if count < len(rows) else np.arange(len(rows))
        top = top[np.lexsort((rows[top], -scores[top]))]
        return rows[top].astype(np.int64)


def exact_top(embeddings: np.ndarray, vector: np.ndarray, count: int) -> np.ndarray:
    """Exact top-`count` rows by inner product (the reference the recall figures compare with)."""
    scores = embeddings @ np.asarray(vector, dtype=np.float32)
    top = np.argpartition(-scores, count - 1)[:count]
    return top[np.argsort(-scores[top], kind="stable")]
