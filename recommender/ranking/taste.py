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
from recommender.evaluation.pairs import load_pairs_task
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
