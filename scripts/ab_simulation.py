"""A/B between model versions on the simulated community: is a worse model caught, and is an A/A quiet?

Members (MovieTweetings users, `bot.simulate.members.Community`) are split into arms by a hash of
(user id, experiment id), as `/experiment start` does; each arm's model shows its list for the
title the member asked for, the member votes on a share of it (own rating, else the taste model,
a share of members at random), and the always-valid mSPRT (`recommender.evaluation.sequential`)
watches two streams of the same experiment: the thumbs-up rate of the votes cast, and the hit rate
of the titles members looked at (a title they could not vote on, e.g. one the ratings file never
mentions, counts as a miss):

- A/B: the served model against a deliberately worse one: after how many votes is it detected? The
  seed model (`python -m recommender train --arch seed`) served through today's ranking shows almost
  the same lists (the ranking's channels carry it: 3.95 of 5 titles shared on 60 liked titles), so
  `--worse popular` (the served model's most-popular lists, no relevance) is the clearly worse arm.
- A/A: the served model against itself, 100 experiments with fresh member splits: in how many does
  the test declare a winner anyway (must be at most 5%)?

This is the cheap vote stream: the lists come straight from each arm's `Recommender.recommend`
(cached per query title: without the vote channel a list depends only on the model and the title),
not through the bot's store, so that hundreds of experiments run in minutes. `python -m
bot.simulate` is the path through the service layer and store.

    python scripts/ab_simulation.py --served MODEL_ROOT --worse SEED_MODEL_ROOT \
        [--requests 10000] [--ab-runs 20] [--aa-runs 100] [--vote-rate 0.3] [--seed 0]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.simulate.members import Community  # noqa: E402
from recommender.evaluation.coliked import read_ratings  # noqa: E402
from recommender.evaluation.sequential import SequentialTrace, msprt_stream  # noqa: E402
from recommender.serving import QueryError, Recommender  # noqa: E402

RATINGS = REPO / "recommender" / "data" / "taste" / "movietweetings_ratings.csv"
K = 5  # the bot's default list length (DEFAULT_K)


def arm_of(user_id: int, experiment: str) -> str:
    """'a' or 'b' by a hash of (experiment, user): fixed for a member within one experiment."""
    return "a" if hashlib.sha256(f"{experiment}:{user_id}".encode()).digest()[0] % 2 == 0 else "b"


class Lists:
    """A model's top-K titles per query title, computed once."""

    def __init__(self, rec: Recommender, *, by_popularity: bool = False) -> None:
        self.rec = rec
        self.by_popularity = by_popularity
        self._cache: dict[str, list[str]] = {}

    def __call__(self, title: str) -> list[str]:
        shown = self._cache.get(title)
        if shown is None:
            try:
                resolution = self.rec.resolve(title)
                item = resolution.item or (resolution.candidates[0].item if resolution.candidates else None)
                result = None if item is None else self.rec.recommend(item.item_id, K, by_popularity=self.by_popularity)
                shown = [] if result is None else [r.item.title for r in result.items]
            except QueryError:
                shown = []
            self._cache[title] = shown
        return shown


def looked_at(community: Community, lists: dict[str, Lists], requests: int, vote_rate: float,
              experiment: str, seed: int) -> list[tuple[str, int, int]]:
    """(arm, +1 / -1 / 0, member) in arrival order for every shown title a member looked at (the
    vote-rate share), 0 where they had no opinion and cast no vote; one experiment."""
    events: list[tuple[str, int, int]] = []
    for request in community.requests(requests, seed):
        arm = arm_of(request.user_id, experiment)
        rng = np.random.default_rng([seed, 2, request.index])
        for title in lists[arm](request.title):
            if rng.random() >= vote_rate:
                continue
            opinion = community.opinion(request.user_id, title, rng)
            events.append((arm, 0 if opinion is None else opinion.value, request.user_id))
    return events


