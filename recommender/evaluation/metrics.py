"""Ranking metrics as pure numpy functions over ranked id lists and relevance judgments.

Why hand-written and tiny: every number in an evaluation report is only as honest as these few
lines, so each convention is fixed here once, documented, and tested against hand-computed cases:

* A ranked list is a sequence of item ids, best first. Ranking from scores is done by
  `recommender.evaluation.ranking.top_k`, which breaks score ties by ascending item id, so the same
  scores always give the same list.
* Relevance is a mapping ``item_id -> grade`` (grade > 0 means relevant; graded NDCG uses the grade
  as a linear gain) or any iterable of ids (every grade 1).
* ``k`` larger than the list: the missing slots count as non-relevant. Precision divides by ``k``,
  not by the list length, so a system cannot look better by returning fewer items.
* An empty relevance set makes every per-query metric undefined: the functions return ``nan``, and
  `mean_skipping_nan` leaves such queries out of the mean and reports how many it skipped.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

Relevance = Mapping[int, float] | Iterable[int]


def as_grades(relevant: Relevance) -> dict[int, float]:
    """Normalise judgments to ``{item_id: grade}`` keeping only positive grades."""
    if isinstance(relevant, Mapping):
        return {int(i): float(g) for i, g in relevant.items() if float(g) > 0}
    return {int(i): 1.0 for i in relevant}


def _top(ranked: Sequence[int], k: int) -> list[int]:
    if k <= 0:
        raise ValueError(f"k must be positive, got {k}")
    return [int(i) for i in list(ranked)[:k]]


def precision_at_k(ranked: Sequence[int], relevant: Relevance, k: int) -> float:
    """Share of the k slots holding a relevant item (missing slots are misses)."""
    grades = as_grades(relevant)
    if not grades:
        return math.nan
    return sum(1 for i in _top(ranked, k) if i in grades) / k


def recall_at_k(ranked: Sequence[int], relevant: Relevance, k: int) -> float:
    """Share of the relevant items found in the top k."""
    grades = as_grades(relevant)
    if not grades:
        return math.nan
    return sum(1 for i in _top(ranked, k) if i in grades) / len(grades)


def average_precision_at_k(ranked: Sequence[int], relevant: Relevance, k: int) -> float:
    """AP@k = sum of precision@i at each relevant rank i <= k, over min(|relevant|, k).

    Dividing by min(|relevant|, k) makes a perfect top-k score 1 even when there are more relevant
    items than slots (the usual MAP@k convention, e.g. in the Kaggle/ml_metrics definition).
    """
    grades = as_grades(relevant)
    if not grades:
        return math.nan
    hits, total = 0, 0.0
    for position, item in enumerate(_top(ranked, k), start=1):
        if item in grades:
            hits += 1
            total += hits / position
    return total / min(len(grades), k)


def discounts(n: int) -> np.ndarray:
    """The log2 position discounts 1 / log2(rank + 1) of ranks 1..n."""
    return 1.0 / np.log2(np.arange(2, n + 2))


def dcg(gains: np.ndarray) -> np.ndarray:
    """Discounted cumulative gain of each row: `gains[..., r]` is the grade at rank r + 1."""
    return (gains * discounts(gains.shape[-1])).sum(-1)


def ndcg_of_gains(ranked_gains: np.ndarray, ideal_gains: np.ndarray) -> np.ndarray:
    """NDCG of each row: the list's DCG over the DCG of `ideal_gains` (the best grades sorted descending,
    truncated at k); nan where there is no ideal gain.

    The one NDCG: `ndcg_at_k` calls it for one list, the blend search for a matrix of lists (its inner
    loop keeps the ideal DCG, which the scores do not change).
    """
    ideal = dcg(ideal_gains)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ideal > 0, dcg(ranked_gains) / ideal, np.nan)


def ndcg_at_k(ranked: Sequence[int], relevant: Relevance, k: int) -> float:
    """NDCG@k with linear gains (gain = grade) and log2(rank + 1) discounts.

    The ideal ordering is all judged grades sorted descending, truncated at k; binary judgments
    reduce to the textbook binary NDCG.
    """
    grades = as_grades(relevant)
    if not grades:
        return math.nan
    ranked_gains = np.array([grades.get(item, 0.0) for item in _top(ranked, k)], dtype=np.float64)
    ideal = np.array(sorted(grades.values(), reverse=True)[:k], dtype=np.float64)
    return float(ndcg_of_gains(ranked_gains, ideal))


def reciprocal_rank_at_k(ranked: Sequence[int], relevant: Relevance, k: int) -> float:
    """1 / rank of the first relevant item within the top k, 0 if none (MRR@k averages this)."""
    grades = as_grades(relevant)
    if not grades:
        return math.nan
    for position, item in enumerate(_top(ranked, k), start=1):
        if item in grades:
            return 1.0 / position
    return 0.0


def hit_rate_at_k(ranked: Sequence[int], relevant: Relevance, k: int) -> float:
    """1 if any relevant item is in the top k, else 0."""
    grades = as_grades(relevant)
    if not grades:
        return math.nan
    return float(any(i in grades for i in _top(ranked, k)))


# --------------------------------------------------------------------------------------------
# Beyond accuracy: properties of the lists themselves, which expose bias and sameness.


def catalog_coverage(lists: Iterable[Sequence[int]], catalog_size: int, k: int) -> float:
    """Share of the candidate catalog that appears in at least one top-k list."""
    if catalog_size <= 0:
        raise ValueError("catalog_size must be positive")
    seen: set[int] = set()
    for ranked in lists:
        seen.update(_top(ranked, k))
    return len(seen) / catalog_size


def intra_list_diversity(ranked: Sequence[int], vectors: np.ndarray, row_of: Mapping[int, int], k: int) -> float:
    """1 - mean pairwise cosine similarity of the top-k items in a given embedding space.

    The space is a parameter because a model's own space would grade its lists by its own notion
    of similarity; reports use one reference space for every system. Lists with fewer than two
    items have no pairs: nan (skipped from means).
    """
    top = _top(ranked, k)
    if len(top) < 2:
        return math.nan
    sub = np.asarray(vectors[[row_of[i] for i in top]], dtype=np.float64)
    norms = np.linalg.norm(sub, axis=1, keepdims=True)
    sub = np.divide(sub, norms, out=np.zeros_like(sub), where=norms > 0)
    sims = sub @ sub.T
    n = len(top)
    mean_pairwise = (sims.sum() - np.trace(sims)) / (n * (n - 1))
    return float(1.0 - mean_pairwise)


def popularity_percentiles(popularity: np.ndarray) -> np.ndarray:
    """Percentile (0..100) of each item's popularity within the given population; ties share the
    mean rank so that equal popularity gives equal percentile."""
    popularity = np.asarray(popularity, dtype=np.float64)
    n = len(popularity)
    if n == 0:
        return np.zeros(0)
    order = np.argsort(popularity, kind="stable")
    ranks = np.empty(n, dtype=np.float64)
    ranks[order] = np.arange(n, dtype=np.float64)
    # average ranks of ties
    _, inverse = np.unique(popularity, return_inverse=True)
    sums = np.bincount(inverse, weights=ranks)
    counts = np.bincount(inverse)
    ranks = (sums / counts)[inverse]
    return 100.0 * ranks / max(n - 1, 1)


def mean_popularity_percentile(ranked: Sequence[int], percentile_of: Mapping[int, float], k: int) -> float:
    """Mean popularity percentile of the top-k items: high values mean the list favours hits."""
    top = _top(ranked, k)
    if not top:
        return math.nan
    return float(np.mean([percentile_of[i] for i in top]))


def same_language_share(ranked: Sequence[int], query_language: str, language_of: Mapping[int, str], k: int) -> float:
    """Share of the top-k items in the query's own language: near 1 means a language bubble."""
    top = _top(ranked, k)
    if not top:
        return math.nan
    return sum(1 for i in top if language_of[i] == query_language) / len(top)


