"""A handful of global channel weights, fitted on real co-likes, saved as a small JSON in the package.

Why a linear blend with few weights and a direct NDCG search: the dev set (MovieTweetings co-likes,
345 queries) is small, and what must generalise is "how much does title overlap matter against
era or acclaim", not which titles go with which. Fifteen weights cannot memorise titles. The search
is coordinate ascent over a fixed grid on the same NDCG@10 that `evaluate` reports (a logistic
regression on pairs optimises a different loss and scored lower in our measurements), and
`fit_blend` reports a cross-validated figure (folds by query) beside the in-sample one so that
overfitting shows.

Two fitting methods, both scored by the served NDCG@10 with the held rules applied: `search` (the grid
search above) and `logistic` (a logistic regression of "co-liked or not" over the shown cells). Measured
on the taste dev set with one model, the regression's weights rank better in 5-fold CV by query than the
search's (docs/ranking-rules.md): the search moves one weight at a time on a step objective and stops in
the first plateau; the regression's smooth loss uses every judged pair. The package weights are the
regression's.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from recommender.evaluation.metrics import dcg, ndcg_of_gains
from recommender.ranking.channels import CHANNELS

WEIGHTS_FILE = "blend_weights.json"
# Candidate weights (in units of the channel's standard deviation over the fitting pairs).
_GRID = (-1.0, -0.5, -0.25, -0.1, 0.0, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0)
# A weight moves only for a real NDCG gain (ties and float noise do not move it).
MIN_GAIN = 1e-5
# Channels that say "these two titles are alike": resemblance may count for a candidate or not at all,
# never against it. A negative weight here (seen: description -30 on one retrain) is an in-sample
# artefact of 342 queries, and it turns lists away from what the query is about.
SIMILARITY_CHANNELS = ("embedding", "title_chars", "title_words", "genres", "description", "people", "country", "era")
# Channels the dev set cannot weigh: its queries and candidates are all movies, nearly all English (97% and
# 98% of its cells match on type and language; any weight from 0 to 10 scores the same NDCG@10 within
# 0.0001), so a search sets them by chance, and on shows that chance decides whether Naruto's list holds
# The Dark Knight. They are held at these raw weights, chosen by reading the showcase lists (README).
# `hub` and `maturity_above` are rules the pairs would undo (co-likes reward the titles everyone watched, and
# adult films are co-liked with teen ones): their weights were chosen on the showcase lists, see
# docs/ranking-rules.md. `tone` is held at 1: its values (`tone_penalties.json`) are fitted in blend units.
# A weights file written before a held channel existed gets its held weight.
PRIOR_WEIGHTS = {"same_type": 5.0, "same_language": 5.0, "hub": -40.0, "maturity_above": -15.0, "tone": 1.0}
# The scale held weights are on: a logistic fit's weights are rescaled so that the blend of the fitted
# channels has this standard deviation over the fitting cells. A regression's coefficients have no scale of
# their own (a stronger fit multiplies them all), and held weights next to growing fitted weights silently
# weaken: teen queries' adult picks rose from 5-7 to 14 when the search's weights grew. 11.2 is the spread of
# the searched weights the held values were chosen beside (the seed-42 model of the three-listing code).
BLEND_SCALE = 11.2
METHODS = ("search", "logistic")


@dataclass
class BlendWeights:
    """Channel -> weight on the raw channel value; channels absent from the mapping weigh 0."""

    weights: dict[str, float]
    fitted: dict = field(default_factory=dict)  # provenance: data, k, in-sample and CV NDCG

    @property
    def bags(self) -> int:
        """Bootstrap bags these weights were fitted with (0: one search): what a version's refit repeats."""
        return int(self.fitted.get("bags") or 0)

    @property
    def method(self) -> str:
        """How these weights were fitted (`METHODS`): what a version's refit repeats."""
        return str(self.fitted.get("method") or "search")

    def vector(self) -> np.ndarray:
        """Weights in `CHANNELS` order. A fitted file written before a held channel existed (a saved
        version's) gets that channel's held weight: held weights are on the fitted weights' scale."""
        held = PRIOR_WEIGHTS if self.fitted else {}
        return np.array([float(self.weights.get(name, held.get(name, 0.0))) for name in CHANNELS], dtype=np.float32)

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

    @classmethod
    def for_model(cls, model_dir: str | Path) -> BlendWeights:
        """The weights fitted for a model version (its own `blend_weights.json`), else the package's.

        Why per version: weights fitted on one embedding lose about 0.01 NDCG on a model retrained
        with another seed, so `train` fits them on the embedding it has just trained.
        """
        own = Path(model_dir) / WEIGHTS_FILE
        return cls.load(own if own.is_file() else None)

    def save(self, model_dir: str | Path) -> Path:
        path = Path(model_dir) / WEIGHTS_FILE
        path.write_text(self.to_json(), encoding="utf-8")
        return path


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


