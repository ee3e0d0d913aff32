"""Training cost against catalog size: one epoch's wall time and the process's peak memory at each N.

    .venv/bin/python scripts/bench_training.py --items 10000 --items 100000 --items 1000000 [--json]
    .venv/bin/python scripts/bench_training.py --catalog mine.csv [--enrich listing.csv]

Each size runs in its own process (a clean peak-memory figure and no state shared between sizes) on
a synthetic catalog from `lab.synth` with its listings joined (about 45% of franchises get
genres, descriptions, cast), written to a temporary directory unless `--keep DIR` names one to reuse.
The figures are `recommender.training.measure_epoch`: featurising the catalog (one pass, linear), then
one full epoch of the default architecture after a few warm-up batches.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def measure(catalog: Path, enrich: list[Path], batch_size: int | None) -> dict:
    """One size, in this process: load the catalog, then `measure_epoch`."""
    from recommender.catalog import load_catalog
    from recommender.training import TrainConfig, measure_epoch

    started = time.perf_counter()
    loaded = load_catalog(catalog, enrich)
    load_s = time.perf_counter() - started
    config = TrainConfig(epochs=1) if batch_size is None else TrainConfig(epochs=1, batch_size=batch_size)
    cost = measure_epoch(loaded, config)
    return {"items": cost.items, "epoch_s": cost.epoch_s, "peak_rss_mb": cost.peak_rss_mb,
            "featurize_s": cost.featurize_s, "steps": cost.steps, "catalog_load_s": round(load_s, 2)}


def _child(catalog: Path, enrich: list[Path], batch_size: int | None) -> dict:
    command = [sys.executable, __file__, "--catalog", str(catalog), "--child"]
    for path in enrich:
        command += ["--enrich", str(path)]
    if batch_size is not None:
        command += ["--batch-size", str(batch_size)]
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"measuring {catalog} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, action="append", default=[], help="synthetic catalog size (repeatable)")
    parser.add_argument("--catalog", type=Path, help="measure this catalog instead of synthetic ones")
    parser.add_argument("--enrich", type=Path, action="append", default=[], help="listing(s) to join with --catalog")
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--keep", type=Path, default=None, help="directory for (and reuse of) synthetic catalogs")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.catalog, args.enrich, args.batch_size)), flush=True)
        return 0

    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-training-") as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        jobs = [(args.catalog, args.enrich)] if args.catalog else []
        for n in sorted(args.items):
            catalog, listing = folder / f"synth-{n}.csv", folder / f"synth-{n}-listings.csv"
            if not (catalog.exists() and listing.exists()):
                from lab.synth import generate

                generate(n, catalog, seed=0, enrich_out=listing)
            jobs.append((catalog, [listing]))
        for catalog, enrich in jobs:
            rows.append(_child(catalog, enrich, args.batch_size))
            if not args.json:
                print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'items':>10} {'epoch s':>9} {'us/item':>8} {'peak RSS MB':>12} {'featurize s':>12} {'steps':>6}")
    for row in rows:
        per_item = 1e6 * row["epoch_s"] / row["items"]
        print(f"{row['items']:>10,} {row['epoch_s']:>9.1f} {per_item:>8.0f} {row['peak_rss_mb']:>12.0f} "
              f"{row['featurize_s']:>12.1f} {row['steps']:>6}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