def mean_skipping_nan(values: Sequence[float] | np.ndarray) -> tuple[float, int]:
    """(mean over defined values, number of undefined values skipped); mean is nan if none defined."""
    array = np.asarray(values, dtype=np.float64)
    defined = ~np.isnan(array)
    skipped = int((~defined).sum())
    if not defined.any():
        return math.nan, skipped
    return float(array[defined].mean()), skipped


def mean_list_overlap(lists: Sequence[Sequence[int]], unrelated: np.ndarray, k: int) -> float:
    """Mean share of a top-k list that also appears in the list of an unrelated query.

    The popularity trap in one number: a "most popular" ranking gives every query the same list
    (overlap 1) and can still score well on co-likes. `unrelated` is a boolean (queries x queries)
    mask of the pairs to average over (different franchises, neither judged relevant to the other).
    """
    if not len(lists):
        return math.nan
    ids = sorted({i for ranked in lists for i in _top(ranked, k)})
    column = {item: c for c, item in enumerate(ids)}
    member = np.zeros((len(lists), max(len(ids), 1)), dtype=np.float32)
    for q, ranked in enumerate(lists):
        member[q, [column[i] for i in _top(ranked, k)]] = 1.0
    shared = member @ member.T / k
    mask = np.asarray(unrelated, dtype=bool).copy()
    np.fill_diagonal(mask, False)
    return float(shared[mask].mean()) if mask.any() else math.nan
