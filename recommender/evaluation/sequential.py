"""Always-valid sequential test for two thumbs-up rates: the mixture SPRT (mSPRT).

Why a sequential test: an A/B between model versions is watched while votes arrive, and an admin
will look at it every day. A fixed-horizon test (z-test, Wilson intervals overlapping) checked
repeatedly declares a winner far more often than its nominal 5%. The mSPRT of Johari, Koomen,
Pekelis and Walsh ("Always valid inference", Operations Research 2022) gives a p-value that may be
read at any time, as often as wanted, and still rejects a true null at most `alpha` of the time.

The statistic: the difference of the two rates, theta_hat = rate_b - rate_a, is approximately
normal with variance V = p(1 - p) (1/n_a + 1/n_b), p the pooled rate (the null says both arms share
it). Mixing the likelihood ratio over a normal prior N(0, tau^2) on the true difference gives

    Lambda = sqrt(V / (V + tau^2)) * exp(tau^2 theta_hat^2 / (2 V (V + tau^2)))

and, by Ville's inequality, P(Lambda ever exceeds 1/alpha | no difference) <= alpha. The p-value is
min(1, 1/Lambda), kept as a running minimum over a stream. Inverting the same bound for every
candidate difference gives the always-valid confidence sequence (intersected over time in a
stream). `tau` is the size of difference we expect to care about (0.1 = ten points of thumbs-up
rate); the test stays valid for any tau, tau only moves where it is most powerful.

The normal approximation is poor for a handful of votes, so no decision is taken before each arm
has `min_votes` votes (the p-value stays 1 until then). Pure numpy, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

DEFAULT_ALPHA = 0.05
DEFAULT_TAU = 0.1
DEFAULT_MIN_VOTES = 20

Decision = str | None  # "a", "b" or None (no winner yet)


@dataclass(frozen=True)
class SequentialResult:
    """The mSPRT state after some votes: rates, the difference b - a and what may be concluded."""

    ups_a: int
    n_a: int
    ups_b: int
    n_b: int
    p_value: float  # always-valid p-value for "both arms have the same thumbs-up rate"
    decision: Decision  # the arm with the higher rate once p_value <= alpha, else None
    difference: float  # rate_b - rate_a (nan while an arm has no votes)
    ci_low: float  # always-valid confidence sequence for the difference
    ci_high: float
    alpha: float

    @property
    def rate_a(self) -> float:
        return self.ups_a / self.n_a if self.n_a else math.nan

    @property
    def rate_b(self) -> float:
        return self.ups_b / self.n_b if self.n_b else math.nan

    @property
    def votes(self) -> int:
        return self.n_a + self.n_b

    def to_dict(self) -> dict:
        def clean(x: float) -> float | None:
            return None if math.isnan(x) or math.isinf(x) else round(float(x), 6)

        return {
            "ups_a": self.ups_a,
            "n_a": self.n_a,
            "ups_b": self.ups_b,
            "n_b": self.n_b,
            "rate_a": clean(self.rate_a),
            "rate_b": clean(self.rate_b),
            "p_value": clean(self.p_value),
            "decision": self.decision,
            "difference": clean(self.difference),
            "ci_low": clean(self.ci_low),
            "ci_high": clean(self.ci_high),
            "alpha": self.alpha,
        }


@dataclass(frozen=True)
class SequentialTrace:
    """Running mSPRT over a time-ordered stream: one entry per observation, plus the final state."""

    p_values: np.ndarray  # running (always-valid) p-value after each observation
    rates_a: np.ndarray  # running thumbs-up rate of arm a (nan before its first vote)
    rates_b: np.ndarray
    final: SequentialResult
    decided_after: int | None  # observations until p first fell to alpha (None: never)


def _check_counts(ups: int, n: int, arm: str) -> None:
    if n < 0 or ups < 0 or ups > n:
        raise ValueError(f"arm {arm}: need 0 <= ups <= n, got ups={ups}, n={n}")


def _variance(ups_a: int, n_a: int, ups_b: int, n_b: int) -> float:
    """Variance of rate_b - rate_a under the null, from the pooled rate.

    The pooled rate gets one pseudo-vote each way so that an early run of all-up (or all-down)
    votes does not give a zero variance and an infinite statistic.
    """
    pooled = (ups_a + ups_b + 1) / (n_a + n_b + 2)
    return pooled * (1.0 - pooled) * (1.0 / n_a + 1.0 / n_b)


def _log_mixture_ratio(difference: float, variance: float, tau: float) -> float:
    """log Lambda: the normal-mixture likelihood ratio of `difference` against a zero difference."""
    tau2 = tau * tau
    return 0.5 * math.log(variance / (variance + tau2)) + tau2 * difference * difference / (
        2.0 * variance * (variance + tau2)
    )


def _half_width(variance: float, tau: float, alpha: float) -> float:
    """Half-width of the always-valid interval: every difference d with Lambda(d) < 1/alpha."""
    tau2 = tau * tau
    return math.sqrt(
        variance * (variance + tau2) / tau2 * (2.0 * math.log(1.0 / alpha) + math.log((variance + tau2) / variance))
    )


def msprt(
    ups_a: int,
    n_a: int,
    ups_b: int,
    n_b: int,
    *,
    alpha: float = DEFAULT_ALPHA,
    tau: float = DEFAULT_TAU,
    min_votes: int = DEFAULT_MIN_VOTES,
) -> SequentialResult:
    """mSPRT of "arm a and arm b have the same thumbs-up rate" from vote counts.

    The p-value is that of the current counts; valid on its own at any stopping time. A caller who
    watches the test over time should keep the running minimum (`msprt_stream` does).
    """
    _check_counts(ups_a, n_a, "a")
    _check_counts(ups_b, n_b, "b")
    if not 0.0 < alpha < 1.0 or tau <= 0.0:
        raise ValueError(f"need 0 < alpha < 1 and tau > 0, got alpha={alpha}, tau={tau}")
    if n_a == 0 or n_b == 0:
        return SequentialResult(ups_a, n_a, ups_b, n_b, 1.0, None, math.nan, -math.inf, math.inf, alpha)
    difference = ups_b / n_b - ups_a / n_a
    variance = _variance(ups_a, n_a, ups_b, n_b)
    half = _half_width(variance, tau, alpha)
    ready = min(n_a, n_b) >= min_votes
    p_value = min(1.0, math.exp(-_log_mixture_ratio(difference, variance, tau))) if ready else 1.0
    decision = _decide(p_value, difference, alpha)
    return SequentialResult(ups_a, n_a, ups_b, n_b, p_value, decision, difference, difference - half,
                            difference + half, alpha)


def _decide(p_value: float, difference: float, alpha: float) -> Decision:
    if p_value > alpha or difference == 0.0:
        return None
    return "b" if difference > 0 else "a"


def msprt_stream(
    observations: Iterable[tuple[str, bool]],
    *,
    clusters: Sequence[Hashable] | None = None,
    alpha: float = DEFAULT_ALPHA,
    tau: float = DEFAULT_TAU,
    min_votes: int = DEFAULT_MIN_VOTES,
) -> SequentialTrace:
    """Run the mSPRT over time-ordered (arm, thumbs_up) votes, arm "a" or "b".

    Returns the running always-valid p-value (running minimum), running rates, and after how many
    votes the test first declared a winner: the number to quote as "detected within N votes".
    Once declared, the verdict stands (the final decision is the arm that was ahead then).
    Vectorised (cumulative counts), so simulations over thousands of streams stay cheap.

    `clusters` (one per observation, e.g. the member who voted): observations of one cluster are
    not independent (a generous member likes most lists), and an A/B randomises members, not
    votes. With clusters, each arm's rate is a ratio over members (ups_i of n_i judgements) and its
    variance the cluster-robust (delta-method) one, sum_i (ups_i - p n_i)^2 / n^2 * m / (m - 1)
    over the arm's m members, p the pooled rate; `min_votes` then counts members per arm. When
    every member judged once it is close to the binomial variance used without clusters.
    """
    pairs = list(observations)
    for arm, _ in pairs:
        if arm not in ("a", "b"):
            raise ValueError(f"arm must be 'a' or 'b', got {arm!r}")
    if not 0.0 < alpha < 1.0 or tau <= 0.0:
        raise ValueError(f"need 0 < alpha < 1 and tau > 0, got alpha={alpha}, tau={tau}")
    if clusters is not None and len(clusters) != len(pairs):
        raise ValueError(f"need one cluster per observation, got {len(clusters)} for {len(pairs)}")
    in_b = np.array([arm == "b" for arm, _ in pairs], dtype=bool)
    up = np.array([bool(u) for _, u in pairs], dtype=bool)
    n_b = np.cumsum(in_b)
    n_a = np.arange(1, len(pairs) + 1) - n_b
    ups_b = np.cumsum(up & in_b)
    ups_a = np.cumsum(up & ~in_b)
    with np.errstate(divide="ignore", invalid="ignore"):
        rates_a = np.where(n_a > 0, ups_a / np.maximum(n_a, 1), np.nan)
        rates_b = np.where(n_b > 0, ups_b / np.maximum(n_b, 1), np.nan)
        difference = rates_b - rates_a
        pooled = (ups_a + ups_b + 1) / (n_a + n_b + 2)
        if clusters is None:
            variance = pooled * (1.0 - pooled) * (1.0 / n_a + 1.0 / n_b)
            units_a, units_b = n_a, n_b
        else:
            variance, units_a, units_b = _clustered_variance(in_b, up, clusters, pooled, n_a, n_b)
        ready = np.minimum(units_a, units_b) >= max(min_votes, 1)
        tau2 = tau * tau
        log_ratio = 0.5 * np.log(variance / (variance + tau2)) + tau2 * difference**2 / (
            2.0 * variance * (variance + tau2)
        )
        half = np.sqrt(variance * (variance + tau2) / tau2 * (2.0 * math.log(1.0 / alpha)
                                                                + np.log((variance + tau2) / variance)))
    p_now = np.where(ready, np.minimum(1.0, np.exp(-np.where(ready, log_ratio, 0.0))), 1.0)
    p_values = np.minimum.accumulate(p_now) if len(pairs) else p_now
    crossed = np.flatnonzero((p_now <= alpha) & (difference != 0))
    decided_after = int(crossed[0]) + 1 if crossed.size else None
    decision: Decision = None
    if decided_after is not None:
        decision = "b" if difference[decided_after - 1] > 0 else "a"
    if not len(pairs):
        final = msprt(0, 0, 0, 0, alpha=alpha, tau=tau, min_votes=min_votes)
    else:
        last = len(pairs) - 1
        low, high = difference[last] - half[last], difference[last] + half[last]
        if ready.any():  # intersect the confidence sequence over time
            low, high = float(np.max((difference - half)[ready])), float(np.min((difference + half)[ready]))
        final = SequentialResult(int(ups_a[last]), int(n_a[last]), int(ups_b[last]), int(n_b[last]),
                                 float(p_values[last]), decision, float(difference[last]),
                                 float(low), float(high), alpha)
    return SequentialTrace(p_values, rates_a, rates_b, final, decided_after)


def _clustered_variance(in_b: np.ndarray, up: np.ndarray, clusters: Sequence[Hashable], pooled: np.ndarray,
                        n_a: np.ndarray, n_b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Running cluster-robust variance of rate_b - rate_a and the clusters seen per arm.

    Kept in O(n): sum_i (u_i - p v_i)^2 = S_uu - 2 p S_uv + p^2 S_vv, and one more judgement of a
    cluster that had (u, v) before changes u^2, v^2 and u v by known amounts.
    """
    codes: dict[tuple[bool, Hashable], int] = {}
    code = np.fromiter((codes.setdefault((b, c), len(codes)) for b, c in zip(in_b.tolist(), clusters, strict=True)),
                       dtype=np.int64, count=len(in_b))
    x = up.astype(np.float64)
    v0, u0 = _counts_before(code, x)
    d_uu, d_uv, d_vv = 2.0 * u0 * x + x, u0 + x * v0 + x, 2.0 * v0 + 1.0
    variance = np.zeros(len(x))
    units = []
    for mask, n in ((~in_b, n_a), (in_b, n_b)):
        s_uu, s_uv, s_vv = (np.cumsum(d * mask) for d in (d_uu, d_uv, d_vv))
        m = np.cumsum((v0 == 0) & mask)
        squares = s_uu - 2.0 * pooled * s_uv + pooled * pooled * s_vv
        variance = variance + squares / (n.astype(np.float64) ** 2) * np.where(m > 1, m / np.maximum(m - 1, 1), 1.0)
        units.append(m)
    return variance, units[0], units[1]


def _counts_before(code: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per observation: how many earlier observations its cluster had, and the sum of their x."""
    order = np.argsort(code, kind="stable")
    ranked = code[order]
    position = np.arange(len(code))
    starts = np.ones(len(code), dtype=bool)
    starts[1:] = ranked[1:] != ranked[:-1]
    first = np.maximum.accumulate(np.where(starts, position, 0))
    before = np.cumsum(x[order]) - x[order]
    v0, u0 = np.empty(len(code)), np.empty(len(code))
    v0[order] = position - first
    u0[order] = before - before[first]
    return v0, u0
