"""Time and memory to import a server's library: parse + match + describe + cold-start embed.

Rerunnable: `python -m scripts.bench_library --model-dir /work/models/final1 [--titles 10000] [--runs 3]`.
The export is Jellyfin-shaped CSV built from the model's own catalog: 90% catalog titles (shows once
under their series name, with their first year) and 10% titles the catalog lacks (with year, type and
genres), the split a real server's library has against a streaming catalog more or less.

Each run is a fresh child process (spawned), so every run pays what an import in a fresh bot pays:
the bundled listings read and the encoder (TensorFlow) loaded on first use. Loading the serving model
itself is not timed (the bot has it loaded). Peak memory is the child's peak RSS above its RSS once
the model is loaded (`resource.getrusage`, which includes TensorFlow's native allocations that
tracemalloc cannot see). The figures are medians; the load average is printed beside them because
the machine is shared.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import resource
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from recommender import titles as t


def build_export(model_dir: Path, n: int, seed: int = 0) -> bytes:
    """A Jellyfin CSV of `n` distinct titles: 90% from the catalog, 10% invented."""
    from recommender.serving import Recommender

    rec = Recommender.load(model_dir)
    items = rec.items
    works: dict[tuple[str, str], int | None] = {}
    for title, kind, year in zip(items["title"], items["content_type"], items["release_year"], strict=True):
        key = (t.base_title(str(title)), "Series" if kind == "Show" else "Movie")
        value = None if year != year else int(year)
        if key not in works or (value is not None and (works[key] or 9999) > value):
            works[key] = value
    rng = np.random.default_rng(seed)
    keys = list(works)
    real = [keys[i] for i in rng.permutation(len(keys))[: int(n * 0.9)]]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Name", "ProductionYear", "Type", "Genres", "OfficialRating"])
    for name, kind in real:
        writer.writerow([name, works[(name, kind)] or "", kind, "", ""])
    genres = ["Drama", "Comedy", "Thriller", "Horror", "Documentary", "Animation", "Romance", "Crime"]
    for i in range(n - len(real)):
        writer.writerow([f"Harbour Lights Story {i}", 1960 + i % 64, "Movie" if i % 3 else "Series",
                         f"{genres[i % 8]}|{genres[(i * 3 + 1) % 8]}", ["", "PG", "TV-14", "R"][i % 4]])
    return out.getvalue().encode("utf-8")


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def one_import(model_dir: str, raw: bytes, listings: bool) -> dict[str, float]:
    """One import in this (fresh) process; seconds per step and the peak memory above the loaded model."""
    from recommender.artifacts import current_version
    from recommender.library import LibraryScope, ServerLibrary, match_library
    from recommender.library.extras import describe_extras, embed_extras, saved_encoder
    from recommender.library.formats import parse_library
    from recommender.serving import Recommender
    from recommender.settings import bundled_enrichment_paths

    root = Path(model_dir)
    rec = Recommender.load(root)
    version_dir = root / (current_version(root) or rec.version) if (root / "CURRENT").exists() else root
    base = _rss_mb()
    times: dict[str, float] = {}
    started = time.perf_counter()
    parsed = parse_library(raw)
    times["parse_s"] = time.perf_counter() - started
    mark = time.perf_counter()
    match = match_library(rec, parsed.titles)
    times["match_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    extras = describe_extras(match.missing, bundled_enrichment_paths() if listings else [])
    times["describe_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    vectors = embed_extras(extras, saved_encoder(version_dir))
    times["embed_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    LibraryScope(rec, ServerLibrary(frozenset(match.item_ids), tuple(extras), vectors))
    times["compile_s"] = time.perf_counter() - mark
    times["total_s"] = time.perf_counter() - started
    times["peak_mb_above_model"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - base
    times.update(titles=len(parsed.titles), matched=len(match.matched), doubtful=len(match.doubtful),
                 not_in_catalog=len(match.missing))
    return times


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, required=True)
    parser.add_argument("--titles", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-listings", action="store_true", help="skip the bundled listings (describe step)")
    parser.add_argument("--json", type=Path, help="also write the runs and medians here")
    args = parser.parse_args(argv)
    raw = build_export(args.model_dir, args.titles)
    runs = []
    for run in range(1, args.runs + 1):
        with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
            result = pool.submit(one_import, str(args.model_dir), raw, not args.no_listings).result()
        runs.append(result)
        print(f"run {run}: " + ", ".join(f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}"
                                         for k, v in result.items()), flush=True)
    keys = [k for k in runs[0] if k.endswith(("_s", "_mb_above_model"))]
    medians = {k: statistics.median(r[k] for r in runs) for k in keys}
    load = os.getloadavg()
    print(f"median of {len(runs)} ({args.titles:,} titles, {len(raw) / 1e6:.1f} MB): "
          + ", ".join(f"{k} {v:.2f}" for k, v in medians.items())
          + f"; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs")
    if args.json:
        args.json.write_text(json.dumps({"runs": runs, "medians": medians, "loadavg": load}, indent=1))


if __name__ == "__main__":
    main()
