"""A handful of global channel weights, fitted on real co-likes, saved as a small JSON in the package.

Why a linear blend with few weights and a direct NDCG search: the dev set (MovieTweetings co-likes,
345 queries) is small, and what must generalise is "how much does title overlap matter against
era or acclaim", not which titles go with which. Fifteen weights cannot memorise titles. The search
is coordinate ascent over a fixed grid on the same NDCG@10 that `evaluate` reports (a logistic
regression on pairs optimises a different loss and scored lower in our measurements), and
`fit_blend` reports a cross-validated figure (folds by query) beside the in-sample one so that
overfitting shows.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from recommender.ranking.channels import CHANNELS

WEIGHTS_FILE = "blend_weights.json"
# Candidate weights (in units of the channel's standard deviation over the fitting pairs).
_GRID = (-1.0, -0.5, -0.25, -0.1, 0.0, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0)
_DISCOUNT = 1.0 / np.log2(np.arange(2, 102))
# A weight moves only for a real NDCG gain (ties and float noise do not move it).
MIN_GAIN = 1e-5


@dataclass
class BlendWeights:
    """Channel -> weight on the raw channel value; channels absent from the mapping weigh 0."""

    weights: dict[str, float]
    fitted: dict = field(default_factory=dict)  # provenance: data, k, in-sample and CV NDCG

    def vector(self) -> np.ndarray:
        return np.array([float(self.weights.get(name, 0.0)) for name in CHANNELS], dtype=np.float32)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> BlendWeights:
        data = json.loads(text)
        unknown = set(data.get("weights", {})) - set(CHANNELS)
        if unknown:
            raise ValueError(f"blend weights name unknown channels: {', '.join(sorted(unknown))}")
        return cls({k: float(v) for k, v in data["weights"].items()}, dict(data.get("fitted", {})))

    @classmethod
    def load(cls, path: str | Path | None = None) -> BlendWeights:
        """The given file, or the weights shipped with the package."""
        if path is None:
            return cls.from_json(resources.files("recommender.ranking").joinpath(WEIGHTS_FILE).read_text("utf-8"))
        return cls.from_json(Path(path).read_text(encoding="utf-8"))


def top_k_columns(scores: np.ndarray, excluded: np.ndarray, k: int) -> np.ndarray:
    """(rows, k) column indices of each row's k best scores, best first; excluded cells never chosen."""
    work = np.where(excluded, -np.inf, scores)
    k = min(k, work.shape[1])
    top = np.argpartition(-work, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(work, top, 1), axis=1, kind="stable")
    return np.take_along_axis(top, order, 1)


def shared_share(top: np.ndarray) -> float:
    """Mean share of one list repeated in another query's list, over all ordered pairs of rows.

    `evaluate`'s overlap counts only unrelated pairs; over a few hundred queries the two agree closely,
    and this one costs a bincount, cheap enough for the search's inner loop.
    """
    rows, k = top.shape
    if rows < 2:
        return 0.0
    counts = np.bincount(top.ravel()).astype(np.float64)
    return float((counts * (counts - 1)).sum() / (rows * (rows - 1) * k))


def ndcg_per_query(scores: np.ndarray, gains: np.ndarray, excluded: np.ndarray, k: int) -> np.ndarray:
    """Graded NDCG@k of each row (linear gains, log2 discounts), excluded cells never ranked.

    The same definition as `evaluation.metrics.ndcg_at_k`, vectorised for the search's inner loop.
    """
    return _ndcg_of_top(top_k_columns(scores, excluded, k), gains, k)


def _ndcg_of_top(top: np.ndarray, gains: np.ndarray, k: int) -> np.ndarray:
    k = top.shape[1]
    dcg = (np.take_along_axis(gains, top, 1) * _DISCOUNT[:k]).sum(1)
    ideal = (-np.sort(-gains, axis=1)[:, :k] * _DISCOUNT[:k]).sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ideal > 0, dcg / ideal, np.nan)


