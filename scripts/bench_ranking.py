"""Latency of the served ranking over the full catalog: `Recommender.recommend` by id and by title.

Not a test (timings depend on the machine and its load); rerun it:

    PYTHONPATH=. .venv/bin/python scripts/bench_ranking.py --model-dir var/models [--queries 500] [--repeats 3]

Prints load time, median and p99 of `recommend(item_id, k=10)` over random catalog items, and of
`recommend(title)` for a few exact titles; confirms TensorFlow was never imported and prints the
machine's load average (the figures are only comparable at similar load).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from recommender.serving import Recommender


def percentiles(seconds: list[float]) -> str:
    ms = np.asarray(seconds) * 1000
    return f"median {np.median(ms):.2f} ms, p99 {np.percentile(ms, 99):.2f} ms (n={len(ms)})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, default=Path("var/models"))
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    start = time.perf_counter()
    rec = Recommender.load(args.model_dir, family_safe=False)
    print(f"load {time.perf_counter() - start:.1f} s, {len(rec)} items, model {rec.version}")
    ids = rec.items["item_id"].to_numpy()
    chosen = np.random.default_rng(0).choice(ids, size=min(args.queries, len(ids)), replace=False)
    for item_id in chosen[:20]:  # warm-up
        rec.recommend(int(item_id), 10)
    by_id = []
    for _ in range(args.repeats):
        for item_id in chosen:
            t = time.perf_counter()
            rec.recommend(int(item_id), 10)
            by_id.append(time.perf_counter() - t)
    print("recommend by id, k=10:   ", percentiles(by_id))
    titles = ["Wednesday", "Stranger Things", "The Crown", "CoComelon", "Naruto", "Money Heist", "Bird Box"]
    by_title = []
    for _ in range(args.repeats * 20):
        for title in titles:
            t = time.perf_counter()
            rec.recommend(title, 10)
            by_title.append(time.perf_counter() - t)
    print("recommend by title, k=10:", percentiles(by_title))
    print("tensorflow imported:", "tensorflow" in sys.modules)
    print(f"load average (1, 5, 15 min) on {os.cpu_count()} cores: " + ", ".join(f"{v:.2f}" for v in os.getloadavg()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