# How deep a ranked list is read to fill k places with one entry per franchise.
_GROUP_DEPTH = 4


def first_per_group(top: np.ndarray, groups: np.ndarray, k: int) -> np.ndarray:
    """The first k columns of each ranked row of `top` that are the best of their group (franchise).

    The served rule (`Ranker._first_per_franchise`) vectorised: without it the fit scored lists with
    three Lord of the Rings films in them, and the weights it chose lost 0.0045 NDCG@10 once the
    served lists kept one of each (0.0772 fitted, 0.0727 served, on the same weights).
    """
    codes = groups[top]
    first = np.ones(top.shape, dtype=bool)
    for j in range(1, top.shape[1]):
        first[:, j] = (codes[:, :j] != codes[:, j : j + 1]).all(1)
    return np.take_along_axis(top, np.argsort(~first, axis=1, kind="stable")[:, :k], 1)


def served_top(scores: np.ndarray, excluded: np.ndarray, k: int, groups: np.ndarray | None = None) -> np.ndarray:
    """(rows, k) columns of each row's list as served: `top_k_columns`, one per group when `groups` is given."""
    if groups is None:
        return top_k_columns(scores, excluded, k)
    return first_per_group(top_k_columns(scores, excluded, k * _GROUP_DEPTH), groups, k)


def ndcg_per_query(scores: np.ndarray, gains: np.ndarray, excluded: np.ndarray, k: int,
                   groups: np.ndarray | None = None) -> np.ndarray:
    """Graded NDCG@k of each row (linear gains, log2 discounts), excluded cells never ranked.

    `evaluation.metrics.ndcg_of_gains` over a matrix of lists, for the search's inner loop;
    `groups` (each column's franchise code) keeps one entry per franchise, as served lists do.
    """
    return _ndcg_of_top(served_top(scores, excluded, k, groups), gains, k)


def _ndcg_of_top(top: np.ndarray, gains: np.ndarray, k: int) -> np.ndarray:
    k = top.shape[1]
    return ndcg_of_gains(np.take_along_axis(gains, top, 1), -np.sort(-gains, axis=1)[:, :k])


@dataclass
class FitResult:
    weights: BlendWeights
    in_sample: float
    cross_validated: float
    per_fold: list[float]
    held_out: np.ndarray  # each query's NDCG@k under the weights fitted without its fold (nan: no CV)


@dataclass(frozen=True)
class OverlapRule:
    """How much the fit may let lists repeat between queries (co-likes reward one shared popular list).

    `penalty`: NDCG traded per unit of overlap, everywhere. `cap`: overlap allowed for free; every
    unit above it costs one unit of NDCG, far more than any weight change gains, so it acts as a
    ceiling: the fit then maximises NDCG among blends whose lists differ as much as the cap asks.
    """

    penalty: float = 0.0
    cap: float | None = None

    @classmethod
    def of(cls, weights: BlendWeights) -> OverlapRule:
        """The rule a set of weights was fitted under (the package's: what a version's fit repeats)."""
        cap = weights.fitted.get("max_overlap")
        return cls(float(weights.fitted.get("overlap_penalty", 0.0)), None if cap is None else float(cap))

    def cost(self, top: np.ndarray) -> float:
        if not self.penalty and self.cap is None:
            return 0.0
        share = shared_share(top)
        return self.penalty * share + (max(0.0, share - self.cap) if self.cap is not None else 0.0)


