"""The served ranking: kids-safe lists over the whole catalog, one ranking everywhere, the blend fit."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from recommender.catalog import load_catalog
from recommender.evaluation import metrics as m
from recommender.evaluation.harness import Task, run_system
from recommender.evaluation.systems import ServedRanking
from recommender.ranking.blend import (
    BLEND_SCALE,
    PRIOR_WEIGHTS,
    SIMILARITY_CHANNELS,
    BlendWeights,
    OverlapRule,
    first_per_group,
    fit_blend,
    ndcg_per_query,
    shared_share,
)
from recommender.ranking.channels import (
    CHANNELS,
    ERA_SCALE_YEARS,
    ERA_UNKNOWN,
    FILM_QUERY_FACTORS,
    KIND_FLOOR,
    SHOW_QUERY_FACTORS,
    Channels,
    maturity_band,
)
from recommender.ranking.quality import unsafe_kids_lists
from recommender.ranking.ranker import Ranker
from recommender.serving import Recommender
from recommender.settings import bundled_catalog_path, enrichment_sources

pytestmark = pytest.mark.slow  # every kids/family title of the full catalog


@pytest.fixture(scope="module")
def full_items() -> pd.DataFrame:
    """The shipped catalog with the bundled listings, as a default model sees it."""
    return load_catalog(bundled_catalog_path(), enrichment_sources(None, True)).items


def hostile_embeddings(items: pd.DataFrame) -> np.ndarray:
    """Every adult title's vector equals a kids title's: the embedding channel pulls adult items up."""
    maturity = items["maturity"].to_numpy()
    vectors = np.random.default_rng(1).normal(size=(len(items), 16)).astype(np.float32)
    kids = np.flatnonzero(np.isin(maturity, ["kids", "family"]))
    adult = np.flatnonzero(maturity == "adult")
    vectors[adult] = vectors[kids[np.arange(len(adult)) % len(kids)]]
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def full_ranker(full_items: pd.DataFrame) -> Ranker:
    weights = BlendWeights.load()
    weights.weights["embedding"] = 50.0 * max(abs(w) for w in weights.weights.values())  # embedding dominates
    return Ranker(full_items, hostile_embeddings(full_items), weights)


def test_no_kids_or_family_title_gets_an_adult_title_in_its_top_10(full_ranker: Ranker) -> None:
    unsafe, checked = unsafe_kids_lists(full_ranker, k=10)
    assert checked > 1000  # every kids/family title of the catalog, not a sample
    assert unsafe == 0


def test_titles_of_unknown_maturity_never_get_adult_titles(full_ranker: Ranker, full_items) -> None:
    """No listing describes Peppa Pig or Blippi: they may be children's titles, so no adult items."""
    unknown = np.flatnonzero(full_ranker.maturity == "unknown")
    titles = full_items["title"].to_numpy()
    named = [r for r in unknown if str(titles[r]).startswith(("Peppa Pig", "Blippi", "Paw Patrol"))]
    rows = np.unique(np.concatenate([unknown[::10], named]))
    assert len(named) >= 3 and len(rows) > 1000
    adult = full_ranker.maturity == "adult"
    assert not any(adult[chosen].any() for chosen in full_ranker.rank_many(rows, 10))


def test_the_blend_is_fitted_without_what_the_safety_rule_never_shows(full_ranker: Ranker) -> None:
    """`never_shown` (the fit's exclusions) is exactly what `rank` removes: adult titles for safe or unknown queries."""
    band = full_ranker.maturity
    rows = np.array([np.flatnonzero(band == b)[0] for b in ("kids", "family", "teen", "adult", "unknown")])
    columns = np.arange(len(full_ranker))
    hidden = full_ranker.never_shown(rows, columns)
    adult = band == "adult"
    assert hidden[:2].tolist() == [adult.tolist()] * 2  # kids, family
    assert not hidden[2].any() and not hidden[3].any()  # teen and adult queries may get adult titles
    assert hidden[4].tolist() == adult.tolist()  # unknown: may be a children's title
    for row, chosen in zip(rows, full_ranker.rank_many(rows, 50), strict=True):
        assert not full_ranker.never_shown(np.array([row]), np.array(chosen)).any()


def test_kids_lists_put_unknown_maturity_only_below_known_safe_titles(full_ranker: Ranker) -> None:
    rows = np.flatnonzero(np.isin(full_ranker.maturity, ["kids", "family"]))[::7]
    tier = full_ranker.safety_tier
    for chosen in full_ranker.rank_many(rows, 10):
        tiers = tier[chosen]
        assert (np.diff(tiers) >= 0).all(), tiers
        assert (tiers < 3).all()


