"""Fit a query kind's channel factors on the judged set, and measure the fit by cross-validation over queries.

Why: the movie dev set holds only films, so the factors a show query's channels are multiplied by
(`recommender.ranking.channels.KIND_FACTORS`) were chosen by cross-validation over small grids on the judged
set, one or two at a time. Here every factor the per-request scorer can scale is fitted at once on the judged
pairs: a pairwise logistic loss over each query's judged candidates (a pair counts when one was judged higher,
both in the same safety tier, weighted by the difference), with a ridge pulling the factors toward the current
ones (a query's unjudged candidates are what the current factors served, so a fit far from them would serve
picks nobody has judged). Film queries are never fitted: the movie dev set measures them.

Each judged query is served by the code it is scored with: its judged candidates are ranked as
`Ranker.rank(candidates=...)` ranks them (safety tiers, one entry per franchise), and the per-query figure
is NDCG@10 of their judgements (gain = judgement). The ridge's strength is chosen by 5-fold cross-validation
over queries, and the procedure's own figure is nested: the strength is chosen on four fifths of the held-out
table and scored on the fifth. Never by the in-sample judged mean.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

# The factor groups the per-request scorer can scale per query kind (`OneQueryScorer`): channels summed into
# one term share a factor (era and era_acclaim; the two title channels). Description, country, same maturity
# and the maturity step keep 1 for every kind; with the safety tiers they fix the scale of the others.
FACTOR_GROUPS: dict[str, tuple[str, ...]] = {
    "embedding": ("embedding",),
    "era": ("era", "era_acclaim"),
    "title": ("title_chars", "title_words"),
    "genres": ("genres",),
    "people": ("people",),
    "same_language": ("same_language",),
    "same_type": ("same_type",),
    "hours_viewed": ("hours_viewed",),
    "imdb_votes": ("imdb_votes",),
    "imdb_score": ("imdb_score",),
    "has_metadata": ("has_metadata",),
    "hub": ("hub",),
}
# Held at its current factor: the hub penalty is about how many lists a title fills, which one query's judged
# candidates cannot show (a hub is mostly judged 1 in each list it fills).
HELD_GROUPS = ("hub",)
DISCOUNT = 1.0 / np.log2(np.arange(2, 12))


@dataclass
class JudgedQuery:
    """One judged query's judged candidates as the scorer sees them."""

    name: str
    kind: int  # `Channels.query_kind`
    terms: np.ndarray  # (len(FACTOR_GROUPS), candidates): each group's weighted channel sum, before its factor
    fixed: np.ndarray  # (candidates,): the terms no factor scales (with the kind's factors where they apply)
    factors: np.ndarray  # (len(FACTOR_GROUPS),): the kind's current factors
    judged: np.ndarray  # (candidates,) judgements 0..2
    tiers: np.ndarray  # (candidates,) safety tier (lower first; all 0 when the query has none)
    franchise: np.ndarray  # (candidates,) franchise codes (one entry per franchise)
    rows: np.ndarray  # (candidates,) catalog rows (ties break by row, as served)
    query_row: int = -1  # the query's catalog row

    def scores(self, factors: np.ndarray) -> np.ndarray:
        return self.fixed + factors @ self.terms

    def pairs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(higher, lower, weight): candidate pairs judged apart within one tier."""
        higher, lower = np.nonzero((self.judged[:, None] > self.judged[None, :])
                                   & (self.tiers[:, None] == self.tiers[None, :]))
        return higher, lower, self.judged[higher] - self.judged[lower]


def collect(ranker, rows_and_judgements: Sequence[tuple[str, int, dict[int, float]]]) -> list[JudgedQuery]:
    """The judged queries' inputs from a ranker: `(name, query row, {candidate row: judgement})` each.

    The candidates a served list could never hold are dropped as `Ranker.rank(candidates=...)` drops them
    (the query's franchise; adult titles for a query that blocks them).
    """
    from recommender.ranking.channels import CHANNELS, KIND_FACTORS

    index = {name: i for i, name in enumerate(CHANNELS)}
    grouped = {c for names in FACTOR_GROUPS.values() for c in names}
    out = []
    for name, row, judged in rows_and_judgements:
        rows = np.array(sorted(judged), dtype=np.int64)
        keep = (rows != row) & (ranker.franchise_codes[rows] != ranker.franchise_codes[row])
        if ranker.blocks_adult(row):
            keep &= ranker.safety_tier[rows] < 3
        rows = rows[keep]
        if len(rows) == 0:
            continue
        values = ranker.channels.pair_scores(np.array([row]), rows)[:, 0, :]
        kind = int(ranker.channels.query_kind(np.array([row]))[0])
        table, w = KIND_FACTORS[kind], ranker._w
        terms = np.stack([sum(w[index[c]] * values[index[c]] for c in names) for names in FACTOR_GROUPS.values()])
        fixed = sum(w[index[c]] * table.get(c, 1.0) * values[index[c]] for c in CHANNELS if c not in grouped)
        tiers = ranker.tiers(row)
        out.append(JudgedQuery(
            name=name, kind=kind, terms=terms.astype(np.float64), fixed=np.asarray(fixed, dtype=np.float64),
            factors=np.array([table.get(names[0], 1.0) for names in FACTOR_GROUPS.values()]),
            judged=np.array([judged[r] for r in rows], dtype=np.float64),
            tiers=np.zeros(len(rows)) if tiers is None else np.asarray(tiers[rows], dtype=np.float64),
            franchise=ranker.franchise_codes[rows], rows=rows, query_row=int(row)))
    return out


def judged_queries(rec, judgements=None) -> tuple[dict[str, int], list[JudgedQuery]]:
    """(title -> catalog row, every judged query of the bundled query list as `collect` gives it) for a loaded
    `Recommender`; `judgements`: a judgements CSV instead of the bundled one."""
    from lab.evaluation.judged import (
        default_judgements_path,
        default_queries_path,
        load_judgements,
        load_queries,
        pair_scores,
    )

    row_of = {title: row for row, title in enumerate(rec.index.titles)}
    judged: dict[str, dict[int, float]] = {}
    for (query, candidate), score in pair_scores(load_judgements(judgements or default_judgements_path())).items():
        if query in row_of and candidate in row_of:
            judged.setdefault(query, {})[row_of[candidate]] = score
    names = [q for q in load_queries(default_queries_path())["query"] if q in judged]
    return row_of, collect(rec.ranker, [(n, row_of[n], judged[n]) for n in names])


def ndcg(query: JudgedQuery, factors: np.ndarray, k: int = 10) -> float:
    """NDCG@k of the query's judged candidates ranked with these factors as served (nan: nothing judged above 0)."""
    return ndcg_of_scores(query, query.scores(factors), k)


def ndcg_of_scores(query: JudgedQuery, scores: np.ndarray, k: int = 10) -> float:
    """NDCG@k of the query's judged candidates ranked by these scores as served (tiers, one per franchise)."""
    key = scores - 1e4 * query.tiers
    chosen: list[int] = []
    seen: set[int] = set()
    for i in np.lexsort((query.rows, -key)).tolist():
        if query.franchise[i] in seen:
            continue
        seen.add(query.franchise[i])
        chosen.append(i)
        if len(chosen) == k:
            break
    ideal = np.sort(query.judged)[::-1][:k]
    best = float((ideal * DISCOUNT[: len(ideal)]).sum())
    return float((query.judged[chosen] * DISCOUNT[: len(chosen)]).sum() / best) if best > 0 else float("nan")


def _loss(factors: np.ndarray, queries: Sequence[JudgedQuery], temperature: float, strength: float,
          prior: np.ndarray, spread: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean over queries of the weighted pairwise logistic loss, plus the ridge toward `prior`; and its gradient."""
    total, grad, counted = 0.0, np.zeros_like(factors), 0
    for q in queries:
        higher, lower, weight = q.pairs()
        if not len(higher):
            continue
        s = q.scores(factors)
        margin = temperature * (s[higher] - s[lower])
        total += float((weight * np.logaddexp(0.0, -margin)).sum() / weight.sum())
        slope = -weight * expit(-margin) / weight.sum()
        grad += temperature * ((q.terms[:, higher] - q.terms[:, lower]) @ slope)
        counted += 1
    if counted:
        total, grad = total / counted, grad / counted
    gap = (factors - prior) * spread
    return total + strength * float((gap ** 2).sum()), grad + 2.0 * strength * gap * spread


def fit_factors(queries: Sequence[JudgedQuery], strength: float, prior: np.ndarray,
                held: Sequence[str] = HELD_GROUPS) -> np.ndarray:
    """Factors >= 0 minimising the pairwise loss with a ridge of `strength` toward `prior` (held groups stay).

    The ridge is on each group's factor times its term's spread over the candidates, so one strength suits
    every group; the loss's temperature is the one that best fits the prior (the blend's scale is fixed by the
    unscaled terms, so it is not a free parameter of the factors).
    """
    from scipy.optimize import minimize

    spread = np.concatenate([q.terms for q in queries], axis=1).std(1)
    spread[spread == 0] = 1.0
    temperatures = np.geomspace(0.1, 1000.0, 21)
    temperature = float(min(temperatures, key=lambda t: _loss(prior, queries, t, 0.0, prior, spread)[0]))
    names = list(FACTOR_GROUPS)
    bounds = [(prior[i], prior[i]) if names[i] in held else (0.0, None) for i in range(len(names))]
    result = minimize(_loss, prior.copy(), args=(queries, temperature, strength, prior, spread), jac=True,
                      method="L-BFGS-B", bounds=bounds)
    return np.asarray(result.x)


@dataclass
class CrossValidation:
    strengths: list[float]
    held_out: np.ndarray  # (seeds, strengths, queries) NDCG@10 of each query with factors fitted without it
    current: np.ndarray  # (queries,) NDCG@10 with the current factors
    nested: np.ndarray  # (queries,) the whole procedure's held-out NDCG@10 (strength chosen without the query)
    chosen: list[float]  # the strengths the nested folds chose


def cross_validate(queries: Sequence[JudgedQuery], strengths: Sequence[float], *, folds: int = 5,
                   seeds: int = 3) -> CrossValidation:
    """Held-out NDCG@10 of every strength (fit on four fifths of the queries, score the fifth), then nested."""
    n = len(queries)
    held = np.full((seeds, len(strengths), n), np.nan)
    for seed in range(seeds):
        fold = np.random.default_rng(100 + seed).permutation(n) % folds
        for f in range(folds):
            train = [q for q, g in zip(queries, fold, strict=True) if g != f]
            prior = train[0].factors
            for s, strength in enumerate(strengths):
                factors = fit_factors(train, strength, prior)
                for i in np.flatnonzero(fold == f):
                    held[seed, s, i] = ndcg(queries[int(i)], factors)
    nested = np.full((seeds, n), np.nan)
    chosen: list[float] = []
    for seed in range(seeds):
        fold = np.random.default_rng(900 + seed).permutation(n) % folds
        for f in range(folds):
            best = int(np.nanargmax(np.nanmean(held[seed][:, fold != f], axis=1)))
            chosen.append(strengths[best])
            nested[seed, fold == f] = held[seed, best, fold == f]
    current = np.array([ndcg(q, q.factors) for q in queries])
    return CrossValidation(list(strengths), held, current, np.nanmean(nested, axis=0), chosen)
