"""`python -m recommender bench-scale --items N [--items N ...]`: cost of training and serving against N.

For each N a synthetic catalog (`lab.synth`, with listings) is trained for `--epochs` epochs
through the training API and saved as a real model version, with the ANN index forced on; then a
fresh process loads it through `Recommender.load`, exactly as the bot does, and times requests.
Training and serving run in separate child processes so that `peak_rss_mb` is what a serving
process holds (the "serving RSS" target), not what training needed; the training peak is printed
in the text table too. Figures:

- epoch_s: seconds per training epoch after the first (the training API's own epoch timer);
- peak_rss_mb: peak resident memory of the serving process (load + index + requests);
- index_build_s: building the HNSW index over the embeddings;
- recommend_p50_ms / recommend_p99_ms: `Recommender.recommend(item_id, k=10)`, one at a time;
- resolution_p99_ms: `Recommender.resolve` of typed titles (exact, misspelt, partial, lowercased);
- recall_at_10: the index's top 10 against exact search, averaged over sampled queries.

Medians and percentiles over `--queries` requests after a warm-up; rerun to compare.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np

from recommender.derived import DERIVED_FILES

KEYS = ("items", "epoch_s", "peak_rss_mb", "index_build_s", "recommend_p50_ms", "recommend_p99_ms",
        "resolution_p99_ms", "recall_at_10")
WARMUP = 20


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--items", type=int, action="append", required=True, help="catalog size (repeatable)")
    parser.add_argument("--json", action="store_true", help="print a JSON list of rows")
    parser.add_argument("--report", type=Path, default=None, help="write one PNG chart per figure against N here")
    parser.add_argument("--epochs", type=int, default=2,
                        help="training epochs per size; epoch_s is the median epoch after the first (which also "
                             "traces the training step), or the only one with --epochs 1")
    parser.add_argument("--queries", type=int, default=300, help="timed requests per figure")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work-dir", type=Path, default=None, help="keep catalogs and models here (default: temp)")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="time requests by the wall clock (default) or by the thread's CPU time, which leaves "
                             "out waiting for a core on a shared machine")


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def _in_child(function: Any, *args: Any) -> dict:
    """Run in a fresh process (spawn), so each figure's peak memory is its own."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


def train_stage(catalog_csv: Path, listings_csv: Path, model_root: Path, epochs: int, seed: int) -> dict:
    """Train, build the index, save a version with both; returns epoch and index figures."""
    from recommender.artifacts import save_artifact
    from recommender.catalog import load_catalog
    from recommender.index import AnnIndex
    from recommender.training import EpochProgress, TrainConfig, train

    catalog = load_catalog(catalog_csv, [listings_csv])
    epochs_seen: list[float] = []

    def progress(p: EpochProgress) -> None:
        epochs_seen.append(p.seconds)

    trained = train(catalog, TrainConfig(epochs=epochs, seed=seed), progress)
    started = time.perf_counter()
    index = AnnIndex.build(trained.embeddings)
    index_build_s = time.perf_counter() - started
    save_artifact(model_root, embeddings=trained.embeddings, items=catalog.items, vocab=trained.vocabulary(),
                  metadata={"arch": "default", "data": str(catalog_csv)}, ann=index, version="bench",
                  derived=DERIVED_FILES)
    steady = epochs_seen[1:] or epochs_seen  # the first epoch also traces the Keras step
    return {"epoch_s": float(np.median(steady)) if steady else float("nan"),
            "index_build_s": index_build_s, "train_peak_rss_mb": _peak_rss_mb()}


def _typed(title: str, rng: np.random.Generator) -> str:
    """What a person might type for a title: as is, lowercased, a letter dropped or swapped, or its start."""
    english = title.split(" // ", 1)[0]
    kind = int(rng.integers(0, 4))
    if kind == 0 or len(english) < 6:
        return english
    if kind == 1:
        return english.lower()
    if kind == 2:
        i = int(rng.integers(1, len(english) - 1))
        if rng.random() < 0.5:
            return english[:i] + english[i + 1:]  # a letter dropped
        return english[:i - 1] + english[i] + english[i - 1] + english[i + 1:]  # two letters swapped
    return english[: max(4, len(english) * 2 // 3)]


def _percentiles(ms: list[float]) -> tuple[float, float]:
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 99))