class _Objective:
    """Mean NDCG@k of a score matrix minus what `overlap` charges: the search's inner loop, made cheap.

    The ideal DCG does not depend on the scores, so it is computed once; excluded cells carry -inf in
    the scores the search keeps (adding a channel's finite difference keeps them -inf), so no mask is
    applied per evaluation. Ties fall as `top_k_columns` lets them: by position, deterministically.
    """

    def __init__(self, gains: np.ndarray, k: int, overlap: OverlapRule, groups: np.ndarray | None = None) -> None:
        self.gains, self.overlap, self.groups = gains, overlap, groups
        self.k = min(k, gains.shape[1])
        self.depth = self.k if groups is None else min(self.k * _GROUP_DEPTH, gains.shape[1])
        self.ideal = dcg(-np.sort(-gains, axis=1)[:, : self.k])
        self.judged = self.ideal > 0

    def __call__(self, masked_scores: np.ndarray) -> float:
        n = masked_scores.shape[1]
        top = np.argpartition(masked_scores, n - self.depth, axis=1)[:, n - self.depth :]
        order = np.argsort(-np.take_along_axis(masked_scores, top, 1), axis=1, kind="stable")
        top = np.take_along_axis(top, order, 1)
        if self.groups is not None:
            top = first_per_group(top, self.groups, self.k)
        gained = dcg(np.take_along_axis(self.gains, top, 1))
        value = float((gained[self.judged] / self.ideal[self.judged]).mean()) if self.judged.any() else 0.0
        return value - self.overlap.cost(top)


def _search(
    features: np.ndarray, gains: np.ndarray, excluded: np.ndarray, k: int, passes: int,
    overlap: OverlapRule = OverlapRule(), non_negative: frozenset[int] = frozenset(),
    held: dict[int, float] | None = None, groups: np.ndarray | None = None,
) -> np.ndarray:
    """Coordinate ascent over `_GRID` from "title words only"; returns weights on standardised channels.

    Trying a value for one channel only adds that channel's difference to the current scores, so a
    step costs one (queries x candidates) update and a top-k, not a full re-blend. Channels in
    `non_negative` only take grid values >= 0; channels in `held` keep the given (standardised) weight.
    """
    held = held or {}
    objective = _Objective(gains, k, overlap, groups)
    w = np.zeros(features.shape[0])
    w[CHANNELS.index("title_words")] = 1.0
    for c, value in held.items():
        w[c] = value
    current = np.where(excluded, -np.inf, np.tensordot(w, features, 1)).astype(np.float32)
    best = objective(current)
    for _ in range(passes):
        improved = False
        for c in (c for c in range(len(w)) if c not in held):
            for v in _GRID:
                if v == w[c] or (v < 0 and c in non_negative):
                    continue
                trial = current + np.float32(v - w[c]) * features[c]
                score = objective(trial)
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
    max_overlap: float | None = None,
    negative_similarity: bool = False,
    bags: int = 0,
    priors: dict[str, float] | None = None,
    groups: np.ndarray | None = None,
    method: str = "search",
    factors: np.ndarray | None = None,
) -> FitResult:
    """Fit weights on all queries; measure the same procedure on held-out folds of queries.

    `overlap_penalty` and `max_overlap` (see `OverlapRule`) keep lists that differ between queries:
    co-likes reward a popularity prior that gives everyone the same list, which is not what a
    recommender is for.

    `features` is (channels, queries, candidates) as `Channels.pair_scores` returns it, `gains`
    (queries, candidates) the graded relevance, `excluded` the cells no system may rank.
    `folds=0` skips the cross-validation (training fits in-sample only: one fit instead of folds + 1).
    `negative_similarity` lets `SIMILARITY_CHANNELS` take negative weights (off: kept for measuring).
    `bags` > 1 averages that many searches on bootstrap resamples of the queries (in every fold too):
    one search's weights swing between retrains (many blends tie on 342 queries), the average's do not.
    `priors` (default `PRIOR_WEIGHTS`) are raw weights held out of the search: channels the pairs cannot weigh.
    `groups` (each candidate's franchise code) scores lists with one entry per franchise, as they are served.
    `method`: "search" (the grid search) or "logistic" (`_logistic`: weights rescaled to `BLEND_SCALE`,
    the held weights beside them; `passes`, `bags` and the overlap rule do not apply to it).
    `factors` (channels, queries): the per-query factors serving multiplies the channels by
    (`Channels.query_factors`). Weights are fitted on the plain channels (a fit would undo a factor chosen
    against these pairs) and every reported NDCG is of the lists as served, factors applied.
    """
    if method not in METHODS:
        raise ValueError(f"unknown fitting method {method!r} (one of {', '.join(METHODS)})")
    scale = features.reshape(features.shape[0], -1).std(1)
    scale[scale == 0] = 1.0
    standard = (features / scale[:, None, None]).astype(np.float32)
    served = standard if factors is None else standard * np.asarray(factors, dtype=np.float32)[:, :, None]
    queries = np.arange(features.shape[1])
    fold_of = np.random.default_rng(seed).permutation(len(queries)) % max(folds, 1)
    overlap = OverlapRule(overlap_penalty, max_overlap)
    non_negative = frozenset() if negative_similarity else frozenset(
        CHANNELS.index(c) for c in SIMILARITY_CHANNELS if c in CHANNELS[: features.shape[0]])
    held_out = np.full(len(queries), np.nan)
    held_out_top = np.zeros((len(queries), min(k, features.shape[2])), dtype=np.int64)
    per_fold = []
    priors = PRIOR_WEIGHTS if priors is None else priors
    held = {CHANNELS.index(name): value * float(scale[CHANNELS.index(name)]) for name, value in priors.items()
            if CHANNELS.index(name) < features.shape[0]}
    resampling = np.random.default_rng(seed)

    def fit(rows: np.ndarray) -> np.ndarray:
        if method == "logistic":
            return _logistic(standard, gains, excluded, rows, non_negative, held)
        samples = [resampling.choice(rows, size=len(rows)) for _ in range(bags)] if bags > 1 else [rows]
        return np.mean([_search(standard[:, r], gains[r], excluded[r], k, passes, overlap, non_negative, held,
                                groups) for r in samples], axis=0)

    for f in range(folds if folds >= 2 else 0):
        train, test = queries[fold_of != f], queries[fold_of == f]
        w = fit(train)
        held_out_top[test] = served_top(np.tensordot(w, served[:, test], 1), excluded[test], k, groups)
        held_out[test] = _ndcg_of_top(held_out_top[test], gains[test], k)
        per_fold.append(float(np.nanmean(held_out[test])))
    w = fit(queries)
    top = served_top(np.tensordot(w, served, 1), excluded, k, groups)
    in_sample = float(np.nanmean(_ndcg_of_top(top, gains, k)))
    raw = {name: round(float(v / s), 6) for name, v, s in zip(CHANNELS, w, scale, strict=False) if v != 0}
    cross_validated = float(np.nanmean(held_out)) if per_fold else float("nan")
    fitted = {
        "k": k,
        "queries": len(queries),
        "in_sample_ndcg": round(in_sample, 4),
        "cv_ndcg": round(cross_validated, 4) if per_fold else None,
        "folds": folds if per_fold else 0,
        "overlap_penalty": overlap_penalty,
        "max_overlap": max_overlap,
        "in_sample_overlap": round(shared_share(top), 4),
        "cv_overlap": round(shared_share(held_out_top), 4) if per_fold else None,
        "negative_similarity": negative_similarity,
        "bags": bags,
        "priors": dict(priors),
        "one_per_franchise": groups is not None,
        "method": method,
    }
    return FitResult(BlendWeights(raw, fitted), in_sample, cross_validated, per_fold, held_out)


