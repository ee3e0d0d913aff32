"""Fit the `tone` channel's penalties on the judged set and check them on the movie dev set.

    PYTHONPATH=. python scripts/fit_tone.py --model-dir /work/models/final5 \
        [--genres animation,family,horror,kids] [--write recommender/ranking/tone_penalties.json]

Per genre two penalties (`recommender.ranking.channels.TONE_FILE`): the query has the genre and the candidate
does not ("missing"), the candidate has it and the query does not ("extra"). They are fitted like the show
factors (`lab/evaluation/factor_fit.py`): a pairwise logistic loss over each judged query's judged candidates,
ranked as served, here for the queries of every kind, with a ridge toward 0 whose strength 5-fold
cross-validation over the queries chooses (three fold seeds); the procedure's own figure is nested. The movie
dev set (real co-likes, films) only checks the result: the penalties fitted on all judged queries are added to
its served scores and its NDCG@10 compared, per query, with the scores without them. Never fitted on it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import expit


def genre_bits(items: pd.DataFrame, genres: list[str]) -> np.ndarray:
    """(items, genres) 0/1: which of these genres each item's listing names (as `channels.tone_codes` reads them)."""
    from recommender.ranking.channels import _genre_list

    lists = [set(_genre_list(text)) for text in items["genres"].fillna("").astype(str).tolist()]
    bits = np.array([[g in listed for g in genres] for listed in lists], dtype=np.float64)
    return bits.reshape(len(lists), len(genres))


def features(channels, bits: np.ndarray, row: int, rows: np.ndarray) -> np.ndarray:
    """(len(rows), 2 * genres): per genre, missing then extra, where both titles have genres (as `Channels.tone`)."""
    described = int(channels.describer[row])
    query, candidate = bits[described][None, :], bits[rows]
    known = (channels.has_genres[described] & channels.has_genres[rows]).astype(np.float64)[:, None]
    return np.hstack([query * (1 - candidate), (1 - query) * candidate]) * known


def prepared(ranker, bits: np.ndarray, queries) -> list[tuple]:
    """(query, scores without the tone term, tone features, pairs) per judged query."""
    from recommender.ranking.channels import CHANNELS

    weight = float(ranker._w[CHANNELS.index("tone")])
    out = []
    for q in queries:
        row = int(q.query_row)
        base = q.scores(q.factors) - weight * ranker.channels.tone(np.array([row]), q.rows)[0]
        out.append((q, base, features(ranker.channels, bits, row, q.rows), *q.pairs()))
    return out


def loss(beta: np.ndarray, data: list[tuple], temperature: float, strength: float) -> tuple[float, np.ndarray]:
    total, grad, counted = 0.0, np.zeros_like(beta), 0
    for _q, base, x, higher, lower, weight in data:
        if not len(higher):
            continue
        s = base + x @ beta
        margin = temperature * (s[higher] - s[lower])
        total += float((weight * np.logaddexp(0.0, -margin)).sum() / weight.sum())
        grad += temperature * ((x[higher] - x[lower]).T @ (-weight * expit(-margin) / weight.sum()))
        counted += 1
    return total / counted + strength * float(beta @ beta), grad / counted + 2.0 * strength * beta


def fit(data: list[tuple], strength: float, temperature: float) -> np.ndarray:
    size = data[0][2].shape[1]
    bounds = [(None, 0.0)] * size  # penalties only
    return minimize(loss, np.zeros(size), args=(data, temperature, strength), jac=True, method="L-BFGS-B",
                    bounds=bounds).x


