"""How much of the taste dev set a ranker can learn without remembering titles: the evidence behind "0.08 is
out of reach with this catalog's information" (docs/evaluation.md, "Quality on real taste").

Cross-validation by query (the figure `fit-blend` reports) keeps every candidate title in both halves, so
a flexible ranker can learn which *titles* the dev users like (a candidate's hours viewed and IMDb votes
identify it) and score well without knowing anything about taste. This script fits four rankers on the
same channels and scores each two ways, with the same splits (compare rankers within a setting: the
second ranks among half the titles, so its figures are on another scale):

- **by query**: 2 folds of queries; every candidate is ranked.
- **by query and title**: 2 folds of queries x 2 folds of candidate titles; a ranker is fitted on one
  quarter (its queries x its titles) and ranks only the other titles for the other queries, so nothing it
  learned about a title can help it: the setting of a title nobody has rated yet.

Rankers: the served blend's fitting procedure (`fit_blend`: coordinate search, bagged, overlap ceiling
and priors as the package weights were fitted), a logistic regression on the
channels, the same with every pairwise product (136 more terms) and gradient-boosted trees. Lists keep one
entry per franchise, as served. Run:

    PYTHONPATH=. .venv/bin/python scripts/taste_headroom.py --model-dir var/models [--seeds 0 1 2]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from recommender.ranking.blend import (
    BlendWeights,
    OverlapRule,
    _ndcg_of_top,
    fit_blend,
    served_top,
    shared_share,
)
from recommender.ranking.taste import candidate_groups, dev_task, fit_inputs
from recommender.serving import Recommender

Fitter = Callable[[np.ndarray, np.ndarray, np.ndarray], Callable[[np.ndarray], np.ndarray]]


def _standard(features: np.ndarray) -> np.ndarray:
    scale = features.reshape(len(features), -1).std(1)
    scale[scale == 0] = 1.0
    return (features / scale[:, None, None]).astype(np.float32)


def _plain(features: np.ndarray) -> np.ndarray:
    return features


def _pairwise(features: np.ndarray) -> np.ndarray:
    n = len(features)
    products = [features[i] * features[j] for i in range(n) for j in range(i, n)]
    return _standard(np.concatenate([features, np.stack(products)]))


def blend_search(shipped: BlendWeights) -> Fitter:
    """The served fitting procedure: the package weights' overlap rule, bags and priors (on raw channels)."""
    rule = OverlapRule.of(shipped)

    def fit(features: np.ndarray, gains: np.ndarray, excluded: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
        weights = fit_blend(features, gains, excluded, folds=0, overlap_penalty=rule.penalty,
                            max_overlap=rule.cap, bags=shipped.bags).weights.vector()
        return lambda x: np.tensordot(weights, x, 1)
    return fit


def logistic(expand: Callable[[np.ndarray], np.ndarray]) -> Fitter:
    from sklearn.linear_model import LogisticRegression

    def fit(features: np.ndarray, gains: np.ndarray, excluded: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
        scale = features.reshape(len(features), -1).std(1)
        scale[scale == 0] = 1.0
        x = expand(features / scale[:, None, None])
        shown = ~excluded.ravel()
        model = LogisticRegression(C=0.01, max_iter=3000)
        model.fit(x.reshape(len(x), -1).T[shown], (gains > 0).ravel()[shown])
        return lambda test: np.tensordot(model.coef_[0], expand(test / scale[:, None, None]), 1)
    return fit


def boosted_trees(features: np.ndarray, gains: np.ndarray, excluded: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    from sklearn.ensemble import HistGradientBoostingClassifier

    x = features.reshape(len(features), -1).T
    liked = (gains > 0).ravel()
    # Every co-liked cell and a tenth of the others (the rest only slow the fit down).
    keep = ~excluded.ravel() & (liked | (np.random.default_rng(0).random(len(liked)) < 0.1))
    model = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=100)
    model.fit(x[keep], liked[keep])
    return lambda test: model.decision_function(test.reshape(len(test), -1).T).reshape(test.shape[1:])


def score(fitter: Fitter, features: np.ndarray, gains: np.ndarray, excluded: np.ndarray, groups: np.ndarray,
          seed: int, by_title: bool) -> tuple[float, float]:
    """Mean held-out NDCG@10 over the 2 (x 2) folds of one split, and the share of a held-out list repeated
    in another query's (`shared_share`, the popularity trap: the served fit keeps it under a ceiling)."""
    rng = np.random.default_rng(seed)
    query_fold = rng.permutation(gains.shape[0]) % 2
    title_fold = rng.permutation(gains.shape[1]) % 2 if by_title else np.zeros(gains.shape[1], dtype=int)
    values, overlaps = [], []
    for q in (0, 1):
        for t in (0, 1) if by_title else (0,):
            train_q, test_q = np.flatnonzero(query_fold != q), np.flatnonzero(query_fold == q)
            train_t = np.flatnonzero(title_fold != t) if by_title else np.arange(gains.shape[1])
            test_t = np.flatnonzero(title_fold == t) if by_title else train_t
            cells = np.ix_(train_q, train_t)
            model = fitter(features[:, cells[0], cells[1]], gains[cells], excluded[cells])
            held = np.ix_(test_q, test_t)
            top = served_top(model(features[:, held[0], held[1]]), excluded[held], 10, groups[test_t])
            ndcg = _ndcg_of_top(top, gains[held], 10)
            values.extend(ndcg[~np.isnan(ndcg)])
            overlaps.append(shared_share(top))
    return float(np.mean(values)), float(np.mean(overlaps))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-dir", type=Path, default=Path("var/models"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args(argv)

    rec = Recommender.load(args.model_dir, family_safe=False)
    task = dev_task(rec.items, rec.resolve)
    features, gains, excluded = fit_inputs(rec.ranker, task)
    groups = candidate_groups(rec.ranker, task)
    assert groups is not None
    rankers: dict[str, Fitter] = {
        "blend search (served)": blend_search(BlendWeights.load()),
        "logistic regression": logistic(_plain),
        "logistic regression + pairwise products": logistic(_pairwise),
        "gradient-boosted trees": boosted_trees,
    }
    print(f"model {rec.version}: {len(task.queries)} queries x {len(task.candidates)} candidates; "
          f"held-out NDCG@10, mean over seeds {args.seeds}")
    # The two settings rank among different candidate sets (all titles / half of them), so compare rankers
    # within a column: against the blend search, the served procedure.
    print("| ranker | by query | - blend | list overlap | by query and title | - blend |\n"
          "| --- | --- | --- | --- | --- | --- |")
    base: tuple[float, float] | None = None
    for name, fitter in rankers.items():
        by_query, overlap = np.mean([score(fitter, features, gains, excluded, groups, s, False) for s in args.seeds], 0)
        by_title = float(np.mean([score(fitter, features, gains, excluded, groups, s, True)[0] for s in args.seeds]))
        base = base or (by_query, by_title)
        print(f"| {name} | {by_query:.4f} | {by_query - base[0]:+.4f} | {overlap:.3f} | {by_title:.4f} | "
              f"{by_title - base[1]:+.4f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
