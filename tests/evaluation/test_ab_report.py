"""Per-arm figures and the verdict of an experiment, from plain vote records."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest

from common.stats import wilson_interval
from recommender.evaluation.ab_report import CHALLENGER, CONTROL, analyse, clustered_rate


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


def test_intervals_and_the_test_count_members_not_their_many_votes() -> None:
    # Each of 10 members in each arm judges 30 lists, alike (their own taste): 300 judgements per arm,
    # but only 10 independent members. The challenger's members happen to be more generous.
    rng = np.random.default_rng(3)
    votes = []
    request = 0
    for member in range(20):
        arm = CHALLENGER if member % 2 else CONTROL
        taste = rng.uniform(0.4, 0.95) + (0.05 if arm == CHALLENGER else 0.0)
        for _ in range(30):
            request += 1
            votes.append(FakeVote(arm, "item", 1 if rng.random() < taste else -1, request, member, 1, "v"))
    report = analyse(votes, k=5)
    control = report.arms[CONTROL]
    _, naive_low, naive_high = wilson_interval(control.up, control.judgements)
    assert control.judgements == 300
    assert control.ci_high - control.ci_low > 1.5 * (naive_high - naive_low)  # 10 members, not 300 judgements
    assert control.ci_low < control.rate < control.ci_high
    assert report.winner is None  # ten members a side cannot settle it, however many lists they judge


def test_clustered_rate_is_wilson_when_every_member_judged_once() -> None:
    observations = [(member, float(member % 3 == 0)) for member in range(50)]
    ups = sum(1 for _, value in observations if value)
    assert clustered_rate(observations) == pytest.approx(wilson_interval(ups, 50))
    rate, low, high = clustered_rate([(1, 1.0)] * 40)  # one member, always 👍: as wide as one judgement
    assert rate == 1.0 and high == 1.0 and low == pytest.approx(wilson_interval(1, 1)[1])
    assert all(math.isnan(x) for x in clustered_rate([]))
