"""The product's statistics: percentile bootstrap intervals over queries, and Wilson intervals for rates.

One small module that both `recommender` (quality gate, A/B report) and `feedback` (vote rates) use,
so neither needs the other for a confidence interval.

Why resample queries: the queries are the sample; the question is how much a mean metric would move
with another sample of queries of the same kind. One resample matrix (fixed seed) is shared by all
systems, so intervals are comparable and paired differences are meaningful. Undefined per-query
values (nan, e.g. a query without relevant items) are skipped inside each resample, exactly as in
the point estimate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

DEFAULT_RESAMPLES = 1000
DEFAULT_SEED = 20231
CONFIDENCE = 0.95
Z_95 = 1.959963984540054  # standard normal quantile for a two-sided 95% interval: scipy.stats.norm.ppf(0.975)


@dataclass(frozen=True)
class Estimate:
    """A mean with its 95% interval and the number of queries it is based on."""

    mean: float
    low: float
    high: float
    n: int  # queries with a defined value
    skipped: int  # queries left out (undefined value)

    def to_dict(self) -> dict:
        return {
            "mean": _clean(self.mean),
            "ci_low": _clean(self.low),
            "ci_high": _clean(self.high),
            "n": self.n,
            "skipped": self.skipped,
        }

    def overlaps(self, other: Estimate) -> bool:
        return not (self.low > other.high or other.low > self.high)


def _clean(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), 6)


def resample_indices(n: int, resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED) -> np.ndarray:
    """(resamples, n) query indices drawn with replacement; same arguments -> same matrix."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, n, size=(resamples, n)) if n else np.zeros((resamples, 0), dtype=np.int64)


def bootstrap(values: np.ndarray, indices: np.ndarray) -> Estimate:
    """Mean of `values` skipping nan, with a 95% percentile interval over the resample `indices`."""
    values = np.asarray(values, dtype=np.float64)
    defined = ~np.isnan(values)
    n, skipped = int(defined.sum()), int((~defined).sum())
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, 0, skipped)
    mean = float(values[defined].mean())
    sample = values[indices]
    counts = (~np.isnan(sample)).sum(axis=1)
    sums = np.nansum(sample, axis=1)
    means = sums[counts > 0] / counts[counts > 0]
    alpha = (1.0 - CONFIDENCE) / 2.0
    low, high = np.quantile(means, [alpha, 1.0 - alpha]) if len(means) else (math.nan, math.nan)
    return Estimate(mean, float(low), float(high), n, skipped)


def paired_difference(a: np.ndarray, b: np.ndarray, indices: np.ndarray) -> Estimate:
    """Mean of a - b over queries where both are defined, with its interval: the honest way to say
    "A beats B" (an interval excluding 0), stricter to read than two non-overlapping intervals."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return bootstrap(a - b, indices)


def ratio(a: np.ndarray, b: np.ndarray, indices: np.ndarray) -> Estimate:
    """mean(a) / mean(b) over queries defined in both, resampled jointly (paired)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    both = ~(np.isnan(a) | np.isnan(b))
    n, skipped = int(both.sum()), int((~both).sum())
    if n == 0 or b[both].mean() == 0:
        return Estimate(math.nan, math.nan, math.nan, n, skipped)
    a0, b0 = np.where(both, a, 0.0), np.where(both, b, 0.0)
    num, den = a0[indices].sum(axis=1), b0[indices].sum(axis=1)
    ok = den > 0
    ratios = num[ok] / den[ok]
    alpha = (1.0 - CONFIDENCE) / 2.0
    low, high = np.quantile(ratios, [alpha, 1.0 - alpha])
    return Estimate(float(a0.sum() / b0.sum()), float(low), float(high), n, skipped)


def wilson_bounds(rate: float, n: float, z: float = Z_95) -> tuple[float, float]:
    """Wilson's score interval for a proportion `rate` observed over `n` trials; `n` may be an effective
    (fractional) sample size, as for a rate whose votes cluster by member. scipy's
    `binomtest(k, n).proportion_ci(method="wilson")` gives the same bounds for whole counts (tests check
    it) but takes no fractional `n`, so this one formula serves both."""
    denom = 1 + z * z / n
    centre = (rate + z * z / (2 * n)) / denom
    half = z * math.sqrt(rate * (1 - rate) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def wilson_interval(successes: int, total: int, z: float = Z_95) -> tuple[float, float, float]:
    """(rate, low, high) for a proportion; Wilson's interval behaves at 0, 1 and tiny totals."""
    if successes < 0 or successes > max(total, 0):
        raise ValueError(f"need 0 <= successes <= total, got {successes}/{total}")
    if total <= 0:
        return math.nan, math.nan, math.nan
    p = successes / total
    return (p, *wilson_bounds(p, total, z))
