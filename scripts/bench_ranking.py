"""Latency of the served ranking over the full catalog: `Recommender.recommend` by id and by title.

Not a test (timings depend on the machine and its load); rerun it:

    PYTHONPATH=. .venv/bin/python scripts/bench_ranking.py --model-dir var/models [--queries 500] [--repeats 3]

Prints load time, median and p99 of `recommend(item_id, k=10)` over random catalog items, and of
`recommend(title)` for a few exact titles; confirms TensorFlow was never imported and prints the
machine's load average (the figures are only comparable at similar load). Beside each wall-clock line, the
request thread's CPU time: on a shared machine the wall clock's p99 is mostly the time other processes held
the core, and the CPU time is what an idle machine's wall clock would be (up to cache sharing).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from recommender.serving import Recommender


def percentiles(seconds: list[float]) -> str:
    ms = np.asarray(seconds) * 1000
    return f"median {np.median(ms):.2f} ms, p99 {np.percentile(ms, 99):.2f} ms (n={len(ms)})"


def timed(call: Callable[[], object], wall: list[float], cpu: list[float]) -> None:
    """Run `call`, adding its wall-clock and this thread's CPU seconds to the lists."""
    t, c = time.perf_counter(), time.thread_time()
    call()
    cpu.append(time.thread_time() - c)
    wall.append(time.perf_counter() - t)


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
    by_id: list[float] = []
    by_id_cpu: list[float] = []
    for _ in range(args.repeats):
        for item_id in chosen:
            timed(partial(rec.recommend, int(item_id), 10), by_id, by_id_cpu)
    print("recommend by id, k=10:   ", percentiles(by_id))
    print("  CPU time of the thread:", percentiles(by_id_cpu))
    titles = ["Wednesday", "Stranger Things", "The Crown", "CoComelon", "Naruto", "Money Heist", "Bird Box"]
    by_title: list[float] = []
    by_title_cpu: list[float] = []
    for _ in range(args.repeats * 20):
        for title in titles:
            timed(partial(rec.recommend, title, 10), by_title, by_title_cpu)
    print("recommend by title, k=10:", percentiles(by_title))
    print("  CPU time of the thread:", percentiles(by_title_cpu))
    print("tensorflow imported:", "tensorflow" in sys.modules)
    print(f"load average (1, 5, 15 min) on {os.cpu_count()} cores: " + ", ".join(f"{v:.2f}" for v in os.getloadavg()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
