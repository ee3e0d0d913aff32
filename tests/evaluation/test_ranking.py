"""Shared ranking rules: ties by ascending item id, exclusions, short lists."""

import numpy as np

from recommender.evaluation.ranking import top_k


def test_ties_are_broken_by_ascending_item_id_whatever_the_column_order():
    scores = np.array([[0.5, 0.9, 0.5, 0.5, 0.1]])
    ids = np.array([40, 7, 30, 10, 1])
    assert top_k(scores, ids, 3)[0].tolist() == [7, 10, 30]
    # same items, shuffled columns -> same answer
    perm = np.array([4, 2, 0, 3, 1])
    assert top_k(scores[:, perm], ids[perm], 3)[0].tolist() == [7, 10, 30]


def test_ties_at_the_cut_are_resolved_by_id_not_position():
    scores = np.array([[1.0, 0.2, 0.2, 0.2]])
    ids = np.array([0, 9, 3, 5])
    assert top_k(scores, ids, 2)[0].tolist() == [0, 3]


def test_excluded_items_never_appear_and_lists_may_be_short():
    scores = np.array([[0.9, 0.8, 0.7], [0.1, 0.2, 0.3]])
    ids = np.array([1, 2, 3])
    excluded = np.array([[True, False, True], [False, False, False]])
    lists = top_k(scores, ids, 5, excluded)
    assert lists[0].tolist() == [2]
    assert lists[1].tolist() == [3, 2, 1]


def test_nan_scores_rank_last():
    scores = np.array([[np.nan, 0.1, 0.2]])
    assert top_k(scores, np.array([1, 2, 3]), 3)[0].tolist() == [3, 2, 1]
