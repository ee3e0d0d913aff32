"""Metric functions against cases computed by hand (values in comments)."""

import math

import numpy as np
import pytest

from recommender.evaluation import metrics as m

RANKED = [5, 3, 9, 1, 7]
RELEVANT = {3, 7, 8}


def test_precision_recall_hand_computed():
    # top 3 = 5, 3, 9 -> one hit (3)
    assert m.precision_at_k(RANKED, RELEVANT, 3) == pytest.approx(1 / 3)
    assert m.recall_at_k(RANKED, RELEVANT, 3) == pytest.approx(1 / 3)
    # top 5 -> hits 3 and 7
    assert m.precision_at_k(RANKED, RELEVANT, 5) == pytest.approx(2 / 5)
    assert m.recall_at_k(RANKED, RELEVANT, 5) == pytest.approx(2 / 3)


def test_k_larger_than_list_counts_missing_slots_as_misses():
    # list of 5, k = 10: precision divides by k, recall and AP are unaffected by the empty slots
    assert m.precision_at_k(RANKED, RELEVANT, 10) == pytest.approx(2 / 10)
    assert m.recall_at_k(RANKED, RELEVANT, 10) == pytest.approx(2 / 3)
    # AP@10: hits at ranks 2 (P=1/2) and 5 (P=2/5); divide by min(3, 10) = 3
    assert m.average_precision_at_k(RANKED, RELEVANT, 10) == pytest.approx((0.5 + 0.4) / 3)
    assert m.precision_at_k([], RELEVANT, 4) == 0.0


def test_average_precision_divides_by_min_relevant_k():
    # 3 relevant, k = 2, both top slots relevant -> perfect 1.0
    assert m.average_precision_at_k([3, 7, 1], RELEVANT, 2) == pytest.approx(1.0)
    # AP@5 of RANKED: (1/2 + 2/5) / 3
    assert m.average_precision_at_k(RANKED, RELEVANT, 5) == pytest.approx(0.3)


def test_ndcg_binary_hand_computed():
    # hits at ranks 2 and 5: DCG = 1/log2(3) + 1/log2(6); ideal (3 relevant, k=5): 1 + 1/log2(3) + 1/2
    dcg = 1 / math.log2(3) + 1 / math.log2(6)
    idcg = 1 + 1 / math.log2(3) + 0.5
    assert m.ndcg_at_k(RANKED, RELEVANT, 5) == pytest.approx(dcg / idcg)


def test_ndcg_graded_uses_linear_gains_and_ideal_order():
    grades = {3: 1.0, 7: 3.0, 8: 2.0}
    # ranked 5,3,9,1,7: gains 0,1,0,0,3 -> 1/log2(3) + 3/log2(6); ideal 3,2,1 -> 3 + 2/log2(3) + 1/2
    expected = (1 / math.log2(3) + 3 / math.log2(6)) / (3 + 2 / math.log2(3) + 0.5)
    assert m.ndcg_at_k(RANKED, grades, 5) == pytest.approx(expected)
    assert m.ndcg_at_k([7, 8, 3], grades, 3) == pytest.approx(1.0)
    # zero and negative grades are not relevant
    assert m.as_grades({1: 0, 2: -1, 3: 2}) == {3: 2.0}


def test_reciprocal_rank_and_hit_rate():
    assert m.reciprocal_rank_at_k(RANKED, RELEVANT, 5) == pytest.approx(0.5)
    assert m.reciprocal_rank_at_k(RANKED, {1}, 3) == 0.0  # first hit at rank 4 is beyond k
    assert m.hit_rate_at_k(RANKED, {1}, 4) == 1.0
    assert m.hit_rate_at_k(RANKED, {1}, 3) == 0.0


def test_empty_relevant_set_is_nan_and_skipped_from_mean():
    for fn in (m.precision_at_k, m.recall_at_k, m.average_precision_at_k, m.ndcg_at_k, m.reciprocal_rank_at_k):
        assert math.isnan(fn(RANKED, set(), 5))
    mean, skipped = m.mean_skipping_nan([1.0, math.nan, 0.0, math.nan])
    assert (mean, skipped) == (0.5, 2)
    mean, skipped = m.mean_skipping_nan([math.nan])
    assert math.isnan(mean) and skipped == 1


def test_k_must_be_positive():
    with pytest.raises(ValueError):
        m.precision_at_k(RANKED, RELEVANT, 0)


def test_coverage():
    assert m.catalog_coverage([[1, 2, 3], [3, 4, 9]], catalog_size=10, k=2) == pytest.approx(4 / 10)


def test_intra_list_diversity_on_given_space():
    vectors = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 0.0]])
    row_of = {10: 0, 11: 1, 12: 2, 13: 3}
    # orthogonal pair: cosine 0 -> diversity 1; identical direction (10, 13) -> 0
    assert m.intra_list_diversity([10, 11], vectors, row_of, 5) == pytest.approx(1.0)
    assert m.intra_list_diversity([10, 13], vectors, row_of, 5) == pytest.approx(0.0)
    # three items: cos(10,11)=0, cos(10,12)=cos(11,12)=1/sqrt2 -> 1 - (sqrt2/3)
    assert m.intra_list_diversity([10, 11, 12], vectors, row_of, 5) == pytest.approx(1 - math.sqrt(2) / 3)
    assert math.isnan(m.intra_list_diversity([10], vectors, row_of, 5))


def test_popularity_percentiles_share_ties():
    pct = m.popularity_percentiles(np.array([0.1, 0.5, 0.5, 0.9]))
    # ranks 0, (1+2)/2, (1+2)/2, 3 over n-1 = 3
    assert pct.tolist() == pytest.approx([0.0, 50.0, 50.0, 100.0])
    percentile_of = dict(zip([1, 2, 3, 4], pct, strict=False))
    assert m.mean_popularity_percentile([4, 1], percentile_of, 10) == pytest.approx(50.0)


def test_same_language_share():
    language_of = {1: "English", 2: "Korean", 3: "Korean", 4: "Hindi"}
    assert m.same_language_share([2, 3, 1, 4], "Korean", language_of, 4) == pytest.approx(0.5)
    assert m.same_language_share([2, 3, 1, 4], "Korean", language_of, 2) == pytest.approx(1.0)
