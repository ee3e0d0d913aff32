"""Per-arm figures of an A/B experiment from its votes: what /experiment status, /model and
`evaluate --experiment` show.

Why here and pure: the bot and the CLI must report the same numbers, and the store (feedback) may
not be imported by the recommender, so this takes plain vote records (anything with the fields of
`VoteRecord`, e.g. `feedback.experiments.ArmVote`) and does the arithmetic only.

The unit. An experiment assigns MEMBERS to arms (a hash of user and experiment), so members are
the independent units, not votes: one member's votes are alike (a generous member likes most
lists), and a test that counts each vote, or each list a member judged, as independent declares
false winners (`scripts/msprt_calibration.py`: 95-132 of 200 A/A streams of members with their own
tastes; every vote on the simulated community: 4/100 A/A experiments). So:

- a judgement is a member's first vote on a list (a 👍/👎 reaction or a per-item button): several
  votes on one list are near copies of one opinion. `votes` keeps the count of every vote;
- thumbs-up rate per arm = 👍 judgements / judgements, with a 95% interval clustered by member
  (the delta-method variance of a ratio of per-member sums, turned into a Wilson interval at the
  effective sample size), so a member who judged 50 lists weighs 50 judgements in the rate but
  cannot make the interval look like 50 independent people;
- precision@k per arm from the item buttons: per (request, voter) list, the share of 👍 among the
  judged items ranked 1..k, averaged over lists, with the same member-clustered interval;
- the always-valid mSPRT (`sequential.msprt_stream` with the members as clusters) on the
  time-ordered judgements, control = arm a, challenger = arm b, and after how many judgements it
  first declared a winner. Validated through the bot's store on the simulated community by
  `scripts/ab_simulation.py` (A/A false winners and detection of a worse model version: README).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from common.stats import Z_95, wilson_bounds
from recommender.evaluation.sequential import SequentialTrace, msprt_stream

CONTROL, CHALLENGER = "control", "challenger"
ARMS = (CONTROL, CHALLENGER)
TEST_ARM = {CONTROL: "a", CHALLENGER: "b"}


class VoteRecord(Protocol):
    """What the report reads of a vote (read-only, so frozen dataclasses qualify)."""

    @property
    def arm(self) -> str: ...
    @property
    def kind(self) -> str: ...  # "reaction" or "item"
    @property
    def value(self) -> int: ...  # +1 / -1
    @property
    def request_id(self) -> int: ...
    @property
    def user_id(self) -> int: ...
    @property
    def rank(self) -> int | None: ...
    @property
    def model_version(self) -> str | None: ...


@dataclass(frozen=True)
class ArmFigures:
    arm: str
    versions: tuple[str, ...]
    up: int  # judgements with 👍
    judgements: int  # one per (request, voter)
    votes: int  # every vote, for reference
    rate: float
    ci_low: float
    ci_high: float
    precision: float | None  # mean precision@k over judged lists (None without item votes)
    precision_low: float
    precision_high: float
    lists: int

    def to_dict(self) -> dict:
        def clean(x: float | None) -> float | None:
            return None if x is None or math.isnan(x) else round(x, 6)

        return {"arm": self.arm, "versions": list(self.versions), "up": self.up, "judgements": self.judgements,
                "votes": self.votes,
                "rate": clean(self.rate), "ci_low": clean(self.ci_low), "ci_high": clean(self.ci_high),
                "precision_at_k": clean(self.precision), "precision_ci_low": clean(self.precision_low),
                "precision_ci_high": clean(self.precision_high), "judged_lists": self.lists}


@dataclass(frozen=True)
class ExperimentReport:
    arms: dict[str, ArmFigures]
    trace: SequentialTrace
    k: int

    @property
    def winner(self) -> str | None:
        """The arm the sequential test declared better, or None (no verdict yet)."""
        decision = self.trace.final.decision
        return None if decision is None else (CHALLENGER if decision == "b" else CONTROL)

    @property
    def decided_after(self) -> int | None:
        return self.trace.decided_after

    def verdict(self) -> str:
        """One line a person can read: who wins, or how far the test is from a decision."""
        final = self.trace.final
        if self.winner is not None:
            return (f"{self.winner} wins (mSPRT, always-valid p = {final.p_value:.3g}), "
                    f"decided after {self.decided_after} judgements")
        return f"no winner yet (mSPRT, always-valid p = {final.p_value:.3g} after {final.votes} judgements)"

    def to_dict(self) -> dict:
        return {"k": self.k, "arms": {arm: figures.to_dict() for arm, figures in self.arms.items()},
                "sequential": self.trace.final.to_dict(), "winner": self.winner,
                "decided_after_judgements": self.decided_after, "verdict": self.verdict()}


def first_judgements(votes: Sequence[VoteRecord]) -> list[VoteRecord]:
    """The first vote of each voter on each list (votes oldest first): the independent observations."""
    seen: set[tuple[int, int]] = set()
    out = []
    for v in votes:
        if (v.request_id, v.user_id) not in seen:
            seen.add((v.request_id, v.user_id))
            out.append(v)
    return out


def clustered_rate(observations: Iterable[tuple[int, float]], z: float = Z_95) -> tuple[float, float, float]:
    """(rate, low, high) of values in [0, 1] observed per cluster (member): rate = their mean.

    The variance of the mean is the cluster-robust one of a ratio of per-member sums,
    sum_i (s_i - rate n_i)^2 / n^2 over the m members; the interval is Wilson's at the effective sample
    size rate (1 - rate) / variance (at most n, at least the m members when every value is equal),
    so it stays inside [0, 1] and equals the plain Wilson interval when each member judged once.
    """
    sums: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for cluster, value in observations:
        cell = sums[cluster]
        cell[0] += value
        cell[1] += 1.0
    n = sum(count for _, count in sums.values())
    if n == 0:
        return math.nan, math.nan, math.nan
    rate = sum(total for total, _ in sums.values()) / n
    variance = sum((total - rate * count) ** 2 for total, count in sums.values()) / (n * n)
    effective = min(n, rate * (1.0 - rate) / variance) if variance > 0 else float(len(sums))
    return (rate, *wilson_bounds(rate, effective, z))


def _arm(arm: str, votes: Sequence[VoteRecord], k: int) -> ArmFigures:
    judgements = first_judgements(votes)
    up = sum(1 for v in judgements if v.value > 0)
    rate, low, high = clustered_rate((v.user_id, float(v.value > 0)) for v in judgements)
    lists: dict[tuple[int, int], list[int]] = defaultdict(list)
    for v in votes:
        if v.kind == "item" and v.rank is not None and 1 <= v.rank <= k:
            lists[(v.request_id, v.user_id)].append(v.value)
    shares = [(user, sum(1 for value in judged if value > 0) / len(judged))
              for (_, user), judged in lists.items()]
    precision, p_low, p_high = clustered_rate(shares)
    versions = tuple(sorted({v.model_version for v in votes if v.model_version}))
    return ArmFigures(arm, versions, up, len(judgements), len(votes), rate, low, high,
                      None if not shares else precision, p_low, p_high, len(shares))


def analyse(votes: Sequence[VoteRecord], *, k: int = 5) -> ExperimentReport:
    """Figures per arm and the sequential test over the judgements in `votes` (oldest first)."""
    by_arm = {arm: [v for v in votes if v.arm == arm] for arm in ARMS}
    judged = [v for v in first_judgements(votes) if v.arm in TEST_ARM]
    trace = msprt_stream([(TEST_ARM[v.arm], v.value > 0) for v in judged], clusters=[v.user_id for v in judged])
    return ExperimentReport({arm: _arm(arm, by_arm[arm], k) for arm in ARMS}, trace, k)
