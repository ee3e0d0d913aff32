"""Per-arm figures and the verdict of an experiment, from plain vote records."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recommender.evaluation.ab_report import CHALLENGER, CONTROL, analyse


@dataclass(frozen=True)
class FakeVote:  # the fields of feedback.experiments.ArmVote that the report reads
    arm: str
    kind: str
    value: int
    request_id: int
    user_id: int
    rank: int | None
    model_version: str | None


def test_rates_precision_and_a_verdict_for_a_clearly_better_challenger() -> None:
    rng = np.random.default_rng(5)
    votes = []
    for request in range(1200):
        arm = CHALLENGER if request % 2 else CONTROL
        good = rng.random() < (0.75 if arm == CHALLENGER else 0.5)
        votes.append(FakeVote(arm, "item", 1 if good else -1, request, request, 1, f"v-{arm}"))
    report = analyse(votes, k=5)
    control, challenger = report.arms[CONTROL], report.arms[CHALLENGER]
    assert control.votes == challenger.votes == 600
    assert control.ci_low < control.rate < control.ci_high < challenger.ci_low < challenger.rate
    assert challenger.precision == challenger.rate and challenger.lists == 600  # one judged item per list
    assert challenger.versions == ("v-challenger",)
    assert report.winner == CHALLENGER and report.decided_after is not None and report.decided_after < 1200
    assert "challenger wins" in report.verdict() and f"after {report.decided_after} judgements" in report.verdict()
    assert report.to_dict()["arms"][CONTROL]["votes"] == 600


def test_precision_counts_judged_items_in_the_top_k_and_the_rate_one_judgement_per_list() -> None:
    votes = [
        FakeVote(CONTROL, "item", 1, 1, 7, 1, "v"), FakeVote(CONTROL, "item", -1, 1, 7, 2, "v"),
        FakeVote(CONTROL, "item", -1, 1, 7, 9, "v"),  # below k=5: not in precision@5
        FakeVote(CONTROL, "reaction", 1, 2, 7, None, "v"),
    ]
    figures = analyse(votes, k=5).arms[CONTROL]
    # One judgement per (request, voter): request 1's first vote (👍 at rank 1) and request 2's reaction.
    assert (figures.up, figures.judgements, figures.votes, figures.precision, figures.lists) == (2, 2, 4, 0.5, 1)
    empty = analyse([], k=5)
    assert empty.winner is None and empty.arms[CHALLENGER].precision is None
    assert "no winner yet" in empty.verdict()
