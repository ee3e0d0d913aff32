"""Bootstrap intervals: deterministic, nan-aware, paired."""

import math

import numpy as np
import pytest

from common.stats import bootstrap, paired_difference, ratio, resample_indices, wilson_interval


def test_resampling_is_reproducible_and_interval_brackets_the_mean():
    values = np.random.default_rng(1).random(200)
    idx = resample_indices(200, 500, seed=7)
    assert np.array_equal(idx, resample_indices(200, 500, seed=7))
    est = bootstrap(values, idx)
    assert est.low < est.mean < est.high
    assert est.mean == pytest.approx(values.mean())
    # roughly mean +/- 1.96 * sd / sqrt(n)
    half = 1.96 * values.std() / math.sqrt(200)
    assert est.high - est.low == pytest.approx(2 * half, rel=0.25)


def test_undefined_queries_are_skipped_and_counted():
    values = np.array([1.0, np.nan, 0.0, 1.0])
    est = bootstrap(values, resample_indices(4, 200, seed=1))
    assert est.mean == pytest.approx(2 / 3)
    assert (est.n, est.skipped) == (3, 1)


def test_constant_values_give_a_zero_width_interval_and_paired_difference():
    idx = resample_indices(50, 100, seed=0)
    a = np.full(50, 0.4)
    b = np.full(50, 0.1)
    d = paired_difference(a, b, idx)
    assert (d.mean, d.low, d.high) == pytest.approx((0.3, 0.3, 0.3))


def test_ratio_is_ratio_of_means():
    a = np.array([0.5, 1.0, 0.0, np.nan])
    b = np.array([1.0, 1.0, 0.5, 1.0])
    r = ratio(a, b, resample_indices(4, 300, seed=2))
    assert r.mean == pytest.approx(1.5 / 2.5)
    assert r.low <= r.mean <= r.high


def test_wilson_interval_hand_value():
    rate, low, high = wilson_interval(8, 10)
    assert rate == 0.8
    assert (low, high) == pytest.approx((0.4902, 0.9433), abs=1e-4)


def test_wilson_interval_matches_scipy_on_whole_counts() -> None:
    from scipy.stats import binomtest

    for total in (1, 2, 7, 40, 333):
        for successes in sorted({0, 1, total // 3, total - 1, total}):
            ci = binomtest(successes, total).proportion_ci(confidence_level=0.95, method="wilson")
            _, low, high = wilson_interval(successes, total)
            assert low == pytest.approx(ci.low, abs=1e-12) and high == pytest.approx(ci.high, abs=1e-12)