def serve_stage(model_dir: Path, queries: int, seed: int, clock: str = "wall") -> dict:
    """Load as the bot does (index on), then time recommend and resolve and measure recall."""
    os.environ["ANN_INDEX"] = "on"
    from recommender.index.ann import exact_top
    from recommender.serving import QueryError, Recommender

    now = time.thread_time if clock == "cpu" else time.perf_counter
    rec = Recommender.load(model_dir, family_safe=False)
    assert rec.ann is not None, "the bench model was saved with an index"
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(rec), size=min(queries + WARMUP, len(rec)), replace=False)
    ids = rows.tolist()  # a saved version numbers items 0..n-1 in row order (`rec.items` reads the whole table)
    timings = []
    for n, item_id in enumerate(ids):
        started = now()
        rec.recommend(int(item_id), k=10)
        if n >= WARMUP:
            timings.append((now() - started) * 1000)
    p50, p99 = _percentiles(timings)
    titles = [rec.item(item_id).title for item_id in ids]
    resolve_ms = []
    for n, title in enumerate(titles):
        text = _typed(str(title), rng)
        started = now()
        with contextlib.suppress(QueryError):  # a typo may leave only punctuation: still a timed answer
            rec.resolve(text)
        if n >= WARMUP:
            resolve_ms.append((now() - started) * 1000)
    recall = []
    for r in rows[WARMUP:].tolist():
        approximate = set(rec.ann.search(rec.embeddings[r], 10).tolist())
        recall.append(len(approximate & set(exact_top(rec.embeddings, rec.embeddings[r], 10).tolist())) / 10)
    return {"recommend_p50_ms": p50, "recommend_p99_ms": p99, "resolution_p99_ms": _percentiles(resolve_ms)[1],
            "recall_at_10": float(np.mean(recall)), "peak_rss_mb": _peak_rss_mb()}


def measure(items: int, work: Path, *, epochs: int, queries: int, seed: int, clock: str = "wall") -> dict:
    from lab.synth import generate

    catalog, listings = work / f"catalog-{items}.csv", work / f"listings-{items}.csv"
    generate(items, catalog, seed=seed, enrich_out=listings)
    root = work / f"models-{items}"
    trained = _in_child(train_stage, catalog, listings, root, epochs, seed)
    served = _in_child(serve_stage, root / "bench", queries, seed, clock)
    row = {"items": items, **{k: v for k, v in {**trained, **served}.items() if k in KEYS}}
    row = {key: (round(row[key], 4) if isinstance(row[key], float) else row[key]) for key in KEYS}
    row["train_peak_rss_mb"] = round(trained["train_peak_rss_mb"], 1)
    row["load_average"] = round(os.getloadavg()[0], 1)
    return row


def chart(rows: list[dict], out: Path) -> list[Path]:
    from lab.evaluation.report import ReportError

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ReportError("--report needs matplotlib for its charts: pip install 'reelmate[report]'") from None
    out.mkdir(parents=True, exist_ok=True)
    written = []
    sizes = [r["items"] for r in rows]
    for key in KEYS[1:]:
        fig, ax = plt.subplots(figsize=(5, 3.2))
        ax.plot(sizes, [r[key] for r in rows], marker="o")
        ax.set_xscale("log")
        ax.set_xlabel("catalog items (N)")
        ax.set_ylabel(key)
        ax.set_title(f"{key} against N")
        ax.grid(True, alpha=0.3)
        fig.tight_layout()
        path = out / f"{key}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    (out / "bench_scale.json").write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return written


def run(args: argparse.Namespace) -> int:
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as temp:
        work = args.work_dir or Path(temp)
        work.mkdir(parents=True, exist_ok=True)
        for items in args.items:
            rows.append(measure(items, work, epochs=args.epochs, queries=args.queries, seed=args.seed,
                                clock=args.clock))
            if not args.json:
                print(_line(rows[-1]), flush=True)
    if args.report is not None:
        chart([{k: r[k] for k in KEYS} for r in rows], args.report)
    if args.json:
        print(json.dumps([{k: r[k] for k in KEYS} for r in rows]))
    return 0


def _line(row: dict) -> str:
    return (f"N={row['items']:>9,}  epoch {row['epoch_s']:.1f}s  serving peak RSS {row['peak_rss_mb']:.0f} MB "
            f"(training {row['train_peak_rss_mb']:.0f} MB)  index build {row['index_build_s']:.1f}s  "
            f"recommend p50 {row['recommend_p50_ms']:.2f} ms p99 {row['recommend_p99_ms']:.2f} ms  "
            f"resolve p99 {row['resolution_p99_ms']:.2f} ms  recall@10 {row['recall_at_10']:.3f}  "
            f"(load average {row['load_average']})")
