"""Small pure statistics for feedback: no database, no I/O, tested against hand-computed values.

Why these: a thumbs-up rate from a few dozen votes is noisy, so every rate is reported with a
Wilson score interval (well-behaved near 0 and 1 and for small n, unlike the normal approximation;
the one implementation is the shared `common.stats.wilson_interval`, re-exported here);
A/B comparisons of two model versions use the difference of two proportions with an unpooled Wald
interval and a pooled two-sided z-test.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from common.stats import Z_95, wilson_interval

__all__ = ["Z_95", "ProportionDifference", "mean_precision_at_k", "precision_at_k",
           "two_proportion_difference", "wilson_interval"]


@dataclass(frozen=True)
class ProportionDifference:
    """p_a - p_b with a confidence interval and a two-sided p-value."""

    diff: float
    ci_low: float
    ci_high: float
    p_value: float


def two_proportion_difference(
    successes_a: int, total_a: int, successes_b: int, total_b: int, z: float = Z_95
) -> ProportionDifference:
    """Difference of two independent proportions (a minus b).

    The interval is the unpooled Wald interval p_a - p_b +/- z*sqrt(p_a q_a/n_a + p_b q_b/n_b);
    the p-value is the pooled two-proportion z-test (1.0 when both groups agree perfectly).
    """
    for s, n in ((successes_a, total_a), (successes_b, total_b)):
        if n <= 0 or s < 0 or s > n:
            raise ValueError(f"need 0 <= successes <= total and total > 0, got {s}/{n}")
    pa, pb = successes_a / total_a, successes_b / total_b
    diff = pa - pb
    se = math.sqrt(pa * (1 - pa) / total_a + pb * (1 - pb) / total_b)
    pooled = (successes_a + successes_b) / (total_a + total_b)
    se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / total_a + 1 / total_b))
    p_value = 1.0 if se_pooled == 0 else math.erfc(abs(diff) / se_pooled / math.sqrt(2))
    return ProportionDifference(diff, diff - z * se, diff + z * se, p_value)


def precision_at_k(judgements: Mapping[int, int], k: int) -> float | None:
    """Share of thumbs-up among the judged items ranked 1..k of one list (rank -> +1/-1).

    Items nobody voted on are unknown, not bad, so they are left out of the denominator; None when
    no item in the top k was judged.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    judged = [value for rank, value in judgements.items() if 1 <= rank <= k]
    if not judged:
        return None
    return sum(1 for value in judged if value > 0) / len(judged)


def mean_precision_at_k(lists: Iterable[Mapping[int, int]], k: int) -> tuple[float | None, int]:
    """Mean precision@k over judged lists (one list per request and voter), and how many counted."""
    values = [p for p in (precision_at_k(j, k) for j in lists) if p is not None]
    if not values:
        return None, 0
    return sum(values) / len(values), len(values)
