"""The bundled taste dev set (MovieTweetings co-likes) as fitting input and as the quality gate.

Why it ships with the package: the retrain gate and the figures `/model` shows must be measured on
what people like together, and users never have the development folder. See
`recommender/data/taste/NOTICE.md` for the source, licence and how the pairs were built.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from recommender.evaluation.harness import Task
from recommender.evaluation.pairs import PairsError, load_pairs_task
from recommender.ranking.blend import PRIOR_WEIGHTS, BlendWeights, FitResult, OverlapRule, fit_blend
from recommender.ranking.channels import CHANNELS
from recommender.ranking.ranker import Ranker


def bundled(name: str) -> Path:
    """Path of a bundled taste file (`dev_pairs.csv`, `dev_candidates.csv`)."""
    return Path(str(resources.files("recommender").joinpath("data", "taste", name)))


def dev_task(
    items: pd.DataFrame,
    resolve: Callable[[str], Any],
    *,
    k: int = 10,
    pairs: Path | None = None,
    candidates: Path | None = None,
) -> Task:
    """The taste dev set as an evaluation task over `items` (query's franchise excluded, as `evaluate` does)."""
    task, _ = load_pairs_task(
        pairs or bundled("dev_pairs.csv"),
        items,
        resolve,
        k=k,
        candidates_path=candidates or bundled("dev_candidates.csv"),
    )
    return task


def fit_inputs(ranker: Ranker, task: Task) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(channel features, graded gains, excluded cells) over the task's queries x candidates.

    The features are the plain channels: the query factors (`Channels.query_factors`) are a choice made
    against these pairs, so the fit must not undo them; `fit_blend(factors=...)` scores with them.
    Excluded: what `evaluate` excludes (the query's franchise) and what the safety rule never shows
    (adult titles for unknown-maturity queries), so the weights are fitted on the lists users get.
    """
    features = ranker.channels.pair_scores(task.queries, task.candidates)
    ids = task.items["item_id"].to_numpy()
    column = {int(i): j for j, i in enumerate(ids[task.candidates])}
    gains = np.zeros((len(task.queries), len(task.candidates)), dtype=np.float64)
    for q, grades in enumerate(task.relevance):
        for item_id, grade in grades.items():
            if grade > 0 and int(item_id) in column:
                gains[q, column[int(item_id)]] = grade
    return features, gains, task.excluded_mask(task.queries) | ranker.never_shown(task.queries, task.candidates)


def candidate_groups(ranker: Ranker, task: Task) -> np.ndarray | None:
    """Each candidate's franchise code when the task's lists keep one entry per franchise (as served), else None."""
    return ranker.franchise_codes[task.candidates] if task.exclude_franchise else None


def version_priors(shipped: BlendWeights) -> dict[str, float]:
    """The weights a version's fit holds: the held channels' (`PRIOR_WEIGHTS`), and 0 for every channel the
    package fit dropped, which a version's fit leaves dropped.

    Why: a version's fit re-weighs the package's blend on its own embedding; it does not choose the channels
    again. Left free, one retrain gave the title character n-grams a weight of 16 (the package fit gives 0),
    which ranks no better on the dev set and makes every request walk tens of thousands of n-gram postings
    (docs/ranking-rules.md, "Per-version fit").
    """
    dropped = {name: 0.0 for name in CHANNELS if name not in PRIOR_WEIGHTS and not shipped.weights.get(name)}
    return {**PRIOR_WEIGHTS, **dropped}


# Below this many resolvable taste queries (a small or foreign catalog) the dev set cannot fit or judge a blend.
MIN_TASTE_QUERIES = 30


def fit_for_ranker(
    ranker: Ranker, items: pd.DataFrame, resolve: Callable[[str], Any], *, k: int = 10, folds: int = 0
) -> FitResult | None:
    """The blend weights fitted on this ranker's own channels (its embedding) with the bundled dev set.

    None when the catalog resolves fewer than `MIN_TASTE_QUERIES` dev queries (a user's own small
    catalog): the package weights then serve. The overlap rule is the package weights' own
    (`OverlapRule.of`), so a version's fit makes the same NDCG-versus-variety trade as the shipped one,
    and so are its number of bootstrap bags and its fitting method.
    """
    try:
        task = dev_task(items, resolve, k=k)
    except PairsError:
        return None
    if len(task.queries) < MIN_TASTE_QUERIES:
        return None
    features, gains, excluded = fit_inputs(ranker, task)
    shipped = BlendWeights.load()
    rule = OverlapRule.of(shipped)
    result = fit_blend(features, gains, excluded, k=k, folds=folds, overlap_penalty=rule.penalty, max_overlap=rule.cap,
                       bags=shipped.bags, groups=candidate_groups(ranker, task), method=shipped.method,
                       factors=ranker.channels.query_factors(task.queries), priors=version_priors(shipped))
    result.weights.fitted["pairs"] = bundled("dev_pairs.csv").name
    return result
