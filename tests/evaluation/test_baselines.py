"""Baselines: reproducible random, popularity tiers, title TF-IDF."""

import numpy as np
import pytest

from recommender.evaluation.baselines import (
    EmbeddingScorer,
    PopularityScorer,
    RandomScorer,
    SameLanguageTypeScorer,
    TitleTfidfScorer,
    char_ngrams,
)


def test_random_scores_depend_only_on_seed_and_query():
    r = RandomScorer(n_items=6, seed=3)
    both = r.scores(np.array([0, 4]), np.arange(6))
    alone = r.scores(np.array([4]), np.arange(6))
    assert np.array_equal(both[1], alone[0])
    assert not np.array_equal(both[0], both[1])
    assert not np.array_equal(both, RandomScorer(n_items=6, seed=4).scores(np.array([0, 4]), np.arange(6)))


def test_same_language_type_tier_beats_popularity():
    s = SameLanguageTypeScorer(
        np.array(["Korean", "Korean", "English", "Korean"]),
        np.array(["Show", "Show", "Show", "Movie"]),
        np.array([0.1, 0.2, 1.0, 0.9]),
    )
    scores = s.scores(np.array([0]), np.array([1, 2, 3]))[0]
    assert scores.argmax() == 0  # the obscure Korean show beats the most popular English show
    assert scores[1] > scores[2]  # outside the tier: by popularity


def test_popularity_is_the_same_for_every_query():
    p = PopularityScorer(np.array([0.3, 0.9, 0.1]))
    scores = p.scores(np.array([0, 2]), np.array([0, 1, 2]))
    assert np.array_equal(scores[0], scores[1])


def test_char_ngrams_are_normalised():
    assert char_ngrams("Ab!") == [" ab", "ab "]


def test_title_tfidf_is_cosine_over_trigrams():
    titles = ["Outer Banks", "Outer Banks: Season 2", "The Glory", "Banks of the Outer"]
    s = TitleTfidfScorer(titles)
    scores = s.scores(np.array([0]), np.arange(4))[0]
    assert scores[0] == pytest.approx(1.0, abs=1e-6)
    assert scores[1] > scores[3] > scores[2]
    assert scores[2] == pytest.approx(0.0, abs=1e-6) or scores[2] < 0.1
    # symmetric
    assert s.scores(np.array([1]), np.array([0]))[0, 0] == pytest.approx(scores[1], abs=1e-6)


def test_embedding_scorer_normalises_rows():
    e = EmbeddingScorer("m", np.array([[2.0, 0.0], [1.0, 1.0], [0.0, 0.0]]))
    scores = e.scores(np.array([0]), np.arange(3))[0]
    assert scores.tolist() == pytest.approx([1.0, 2**-0.5, 0.0])
