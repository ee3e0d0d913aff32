"""The HNSW index (FAISS `IndexHNSWFlat`, inner product) over the L2-normalised item embeddings.

Chosen by measurement against usearch (`scripts/bench_ann.py`, table in the README): at the same
graph settings (M=32, ef=128) and the same recall (0.974) FAISS built 2.5x faster, answered 4x
faster at the median and held half the memory; IVF lost too much recall.

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

import faiss
import numpy as np

INDEX_FILE = "ann.faiss"
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
_COMPARE_ROWS = 65_536


class IndexMode(StrEnum):
    """The `ANN_INDEX` setting: build the index above `ANN_MIN_ITEMS` (auto), always, or never."""

    AUTO = "auto"
    ON = "on"
    OFF = "off"


def wants_index(n_items: int, mode: IndexMode | str = IndexMode.AUTO, min_items: int = DEFAULT_MIN_ITEMS) -> bool:
    mode = IndexMode(mode)
    return mode is IndexMode.ON or (mode is IndexMode.AUTO and n_items >= min_items)


class _IndexMemory:
    """The index's stored vectors as an array interface, holding the index. numpy makes this object the
    base of every array and view taken of it (a view's base is the first non-array owner, not an
    ndarray subclass in between), so the memory outlives every view, even after a hot swap drops the
    index."""

    def __init__(self, index: faiss.IndexHNSWFlat) -> None:
        self.index = index
        flat = faiss.downcast_index(index.storage)
        pointer = flat.get_xb()  # type: ignore[attr-defined]  # an IndexFlat once downcast; not in the stubs
        address = faiss.rev_swig_ptr(pointer, 1).__array_interface__["data"][0]
        self.__array_interface__ = {"shape": (index.ntotal, index.d), "typestr": "<f4",
                                    "data": (address, True), "version": 3}  # True: read-only


def _stored_vectors(index: faiss.IndexHNSWFlat) -> np.ndarray:
    return np.asarray(_IndexMemory(index))


class AnnIndex:
    """Approximate top-n rows by cosine for one embedding, filters exact; rows are embedding rows."""

    def __init__(self, index: faiss.IndexHNSWFlat, embeddings: np.ndarray) -> None:
        if index.ntotal != len(embeddings) or index.d != embeddings.shape[1]:
            raise ValueError(f"it holds {index.ntotal} vectors of {index.d} dims, "
                             f"the model {len(embeddings)} of {embeddings.shape[1]}")
        self._index = index
        self._embeddings = embeddings

    @classmethod
    def build(cls, embeddings: np.ndarray, threads: int = 0) -> AnnIndex:
        """Insert every row (id = row); `threads=0` uses every core (training time, not serving)."""
        vectors = np.ascontiguousarray(embeddings, dtype=np.float32)
        index = faiss.IndexHNSWFlat(vectors.shape[1], CONNECTIVITY, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = EXPANSION_ADD
        faiss.omp_set_num_threads(threads or (os.cpu_count() or 1))
        try:
            index.add(vectors)
        finally:
            faiss.omp_set_num_threads(1)  # one query at a time: threads only add hand-off latency
        return cls(index, vectors)

    def save(self, path: Path) -> None:
        faiss.write_index(self._index, str(path))

    @property
    def vectors(self) -> np.ndarray:
        """The embeddings as the index stores them: after `load`, the index's own memory (read-only),
        so a serving process holds one copy of the matrix instead of two."""
        return self._embeddings

    @classmethod
    def load(cls, path: Path, embeddings: np.ndarray) -> AnnIndex:
        """Restore a saved index for these embeddings; a file that is not one, or one whose stored
        vectors are not these embeddings, raises ValueError. The returned index searches and exposes
        (`vectors`) its own stored copy, so the caller can drop `embeddings`."""
        try:
            index = faiss.read_index(str(path))
        except RuntimeError as exc:  # FAISS reports a damaged file with its C++ call stack: keep the first line
            raise ValueError(f"{path.name} is not a FAISS index ({str(exc).splitlines()[-1][:120]})") from None
        if not isinstance(index, faiss.IndexHNSWFlat):
            raise ValueError(f"{path.name} holds a {type(index).__name__}, not an HNSW index")
        faiss.omp_set_num_threads(1)
        instance = cls(index, embeddings)
        stored = _stored_vectors(index)
        for start in range(0, len(stored), _COMPARE_ROWS):  # in blocks: no full-size temporary
            if not np.array_equal(stored[start:start + _COMPARE_ROWS], embeddings[start:start + _COMPARE_ROWS]):
                raise ValueError(f"{path.name} was built from other embeddings (row {start} onwards differ)")
        instance._embeddings = stored
        return instance

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
        # The graph walk keeps `efSearch` candidates; more neighbours than that need a wider walk. Per call,
        # not on the shared index: requests run in several threads.
        params = faiss.SearchParametersHNSW(efSearch=max(EXPANSION_SEARCH, fetch))  # type: ignore[attr-defined]  # not in the stubs
        _, rows = self._index.search(np.asarray(vector, dtype=np.float32)[None, :], fetch, params=params)
        rows = rows[0]
        return rows[rows >= 0].astype(np.int64)

    def _exact(self, vector: np.ndarray, count: int, rows: np.ndarray) -> np.ndarray:
        if len(rows) == 0:
            return rows.astype(np.int64)
        # einsum stays on this thread: a threaded BLAS call costs more in hand-offs on a busy host.
        scores = np.einsum("ij,j->i", self._embeddings[rows], np.asarray(vector, dtype=np.float32))
        top = np.argpartition(-scores, count - 1)[:count] if count < len(rows) else np.arange(len(rows))
        top = top[np.lexsort((rows[top], -scores[top]))]
        return rows[top].astype(np.int64)


def exact_top(embeddings: np.ndarray, vector: np.ndarray, count: int) -> np.ndarray:
    """Exact top-`count` rows by inner product (the reference the recall figures compare with)."""
    scores = embeddings @ np.asarray(vector, dtype=np.float32)
    top = np.argpartition(-scores, count - 1)[:count]
    return top[np.argsort(-scores[top], kind="stable")]