def test_family_safe_setting_makes_adult_queries_safe_too(full_ranker: Ranker) -> None:
    rows = np.flatnonzero(full_ranker.maturity == "adult")[:200]
    adult = full_ranker.maturity == "adult"
    plain = full_ranker.rank_many(rows, 10)
    safe = full_ranker.rank_many(rows, 10, family_safe=True)
    assert any(adult[c].any() for c in plain)  # the setting is what removes them
    assert not any(adult[c].any() for c in safe)


def test_maturity_bands_from_certifications() -> None:
    assert [maturity_band(c) for c in ("TV-Y", "PG", "TV-14", "TV-MA", "R", "", "NR")] == [
        "kids",
        "family",
        "teen",
        "adult",
        "adult",
        "unknown",
        "unknown",
    ]


def test_evaluate_measures_the_lists_recommend_returns(model_dir) -> None:
    rec = Recommender.load(model_dir, family_safe=False)
    ids = rec.items["item_id"].to_numpy()
    queries = np.arange(0, len(rec.items), 37)
    task = Task("t", rec.items, queries, np.arange(len(rec.items)), [{int(ids[0]): 1.0}] * len(queries), k=5)
    lists = ServedRanking("model", rec.ranker).lists(task)
    for row, ranked in zip(queries, lists, strict=False):
        served = [r.item.item_id for r in rec.recommend(int(ids[row]), 5).items]
        assert ranked.tolist() == served


def test_vectorised_ndcg_matches_the_reference_metric() -> None:
    rng = np.random.default_rng(3)
    scores = rng.normal(size=(20, 40))
    gains = np.where(rng.random((20, 40)) < 0.1, rng.random((20, 40)), 0.0)
    gains[0] = 0.0
    gains[0, 5] = 1.0
    excluded = rng.random((20, 40)) < 0.1
    fast = ndcg_per_query(scores, gains, excluded, 10)
    for q in range(20):
        order = [c for c in np.argsort(-scores[q], kind="stable") if not excluded[q, c]][:10]
        grades = {c: g for c, g in enumerate(gains[q]) if g > 0}
        assert fast[q] == pytest.approx(m.ndcg_at_k(order, grades, 10)) if grades else np.isnan(fast[q])


