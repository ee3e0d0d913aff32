"""Label-free relevance from a catalog's own columns: genre overlap, one query per franchise.

The retrain gate scores a user's own catalog (no taste data) with these; the lab's `genre` benchmark
uses the same functions, so the gate and the benchmark measure the same thing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from recommender.catalog import genre_set


def genre_sets(items: pd.DataFrame) -> list[frozenset[str]]:
    """Each item's enrichment genres (comma-separated `genres` column), empty if not enriched."""
    return [genre_set(text) for text in items["genres"].fillna("")]


def genre_matrix(sets: Sequence[frozenset[str]], exclude: frozenset[str] = frozenset()) -> tuple[np.ndarray, list[str]]:
    """Multi-hot (items x genres) float32 matrix over genres not in `exclude`."""
    vocab = sorted({g for s in sets for g in s} - exclude)
    col = {g: j for j, g in enumerate(vocab)}
    matrix = np.zeros((len(sets), len(vocab)), dtype=np.float32)
    for i, s in enumerate(sets):
        for g in s:
            if g in col:
                matrix[i, col[g]] = 1.0
    return matrix, vocab


def genre_relevance(
    matrix: np.ndarray, ids: np.ndarray, query_rows: np.ndarray, candidate_rows: np.ndarray
) -> list[dict[int, float]]:
    """Graded judgments: grade = number of shared genres (0 = not relevant)."""
    overlap = matrix[query_rows] @ matrix[candidate_rows].T
    out = []
    for row in overlap:
        hit = np.flatnonzero(row > 0)
        out.append(dict(zip(ids[candidate_rows[hit]].tolist(), row[hit].astype(float).tolist(), strict=False)))
    return out


def sample_one_per_franchise(items: pd.DataFrame, rows: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Up to n query rows, at most one per franchise, chosen reproducibly (fixed seed over sorted rows)."""
    rng = np.random.default_rng(seed)
    keys = items["franchise_key"].to_numpy()[rows]
    order = rng.permutation(len(rows))
    seen: set[str] = set()
    picked: list[int] = []
    for i in order:
        if keys[i] not in seen:
            seen.add(keys[i])
            picked.append(int(rows[i]))
            if len(picked) == n:
                break
    return np.array(sorted(picked), dtype=np.int64)
