"""Show queries' factors fitted on the judged set (recommender/ranking/show_query_factors.json,
lab/evaluation/factor_fit.py, docs/ranking-rules.md "Query factors")."""

from __future__ import annotations

import json
from importlib import resources

import numpy as np
import pandas as pd
import pytest

from lab.evaluation.factor_fit import FACTOR_GROUPS, JudgedQuery, collect, fit_factors, ndcg
from recommender.ranking.blend import BlendWeights
from recommender.ranking.channels import (
    KIND_FACTORS,
    SHOW_FACTORS_FILE,
    SHOW_QUERY_FACTORS,
    load_query_factors,
)
from recommender.ranking.ranker import Ranker


def test_show_queries_serve_the_factors_fitted_on_the_judged_set() -> None:
    shipped = json.loads(resources.files("recommender.ranking").joinpath(SHOW_FACTORS_FILE).read_text("utf-8"))
    assert shipped["factors"] == SHOW_QUERY_FACTORS
    assert KIND_FACTORS[1] is SHOW_QUERY_FACTORS and KIND_FACTORS[3]["genres"] == shipped["factors"]["genres"]
    assert shipped["fitted"]["cv_ndcg"] >= shipped["fitted"]["prior_ndcg"]  # chosen by CV, not in-sample


@pytest.mark.parametrize(("factors", "message"), [
    ({"era": 0.3, "era_acclaim": 0.2}, "share a term"),
    ({"title_words": 0.5}, "share a term"),  # title_chars would stay 1
    ({"genres": -1.0}, ">= 0"),
    ({"plot": 2.0}, "unknown channels"),
])
def test_a_factors_file_the_scorer_cannot_serve_is_refused(factors: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        load_query_factors(json.dumps({"factors": factors}))


def _query(rng: np.random.Generator, signal: int, prior: np.ndarray) -> JudgedQuery:
    """Twelve judged candidates whose judgement only the `signal` group's term knows; the rest is noise."""
    judged = rng.integers(0, 3, 12).astype(np.float64)
    terms = rng.normal(0.0, 1.0, (len(FACTOR_GROUPS), 12))
    terms[signal] = judged + rng.normal(0.0, 0.3, 12)
    return JudgedQuery(name="q", kind=1, terms=terms, fixed=np.zeros(12), factors=prior, judged=judged,
                       tiers=np.zeros(12), franchise=np.arange(12), rows=np.arange(12))


def test_the_fit_follows_the_judgements_and_the_ridge_holds_it_to_the_prior() -> None:
    rng = np.random.default_rng(0)
    names = list(FACTOR_GROUPS)
    signal = names.index("genres")
    prior = np.ones(len(names))
    prior[signal] = 0.1  # the prior barely uses the one group that knows
    queries = [_query(rng, signal, prior) for _ in range(30)]
    free = fit_factors(queries, 0.01, prior)
    held = fit_factors(queries, 1e7, prior)
    assert free[signal] > 5 * prior[signal]
    assert free[names.index("hub")] == prior[names.index("hub")]  # held: one query's candidates cannot see hubs
    np.testing.assert_allclose(held, prior, atol=0.02)
    assert np.mean([ndcg(q, free) for q in queries]) > np.mean([ndcg(q, prior) for q in queries]) + 0.1


def test_the_fit_ranks_judged_candidates_as_the_ranker_serves_them() -> None:
    """The fit's ranking (its terms times the kind's factors, the safety tiers, one entry per franchise) is the
    served one: otherwise its cross-validated figure would be of lists nobody gets."""
    rng = np.random.default_rng(1)
    n = 24
    items = pd.DataFrame({
        "item_id": range(n), "title": [f"Title {i}" for i in range(n)],
        "content_type": ["Show" if i % 3 else "Movie" for i in range(n)],
        "language": ["Korean" if i % 4 else "English" for i in range(n)],
        "genres": [["drama", "comedy, drama", "crime", "kids, animation"][i % 4] for i in range(n)],
        "release_year": 2000 + rng.integers(0, 24, n), "hours_viewed": rng.integers(10**5, 10**8, n),
        "maturity": [["kids", "family", "teen", "adult", "unknown"][i % 5] for i in range(n)],
        "franchise_key": [f"f{i // 2}" for i in range(n)],
    })
    weights = {"embedding": 1.0, "genres": 0.5, "era": 0.4, "hours_viewed": 0.3, "same_language": 0.2,
               "same_type": 0.2, "title_words": 0.1, "maturity_above": -0.3}
    ranker = Ranker(items, rng.normal(size=(n, 6)).astype(np.float32), BlendWeights(weights))
    for row in (1, 2, 5, 15):  # shows, one of them a kids' query with tiers
        judged = {int(c): float(rng.integers(0, 3)) for c in range(n) if c != row}
        (query,) = collect(ranker, [("q", row, judged)])
        served, _ = ranker.rank(row, 10, candidates=np.array(sorted(judged)))
        key = query.scores(query.factors) - 1e4 * query.tiers
        mine: list[int] = []
        for i in np.lexsort((query.rows, -key)):
            if query.franchise[i] not in {ranker.franchise_codes[r] for r in mine}:
                mine.append(int(query.rows[i]))
        assert mine[:10] == served
        assert ndcg(query, query.factors) == pytest.approx(_ndcg([judged[r] for r in served], list(query.judged)))


def _ndcg(ranked: list[float], judged: list[float], k: int = 10) -> float:
    discount = 1 / np.log2(np.arange(2, k + 2))
    ideal = np.sort(np.array(judged))[::-1][:k]
    return float((np.array(ranked[:k]) * discount[: len(ranked[:k])]).sum() / (ideal * discount[: len(ideal)]).sum())