def _random_fit_problem(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """60 queries x 80 candidates of random channel values, 5% relevant, nothing excluded."""
    rng = np.random.default_rng(seed)
    gains = (rng.random((60, 80)) < 0.05).astype(float)
    return _random_channels(rng, 60, 80), gains, np.zeros_like(gains, dtype=bool)


_HELD_RULES = ("hub", "maturity_above", "tone")


def _random_channels(rng: np.random.Generator, queries: int, candidates: int) -> np.ndarray:
    """Uniform random values for every channel but the held rule channels, which stay 0: their held weights
    are large by design, and noise under them would drown the signal each test plants. The other channels
    get the same draws as before the held ones existed, so each test keeps the problem it was written on."""
    features = np.zeros((len(CHANNELS), queries, candidates), dtype=np.float32)
    drawn = [i for i, name in enumerate(CHANNELS) if name not in _HELD_RULES]
    features[drawn] = rng.random((len(drawn), queries, candidates)).astype(np.float32)
    return features


def test_fit_blend_finds_the_channel_that_carries_the_signal() -> None:
    features, gains, no_exclusion = _random_fit_problem(0)
    signal = CHANNELS.index("era")
    features[signal] += 0.8 * gains  # only `era` knows which candidates are relevant
    result = fit_blend(features, gains, no_exclusion, folds=3, passes=1)
    assert result.weights.weights["era"] > 0
    assert result.cross_validated > 0.5
    assert result.weights.fitted["cv_ndcg"] == pytest.approx(result.cross_validated, abs=1e-4)
    features[signal] -= 0.8 * gains  # the control: nothing knows, and held-out queries show it
    assert fit_blend(features, gains, no_exclusion, folds=3, passes=1).cross_validated < 0.3


def test_similarity_channels_never_count_against_a_candidate_unless_asked() -> None:
    """A similarity channel that happens to anti-correlate with the fitting pairs gets weight 0, not < 0."""
    features, gains, no_exclusion = _random_fit_problem(1)
    features[CHANNELS.index("description")] -= 0.8 * gains  # resembling the query marks the irrelevant ones
    free = fit_blend(features, gains, no_exclusion, folds=0, passes=1, negative_similarity=True)
    assert free.weights.weights["description"] < 0  # the search would use it backwards
    kept = fit_blend(features, gains, no_exclusion, folds=0, passes=1)
    assert kept.weights.weights.get("description", 0.0) == 0.0
    assert all(kept.weights.weights.get(c, 0.0) >= 0 for c in SIMILARITY_CHANNELS)
    assert kept.weights.fitted["negative_similarity"] is False
    assert free.in_sample > kept.in_sample  # the constraint costs in-sample fit, by design


def test_bagged_fit_averages_searches_on_resampled_queries_and_repeats_exactly() -> None:
    features, gains, no_exclusion = _random_fit_problem(2)
    features[CHANNELS.index("era")] += 0.8 * gains
    bagged = fit_blend(features, gains, no_exclusion, folds=2, passes=1, bags=4, seed=3)
    assert bagged.weights.weights["era"] > 0 and bagged.cross_validated > 0.5
    assert fit_blend(features, gains, no_exclusion, folds=2, passes=1, bags=4, seed=3).weights == bagged.weights
    assert BlendWeights.from_json(bagged.weights.to_json()).bags == 4
    single = fit_blend(features, gains, no_exclusion, folds=0, passes=1)
    assert single.weights.bags == 0 and single.weights.weights != bagged.weights.weights


def test_first_per_group_keeps_the_best_of_each_franchise_in_rank_order() -> None:
    ranked = np.array([[5, 3, 4, 1, 0, 2], [0, 1, 2, 3, 4, 5]])
    groups = np.array([0, 0, 1, 2, 2, 3])  # columns 0-1, 3-4 are one franchise each
    np.testing.assert_array_equal(first_per_group(ranked, groups, 3), [[5, 3, 1], [0, 2, 3]])


def test_the_fit_scores_lists_as_served_one_entry_per_franchise() -> None:
    """A channel that finds a whole franchise looks better than it is when its lists may hold the franchise
    four times; with `groups` the fit (and its cross-validation) reports what the lists users get score."""
    features, gains, no_exclusion = _random_fit_problem(6)
    groups = np.arange(80)
    groups[1:4] = 0  # columns 0-3: one franchise, relevant to every query, found by `people`
    gains[:, :4] = 1.0
    features[CHANNELS.index("people"), :, :4] += 3.0
    features[CHANNELS.index("era")] += 0.8 * (gains * (np.arange(80) >= 4))  # `era` finds the rest
    served = fit_blend(features, gains, no_exclusion, folds=2, passes=1, groups=groups)
    expected = ndcg_per_query(np.tensordot(served.weights.vector(), features, 1), gains, no_exclusion, 10, groups)
    assert served.in_sample == pytest.approx(float(np.nanmean(expected)), abs=1e-4)
    assert served.weights.fitted["one_per_franchise"] is True
    plain = fit_blend(features, gains, no_exclusion, folds=2, passes=1)
    replayed = ndcg_per_query(np.tensordot(plain.weights.vector(), features, 1), gains, no_exclusion, 10, groups)
    assert plain.in_sample > float(np.nanmean(replayed)) + 0.05  # scored without the rule, a fit flatters itself


def test_channels_the_pairs_cannot_weigh_keep_their_prior_weight() -> None:
    """same_type / same_language are held at PRIOR_WEIGHTS: the search never moves them, even when they
    happen to correlate with the pairs (on the real dev set they are constant, so it would move them by chance)."""
    features, gains, no_exclusion = _random_fit_problem(4)
    features[CHANNELS.index("same_type")] += 0.8 * gains
    held = fit_blend(features, gains, no_exclusion, folds=0, passes=1)
    for name, value in PRIOR_WEIGHTS.items():
        assert held.weights.weights[name] == pytest.approx(value, rel=1e-5)
    assert held.weights.fitted["priors"] == PRIOR_WEIGHTS
    searched = fit_blend(features, gains, no_exclusion, folds=0, passes=1, priors={})
    assert searched.weights.weights["same_type"] != pytest.approx(PRIOR_WEIGHTS["same_type"], rel=1e-3)


def _fitted_spread(result, features: np.ndarray) -> float:
    """Standard deviation of the blend of the fitted (not held) channels over every cell."""
    w = result.weights.vector().copy()
    for name in PRIOR_WEIGHTS:
        w[CHANNELS.index(name)] = 0.0
    return float(np.tensordot(w, features, 1).std())


def test_logistic_fit_finds_the_signal_and_keeps_held_weights_on_a_fixed_scale() -> None:
    """However strongly the pairs speak, the fitted part of the blend has the same spread (`BLEND_SCALE`), so
    the held rules (hub, maturity step, same type) keep their strength beside it; held weights never move."""
    features, gains, no_exclusion = _random_fit_problem(7)
    era = CHANNELS.index("era")
    features[era] += 0.8 * gains
    weak = fit_blend(features, gains, no_exclusion, folds=3, method="logistic")
    assert weak.weights.fitted["method"] == "logistic" and weak.weights.method == "logistic"
    assert weak.weights.weights["era"] == max(weak.weights.weights[c] for c in SIMILARITY_CHANNELS if
                                              c in weak.weights.weights)
    assert weak.cross_validated > 0.5
    for name, value in PRIOR_WEIGHTS.items():
        assert weak.weights.weights[name] == pytest.approx(value, rel=1e-5)
    features[era] += 2.4 * gains  # a much stronger signal: a raw regression's coefficients would grow with it
    strong = fit_blend(features, gains, no_exclusion, folds=0, method="logistic")
    assert _fitted_spread(weak, features - 2.4 * gains * (np.arange(len(CHANNELS)) == era)[:, None, None]) == \
        pytest.approx(BLEND_SCALE, rel=1e-3)
    assert _fitted_spread(strong, features) == pytest.approx(BLEND_SCALE, rel=1e-3)


def test_logistic_fit_drops_a_similarity_channel_that_would_count_against_a_candidate() -> None:
    features, gains, no_exclusion = _random_fit_problem(8)
    features[CHANNELS.index("era")] += 0.8 * gains
    features[CHANNELS.index("description")] -= 0.8 * gains
    result = fit_blend(features, gains, no_exclusion, folds=0, method="logistic")
    assert result.weights.weights.get("description", 0.0) == 0.0
    assert all(result.weights.weights.get(c, 0.0) >= 0 for c in SIMILARITY_CHANNELS)
    with pytest.raises(ValueError, match="unknown fitting method"):
        fit_blend(features, gains, no_exclusion, folds=0, method="ridge")


def test_the_fit_reports_the_lists_as_served_with_the_query_factors() -> None:
    """Weights come from the plain channels (a fit would undo a factor chosen against its pairs), but the NDCG
    it reports is of the lists served with the factors: here they switch off the one channel that knows."""
    features, gains, no_exclusion = _random_fit_problem(9)
    features[CHANNELS.index("era")] += 0.8 * gains
    plain = fit_blend(features, gains, no_exclusion, folds=2, method="logistic")
    factors = np.ones(features.shape[:2], dtype=np.float32)
    factors[CHANNELS.index("era")] = 0.0
    served = fit_blend(features, gains, no_exclusion, folds=2, method="logistic", factors=factors)
    assert served.weights.weights == plain.weights.weights
    assert plain.in_sample > 0.5 and plain.cross_validated > 0.5
    assert served.in_sample < 0.3 and served.cross_validated < 0.3


def test_a_show_query_weighs_era_and_genres_by_its_kinds_factors() -> None:
    """A show's list leans on release year less than a film's (a series runs for years) and on genres more."""
    show_era, show_genres = SHOW_QUERY_FACTORS["era"], SHOW_QUERY_FACTORS["genres"]
    assert show_era < 1.0 < show_genres and FILM_QUERY_FACTORS.get("era", 1.0) == 1.0
    items = pd.DataFrame({"title": ["Show A", "Film A", "Same year", "Decades off"],
                          "content_type": ["Show", "Movie", "Movie", "Movie"],
                          "release_year": [2016, 2016, 2016, 1980], "genres": ["drama", "drama", "comedy", "drama"]})
    channels = Channels.build(items, np.eye(4, dtype=np.float32))
    w = np.zeros(len(CHANNELS), dtype=np.float32)
    w[CHANNELS.index("era")], w[CHANNELS.index("genres")] = 1.0, 0.25
    show, film = channels.blend(w, np.array([0, 1]))
    assert film[2] > film[3]  # the film query: same year beats same genre
    assert show[3] > show[2]  # the show query: same genre beats same year
    decades = np.exp(-36 / ERA_SCALE_YEARS)
    # The show query's same-year comedy shares no genre with it: its era counts `KIND_FLOOR` (ranking-rules).
    np.testing.assert_allclose(show[[2, 3]], [show_era * KIND_FLOOR, show_era * decades + 0.25 * show_genres],
                               rtol=1e-5)
    np.testing.assert_allclose(film[[2, 3]], [1.0, decades + 0.25 * FILM_QUERY_FACTORS.get("genres", 1.0)],
                               rtol=1e-5)
    ranker = Ranker(items.assign(item_id=range(4), franchise_key=items["title"]), np.eye(4, dtype=np.float32),
                    BlendWeights({"era": 1.0, "genres": 0.25, "embedding": 0.5, "title_words": 0.5}))
    for row in (0, 1):
        np.testing.assert_allclose(ranker.scores(row), ranker.channels.blend(ranker._w, np.array([row]))[0],
                                   atol=1e-6)


def test_blend_weights_round_trip_and_refuse_unknown_channels() -> None:
    shipped = BlendWeights.load()
    assert BlendWeights.from_json(shipped.to_json()).weights == shipped.weights
    with pytest.raises(ValueError, match="unknown channels"):
        BlendWeights.from_json(json.dumps({"weights": {"vibes": 1.0}}))


def test_list_overlap_counts_shared_items_between_unrelated_queries() -> None:
    lists = [[1, 2, 3, 4], [1, 2, 5, 6], [7, 8, 9, 10]]
    unrelated = np.ones((3, 3), dtype=bool)
    # pairs (0,1): 2 shared of 4; (0,2), (1,2): none -> mean over 6 ordered pairs = (0.5 * 2) / 6
    assert m.mean_list_overlap(lists, unrelated, 4) == pytest.approx(1 / 6)
    unrelated[0, 1] = unrelated[1, 0] = False
    assert m.mean_list_overlap(lists, unrelated, 4) == 0.0


def test_harness_runs_the_served_system(model_dir) -> None:
    """Harness accepts the served system: metrics, coverage and overlap are all defined."""
    rec = Recommender.load(model_dir, family_safe=False)
    ids = rec.items["item_id"].to_numpy()
    task = Task("t", rec.items, np.arange(10), np.arange(len(rec.items)), [{int(ids[20]): 1.0}] * 10, k=5)
    run = run_system(task, ServedRanking("model", rec.ranker))
    assert 0 < run.coverage <= 1 and 0 <= run.overlap <= 1


def test_the_per_request_scorer_equals_the_channel_blend(full_ranker: Ranker) -> None:
    """The precomputed one-query path gives what `evaluate`'s block blend gives, for every kind of query."""
    rows = np.r_[np.arange(0, len(full_ranker), 997), np.flatnonzero(np.isnan(full_ranker.channels.year))[:3]]
    assert full_ranker.channels.show[rows].any() and not full_ranker.channels.show[rows].all()
    block = full_ranker.channels.blend(full_ranker._w, rows)
    for row, expected in zip(rows, block, strict=True):
        np.testing.assert_allclose(full_ranker.scores(int(row)), expected, atol=1e-6)


def test_the_served_list_is_the_head_of_the_whole_catalogs_order(full_ranker: Ranker) -> None:
    """`rank` shortlists before sorting; the list is still the first k franchises of every kept row sorted by tier,
    score and row, for safe, teen, adult and unknown queries, a filter that keeps few rows, and the whole franchise."""
    band, franchise = full_ranker.maturity, full_ranker.franchise_codes
    bands = ("kids", "family", "teen", "adult", "unknown")
    rows = np.concatenate([np.flatnonzero(band == b)[::400][:6] for b in bands])
    rare = full_ranker.channels.language == np.bincount(full_ranker.channels.language).argmin()
    for row in rows.tolist():
        for allowed, fold in ((None, True), (rare, True), (None, False)):
            scores = full_ranker.scores(row).astype(np.float64)
            keep = np.ones(len(scores), dtype=bool) if allowed is None else allowed.copy()
            keep[row] = False
            if fold:
                keep &= franchise != franchise[row]
            if full_ranker.blocks_adult(row):
                keep &= full_ranker.safety_tier < 3
            tiers = full_ranker.tiers(row)
            key = scores - (1e4 * tiers if tiers is not None else 0)
            ordered = np.flatnonzero(keep)[np.lexsort((np.flatnonzero(keep), -key[keep]))].tolist()
            expected: list[int] = []
            for r in ordered:
                if not fold or franchise[r] not in {franchise[e] for e in expected}:
                    expected.append(r)
                if len(expected) == 10:
                    break
            assert full_ranker.rank(row, 10, allowed=allowed, fold=fold)[0] == expected


def test_an_unknown_year_is_a_typical_gap_for_era_and_no_evidence_for_era_acclaim() -> None:
    """Zero proximity would rank every film without a listing below dated films of any decade."""
    items = pd.DataFrame({"title": ["A", "B", "C", "D"], "release_year": [2010, 2010, 1950, np.nan],
                          "imdb_votes": [10.0, 20.0, 30.0, 40.0]})
    channels = Channels.build(items, np.eye(4, dtype=np.float32))
    era = channels.channel("era", np.array([0, 3]))
    np.testing.assert_allclose(era[0], [1.0, 1.0, np.exp(-60 / ERA_SCALE_YEARS), ERA_UNKNOWN],
                               rtol=1e-6)
    np.testing.assert_allclose(era[1], [ERA_UNKNOWN] * 4)
    acclaim = channels.channel("era_acclaim", np.array([0, 3]))
    assert acclaim[0, 3] == 0.0 and acclaim[0, 1] > acclaim[0, 0] > 0
    assert not acclaim[1].any()


def test_list_overlap_of_the_fit_counts_items_shared_between_lists() -> None:
    assert shared_share(np.array([[0, 1], [2, 3], [4, 5]])) == 0.0
    assert shared_share(np.array([[0, 1], [0, 1]])) == 1.0
    assert shared_share(np.array([[0, 1], [0, 2], [3, 4]])) == pytest.approx(2 / (3 * 2 * 2))


def test_overlap_penalty_trades_a_shared_popularity_prior_for_lists_that_differ() -> None:
    """A prior that is mildly useful for everyone but gives everyone the same list loses weight under the penalty."""
    rng = np.random.default_rng(5)
    queries, candidates = 80, 60
    gains = (rng.random((queries, candidates)) < 0.05).astype(float)
    features = _random_channels(rng, queries, candidates) * 0.1
    popular = np.zeros(candidates, dtype=np.float32)
    popular[:10] = 1.0
    gains[:, :10] += rng.random((queries, 10)) < 0.15  # the popular ten are liked somewhat more often
    features[CHANNELS.index("hours_viewed")] = popular[None, :]
    features[CHANNELS.index("era")] += 0.5 * gains  # a similarity channel that knows
    no_exclusion = np.zeros_like(gains, dtype=bool)
    plain = fit_blend(features, gains, no_exclusion, folds=2, passes=1)
    penalised = fit_blend(features, gains, no_exclusion, folds=2, passes=1, overlap_penalty=0.5)
    assert penalised.weights.fitted["in_sample_overlap"] < plain.weights.fitted["in_sample_overlap"]
    assert penalised.weights.fitted["overlap_penalty"] == 0.5


def test_overlap_ceiling_keeps_the_fitted_lists_apart_and_the_fit_reports_it() -> None:
    """Under `max_overlap` the fit may not buy NDCG with a shared prior beyond the ceiling; below it, it may."""
    rng = np.random.default_rng(5)
    queries, candidates = 80, 300  # random lists share about k / 300 of their items
    gains = (rng.random((queries, candidates)) < 0.03).astype(float)
    features = _random_channels(rng, queries, candidates) * 0.1
    popular = np.zeros(candidates, dtype=np.float32)
    popular[:10] = 1.0
    gains[:, :10] += rng.random((queries, 10)) < 0.5  # the popular ten are liked by many
    features[CHANNELS.index("hours_viewed")] = popular[None, :]
    features[CHANNELS.index("era")] += 0.2 * gains
    no_exclusion = np.zeros_like(gains, dtype=bool)
    plain = fit_blend(features, gains, no_exclusion, folds=0, passes=1)
    assert plain.weights.fitted["cv_ndcg"] is None and plain.per_fold == []  # folds=0: in-sample only
    ceiling = plain.weights.fitted["in_sample_overlap"] / 2
    assert ceiling > 0.05  # well above the share random lists have in common (about 10 / 300)
    capped = fit_blend(features, gains, no_exclusion, folds=2, passes=1, max_overlap=ceiling)
    assert capped.weights.fitted["in_sample_overlap"] <= ceiling
    assert capped.weights.fitted["max_overlap"] == ceiling and capped.weights.fitted["cv_overlap"] is not None
    loose = fit_blend(features, gains, no_exclusion, folds=0, passes=1, max_overlap=1.0)
    assert loose.weights.weights == plain.weights.weights  # a ceiling nothing reaches changes nothing
    assert OverlapRule.of(capped.weights) == OverlapRule(0.0, ceiling)
