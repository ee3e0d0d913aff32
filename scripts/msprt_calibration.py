"""How the A/B sequential test behaves on simulated thumbs votes: false winners under A/A, and how
many judgements it needs to detect a real difference. Pure numpy, deterministic for a seed.

    python scripts/msprt_calibration.py [--streams 500] [--seed 2026]

Why a script: the figures quoted for the mSPRT (`recommender.evaluation.sequential`) must be
rerunnable. Each stream assigns every judgement to arm a or b with probability 1/2 and watches the
always-valid p-value after every judgement ("at any time").

The last block drops the independence: members (randomised to arms) each have their own thumbs-up
propensity and vote very unequally often, as on a Discord server. It compares the test fed every
judgement as independent with the test clustered by member (what the bot's A/B report runs).
"""

from __future__ import annotations

import argparse

import numpy as np

from recommender.evaluation.sequential import msprt_stream


def _stream(rng: np.random.Generator, n: int, rate_a: float, rate_b: float) -> list[tuple[str, bool]]:
    in_b = rng.random(n) < 0.5
    ups = rng.random(n) < np.where(in_b, rate_b, rate_a)
    return [("b" if b else "a", bool(u)) for b, u in zip(in_b, ups, strict=True)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=500, help="A/A streams per rate (detection: 2/5 of it)")
    parser.add_argument("--length", type=int, default=5000, help="judgements per A/A stream")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    for rate in (0.3, 0.5, 0.7):
        false = sum(msprt_stream(_stream(rng, args.length, rate, rate)).decided_after is not None
                    for _ in range(args.streams))
        print(f"A/A at {rate:.0%} thumbs-up: a winner declared in {false}/{args.streams} streams "
              f"({false / args.streams:.1%}; the promise is at most 5%) over {args.length} judgements each")
    runs = max(1, args.streams * 2 // 5)
    for rate_a, rate_b in ((0.5, 0.6), (0.4, 0.5), (0.5, 0.7)):
        found = [msprt_stream(_stream(rng, 2 * args.length, rate_a, rate_b)).decided_after for _ in range(runs)]
        hits = [n for n in found if n is not None]
        spread = (f"median {int(np.median(hits))}, 90th percentile {int(np.percentile(hits, 90))} judgements"
                  if hits else "never")
        print(f"{rate_a:.0%} vs {rate_b:.0%}: detected in {len(hits)}/{runs} streams; {spread}")
    for members in (300, 3000):
        streams = [_member_stream(rng, members, args.length) for _ in range(args.streams)]
        independent = sum(msprt_stream(obs).decided_after is not None for obs, _ in streams)
        clustered = sum(msprt_stream(obs, clusters=who).decided_after is not None for obs, who in streams)
        print(f"A/A, {members} members with their own tastes, {args.length} judgements: a winner declared in "
              f"{independent}/{args.streams} streams counting judgements as independent, "
              f"{clustered}/{args.streams} clustered by member")
    return 0


def _member_stream(rng: np.random.Generator, members: int, n: int) -> tuple[list[tuple[str, bool]], list[int]]:
    """Judgements of members with Beta(1.6, 0.4) propensities (mean 0.8, as the simulated community's
    thumbs-up rate) and Pareto activity (a few members cast most votes); no difference between arms."""
    propensity = rng.beta(1.6, 0.4, members)
    in_b = rng.random(members) < 0.5
    activity = rng.pareto(1.2, members) + 1.0
    who = rng.choice(members, n, p=activity / activity.sum())
    ups = rng.random(n) < propensity[who]
    return [("b" if in_b[w] else "a", bool(u)) for w, u in zip(who, ups, strict=True)], who.tolist()


if __name__ == "__main__":
    raise SystemExit(main())
