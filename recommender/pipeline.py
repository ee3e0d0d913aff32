"""Train -> save -> verify -> (gate) -> activate: the only path by which a model starts serving.

The previous model keeps serving until a new one has been written completely, loaded back through
the same code the bot uses, answered a query, and (for retrains) scored no worse than the current
one on the built-in quality gate.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from recommender import artifacts
from recommender.catalog import Catalog, load_catalog
from recommender.derived import DERIVED_FILES
from recommender.events import EpochEvent, ProgressCallback, StageEvent
from recommender.ranking.blend import WEIGHTS_FILE
from recommender.ranking.taste import MIN_TASTE_QUERIES, fit_for_ranker
from recommender.ranking.votes import VoteSettings, fit_vote_weight
from recommender.serving import Recommender
from recommender.training import EpochProgress, TrainConfig, train

log = logging.getLogger(__name__)
# Below MIN_TASTE_QUERIES resolvable taste queries (a small or foreign catalog) the gate uses label-free proxies.
# A retrain may score this much below the current model and still be promoted: about two standard
# errors of the NDCG difference between two retrains (0.0024) once each is measured with weights
# fitted on its own embedding (with shared weights, a new seed alone cost 0.01).
GATE_TOLERANCE = 0.005


@dataclass
class TrainOutcome:
    version: str
    path: Path
    activated: bool
    reason: str
    metrics: dict


def data_hash(*paths: Path | None) -> str:
    digest = hashlib.sha256()
    for path in paths:
        if path is not None:
            digest.update(Path(path).read_bytes())
    return digest.hexdigest()




def quality_gate(recommender: Recommender, k: int = 10, max_queries: int = 400, *, kids: bool = True) -> dict:
    """The score that decides whether a retrained model may replace the current one.

    On a catalog where the bundled taste dev set resolves (the shipped one), it is the served
    ranking's NDCG@k on real co-likes (MovieTweetings, `recommender/data/taste/`) with its 95%
    interval, plus the count of kids/family titles whose list holds an adult title (must be 0).
    Elsewhere (a user's own small catalog) it falls back to label-free proxies: the `genre`
    benchmark's NDCG@k with genres, else the share of neighbours with the query's language and type.
    All are computed identically for the old and the new model. `kids=False` leaves the taste gate's
    kids count out (None): the current model's is not compared, only the new one's must be 0.
    """
    from recommender.evaluation.pairs import PairsError
    from recommender.ranking.quality import taste_gate

    try:
        taste = taste_gate(recommender, k=k, kids=kids)
    except PairsError:
        taste = None
    if taste is not None and taste["queries"] >= MIN_TASTE_QUERIES:
        return taste
    return _label_free_gate(recommender, k, max_queries)


def _label_free_gate(recommender: Recommender, k: int, max_queries: int) -> dict:
    from recommender.evaluation import labels as b
    from recommender.evaluation.baselines import EmbeddingScorer
    from recommender.evaluation.harness import Task, run_system
    from recommender.ranking.quality import unsafe_kids_lists

    items = recommender.items
    sets = b.genre_sets(items)
    enriched = np.flatnonzero([bool(s) for s in sets])
    scorer = EmbeddingScorer("model", recommender.embeddings)
    ids = items["item_id"].to_numpy()
    if len(enriched) >= 20:
        queries = b.sample_one_per_franchise(items, enriched, max_queries, seed=0)
        matrix, _ = b.genre_matrix(sets)
        task = Task("gate", items, queries, enriched, b.genre_relevance(matrix, ids, queries, enriched), k=k)
        value = float(np.nanmean(run_system(task, scorer).per_query["ndcg"]))
        unsafe, kids = unsafe_kids_lists(recommender.ranker, k)
        return {"metric": f"genre_ndcg@{k}", "value": value, "queries": len(queries),
                "kids_unsafe_lists": unsafe, "kids_queries": kids}
    everything = np.arange(len(items))
    queries = b.sample_one_per_franchise(items, everything, max_queries, seed=0)
    profile = (items["language"] + "|" + items["content_type"]).to_numpy()
    relevance = [{int(i): 1.0 for i in ids[profile == profile[q]]} for q in queries]
    task = Task("gate", items, queries, everything, relevance, k=k)
    value = float(np.nanmean(run_system(task, scorer).per_query["precision"]))
    unsafe, kids = unsafe_kids_lists(recommender.ranker, k)
    return {"metric": f"language_type_agreement@{k}", "value": value, "queries": len(queries),
            "kids_unsafe_lists": unsafe, "kids_queries": kids}


def verify(path: Path) -> Recommender:
    """Load a saved version through the serving code and make it answer one query."""
    recommender = Recommender.load(path)
    probe = int(np.argmax(recommender.items["hours_viewed"].to_numpy()))
    result = recommender.recommend(int(recommender.items["item_id"].iloc[probe]), k=min(5, len(recommender) - 1))
    if not result.items:
        raise artifacts.ArtifactError(f"model {path.name} returned no recommendations for a known title")
    return recommender


def train_and_save(
    data: Path,
    model_root: Path,
    config: TrainConfig,
    *,
    enrichment: Path | Sequence[Path] | None = None,
    on_event: ProgressCallback | None = None,
    activate: bool = True,
    gate: bool = False,
    keep_versions: int = artifacts.DEFAULT_KEEP_VERSIONS,
    before_activation: Callable[[Path, Recommender], dict] | None = None,
) -> TrainOutcome:
    """Train on a catalog, save a new version, verify it and activate it if allowed.

    `before_activation(version_dir, recommender)` runs on the verified version (loaded, with its fitted
    blend) before the gate; the figures it returns join the version's evaluation metrics.

    Abandoned staging folders are removed first, and after an activation only the newest
    `keep_versions` versions (and always the active one) stay on disk.
    """
    emit = on_event or (lambda event: None)
    artifacts.tidy(model_root, keep=None)
    listings = [enrichment] if isinstance(enrichment, Path) else list(enrichment or [])
    emit(StageEvent(stage="loading catalog", data=str(data)))
    catalog: Catalog = load_catalog(data, listings)
    emit(StageEvent(stage="training", arch=config.arch, items=len(catalog.items), report=catalog.report.summary()))

    def progress(p: EpochProgress) -> None:
        emit(EpochEvent(epoch=p.epoch, epochs=p.epochs, loss=round(p.loss, 4), seconds=round(p.seconds, 2),
                        peak_rss_mb=p.peak_rss_mb, items=p.items))

    trained = train(catalog, config, progress)
    vocab = trained.vocabulary()
    metadata = {
        "arch": config.arch,
        "data": str(data),
        "enrichment": "; ".join(str(p) for p in listings) or None,
        "data_sha256": data_hash(data, *listings),
        "params": config.to_json(),
        "train_seconds": round(trained.seconds, 2),
        "loss_history": [round(x, 4) for x in trained.history],
        "cleaning": catalog.report.to_dict(),
    }
    emit(StageEvent(stage="evaluating"))
    path = artifacts.save_artifact(
        model_root, derived=DERIVED_FILES, embeddings=trained.embeddings, items=catalog.items, vocab=vocab,
        metadata=metadata, keras_model=trained.keras_model,
    )
    version = path.name
    try:
        new = verify(path)
    except Exception as exc:
        return TrainOutcome(version, path, False, f"new model failed verification: {exc}", {})
    emit(StageEvent(stage="fitting the blend weights"))
    blend = fit_version_blend(new, path)
    save_version_hubs(new, path)
    metrics = {"gate": quality_gate(new)}
    if blend is not None:
        metrics["blend"] = blend
    if before_activation is not None:  # e.g. the vote channel's weight fitted for this version
        metrics.update(before_activation(path, new))
    artifacts.update_metadata(path, {"evaluation": metrics})
    reason = "trained and verified"
    if gate and activate:
        activate, reason = _compare_with_current(model_root, metrics["gate"], refit_old=blend is not None)
    if activate:
        emit(StageEvent(stage="activating", version=version))
        artifacts.activate(model_root, version)
        artifacts.tidy(model_root, keep=keep_versions)
    return TrainOutcome(version, path, activate, reason, metrics)


def fit_version_blend(recommender: Recommender, path: Path) -> dict | None:
    """Fit the blend weights on the embedding just trained, save them in the version, rank with them.

    Weights fitted on one embedding lose about 0.01 NDCG on another seed's, so every version carries
    its own (`BlendWeights.for_model`), checksummed like its other files: a damaged weights file makes
    the version unloadable, and the previous one keeps serving. In-sample only (as many bagged
    searches as the package weights record, about 16 s CPU); `python -m recommender fit-blend` gives
    the cross-validated figure. None on a catalog where the dev set does not resolve: the package
    weights serve.
    """
    result = fit_for_ranker(recommender.ranker, recommender.items, recommender.resolve)
    if result is None:
        return None
    result.weights.fitted["model"] = recommender.version
    _add_file(path, result.weights.save(path))
    recommender.ranker.use_weights(result.weights)
    return result.weights.fitted


def save_version_hubs(recommender: Recommender, path: Path) -> Path:
    """Save the hub count the version's ranker made for its weights (`ranking.hubs`), checksummed, so that
    serving loads it instead of counting (about 10 s of ranking for the bundled catalog)."""
    file = recommender.ranker.hubs.save(path)
    _add_file(path, file)
    return file


def _add_file(path: Path, file: Path) -> None:
    """Add a file written into a saved version to its checksums (a damaged one makes the version unloadable)."""
    files = json.loads((path / "metadata.json").read_text(encoding="utf-8")).get("files", {})
    artifacts.update_metadata(path, {"files": {**files, file.name: artifacts.sha256_file(file)}})


def _compare_with_current(model_root: Path, new_gate: dict, *, refit_old: bool = False) -> tuple[bool, str]:
    """Whether the new version may replace the current one, measured like with like.

    With `refit_old` (the new version's weights were fitted on its own embedding), a current version
    that has no weights of its own gets them fitted the same way, in memory only, before it is
    measured: otherwise an in-sample fit would be compared with weights fitted on another embedding.
    """
    if new_gate.get("kids_unsafe_lists", 0) > 0:
        return False, (f"new model refused: {new_gate['kids_unsafe_lists']} kids/family titles would get an adult "
                       "title in their list")
    current = artifacts.current_version(model_root)
    if current is None:
        return True, "no current model"
    try:
        old_path = artifacts.resolve_model_path(model_root)
        old = Recommender.load(old_path)
        if refit_old and not (old_path / WEIGHTS_FILE).is_file():
            refit = fit_for_ranker(old.ranker, old.items, old.resolve)
            if refit is not None:
                old.ranker.use_weights(refit.weights)
        old_gate = quality_gate(old, kids=False)
    except artifacts.ArtifactError as exc:
        return True, f"current model {current[:artifacts.MAX_VERSION_LENGTH]} cannot be loaded ({exc}); replacing it"
    return judge_gates(current, old_gate, new_gate)


# What each gate metric measures, in the words /model uses (an admin reads these, not the metric's name).
_GATE_WORDS = {"taste": "quality on real taste", "genre": "genre agreement",
               "language": "language and type agreement"}


def gate_words(metric: str) -> str:
    """`taste_ndcg@10` -> `quality on real taste`; a metric this does not know keeps its name."""
    return _GATE_WORDS.get(metric.partition("_")[0], metric)


def judge_gates(current: str, old_gate: dict, new_gate: dict) -> tuple[bool, str]:
    """Whether the new version's gate figure may replace the current one's, and why in words."""
    new, old = new_gate["value"], old_gate["value"]
    if old_gate["metric"] != new_gate["metric"]:
        return True, (f"the current model was measured on {gate_words(old_gate['metric'])}, the new one on "
                      f"{gate_words(new_gate['metric'])}; not comparable")
    words = gate_words(new_gate["metric"])
    if new + GATE_TOLERANCE < old:
        return False, f"kept {current}: {words} {new:.3f}, worse than {old:.3f} now"
    return True, f"{words} {new:.3f} vs {old:.3f} now"


def fit_correction_for_version(version_dir: Path, rec: Recommender, member_votes: pd.DataFrame) -> dict[str, Any]:
    """Train the vote-trained embedding correction (`ranking.correction`) and save it in the version."""
    from recommender.vote_correction import fit_correction

    started = time.perf_counter()
    row_of = {str(t): i for i, t in enumerate(rec.index.titles)}
    correction = fit_correction(member_votes, row_of, rec.ranker.channels.embeddings)
    if correction is None:
        return {"fitted": False, "reason": "no member liked two titles yet"}
    correction.save(version_dir)
    return {"fitted": True, "titles": len(correction.rows), "seconds": round(time.perf_counter() - started, 1)}


def fit_votes_for_version(version_dir: Path, member_votes: pd.DataFrame, previous: VoteSettings,
                          rec: Recommender | None = None) -> dict[str, Any]:
    """Fit the vote channel's weight for a freshly trained version on past votes and save it beside
    the model (`vote_channel.json`), before the version can be activated. Returns the figures.
    `rec`: the version already loaded (training has it: loading it again cost seconds of a retrain)."""
    rec = rec or Recommender.load(version_dir)
    fit = fit_vote_weight(
        member_votes, rec.items["title"].tolist(), lambda row: rec.ranker.scores(row), previous=previous,
        provenance={"fitted_at": datetime.now(UTC).isoformat(timespec="seconds"), "model": version_dir.name,
                    "source": "feedback database (per-item votes, one per member and pair)"},
    )
    fit.settings.save(version_dir)
    figures = {
        "weight": fit.settings.weight,
        "previous_weight": previous.weight,
        "counted_votes": fit.counted_votes,
        "held_out_votes": fit.held_out_votes,
        "comparisons": fit.comparisons,
        "held_out_auc": {str(w): (None if np.isnan(a) else round(a, 4)) for w, a in fit.auc_by_weight.items()},
    }
    if fit.settings.correction_weight > 0:  # the embedding correction, trained on the same votes
        figures["correction"] = fit_correction_for_version(version_dir, rec, member_votes)
    return figures