def first_per_member(events: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """Each member's first observation only. Why: a member votes many times, and their votes are
    alike (a generous rater likes most lists), so a stream of all votes is not independent and the
    mSPRT, which assumes it is, declares winners too often; members are independent."""
    seen: set[int] = set()
    kept = []
    for event in events:
        if event[2] not in seen:
            seen.add(event[2])
            kept.append(event)
    return kept


def summary(trace: SequentialTrace, n: int) -> dict[str, Any]:
    return {"n": n, "decided_after": trace.decided_after, "decision": trace.final.decision,
            "rate_a": trace.final.rate_a, "rate_b": trace.final.rate_b}


def experiments(community: Community, lists: dict[str, Lists], runs: int, args: argparse.Namespace,
                label: str) -> list[dict[str, Any]]:
    """Per run, always-valid tests on the same simulated members: the thumbs-up rate of the votes
    cast (what the bot's A/B report shows) and the hit rate of the titles looked at (a title nobody
    could vote on counts as a miss: precision of the lists), each on every observation and on each
    member's first one only."""
    out = []
    for run in range(runs):
        events = looked_at(community, lists, args.requests, args.vote_rate, f"{label}-{run}", args.seed + run)
        votes = [(arm, value, member) for arm, value, member in events if value != 0]
        result: dict[str, Any] = {"run": run}
        for metric, stream in (("votes", votes), ("hits", events)):
            for suffix, kept in (("", stream), ("_first_per_member", first_per_member(stream))):
                observations = [(arm, value > 0) for arm, value, _ in kept]
                result[metric + suffix] = summary(msprt_stream(observations), len(observations))
        out.append(result)
        print(f"{label} {run + 1}/{runs}: {len(votes)} votes, decided after {result['votes']['decided_after']} "
              f"({result['votes']['decision']}); {len(events)} looked at, decided after "
              f"{result['hits']['decided_after']} ({result['hits']['decision']})", file=sys.stderr, flush=True)
    return out


def report(label: str, metric: str, ab: list[dict[str, Any]], aa: list[dict[str, Any]]) -> None:
    runs = [r[metric] for r in ab]
    detected = [r["decided_after"] for r in runs if r["decided_after"] is not None]
    right = sum(1 for r in runs if r["decision"] == "a")
    print(f"{label}: rate served {statistics.mean(r['rate_a'] for r in runs):.3f} vs worse "
          f"{statistics.mean(r['rate_b'] for r in runs):.3f} (mean of {len(runs)} runs of "
          f"{statistics.mean(r['n'] for r in runs):.0f} observations)")
    if detected:
        q = np.percentile(detected, [50, 90])
        print(f"  A/B: a winner in {len(detected)}/{len(runs)} runs ({right} for the served arm); observations "
              f"until then: median {q[0]:.0f}, 90th percentile {q[1]:.0f}, max {max(detected)}")
    else:
        print(f"  A/B: no winner within the horizon in any of {len(runs)} runs")
    false_winners = sum(1 for r in aa if r[metric]["decision"] is not None)
    low, high = wilson(false_winners, len(aa))
    print(f"  A/A: a winner declared in {false_winners}/{len(aa)} runs ({false_winners / max(len(aa), 1):.1%}, "
          f"95% Wilson interval {low:.1%}-{high:.1%}); alpha 0.05")


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--served", type=Path, required=True, help="model root of the served model (arm a)")
    p.add_argument("--worse", required=True,
                   help="model root of the worse model (e.g. the seed arch), or `popular`: the served model's "
                        "most-popular lists (same language and type, no relevance)")
    p.add_argument("--requests", type=int, default=10000, help="requests per experiment (both arms together)")
    p.add_argument("--ab-runs", type=int, default=20)
    p.add_argument("--aa-runs", type=int, default=100)
    p.add_argument("--vote-rate", type=float, default=0.3)
    p.add_argument("--ratings-only", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=None, help="also write the runs as JSON here")
    args = p.parse_args()
    started = time.perf_counter()
    community = Community.build(read_ratings(RATINGS), ratings_only=args.ratings_only, seed=args.seed)
    served = Lists(Recommender.load(args.served))
    worse = Lists(served.rec, by_popularity=True) if args.worse == "popular" else Lists(Recommender.load(args.worse))
    ab = experiments(community, {"a": served, "b": worse}, args.ab_runs, args, "A/B")
    aa = experiments(community, {"a": served, "b": served}, args.aa_runs, args, "A/A")
    what = "its most-popular lists" if worse.by_popularity else worse.rec.version
    print(f"served {served.rec.version} vs worse {what}; {args.requests} requests per experiment, "
          f"vote rate {args.vote_rate}{', ratings only' if args.ratings_only else ''}, seed {args.seed}")
    report("thumbs-up rate of the votes cast", "votes", ab, aa)
    report("hit rate of the titles looked at (no opinion = miss)", "hits", ab, aa)
    report("thumbs-up rate, each member's first vote only", "votes_first_per_member", ab, aa)
    report("hit rate, each member's first title looked at only", "hits_first_per_member", ab, aa)
    print(f"({time.perf_counter() - started:.0f} s)")
    if args.out:
        args.out.write_text(json.dumps({"ab": ab, "aa": aa}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
