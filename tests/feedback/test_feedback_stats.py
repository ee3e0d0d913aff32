"""feedback.stats against values computed by hand (shown in the comments)."""

from __future__ import annotations

import math

import pytest

from feedback.stats import (  # wilson_interval is common.stats's, re-exported
    mean_precision_at_k,
    precision_at_k,
    two_proportion_difference,
    wilson_interval,
)


def test_wilson_interval_eight_of_ten() -> None:
    # p=0.8, n=10, z^2=3.8415: centre=(0.8+0.19207)/1.38415=0.71674,
    # half=1.96*sqrt(0.016+0.0096037)/1.38415=0.22657 -> (0.4902, 0.9433)
    rate, low, high = wilson_interval(8, 10)
    assert rate == 0.8
    assert low == pytest.approx(0.4902, abs=1e-4)
    assert high == pytest.approx(0.9433, abs=1e-4)


def test_wilson_interval_at_the_edges() -> None:
    # 0/10: upper bound is z^2/(n+z^2) = 3.8415/13.8415 = 0.27753; 10/10 mirrors it.
    assert wilson_interval(0, 10) == pytest.approx((0.0, 0.0, 0.27753), abs=1e-5)
    assert wilson_interval(10, 10) == pytest.approx((1.0, 1 - 0.27753, 1.0), abs=1e-5)
    assert all(math.isnan(x) for x in wilson_interval(0, 0))  # no data: the caller decides
    with pytest.raises(ValueError):
        wilson_interval(-1, 2)
    with pytest.raises(ValueError):
        wilson_interval(3, 2)


def test_two_proportion_difference() -> None:
    # a=45/50=0.9, b=30/50=0.6: diff 0.3, se=sqrt(0.09/50+0.24/50)=0.08124 -> 0.3 +/- 0.15923;
    # pooled p=0.75, se0=sqrt(0.75*0.25*0.04)=0.086603, z=3.4641 -> two-sided p=0.000532
    d = two_proportion_difference(45, 50, 30, 50)
    assert d.diff == pytest.approx(0.3)
    assert d.ci_low == pytest.approx(0.14077, abs=1e-5)
    assert d.ci_high == pytest.approx(0.45923, abs=1e-5)
    assert d.p_value == pytest.approx(0.000532, abs=5e-6)
    flipped = two_proportion_difference(30, 50, 45, 50)
    assert flipped.diff == pytest.approx(-0.3) and flipped.p_value == pytest.approx(d.p_value)


def test_two_proportion_difference_identical_and_degenerate() -> None:
    same = two_proportion_difference(5, 10, 10, 20)
    assert same.diff == 0.0 and same.p_value == pytest.approx(1.0)
    # Both all-positive: no spread at all, the interval collapses and nothing is significant.
    perfect = two_proportion_difference(3, 3, 7, 7)
    assert (perfect.diff, perfect.ci_low, perfect.ci_high, perfect.p_value) == (0.0, 0.0, 0.0, 1.0)
    with pytest.raises(ValueError):
        two_proportion_difference(1, 0, 1, 2)


def test_precision_at_k_counts_only_judged_items_in_the_top_k() -> None:
    judgements = {1: 1, 2: -1, 3: 1, 6: 1}
    assert precision_at_k(judgements, 5) == pytest.approx(2 / 3)
    assert precision_at_k(judgements, 1) == 1.0
    assert precision_at_k(judgements, 10) == pytest.approx(3 / 4)
    assert precision_at_k({4: -1}, 3) is None
    with pytest.raises(ValueError):
        precision_at_k(judgements, 0)


def test_mean_precision_at_k() -> None:
    value, counted = mean_precision_at_k([{1: 1, 2: -1}, {1: 1}, {7: 1}], 5)
    assert (value, counted) == (pytest.approx(0.75), 2)
    assert mean_precision_at_k([], 5) == (None, 0)
    assert math.isclose(mean_precision_at_k([{1: -1}], 5)[0], 0.0)
