"""Fit one query kind's channel factors on the judged set and report them by cross-validation over its queries.

    PYTHONPATH=. python scripts/fit_query_factors.py --model-dir /work/models/final4 [--kind 1]
        [--write recommender/ranking/show_query_factors.json --strength 300]

Kinds are `Channels.query_kind`: 1 a show query, 3 a show query no listing describes (0 and 2, film queries,
are the movie dev set's to measure and are refused). Prints, for each ridge strength, the 5-fold held-out
NDCG@10 of the judged candidates (three fold seeds), the nested figure of the whole procedure with its paired
difference to the current factors (95% bootstrap over queries), and the factors fitted on every query.
See `lab/evaluation/factor_fit.py` for the loss and docs/ranking-rules.md for what was found.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np


def main() -> None:
    from common.stats import paired_difference, resample_indices
    from lab.evaluation.factor_fit import FACTOR_GROUPS, HELD_GROUPS, cross_validate, fit_factors, judged_queries
    from recommender.serving import Recommender

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, required=True)
    parser.add_argument("--kind", type=int, default=1, choices=(1, 3))
    parser.add_argument("--judgements", type=Path, default=None)
    parser.add_argument("--strengths", default="10,30,100,300,1000,10000,1000000")
    parser.add_argument("--write", type=Path, default=None, help="write the factors fitted at --strength here")
    parser.add_argument("--strength", type=float, default=300.0, help="the ridge strength the CV chose")
    args = parser.parse_args()
    rec = Recommender.load(args.model_dir)
    queries = [q for q in judged_queries(rec, args.judgements)[1] if q.kind == args.kind]
    strengths = [float(s) for s in args.strengths.split(",")]
    print(f"{len(queries)} judged queries of kind {args.kind}; current factors "
          f"{dict(zip(FACTOR_GROUPS, queries[0].factors.round(2).tolist(), strict=True))}")
    cv = cross_validate(queries, strengths)
    print(f"current factors: NDCG@10 of the judged candidates {np.nanmean(cv.current):.4f}")
    for s, strength in enumerate(strengths):
        per_seed = np.nanmean(cv.held_out[:, s], axis=1)
        print(f"strength {strength:g}: 5-fold held-out {' '.join(f'{v:.4f}' for v in per_seed)}")
    ok = ~np.isnan(cv.nested) & ~np.isnan(cv.current)
    diff = paired_difference(cv.nested[ok], cv.current[ok], resample_indices(int(ok.sum())))
    print(f"nested (strength chosen without the query): {cv.nested[ok].mean():.4f}; minus current "
          f"{diff.mean:+.4f} [{diff.low:+.4f}, {diff.high:+.4f}]; better {int((cv.nested[ok] > cv.current[ok]).sum())},"
          f" worse {int((cv.nested[ok] < cv.current[ok]).sum())}; strengths chosen {sorted(set(cv.chosen))}")
    for strength in strengths:
        factors = fit_factors(queries, strength, queries[0].factors)
        print(f"fitted on all, strength {strength:g}: "
              f"{dict(zip(FACTOR_GROUPS, factors.round(2).tolist(), strict=True))}")
    if args.write:
        factors = fit_factors(queries, args.strength, queries[0].factors).round(2)
        written = {channel: float(value) for (name, channels), value in zip(FACTOR_GROUPS.items(), factors, strict=True)
                   if name not in HELD_GROUPS for channel in channels}
        best = int(np.argmax(np.nanmean(cv.held_out, axis=(0, 2))))
        args.write.write_text(json.dumps({"factors": written, "fitted": {
            "method": "pairwise logistic over each query's judged candidates, ridge toward the current factors",
            "script": f"scripts/fit_query_factors.py --kind {args.kind}", "queries": len(queries),
            "model": rec.version, "strength": args.strength, "held": list(HELD_GROUPS),
            "metric": "NDCG@10 of the judged candidates, ranked as served",
            "prior_ndcg": round(float(np.nanmean(cv.current)), 4),
            "cv_ndcg_best_strength": [strengths[best], round(float(np.nanmean(cv.held_out[:, best])), 4)],
            "nested_cv_ndcg": round(float(cv.nested[ok].mean()), 4),
            "nested_minus_prior": [round(diff.mean, 4), round(diff.low, 4), round(diff.high, 4)],
        }}, indent=2) + "\n")
        print(f"wrote {args.write}")


if __name__ == "__main__":
    main()
