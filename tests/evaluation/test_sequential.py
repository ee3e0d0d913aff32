"""The mSPRT must keep its promise: at most alpha false winners however often it is read, and find
a real difference. Streams are simulated with numpy (fixed seeds), so the checks are exact reruns."""

from __future__ import annotations

import math

import numpy as np
import pytest

from recommender.evaluation.sequential import msprt, msprt_stream


def _stream(rng: np.random.Generator, votes: int, rate_a: float, rate_b: float) -> list[tuple[str, bool]]:
    in_b = rng.random(votes) < 0.5
    ups = rng.random(votes) < np.where(in_b, rate_b, rate_a)
    return [("b" if b else "a", bool(u)) for b, u in zip(in_b, ups, strict=True)]


@pytest.mark.parametrize("rate", [0.3, 0.7, 0.9])
def test_aa_streams_declare_a_winner_at_most_alpha_of_the_time_at_any_time(rate: float) -> None:
    rng = np.random.default_rng(13)
    traces = [msprt_stream(_stream(rng, 2000, rate, rate)) for _ in range(200)]
    # "at any time": a stream counts as a false winner if its running p-value EVER reached alpha.
    ever_rejected = sum(trace.decided_after is not None for trace in traces)
    assert ever_rejected <= 0.05 * len(traces)
    assert all(float(trace.p_values.min()) == trace.final.p_value for trace in traces)


def test_a_real_difference_is_detected_with_the_better_arm_named() -> None:
    rng = np.random.default_rng(7)
    traces = [msprt_stream(_stream(rng, 3000, 0.5, 0.6)) for _ in range(40)]
    detected = [trace for trace in traces if trace.decided_after is not None]
    assert len(detected) >= 0.9 * len(traces)
    assert all(trace.final.decision == "b" for trace in detected)
    # The always-valid interval for rate_b - rate_a covers the true 0.1 in (nearly) every run.
    covered = sum(trace.final.ci_low <= 0.1 <= trace.final.ci_high for trace in traces)
    assert covered >= 0.9 * len(traces)


def test_arm_a_better_is_named_a() -> None:
    result = msprt(700, 1000, 550, 1000)
    assert result.decision == "a"
    assert result.p_value < 0.05
    assert result.ci_high < 0 < result.rate_a - result.rate_b


def test_single_call_and_stream_agree_on_the_last_counts() -> None:
    rng = np.random.default_rng(3)
    observations = _stream(rng, 500, 0.5, 0.5)
    trace = msprt_stream(observations)
    ups_a = sum(up for arm, up in observations if arm == "a")
    n_a = sum(arm == "a" for arm, _ in observations)
    ups_b = sum(up for arm, up in observations if arm == "b")
    direct = msprt(ups_a, n_a, ups_b, len(observations) - n_a)
    assert (trace.final.ups_a, trace.final.n_a, trace.final.ups_b) == (ups_a, n_a, ups_b)
    assert math.isclose(trace.final.difference, direct.difference)
    assert trace.final.p_value <= direct.p_value  # running minimum


def test_no_decision_before_min_votes_and_with_an_empty_arm() -> None:
    assert msprt(0, 0, 5, 5).p_value == 1.0
    assert msprt(0, 15, 15, 15).decision is None  # 15 < min_votes: too few for the normal approximation
    assert msprt(0, 15, 15, 15, min_votes=5).decision == "b"
    assert msprt_stream([]).decided_after is None


@pytest.mark.parametrize("bad", [(3, 2, 0, 1), (-1, 2, 0, 1)])
def test_impossible_counts_are_refused(bad: tuple[int, int, int, int]) -> None:
    with pytest.raises(ValueError):
        msprt(*bad)
    with pytest.raises(ValueError):
        msprt_stream([("c", True)])


def _member_stream(rng: np.random.Generator, members: int, votes: int, lift_b: float = 0.0
                   ) -> tuple[list[tuple[str, bool]], list[int]]:
    """Votes of members who each have their own thumbs-up propensity and vote very unequally often
    (a few members cast most votes), members randomised to arms as an experiment does."""
    propensity = rng.beta(1.6, 0.4, members)
    in_b = rng.random(members) < 0.5
    propensity = np.clip(np.where(in_b, propensity + lift_b, propensity), 0.0, 1.0)
    activity = rng.pareto(1.2, members) + 1.0
    who = rng.choice(members, votes, p=activity / activity.sum())
    ups = rng.random(votes) < propensity[who]
    return [("b" if in_b[w] else "a", bool(u)) for w, u in zip(who, ups, strict=True)], who.tolist()


def test_correlated_votes_of_a_member_need_the_member_as_the_unit() -> None:
    rng = np.random.default_rng(11)
    streams = [_member_stream(rng, 300, 2000) for _ in range(100)]
    as_independent = sum(msprt_stream(obs).decided_after is not None for obs, _ in streams)
    by_member = sum(msprt_stream(obs, clusters=who).decided_after is not None for obs, who in streams)
    assert as_independent > 30  # counting each vote as independent: far more than alpha false winners
    assert by_member <= 5  # clustered by member: the promise holds again


def test_the_clustered_test_still_finds_a_real_difference() -> None:
    rng = np.random.default_rng(12)
    traces = [msprt_stream(obs, clusters=who) for obs, who in (_member_stream(rng, 1000, 3000, -0.2)
                                                                for _ in range(40))]
    detected = [trace for trace in traces if trace.decided_after is not None]
    assert len(detected) >= 0.6 * len(traces)
    assert all(trace.final.decision == "a" for trace in detected)


def test_clustered_variance_is_the_delta_method_over_members() -> None:
    # Arm a: member 1 votes up, up, down; member 2 down. Arm b: members 3 and 4, one up each, one down.
    observations = [("a", True), ("a", True), ("a", False), ("a", False), ("b", True), ("b", False)]
    clusters = [1, 1, 1, 2, 3, 4]
    trace = msprt_stream(observations, clusters=clusters, min_votes=2)
    pooled = (3 + 1) / (6 + 2)
    var_a = ((2 - pooled * 3) ** 2 + (0 - pooled * 1) ** 2) / 4**2 * 2 / 1
    var_b = ((1 - pooled) ** 2 + (0 - pooled) ** 2) / 2**2 * 2 / 1
    difference = 0.5 - 0.5
    assert trace.final.difference == difference
    half = math.sqrt((var_a + var_b) * (var_a + var_b + 0.01) / 0.01
                     * (2 * math.log(1 / 0.05) + math.log((var_a + var_b + 0.01) / (var_a + var_b))))
    assert math.isclose(trace.final.ci_high, difference + half) and math.isclose(trace.final.ci_low, -half)
    with pytest.raises(ValueError, match="one cluster per observation"):
        msprt_stream(observations, clusters=clusters[:-1])