def _logistic(standard: np.ndarray, gains: np.ndarray, excluded: np.ndarray, rows: np.ndarray,
              non_negative: frozenset[int], held: dict[int, float]) -> np.ndarray:
    """Standardised weights from a logistic regression of "co-liked" on the rows' shown cells.

    The held channels are not fitted (they keep `held`); a channel in `non_negative` that comes out
    negative is dropped and the rest refitted, as often as that happens. The fitted part is then
    rescaled so that its blend has standard deviation `BLEND_SCALE` over those cells, which keeps the
    held weights' strength against it the same however strong the fit is.
    """
    from sklearn.linear_model import LogisticRegression  # fitting only: serving never imports it

    shown = ~excluded[rows].ravel()
    x = standard[:, rows].reshape(standard.shape[0], -1)[:, shown]
    y = (gains[rows] > 0).ravel()[shown]
    free = [c for c in range(standard.shape[0]) if c not in held and x[c].std() > 0]
    w = np.zeros(standard.shape[0])
    while free and y.any() and not y.all():
        coef = LogisticRegression(max_iter=2000).fit(x[free].T, y).coef_[0]
        negative = [c for c, v in zip(free, coef, strict=True) if v < 0 and c in non_negative]
        if not negative:
            w[free] = coef
            break
        free = [c for c in free if c not in negative]
    spread = float(np.tensordot(w, x, 1).std())
    if spread > 0:
        w *= BLEND_SCALE / spread
    for c, value in held.items():
        w[c] = value
    return w
