"""Figures that decide whether a model may serve, and that `/model` shows: real taste and safety.

Why these two: NDCG@10 on the bundled taste dev set (MovieTweetings co-likes, the query's franchise
excluded, the served ranking exactly as users get it) says whether lists match what people like
together; the kids-safety count says whether any kids or family title's top 10 holds an adult
title, which must always be zero. The former label-free genre gate rewarded what the encoder was
built to do rather than what people like.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from common.stats import bootstrap, resample_indices
from recommender.ranking.ranker import SAFE_QUERY_BANDS, Ranker
from recommender.ranking.taste import dev_task

if TYPE_CHECKING:
    from recommender.serving import Recommender


def unsafe_kids_lists(ranker: Ranker, k: int = 10) -> tuple[int, int]:
    """(kids/family queries whose top k holds an adult item, kids/family queries checked): every one."""
    rows = np.flatnonzero(np.isin(ranker.maturity, list(SAFE_QUERY_BANDS)))
    lists = ranker.rank_many(rows, k)
    adult = ranker.maturity == "adult"
    return sum(bool(adult[list(chosen)].any()) for chosen in lists), len(rows)


def taste_gate(recommender: Recommender, k: int = 10, resamples: int = 1000, *, kids: bool = True) -> dict:
    """Dev-set NDCG@k of the served ranking with a 95% bootstrap interval, and (with `kids`) the
    kids-safety count: ranking every kids' and family query is most of the gate's time, and the
    model being replaced only needs its score."""
    from recommender.evaluation.harness import run_system
    from recommender.evaluation.systems import ServedRanking

    task = dev_task(recommender.items, recommender.resolve, k=k)
    run = run_system(task, ServedRanking("model", recommender.ranker))
    ndcg = run.per_query["ndcg"]
    estimate = bootstrap(ndcg, resample_indices(len(ndcg), resamples, 0))
    unsafe, kids_queries = unsafe_kids_lists(recommender.ranker, k) if kids else (None, None)
    return {
        "metric": f"taste_ndcg@{k}",
        "value": round(float(np.nanmean(ndcg)), 6),
        "ci_low": round(estimate.low, 6),
        "ci_high": round(estimate.high, 6),
        "queries": len(task.queries),
        "coverage": round(run.coverage, 4),
        "kids_unsafe_lists": unsafe,
        "kids_queries": kids_queries,
        "mean_popularity_pct": round(float(np.nanmean(run.per_query["popularity_pct"])), 2),
        "source": "bundled MovieTweetings co-likes (recommender/data/taste)",
    }


__all__ = ["taste_gate", "unsafe_kids_lists"]
