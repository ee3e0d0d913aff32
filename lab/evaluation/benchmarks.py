"""Built-in benchmarks that need no outside labels: genre, cold-start and franchise.

Why these three:
* `genre` asks whether neighbours share what titles are about, with genres withheld from the model's
  features, so the model cannot score by reading the answer. Genre overlap is a weak, noisy label
  (random pairs of titles agree often), so the chance rate is measured and printed next to the
  results, and a "strict" variant ignores the broad genres that make random pairs agree.
* `cold-start` asks whether a title the model never trained on is placed as well as one it did,
  which is what happens to every new release until the next retrain.
* `franchise` is a sanity gate: with franchise folding off, other seasons of a show should be its
  nearest neighbours. Title TF-IDF wins it trivially; it is not a headline.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from common.stats import DEFAULT_RESAMPLES, DEFAULT_SEED, Estimate, ratio, resample_indices
from recommender.catalog import Catalog
from recommender.evaluation.baselines import EmbeddingScorer, Scorer, standard_baselines
from recommender.evaluation.harness import Evaluation, Task, evaluate
from recommender.evaluation.labels import genre_matrix, genre_relevance, genre_sets, sample_one_per_franchise

# Genres that say little about a title beyond its format or origin; random pairs agree on them often.
# Names on the listings' shared lowercase scale (`enrichment.GENRE_NAMES`: `TV Dramas` -> `drama`).
BROAD_GENRES = frozenset({"international", "drama", "comedy", "independent"})
BENCHMARKS = ("genre", "cold-start", "franchise")
DEFAULT_QUERIES = 500
HOLDOUT_SHARE = 0.2

# (catalog, withhold, arch, epochs, seed) -> trained model with `.embeddings` and `.embed_items`
Trainer = Callable[[Catalog, frozenset, str, int | None, int], Any]


class BenchmarkError(ValueError):
    """The benchmark cannot run on this data (e.g. no enrichment file); the message says why."""


def default_trainer(progress: Callable[[str], None] | None = None) -> Trainer:
    """Train with the lead's `recommender.training` (imported lazily: TensorFlow is slow to import)."""

    def train(catalog: Catalog, withhold: frozenset, arch: str, epochs: int | None, seed: int) -> Any:
        from recommender.training import TrainConfig
        from recommender.training import train as train_model

        config = TrainConfig(arch=arch, seed=seed, withhold=frozenset(withhold))
        if epochs is not None:
            config = replace(config, epochs=epochs)
        if progress:
            progress(
                f"training {arch} model on {len(catalog.items)} items ({config.epochs} epochs, withheld: "
                f"{', '.join(sorted(withhold)) or 'nothing'})"
            )
        return train_model(catalog, config)

    return train


# --------------------------------------------------------------------------------------------
# Genre relevance (the helpers live in the product: the retrain gate uses them)


def chance_agreement(
    sets: Sequence[frozenset[str]],
    franchises: np.ndarray,
    rows: np.ndarray,
    *,
    pairs: int = 100_000,
    seed: int = DEFAULT_SEED,
) -> dict[str, float]:
    """How often two random enriched titles of different franchises share a genre, loose and strict.

    This is the precision a random recommender gets; any "relevant" figure must be read against it.
    """
    rng = np.random.default_rng(seed)
    a, b = rng.choice(rows, pairs), rng.choice(rows, pairs)
    keep = franchises[a] != franchises[b]
    a, b = a[keep], b[keep]
    loose = np.mean([bool(sets[i] & sets[j]) for i, j in zip(a, b, strict=False)]) if len(a) else math.nan
    strict = (
        np.mean([bool((sets[i] & sets[j]) - BROAD_GENRES) for i, j in zip(a, b, strict=False)]) if len(a) else math.nan
    )
    return {"loose": float(loose), "strict": float(strict), "pairs": len(a)}


def _require_enrichment(catalog: Catalog, minimum: int = 20) -> np.ndarray:
    rows = np.flatnonzero(catalog.items["genres"].fillna("").astype(str).str.strip().to_numpy() != "")
    if len(rows) < minimum:
        raise BenchmarkError(
            "the genre-based benchmarks need listings with genres (pass --enrich CSV, or drop --no-enrich to "
            f"use the bundled listings): "
            f"only {len(rows)} of {len(catalog.items)} items have genres"
        )
    return rows


@dataclass
class BenchmarkResult:
    """Evaluations (by variant name) plus headline figures; `to_dict` is the `--json` output."""

    name: str
    evaluations: dict[str, Evaluation]
    summary: dict[str, Any] = field(default_factory=dict)
    headline: Estimate | None = None
    space: np.ndarray | None = None  # embedding of the model under test, for the report's map

    def to_dict(self) -> dict:
        return {
            "benchmark": self.name,
            "summary": self.summary,
            "evaluations": {k: e.to_dict() for k, e in self.evaluations.items()},
        }


def _systems(
    model_embeddings: np.ndarray, seed_embeddings: np.ndarray | None, items: pd.DataFrame, seed: int
) -> list[Scorer]:
    systems: list[Scorer] = [EmbeddingScorer("model", model_embeddings)]
    if seed_embeddings is not None:
        systems.append(EmbeddingScorer("seed model", seed_embeddings))
    return systems + standard_baselines(items, seed=seed)