@dataclass
class FitResult:
    weights: BlendWeights
    in_sample: float
    cross_validated: float
    per_fold: list[float]


def _objective(scores: np.ndarray, gains: np.ndarray, excluded: np.ndarray, k: int, overlap_penalty: float) -> float:
    """Mean NDCG@k minus `overlap_penalty` x the share of a list that other queries' lists repeat."""
    top = top_k_columns(scores, excluded, k)
    value = float(np.nanmean(_ndcg_of_top(top, gains, k)))
    return value - overlap_penalty * shared_share(top) if overlap_penalty else value


def _search(
    features: np.ndarray, gains: np.ndarray, excluded: np.ndarray, k: int, passes: int, overlap_penalty: float = 0.0
) -> np.ndarray:
    """Coordinate ascent over `_GRID` from "title words only"; returns weights on standardised channels.

    Trying a value for one channel only adds that channel's difference to the current scores, so a
    step costs one (queries x candidates) update and a top-k, not a full re-blend.
    """
    w = np.zeros(features.shape[0])
    w[CHANNELS.index("title_words")] = 1.0
    current = np.tensordot(w, features, 1).astype(np.float32)
    best = _objective(current, gains, excluded, k, overlap_penalty)
    for _ in range(passes):
        improved = False
        for c in range(len(w)):
            for v in _GRID:
                if v == w[c]:
                    continue
                trial = current + np.float32(v - w[c]) * features[c]
                score = _objective(trial, gains, excluded, k, overlap_penalty)
                if score > best + MIN_GAIN:
                    best, current, improved = score, trial, True
                    w[c] = v
        if not improved:
            break
    return w


def fit_blend(
    features: np.ndarray,
    gains: np.ndarray,
    excluded: np.ndarray,
    *,
    k: int = 10,
    folds: int = 5,
    passes: int = 2,
    seed: int = 0,
    overlap_penalty: float = 0.0,
) -> FitResult:
    """Fit weights on all queries; measure the same procedure on held-out folds of queries.

    `overlap_penalty` trades NDCG for lists that differ between queries: co-likes reward a popularity
    prior that gives everyone the same list, which is not what a recommender is for.

    `features` is (channels, queries, candidates) as `Channels.pair_scores` returns it, `gains`
    (queries, candidates) the graded relevance, `excluded` the cells no system may rank.
    """
    scale = features.reshape(features.shape[0], -1).std(1)
    scale[scale == 0] = 1.0
    standard = (features / scale[:, None, None]).astype(np.float32)
    queries = np.arange(features.shape[1])
    fold_of = np.random.default_rng(seed).permutation(len(queries)) % folds
    held_out = np.full(len(queries), np.nan)
    per_fold = []
    for f in range(folds):
        train, test = queries[fold_of != f], queries[fold_of == f]
        w = _search(standard[:, train], gains[train], excluded[train], k, passes, overlap_penalty)
        held_out[test] = ndcg_per_query(np.tensordot(w, standard[:, test], 1), gains[test], excluded[test], k)
        per_fold.append(float(np.nanmean(held_out[test])))
    w = _search(standard, gains, excluded, k, passes, overlap_penalty)
    top = top_k_columns(np.tensordot(w, standard, 1), excluded, k)
    in_sample = float(np.nanmean(_ndcg_of_top(top, gains, k)))
    raw = {name: round(float(v / s), 6) for name, v, s in zip(CHANNELS, w, scale, strict=False) if v != 0}
    fitted = {
        "k": k,
        "queries": len(queries),
        "in_sample_ndcg": round(in_sample, 4),
        "cv_ndcg": round(float(np.nanmean(held_out)), 4),
        "folds": folds,
        "overlap_penalty": overlap_penalty,
        "in_sample_overlap": round(shared_share(top), 4),
    }
    return FitResult(BlendWeights(raw, fitted), in_sample, float(np.nanmean(held_out)), per_fold)
