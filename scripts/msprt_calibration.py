"""How the A/B sequential test behaves on simulated thumbs votes: false winners under A/A, and how
many judgements it needs to detect a real difference. Pure numpy, deterministic for a seed.

    python scripts/msprt_calibration.py [--streams 500] [--seed 2026]

Why a script: the figures quoted for the mSPRT (`recommender.evaluation.sequential`) must be
rerunnable. Each stream assigns every judgement to arm a or b with probability 1/2 and watches the
always-valid p-value after every judgement ("at any time").
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