# --------------------------------------------------------------------------------------------
# Benchmarks


def genre_benchmark(
    catalog: Catalog,
    *,
    k: int = 10,
    queries: int = DEFAULT_QUERIES,
    epochs: int | None = None,
    seed: int = DEFAULT_SEED,
    resamples: int = DEFAULT_RESAMPLES,
    trainer: Trainer | None = None,
    withhold: frozenset[str] = frozenset({"genres"}),
    with_seed_model: bool = True,
    train_seed: int = 42,
) -> BenchmarkResult:
    """Genre-overlap relevance over enriched items, genres withheld from every trained model."""
    trainer = trainer or default_trainer()
    if "genres" not in withhold:
        raise BenchmarkError("the genre benchmark must withhold genres from the model (they are its labels)")
    items = catalog.items.reset_index(drop=True)
    enriched = _require_enrichment(catalog)
    sets = genre_sets(items)
    franchises = items["franchise_key"].to_numpy()
    query_rows = sample_one_per_franchise(items, enriched, queries, seed)
    model = trainer(catalog, withhold, "default", epochs, train_seed)
    seed_model = trainer(catalog, withhold, "seed", epochs, train_seed) if with_seed_model else None
    systems = _systems(model.embeddings, None if seed_model is None else seed_model.embeddings, items, seed)
    loose, _ = genre_matrix(sets)
    strict, _ = genre_matrix(sets, BROAD_GENRES)
    ids = items["item_id"].to_numpy()
    space = loose / np.maximum(np.linalg.norm(loose, axis=1, keepdims=True), 1e-12)
    evaluations = {}
    for variant, matrix in (("loose", loose), ("strict", strict)):
        task = Task(
            f"genre ({variant})",
            items,
            query_rows,
            enriched,
            genre_relevance(matrix, ids, query_rows, enriched),
            k=k,
            exclude_franchise=True,
            reference_space=space,
            reference_space_name="genre multi-hot",
        )
        evaluations[variant] = evaluate(task, systems, resamples=resamples, seed=seed)
    chance = chance_agreement(sets, franchises, enriched, seed=seed)
    head = evaluations["loose"].estimates
    summary = {
        "items": len(items),
        "enriched_items": len(enriched),
        "queries": len(query_rows),
        "withheld_features": sorted(withhold),
        "broad_genres_ignored_by_strict": sorted(BROAD_GENRES),
        "random_pair_agreement": chance,
        "model_beats": {
            name: {
                "ndcg_ci_disjoint": not head["model"]["ndcg"].overlaps(head[name]["ndcg"]),
                "paired_diff": evaluations["loose"].differences[name]["ndcg"].to_dict(),
            }
            for name in head
            if name != "model"
        },
    }
    for evaluation in evaluations.values():
        # share of candidates relevant to the average query = expected precision of a random list
        evaluation.task.notes["relevant_share_of_candidates"] = float(
            np.mean([len(r) for r in evaluation.task.relevance]) / max(len(enriched) - 1, 1)
        )
    return BenchmarkResult("genre", evaluations, summary, head["model"]["ndcg"], model.embeddings)


def split_by_franchise(items: pd.DataFrame, share: float, seed: int) -> np.ndarray:
    """Boolean mask of held-out rows: whole franchises, in random order, until `share` of items."""
    keys = items["franchise_key"].to_numpy()
    unique = np.array(sorted(set(keys)))
    order = np.random.default_rng(seed).permutation(len(unique))
    sizes = pd.Series(keys).value_counts()
    target, total, held = share * len(items), 0, set()
    for i in order:
        if total >= target:
            break
        held.add(unique[i])
        total += int(sizes[unique[i]])
    return np.isin(keys, list(held))


def _subset_catalog(catalog: Catalog, rows: np.ndarray) -> Catalog:
    """A catalog of some rows, renumbered 0..n-1 as a freshly loaded file would be."""
    items = catalog.items.iloc[rows].copy()
    items["item_id"] = np.arange(len(items), dtype="int64")
    items.index = pd.Index(items["item_id"].to_numpy(), name=catalog.items.index.name)
    return Catalog(
        items=items,
        languages=list(catalog.languages),
        content_types=list(catalog.content_types),
        report=copy.deepcopy(catalog.report),
    )


