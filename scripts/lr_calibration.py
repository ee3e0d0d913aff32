"""A logistic-regression calibration ranker beside the served blend's fit, like for like, on the taste dev set.

The NDCG target was calibrated with "a quick logistic-regression ranker over eleven plain channels,
fitted on these pairs" (in-sample). An in-sample figure rewards whichever fit memorises the 342
queries best, so this script scores both fitting procedures the same two ways on the same channels:
in-sample, and 5-fold cross-validated by query (each query ranked by weights fitted without it), with a
paired bootstrap interval on the cross-validated difference. Rerun it after any channel change:

    PYTHONPATH=. .venv/bin/python scripts/lr_calibration.py --model-dir var/models [--fold-seeds 0 1 2]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common.stats import bootstrap, paired_difference, resample_indices
from recommender.ranking.blend import BlendWeights, OverlapRule, fit_blend, ndcg_per_query
from recommender.ranking.channels import CHANNELS
from recommender.ranking.taste import candidate_groups, dev_task, fit_inputs
from recommender.serving import Recommender

# The calibration's eleven channels, as this ranker names them (cast/director TF-IDF is "people").
ELEVEN = ("embedding", "title_chars", "title_words", "genres", "description", "people", "era",
          "hours_viewed", "imdb_votes", "imdb_score", "has_metadata")


def logistic_scores(features: np.ndarray, gains: np.ndarray, excluded: np.ndarray,
                    train: np.ndarray, test: np.ndarray) -> np.ndarray:
    """Fit "co-liked or not" on the train queries' shown cells; score the test queries' candidates."""
    scale = features.reshape(len(features), -1).std(1)
    scale[scale == 0] = 1.0
    standard = features / scale[:, None, None]
    x = standard[:, train].reshape(len(features), -1).T
    shown = ~excluded[train].ravel()
    model = LogisticRegression(max_iter=2000).fit(x[shown], (gains[train] > 0).ravel()[shown])
    return np.tensordot(model.coef_[0], standard[:, test], 1)


def logistic_ndcg(features: np.ndarray, gains: np.ndarray, excluded: np.ndarray, fold_of: np.ndarray | None,
                  k: int, groups: np.ndarray | None = None) -> np.ndarray:
    """Per-query NDCG@k: in-sample when `fold_of` is None, else each fold scored by the others' fit.
    `groups`: lists keep one entry per franchise, as served (and as the blend's fit scores them)."""
    queries = np.arange(gains.shape[0])
    if fold_of is None:
        return ndcg_per_query(logistic_scores(features, gains, excluded, queries, queries), gains, excluded, k, groups)
    values = np.full(len(queries), np.nan)
    for fold in np.unique(fold_of):
        train, test = queries[fold_of != fold], queries[fold_of == fold]
        values[test] = ndcg_per_query(logistic_scores(features, gains, excluded, train, test),
                                      gains[test], excluded[test], k, groups)
    return values


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-dir", type=Path, default=Path("var/models"))
    parser.add_argument("--fold-seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("-k", type=int, default=10)
    args = parser.parse_args(argv)

    rec = Recommender.load(args.model_dir, family_safe=False)
    task = dev_task(rec.items, rec.resolve, k=args.k)
    features, gains, excluded = fit_inputs(rec.ranker, task)
    eleven = features[[CHANNELS.index(name) for name in ELEVEN]]
    groups = candidate_groups(rec.ranker, task)
    rule = OverlapRule.of(BlendWeights.load())
    indices = resample_indices(len(task.queries))
    print(f"model {rec.version}: {len(task.queries)} queries x {len(task.candidates)} candidates, NDCG@{args.k}")
    in_sample_lr = bootstrap(logistic_ndcg(eleven, gains, excluded, None, args.k, groups), indices)
    print(f"logistic regression, eleven channels, in-sample: {in_sample_lr.mean:.4f} "
          f"[{in_sample_lr.low:.4f}, {in_sample_lr.high:.4f}]")
    for seed in args.fold_seeds:
        blend = fit_blend(features, gains, excluded, k=args.k, folds=5, seed=seed,
                          overlap_penalty=rule.penalty, max_overlap=rule.cap, bags=BlendWeights.load().bags,
                          groups=groups)
        fold_of = np.random.default_rng(seed).permutation(len(task.queries)) % 5  # fit_blend's own folds
        held_lr = logistic_ndcg(eleven, gains, excluded, fold_of, args.k, groups)
        gap = paired_difference(blend.held_out, held_lr, indices)
        print(f"fold seed {seed}: blend search in-sample {blend.in_sample:.4f}, CV {blend.cross_validated:.4f}; "
              f"logistic regression CV {np.nanmean(held_lr):.4f}; "
              f"CV blend - LR {gap.mean:+.4f} [{gap.low:+.4f}, {gap.high:+.4f}]", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
