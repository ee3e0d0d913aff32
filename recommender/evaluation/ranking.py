"""Turn score matrices into top-k id lists with the same exclusions and tie-breaking for every system.

Why one function: a comparison is only fair if every system ranks the same candidates, excludes the
same items and resolves ties the same way. Ties are broken by ascending item id (deterministic and
independent of input order); excluded candidates never appear, even when fewer than k remain.
"""

from __future__ import annotations

import numpy as np


def top_k(
    scores: np.ndarray, candidate_ids: np.ndarray, k: int, excluded: np.ndarray | None = None
) -> list[np.ndarray]:
    """Rank each row of `scores` (queries x candidates) and return the top-k candidate ids per row.

    `candidate_ids` labels the columns; `excluded` is a boolean mask of the same shape as `scores`.
    Non-finite scores rank last (but still before nothing: they are kept unless excluded).
    """
    scores = np.atleast_2d(np.asarray(scores, dtype=np.float64))
    candidate_ids = np.asarray(candidate_ids)
    if scores.shape[1] != len(candidate_ids):
        raise ValueError(f"{scores.shape[1]} score columns for {len(candidate_ids)} candidates")
    if k <= 0:
        raise ValueError(f"k must be positive, got {k}")
    # Sort columns by id once, so that a stable sort on -score breaks ties by ascending id.
    by_id = np.argsort(candidate_ids, kind="stable")
    ids = candidate_ids[by_id]
    work = np.nan_to_num(scores[:, by_id], nan=-np.inf, posinf=np.finfo(np.float64).max)
    allowed = np.ones_like(work, dtype=bool) if excluded is None else ~np.asarray(excluded, dtype=bool)[:, by_id]
    out: list[np.ndarray] = []
    for row in range(work.shape[0]):
        keep = np.flatnonzero(allowed[row])
        row_scores = work[row, keep]
        if len(keep) > k:
            # argpartition narrows to candidates that can reach the top k, including all boundary ties.
            threshold = np.partition(row_scores, len(keep) - k)[len(keep) - k]
            keep = keep[row_scores >= threshold]
            row_scores = work[row, keep]
        order = np.argsort(-row_scores, kind="stable")[:k]
        out.append(ids[keep[order]])
    return out