def cold_start_benchmark(
    catalog: Catalog,
    *,
    k: int = 10,
    queries: int = DEFAULT_QUERIES,
    epochs: int | None = None,
    seed: int = DEFAULT_SEED,
    resamples: int = DEFAULT_RESAMPLES,
    trainer: Trainer | None = None,
    holdout: float = HOLDOUT_SHARE,
    train_seed: int = 42,
) -> BenchmarkResult:
    """Held-out franchises embedded from metadata alone vs the same items when trained on everything.

    Queries are held-out enriched items (one per franchise); candidates are all enriched items; the
    relevance is loose genre overlap; genres are withheld from both models. Held-out items get ids
    the training run never saw (appended after the training catalog), as a new release would.
    """
    trainer = trainer or default_trainer()
    withhold = frozenset({"genres"})
    items = catalog.items.reset_index(drop=True)
    enriched = _require_enrichment(catalog)
    held = split_by_franchise(items, holdout, seed)
    train_rows, held_rows = np.flatnonzero(~held), np.flatnonzero(held)
    cold_model = trainer(_subset_catalog(catalog, train_rows), withhold, "default", epochs, train_seed)
    new_items = items.iloc[held_rows].copy()
    new_items["item_id"] = np.arange(len(train_rows), len(train_rows) + len(held_rows), dtype="int64")
    new_items.index = pd.Index(new_items["item_id"].to_numpy(), name=catalog.items.index.name)
    cold = np.zeros((len(items), np.asarray(cold_model.embeddings).shape[1]), dtype=np.float32)
    cold[train_rows] = cold_model.embeddings
    cold[held_rows] = cold_model.embed_items(new_items)
    warm_model = trainer(catalog, withhold, "default", epochs, train_seed)
    query_rows = sample_one_per_franchise(items, np.intersect1d(held_rows, enriched), queries, seed)
    if len(query_rows) == 0:
        raise BenchmarkError("no enriched item fell into the held-out share; use a larger catalog or enrichment file")
    matrix, _ = genre_matrix(genre_sets(items))
    ids = items["item_id"].to_numpy()
    space = matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
    task = Task(
        "cold-start (genre, held-out queries)",
        items,
        query_rows,
        enriched,
        genre_relevance(matrix, ids, query_rows, enriched),
        k=k,
        exclude_franchise=True,
        reference_space=space,
        reference_space_name="genre multi-hot",
        notes={
            "held_out_items": len(held_rows),
            "held_out_franchises": int(items.loc[held, "franchise_key"].nunique()),
            "training_items": len(train_rows),
        },
    )
    systems: list[Scorer] = [
        EmbeddingScorer("cold (held out)", cold),
        EmbeddingScorer("warm (trained on all)", warm_model.embeddings),
    ]
    systems += standard_baselines(items, seed=seed)
    evaluation = evaluate(task, systems, resamples=resamples, seed=seed)
    indices = resample_indices(len(query_rows), resamples, seed)
    kept = ratio(evaluation.runs[0].per_query["ndcg"], evaluation.runs[1].per_query["ndcg"], indices)
    summary = {
        "holdout_share": holdout,
        "held_out_items": len(held_rows),
        "queries": len(query_rows),
        "cold_ndcg": evaluation.estimates["cold (held out)"]["ndcg"].to_dict(),
        "warm_ndcg": evaluation.estimates["warm (trained on all)"]["ndcg"].to_dict(),
        "cold_over_warm": kept.to_dict(),
        "meets_90_percent": bool(kept.mean >= 0.9),
        "meets_90_percent_at_ci_low": bool(kept.low >= 0.9),
    }
    return BenchmarkResult("cold-start", {"cold-start": evaluation}, summary, kept, cold)


def franchise_benchmark(
    catalog: Catalog,
    *,
    queries: int = 1000,
    epochs: int | None = None,
    seed: int = DEFAULT_SEED,
    resamples: int = DEFAULT_RESAMPLES,
    trainer: Trainer | None = None,
    train_seed: int = 42,
) -> BenchmarkResult:
    """With franchise folding off, do a title's siblings come first? (hit@1 and recall@5)."""
    trainer = trainer or default_trainer()
    items = catalog.items.reset_index(drop=True)
    keys = items["franchise_key"].to_numpy()
    sizes = pd.Series(keys).value_counts()
    in_group = np.flatnonzero(pd.Series(keys).map(sizes).to_numpy() >= 2)
    if len(in_group) == 0:
        raise BenchmarkError("no franchise in this catalog has two or more titles")
    rng = np.random.default_rng(seed)
    query_rows = np.sort(rng.choice(in_group, min(queries, len(in_group)), replace=False))
    ids = items["item_id"].to_numpy()
    members: dict[str, list[int]] = {}
    for row in in_group:
        members.setdefault(keys[row], []).append(int(ids[row]))
    relevance = [{i: 1.0 for i in members[keys[row]] if i != ids[row]} for row in query_rows]
    model = trainer(catalog, frozenset(), "default", epochs, train_seed)
    task = Task(
        "franchise (siblings, folding off)",
        items,
        query_rows,
        np.arange(len(items)),
        relevance,
        k=5,
        exclude_franchise=False,
        extra_metrics=("hit_at_1",),
        notes={"franchise_groups": int((sizes >= 2).sum())},
    )
    evaluation = evaluate(
        task,
        [EmbeddingScorer("model", model.embeddings), *standard_baselines(items, seed=seed)],
        resamples=resamples,
        seed=seed,
    )
    est = evaluation.estimates["model"]
    summary = {
        "queries": len(query_rows),
        "hit_at_1": est["hit_at_1"].to_dict(),
        "recall_at_5": est["recall"].to_dict(),
    }
    return BenchmarkResult("franchise", {"franchise": evaluation}, summary, est["hit_at_1"], model.embeddings)
