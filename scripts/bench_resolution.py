"""Title resolution on the full bundled catalog: accuracy per query kind and latency.

Runs every query of `tests/fixtures/title_queries.tsv` through `Recommender.resolve` on a model built
over the whole bundled catalog (resolution needs no trained embeddings, so a cheap stand-in matrix
is used), prints the accuracy per kind, then the median and p99 latency of resolution (over the
fixture queries) and of autocomplete (over every prefix of them, as typed).

    .venv/bin/python -m scripts.bench_resolution [--repeat 5] [--json] [--failures]

The fixture reader and the full-catalog model are the tests' own (`tests/resolution_catalog.py`), so
the benchmark measures exactly what the accuracy test checks.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import sys
import time
from collections import defaultdict
from typing import Any

import numpy as np

from tests.resolution_catalog import MUST_NOT, TitleQuery, full_catalog_recommender, load_title_queries


def resolve(rec, q: TitleQuery):
    """`rec.resolve` with the query's filters, when this checkout's resolver accepts them."""
    if q.filters and "language" in inspect.signature(rec.resolve).parameters:
        return rec.resolve(q.query, **q.filters)
    return rec.resolve(q.query)


def is_correct(q: TitleQuery, resolution) -> bool:
    if q.kind == MUST_NOT:
        return not resolution.confident
    return resolution.confident and resolution.item is not None and resolution.item.title == q.expected


def accuracy(rec, queries: list[TitleQuery]) -> tuple[dict[str, tuple[int, int]], list[str]]:
    per_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    failures = []
    for q in queries:
        resolution = resolve(rec, q)
        ok = is_correct(q, resolution)
        per_kind[q.kind][0] += ok
        per_kind[q.kind][1] += 1
        if not ok:
            got = resolution.item.title if resolution.item is not None else None
            failures.append(f"{q.kind:24} {q.query!r} -> {got!r} (confident={resolution.confident}); "
                            f"expected {q.expected!r}")
    return {k: (v[0], v[1]) for k, v in per_kind.items()}, failures


def latencies(fn, inputs: list[str], repeat: int) -> tuple[np.ndarray, np.ndarray]:
    """Wall-clock and CPU milliseconds per call. On a shared machine the wall clock includes time
    spent waiting for a core; the thread's CPU time is the work the call itself did."""
    for text in inputs[:50]:
        fn(text)  # warm caches and lazy imports
    wall, cpu = [], []
    for _ in range(repeat):
        for text in inputs:
            start, start_cpu = time.perf_counter(), time.thread_time()
            fn(text)
            cpu.append(time.thread_time() - start_cpu)
            wall.append(time.perf_counter() - start)
    return np.array(wall) * 1000.0, np.array(cpu) * 1000.0


def _summary(wall: np.ndarray, cpu: np.ndarray) -> dict:
    return {"median": round(float(np.median(wall)), 3), "p99": round(float(np.percentile(wall, 99)), 3),
            "cpu_median": round(float(np.median(cpu)), 3), "cpu_p99": round(float(np.percentile(cpu, 99)), 3),
            "calls": len(wall)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--failures", action="store_true", help="list every query resolved wrongly")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    rec = full_catalog_recommender()
    build_seconds = time.perf_counter() - started
    queries = load_title_queries()
    per_kind, failures = accuracy(rec, queries)
    prefixes = sorted({q.query[:n] for q in queries for n in range(1, min(len(q.query), 20) + 1)})
    resolve_ms = latencies(lambda text: rec.resolve(text), [q.query for q in queries], args.repeat)
    complete_ms = latencies(lambda text: rec.autocomplete(text), prefixes, args.repeat)
    correct = sum(c for c, _ in per_kind.values())
    total = sum(n for _, n in per_kind.values())
    per_kind_rows = {k: {"correct": c, "total": n, "accuracy": round(c / n, 4)}
                     for k, (c, n) in sorted(per_kind.items())}
    report: dict[str, Any] = {
        "items": len(rec), "queries": total, "build_seconds": round(build_seconds, 2),
        "accuracy": round(correct / total, 4),
        "per_kind": per_kind_rows,
        "resolve_ms": _summary(*resolve_ms),
        "autocomplete_ms": _summary(*complete_ms),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"{len(rec)} items, index built in {build_seconds:.1f}s; {total} fixture queries")
        print(f"{'kind':26}{'correct':>8}{'total':>7}{'accuracy':>10}")
        for kind, row in per_kind_rows.items():
            print(f"{kind:26}{row['correct']:>8}{row['total']:>7}{row['accuracy']:>10.1%}")
        print(f"{'all':26}{correct:>8}{total:>7}{correct / total:>10.1%}")
        for name in ("resolve_ms", "autocomplete_ms"):
            r = report[name]
            print(f"{name:16} wall median {r['median']:.3f} ms  p99 {r['p99']:.3f} ms | "
                  f"cpu median {r['cpu_median']:.3f} ms  p99 {r['cpu_p99']:.3f} ms  ({r['calls']} calls)")
        print(f"load average during the run: {report['load_average']} (wall times include waiting for a core)")
    if args.failures:
        print("\n".join(failures), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