def main() -> None:
    from common.stats import paired_difference, resample_indices
    from lab.evaluation.factor_fit import collect, judged_queries, ndcg_of_scores
    from recommender.ranking.channels import CHANNELS, TONE_PENALTIES
    from recommender.serving import Recommender

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, required=True)
    parser.add_argument("--strengths", default="0.001,0.003,0.01,0.03,0.1")
    parser.add_argument("--pairs", type=Path, default=Path("recommender/data/taste/dev_pairs.csv"))
    parser.add_argument("--candidates", type=Path, default=Path("recommender/data/taste/dev_candidates.csv"))
    parser.add_argument("--genres", default=None, help="comma-separated genres to fit (default: the shipped ones)")
    parser.add_argument("--write", type=Path, default=None, help="write the penalties fitted on every query here")
    args = parser.parse_args()
    rec = Recommender.load(args.model_dir)
    ranker = rec.ranker
    row_of, judged = judged_queries(rec)
    genres = args.genres.split(",") if args.genres else list(TONE_PENALTIES)
    if args.write and len(genres) > 8:
        parser.error("the shipped channel takes at most 8 genres")
    bits = genre_bits(rec.items, genres)
    data = prepared(ranker, bits, judged)
    temperature = float(min(np.geomspace(0.1, 1000.0, 41),
                            key=lambda t: loss(np.zeros(2 * len(genres)), data, t, 0.0)[0]))
    strengths = [float(s) for s in args.strengths.split(",")]
    n = len(data)
    current = np.array([ndcg_of_scores(q, base) for q, base, *_ in data])
    held = np.full((3, len(strengths), n), np.nan)
    for seed in range(3):
        fold = np.random.default_rng(100 + seed).permutation(n) % 5
        for f in range(5):
            train = [d for d, g in zip(data, fold, strict=True) if g != f]
            for s, strength in enumerate(strengths):
                beta = fit(train, strength, temperature)
                for i in np.flatnonzero(fold == f):
                    q, base, x, *_ = data[int(i)]
                    held[seed, s, i] = ndcg_of_scores(q, base + x @ beta)
    nested = np.full((3, n), np.nan)
    chosen = []
    for seed in range(3):
        fold = np.random.default_rng(900 + seed).permutation(n) % 5
        for f in range(5):
            best = int(np.nanargmax(np.nanmean(held[seed][:, fold != f], axis=1)))
            chosen.append(strengths[best])
            nested[seed, fold == f] = held[seed, best, fold == f]
    nested_mean = np.nanmean(nested, axis=0)
    print(f"{n} judged queries, temperature {temperature:.3g}; without tone: NDCG@10 of the judged candidates "
          f"{np.nanmean(current):.4f}")
    for s, strength in enumerate(strengths):
        print(f"strength {strength:g}: 5-fold held-out {' '.join(f'{v:.4f}' for v in np.nanmean(held[:, s], axis=1))}")
    ok = ~np.isnan(nested_mean) & ~np.isnan(current)
    diff = paired_difference(nested_mean[ok], current[ok], resample_indices(int(ok.sum())))
    print(f"nested: {nested_mean[ok].mean():.4f}, minus without {diff.mean:+.4f} [{diff.low:+.4f}, {diff.high:+.4f}]; "
          f"better {int((nested_mean[ok] > current[ok]).sum())}, worse {int((nested_mean[ok] < current[ok]).sum())}; "
          f"strengths chosen {sorted(set(chosen))}")
    strength = max(set(chosen), key=chosen.count)
    beta = fit(data, strength, temperature)
    # Dev check: the dev queries' served scores over the dev candidates, with and without these penalties.
    pairs = pd.read_csv(args.pairs)
    candidates = [row_of[t] for t in pd.read_csv(args.candidates)["title"] if t in row_of]
    dev = []
    for query_title, group in pairs.groupby("query_title"):
        name = str(query_title)
        if name in row_of:
            gains = {row_of[t]: s for t, s in zip(group.relevant_title, group.score, strict=True) if t in row_of}
            dev.append((name, row_of[name], {r: gains.get(r, 0.0) for r in candidates}))
    dev_data = prepared(ranker, bits, collect(ranker, dev))
    before = np.array([ndcg_of_scores(q, base) for q, base, *_ in dev_data])
    after = np.array([ndcg_of_scores(q, base + x @ beta) for q, base, x, *_ in dev_data])
    dev_ok = ~np.isnan(before) & ~np.isnan(after)
    d = paired_difference(after[dev_ok], before[dev_ok], resample_indices(int(dev_ok.sum())))
    print(f"movie dev set, {int(dev_ok.sum())} queries: NDCG@10 {before[dev_ok].mean():.4f} -> "
          f"{after[dev_ok].mean():.4f}, "
          f"{d.mean:+.4f} [{d.low:+.4f}, {d.high:+.4f}]; better {int((after > before).sum())}, "
          f"worse {int((after < before).sum())}")
    scale = 1.0 / float(ranker._w[CHANNELS.index("tone")])  # blend units per normalised unit (held weight 1)
    penalties = {g: {"missing": round(float(beta[i]) * scale, 2),
                     "extra": round(float(beta[len(genres) + i]) * scale, 2)} for i, g in enumerate(genres)}
    print(f"fitted on every query, strength {strength:g} (blend units): {penalties}")
    if args.write:
        args.write.write_text(json.dumps({"penalties": penalties, "fitted": {
            "method": "pairwise logistic over each judged query's judged candidates (every kind), ridge toward 0",
            "script": "scripts/fit_tone.py", "queries": n, "model": rec.version, "strength": strength,
            "metric": "NDCG@10 of the judged candidates, ranked as served",
            "without_ndcg": round(float(np.nanmean(current)), 4),
            "nested_cv_ndcg": round(float(nested_mean[ok].mean()), 4),
            "nested_minus_without": [round(diff.mean, 4), round(diff.low, 4), round(diff.high, 4)],
            "dev_ndcg_without_with": [round(float(before[dev_ok].mean()), 4), round(float(after[dev_ok].mean()), 4)],
            "dev_difference": [round(d.mean, 4), round(d.low, 4), round(d.high, 4)],
        }}, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.write}")


if __name__ == "__main__":
    main()
