"""Benchmark: load the full bundled catalog N times and print the median and p99 wall time.

Not a pytest test: timings depend on the (shared, noisy) machine. Run it by hand:

    .venv/bin/python scripts/bench_catalog.py [--n 30] [--data CSV] [--enrich CSV]

One untimed warm-up load comes first, so imports and cold file caches are not counted.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from pathlib import Path

from recommender.catalog import load_catalog
from recommender.settings import bundled_catalog_path


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile: with fewer than 100 runs, p99 is the slowest run."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30, help="timed loads (default 30)")
    parser.add_argument("--data", type=Path, default=bundled_catalog_path(), help="catalog CSV")
    parser.add_argument("--enrich", type=Path, default=None, help="optional enrichment CSV")
    args = parser.parse_args()
    if args.n < 1:
        parser.error("--n must be at least 1")

    catalog = load_catalog(args.data, args.enrich)  # warm-up, untimed
    times: list[float] = []
    for _ in range(args.n):
        start = time.perf_counter()
        load_catalog(args.data, args.enrich)
        times.append(time.perf_counter() - start)

    report = catalog.report
    print(f"catalog: {args.data} ({report.rows_read} rows -> {report.items} items"
          + (f", enriched {report.enriched} from {args.enrich}" if args.enrich else "") + ")")
    print(f"loads: {args.n} (+1 warm-up)")
    print(f"median: {statistics.median(times):.3f} s")
    print(f"p99:    {percentile(times, 99):.3f} s")
    print(f"min/max: {min(times):.3f} / {max(times):.3f} s")


if __name__ == "__main__":
    main()
