"""Memory and CPU of the serving bot's vote channel on a large model version (not a test; rerun it).

A bot serving votes rebuilds `VoteChannel` at every refresh. This loads a version the way the bot
does, builds the channel twice from random voted pairs, and prints the process's RSS and peak after
each step, so the vote channel's share of serving memory can be read beside `bench-scale`'s figure:

    PYTHONPATH=. .venv/bin/python scripts/bench_vote_channel.py --model-dir DIR [--pairs 5000] [--full-list]

`--full-list` builds the channel from a list of every title (what `Recommender.vote_channel` did
before it looked up only the voted titles), for comparison; run each way in its own process.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from recommender.ranking.votes import VoteChannel
from recommender.serving import Recommender


def memory() -> str:
    with open("/proc/self/status", encoding="ascii") as status:
        rss = next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return f"RSS {rss:,.0f} MB, peak {peak:,.0f} MB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-dir", type=Path, required=True)
    parser.add_argument("--pairs", type=int, default=5000, help="voted (query, item) pairs")
    parser.add_argument("--full-list", action="store_true", help="build from a list of every title (the old way)")
    args = parser.parse_args(argv)

    rec = Recommender.load(args.model_dir)
    print(f"loaded {len(rec):,} titles: {memory()}")
    rng = np.random.default_rng(0)
    titles = rec.index.titles
    rows = rng.integers(0, len(rec), size=(args.pairs, 2))
    pairs = pd.DataFrame({
        "query_title": [titles[int(row)] for row in rows[:, 0]],
        "item_title": [titles[int(row)] for row in rows[:, 1]],
        "up": rng.integers(0, 5, args.pairs),
        "down": rng.integers(0, 3, args.pairs),
    })
    for refresh in (1, 2):
        started = time.process_time()
        channel = VoteChannel(pairs, list(titles), rec.vote_settings) if args.full_list else rec.vote_channel(pairs)
        print(f"refresh {refresh} ({'full title list' if args.full_list else 'voted titles looked up'}): "
              f"{time.process_time() - started:.2f} s CPU, {memory()}, {channel.unknown_pairs} pairs unknown")
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
