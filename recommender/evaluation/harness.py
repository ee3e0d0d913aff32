"""Run several systems on one evaluation task under identical rules and collect per-query metrics.

A `Task` fixes everything that must be the same for every system: the item table, the queries, the
candidate set, the judgments, k, the exclusion rule and the reference space used for diversity.
Systems only supply scores. Per-query values are kept (not just means) so that confidence
intervals and paired comparisons can be computed from them afterwards.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from common.stats import (
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    Estimate,
    bootstrap,
    paired_difference,
    resample_indices,
)
from recommender.evaluation import metrics as m
from recommender.evaluation.baselines import Scorer
from recommender.evaluation.ranking import top_k

# Per-query metrics, in display order. Accuracy first, then properties of the lists.
ACCURACY_METRICS = ("precision", "recall", "map", "ndcg", "mrr")
LIST_METRICS = ("diversity", "popularity_pct", "same_language")
METRIC_LABELS = {
    "precision": "P@k",
    "recall": "R@k",
    "map": "MAP@k",
    "ndcg": "NDCG@k",
    "mrr": "MRR@k",
    "hit_rate": "Hit@k",
    "hit_at_1": "Hit@1",
    "diversity": "ILD@k",
    "popularity_pct": "pop pct",
    "same_language": "same lang",
    "coverage": "coverage",
}
_CHUNK = 256  # queries scored at once: bounds memory at 256 x candidates floats


@dataclass
class Task:
    """One evaluation: who asks (queries), what may be returned (candidates), what counts (relevance)."""

    name: str
    items: pd.DataFrame  # positional rows; must have item_id, language, popularity, franchise_key
    queries: np.ndarray  # row positions in `items`
    candidates: np.ndarray  # row positions in `items`
    relevance: list[dict[int, float]]  # per query: item_id -> grade (> 0 relevant)
    k: int = 10
    exclude_franchise: bool = True  # exclude the query's franchise siblings (the query itself always)
    reference_space: np.ndarray | None = None  # rows aligned with `items`; diversity skipped if None
    reference_space_name: str = ""
    notes: dict = field(default_factory=dict)  # counts worth printing (unresolved titles, dropped pairs...)
    extra_metrics: tuple[str, ...] = ()  # e.g. ("hit_rate",)

    def __post_init__(self) -> None:
        self.queries = np.asarray(self.queries, dtype=np.int64)
        self.candidates = np.asarray(self.candidates, dtype=np.int64)
        if len(self.relevance) != len(self.queries):
            raise ValueError(f"{len(self.relevance)} relevance sets for {len(self.queries)} queries")

    def excluded_mask(self, query_rows: np.ndarray) -> np.ndarray:
        """Same rule for every system: never the query itself; not its siblings unless asked."""
        ids = self.items["item_id"].to_numpy()
        mask = ids[query_rows][:, None] == ids[self.candidates][None, :]
        if self.exclude_franchise:
            codes, _ = pd.factorize(self.items["franchise_key"])
            mask |= codes[query_rows][:, None] == codes[self.candidates][None, :]
        return mask


@dataclass
class SystemRun:
    """Top-k lists and per-query metric values of one system on one task."""

    name: str
    lists: list[np.ndarray]
    per_query: dict[str, np.ndarray]
    coverage: float
    overlap: float = math.nan  # mean share of a list repeated in an unrelated query's list


def unrelated_queries(task: Task) -> np.ndarray:
    """(queries x queries) mask of pairs that should not share a list: other franchise, not judged related."""
    ids = task.items["item_id"].to_numpy()
    codes, _ = pd.factorize(task.items["franchise_key"])
    franchise = codes[task.queries]
    mask = franchise[:, None] != franchise[None, :]
    query_ids = ids[task.queries]
    position = {int(i): q for q, i in enumerate(query_ids)}
    for q, grades in enumerate(task.relevance):
        for item_id in grades:
            other = position.get(int(item_id))
            if other is not None:
                mask[q, other] = mask[other, q] = False
    return mask


def _lists(task: Task, scorer: Scorer) -> list[np.ndarray]:
    """Top-k id lists: a system that ranks by itself (the served ranking) supplies them directly."""
    if hasattr(scorer, "lists"):
        return list(scorer.lists(task))
    ids = task.items["item_id"].to_numpy()
    cand_ids = ids[task.candidates]
    lists: list[np.ndarray] = []
    for start in range(0, len(task.queries), _CHUNK):
        rows = task.queries[start : start + _CHUNK]
        scores = scorer.scores(rows, task.candidates)
        lists.extend(top_k(scores, cand_ids, task.k, task.excluded_mask(rows)))
    return lists


def run_system(task: Task, scorer: Scorer) -> SystemRun:
    """Score, rank (shared rules) and measure one system."""
    k = task.k
    ids = task.items["item_id"].to_numpy()
    lists = _lists(task, scorer)
    language_of = dict(zip(ids.tolist(), task.items["language"].tolist(), strict=False))
    pct = m.popularity_percentiles(task.items["popularity"].to_numpy())
    percentile_of = dict(zip(ids.tolist(), pct.tolist(), strict=False))
    row_of = {int(i): r for r, i in enumerate(ids)}
    names = ACCURACY_METRICS + tuple(task.extra_metrics) + LIST_METRICS
    per_query = {name: np.full(len(task.queries), math.nan) for name in names}
    functions = {
        "precision": m.precision_at_k,
        "recall": m.recall_at_k,
        "map": m.average_precision_at_k,
        "ndcg": m.ndcg_at_k,
        "mrr": m.reciprocal_rank_at_k,
        "hit_rate": m.hit_rate_at_k,
        "hit_at_1": lambda ranked, grades, _k: m.hit_rate_at_k(ranked, grades, 1),
    }
    for q, (row, ranked, rel) in enumerate(zip(task.queries, lists, task.relevance, strict=False)):
        ranked_list = ranked.tolist()
        grades = m.as_grades(rel)
        for name in ACCURACY_METRICS + tuple(task.extra_metrics):
            per_query[name][q] = functions[name](ranked_list, grades, k)
        if task.reference_space is not None:
            per_query["diversity"][q] = m.intra_list_diversity(ranked_list, task.reference_space, row_of, k)
        if ranked_list:
            per_query["popularity_pct"][q] = m.mean_popularity_percentile(ranked_list, percentile_of, k)
            per_query["same_language"][q] = m.same_language_share(
                ranked_list, language_of[int(ids[row])], language_of, k
            )
    plain = [ranked.tolist() for ranked in lists]
    coverage = m.catalog_coverage(plain, len(task.candidates), k) if len(task.candidates) else math.nan
    overlap = m.mean_list_overlap(plain, unrelated_queries(task), k)
    return SystemRun(scorer.name, lists, per_query, coverage, overlap)


@dataclass
class Evaluation:
    """All systems on one task, with bootstrap estimates; the first system is the one under test."""

    task: Task
    runs: list[SystemRun]
    estimates: dict[str, dict[str, Estimate]]  # system -> metric -> estimate
    differences: dict[str, dict[str, Estimate]]  # baseline -> metric -> (first system - baseline)
    resamples: int
    seed: int

    @property
    def metric_names(self) -> list[str]:
        names = list(self.runs[0].per_query) if self.runs else []
        if self.task.reference_space is None and "diversity" in names:
            names.remove("diversity")
        return names

    def to_dict(self) -> dict:
        t = self.task
        return {
            "task": t.name,
            "k": t.k,
            "queries": len(t.queries),
            "candidates": len(t.candidates),
            "exclude_franchise": t.exclude_franchise,
            "diversity_space": t.reference_space_name or None,
            "bootstrap": {"resamples": self.resamples, "seed": self.seed, "confidence": 0.95, "unit": "query"},
            "notes": t.notes,
            "systems": {
                run.name: {
                    **{name: self.estimates[run.name][name].to_dict() for name in self.metric_names},
                    "coverage": round(run.coverage, 6),
                    "overlap": round(run.overlap, 6),
                }
                for run in self.runs
            },
            "paired_differences": {
                base: {name: est.to_dict() for name, est in diffs.items()} for base, diffs in self.differences.items()
            },
        }


def evaluate(
    task: Task, systems: Sequence[Scorer], *, resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED
) -> Evaluation:
    """Run every system on the task; bootstrap all metrics with one shared resample matrix."""
    runs = [run_system(task, s) for s in systems]
    indices = resample_indices(len(task.queries), resamples, seed)
    estimates = {run.name: {name: bootstrap(v, indices) for name, v in run.per_query.items()} for run in runs}
    differences: dict[str, dict[str, Estimate]] = {}
    if runs:
        head = runs[0]
        for run in runs[1:]:
            differences[run.name] = {
                name: paired_difference(head.per_query[name], run.per_query[name], indices) for name in ACCURACY_METRICS
            }
    return Evaluation(task, runs, estimates, differences, resamples, seed)
