"""The retrain verdict an admin reads says what the gate measured in words, like /model does."""

from __future__ import annotations

from recommender.pipeline import judge_gates


def test_an_activated_retrain_says_quality_on_real_taste_not_the_metric_name() -> None:
    gate = {"metric": "taste_ndcg@10", "value": 0.0981}
    activate, reason = judge_gates("v1", gate, {**gate, "value": 0.0979})
    assert activate and reason == "quality on real taste 0.098 vs 0.098 now"


def test_a_rejected_retrain_and_an_incomparable_one_say_it_in_words() -> None:
    old = {"metric": "taste_ndcg@10", "value": 0.0981}
    activate, reason = judge_gates("v1", old, {**old, "value": 0.05})
    assert not activate and reason == "kept v1: quality on real taste 0.050, worse than 0.098 now"
    activate, reason = judge_gates("v1", old, {"metric": "genre_ndcg@10", "value": 0.4})
    assert activate and "@" not in reason and "genre agreement" in reason and "not comparable" in reason
