"""Benchmark the recommender on the full bundled catalog: training, title resolution, autocomplete,
recommendations, serving memory, and the numpy serving path against a `model.predict` path.

Not a test (timings depend on the machine); anyone can rerun it:

    .venv/bin/python scripts/benchmark.py [--enrich titles.csv] [--model-dir ROOT] [--repeats 5]
                                          [--epochs N] [--seed-epochs N]

Without --model-dir it trains the default architecture (activated) and the `seed` architecture (saved,
not activated) into a temporary model root and reports their training times. With --model-dir it
reuses ROOT's current model, and the newest `seed` version in ROOT if there is one (else it trains one).

Serving figures come from a separate child process that only loads the `Recommender` and answers
queries, the way the bot's process does: its peak RSS (`resource.getrusage`) is the serving memory,
and it reports whether TensorFlow was ever imported (it must not be).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from pathlib import Path

import numpy as np

# Realistic things people type: exact titles, titles without season, lower case, misspellings,
# original-language (Korean, Spanish, Japanese) titles, and a few that match nothing.
QUERIES = [
    "Wednesday", "wednesday", "wednesdy", "Stranger Things", "strnger thngs", "stranger things 4",
    "The Night Agent", "the night agnet", "Ginny & Georgia", "ginny and georgia", "The Glory", "더 글로리",
    "Squid Game", "squid gam", "오징어 게임", "Physical: 100", "피지컬: 100", "All of Us Are Dead",
    "지금 우리 학교는", "Extraordinary Attorney Woo", "Money Heist", "La casa de papel", "Outer Banks",
    "outerbanks", "Bridgerton", "Queen Charlotte", "You", "Emily in Paris", "The Witcher", "witcher",
    "Narcos", "Dark", "Alice in Borderland", "今際の国のアリス", "Kingdom", "Suits", "Breaking Bad",
    "The Crown", "Lucifer", "cocomelon", "The Walking Dead", "Gilmore Girls", "Manifest", "Beef",
    "The Diplomat", "Extraction 2", "The Mother", "Glass Onion", "Murder Mystery 2", "xqzzy plomb",
]
# Autocomplete: every prefix of these, as a user types them.
PREFIX_TITLES = ["Wednesday", "Stranger Things", "The Glory", "더 글로리", "Squid Game", "Bridgerton",
                 "Ginny & Georgia", "Money Heist"]


# ------------------------------------------------------------------------------------------------
# Measuring


def timed(fn: Callable[[], object], repeats: int, warmup: int = 1) -> list[float]:
    """Wall-clock milliseconds of `fn`, `repeats` times, after `warmup` untimed calls."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter_ns()
        fn()
        samples.append((time.perf_counter_ns() - start) / 1e6)
    return samples


def over(calls: Iterable[Callable[[], object]], repeats: int) -> list[float]:
    """One sample per call per repeat: the distribution over a realistic query mix."""
    samples: list[float] = []
    calls = list(calls)
    for call in calls:  # warm caches once, as a long-running process would be
        call()
    for _ in range(repeats):
        for call in calls:
            start = time.perf_counter_ns()
            call()
            samples.append((time.perf_counter_ns() - start) / 1e6)
    return samples


def summary(samples: list[float]) -> dict:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(np.ceil(0.99 * len(ordered))) - 1)]
    return {"n": len(samples), "median": statistics.median(ordered), "p99": p99, "max": ordered[-1]}


# ------------------------------------------------------------------------------------------------
# Serving child: numpy + rapidfuzz only


def vm_hwm_mb() -> float | None:
    """Linux's per-process RSS high-water mark, as a cross-check of getrusage (None elsewhere)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def predict_queries(rec) -> list[str]:
    """The queries both the predict path and its numpy counterpart answer."""
    return [q for q in QUERIES if rec.resolve(q).confident][:20]


def serve_child(repeats: int) -> None:
    """Runs in a fresh process: load, answer every query kind, report timings, peak RSS, modules.

    It is started before the parent trains anything and waits for the model root on stdin: Linux
    carries a process's peak RSS (ru_maxrss) across fork and exec, so a child forked from the
    parent after TensorFlow had grown it to a gigabyte would report the parent's peak, not its own.
    """
    import warnings

    model_dir = sys.stdin.readline().strip()
    seed_dir = sys.stdin.readline().strip()
    if not model_dir:
        return

    warnings.simplefilter("ignore")
    from recommender.serving import QueryError, Recommender

    rss_imports = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    rec = Recommender.load(model_dir)
    load_ms = (time.perf_counter() - start) * 1000
    rss_loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    def safe(fn: Callable[[], object]) -> Callable[[], object]:
        def call() -> object:
            try:
                return fn()
            except QueryError:
                return None
        return call

    resolved = [q for q in QUERIES if rec.resolve(q).confident]
    prefixes = [title[:n] for title in PREFIX_TITLES for n in range(1, len(title) + 1)]
    results = {
        "resolve": over((partial(rec.resolve, q) for q in QUERIES), repeats),
        "autocomplete": over((partial(rec.autocomplete, p) for p in prefixes), repeats),
        "recommend": over((safe(partial(rec.recommend, q, k=10)) for q in resolved), repeats),
        "recommend_filtered": over(
            (safe(partial(rec.recommend, q, k=10, language="Korean")) for q in resolved), repeats),
        "recommend_popular": over(
            (safe(partial(rec.recommend, q, k=10, by_popularity=True)) for q in resolved), repeats),
    }
    peak_default = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    hwm_default = vm_hwm_mb()
    # The seed model's vectors served by numpy, for the same queries the predict path answers.
    seed_rec = Recommender.load(seed_dir)
    seed_ids = [item.item_id for q in predict_queries(seed_rec) if (item := seed_rec.resolve(q).item) is not None]
    results["seed_recommend_by_id"] = over((partial(seed_rec.recommend, i, k=10) for i in seed_ids), repeats)
    print(json.dumps({
        "items": len(rec), "dim": int(rec.embeddings.shape[1]), "version": rec.version,
        "queries": len(QUERIES), "resolved": len(resolved), "prefixes": len(prefixes),
        "load_ms": load_ms, "samples": results,
        "rss_after_imports_mb": rss_imports / 1024, "rss_after_load_mb": rss_loaded / 1024,
        "peak_rss_mb": peak_default, "vm_hwm_mb": hwm_default,
        "tensorflow_imported": "tensorflow" in sys.modules, "keras_imported": "keras" in sys.modules,
    }))


# ------------------------------------------------------------------------------------------------
# Training and the predict path (this process imports TensorFlow)


def train_version(data: Path, enrich: Path | None, root: Path, arch: str, epochs: int | None,
                  activate: bool) -> tuple[Path, dict]:
    from recommender.events import EpochEvent, TrainingEvent
    from recommender.pipeline import train_and_save
    from recommender.training import TrainConfig

    epoch_seconds: list[float] = []

    def on_event(event: TrainingEvent) -> None:
        if isinstance(event, EpochEvent):
            epoch_seconds.append(event.seconds)
            print(f"  {arch}: {event.describe()}", file=sys.stderr, flush=True)

    config = TrainConfig(arch=arch, epochs=epochs or TrainConfig.epochs)
    start = time.perf_counter()
    outcome = train_and_save(data, root, config, enrichment=enrich, on_event=on_event, activate=activate)
    wall = time.perf_counter() - start
    from recommender.artifacts import load_artifact
    from recommender.training import architecture_class

    meta = load_artifact(outcome.path).metadata
    # An architecture may cap the batch (the seed model keeps the original write-up's 256).
    batch = min(config.batch_size, getattr(architecture_class(arch), "BATCH_SIZE", config.batch_size))
    return outcome.path, {
        "arch": arch, "epochs": config.epochs, "epoch_seconds": epoch_seconds, "train_seconds": meta["train_seconds"],
        "wall_seconds": wall, "batch_size": batch,
    }


def newest_version(root: Path, arch: str) -> Path | None:
    from recommender import artifacts

    for name in reversed(artifacts.list_versions(root)):
        meta = json.loads((root / name / "metadata.json").read_text(encoding="utf-8"))
        if meta.get("arch") == arch and (root / name / "model.keras").is_file():
            return root / name
    return None


def predict_path(seed_dir: Path, default_root: Path, repeats: int) -> dict:
    """Same query through the seed model's Keras `predict` + numpy top-k, vs numpy-only serving."""
    from recommender.artifacts import load_artifact
    from recommender.model import SeedModel, keras
    from recommender.serving import Recommender

    seed = load_artifact(seed_dir)
    model = keras.saving.load_model(seed_dir / "model.keras", compile=False)
    seed_model = SeedModel.restore(model, seed.vocab, seed.items)
    embeddings = seed.embeddings
    numpy_rec = Recommender(seed.embeddings, seed.items, seed.metadata)  # same vectors, numpy serving
    default_rec = Recommender.load(default_root)

    query_titles = predict_queries(numpy_rec)
    # Row i of a loaded model is item id i (artifacts.load_artifact refuses anything else).
    rows = [item.item_id for q in query_titles if (item := numpy_rec.resolve(q).item) is not None]
    inputs = [seed_model.inputs(numpy_rec.items.iloc[[r]]) for r in rows]

    def topk(vector: np.ndarray, exclude: int, k: int = 10) -> np.ndarray:
        scores = embeddings @ vector
        scores[exclude] = -np.inf
        top = np.argpartition(-scores, k)[:k]
        return top[np.argsort(-scores[top])]

    def via_predict(i: int) -> np.ndarray:
        vector = np.asarray(model.predict(inputs[i], verbose=0), dtype=np.float32)[0]
        return topk(vector / max(float(np.linalg.norm(vector)), 1e-12), rows[i])

    def via_call(i: int) -> np.ndarray:
        vector = np.asarray(model(inputs[i], training=False), dtype=np.float32)[0]
        return topk(vector / max(float(np.linalg.norm(vector)), 1e-12), rows[i])

    # Sanity: both paths agree on the neighbours (predict recomputes what embeddings.npy stores).
    agree = np.mean([len(set(via_predict(i)) & set(topk(embeddings[rows[i]], rows[i]))) / 10
                     for i in range(len(rows))])
    n = range(len(rows))
    return {
        "queries": len(rows),
        "top10_agreement": float(agree),
        # The seed model's embedding is a ReLU layer: rows that are all zero cannot rank anything.
        "zero_rows": int((np.linalg.norm(embeddings, axis=1) == 0).sum()), "rows": len(embeddings),
        "samples": {
            "seed_predict": over((partial(via_predict, i) for i in n), repeats),
            "seed_call": over((partial(via_call, i) for i in n), repeats),
            "seed_numpy_topk": over((partial(topk, embeddings[r], r) for r in rows), repeats),
            "seed_numpy_recommend": over((partial(numpy_rec.recommend, r, k=10) for r in rows), repeats),
            "default_numpy_recommend": over((partial(default_rec.recommend, r, k=10) for r in rows), repeats),
        },
    }


# ------------------------------------------------------------------------------------------------
# Report


def table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)

    def fmt(row: Sequence[str]) -> str:
        cells = zip(row, widths, strict=True)
        return "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(cells))

    return "\n".join([fmt(header), line, *map(fmt, rows)])


def ms(x: float) -> str:
    return f"{x:.3f} ms" if x < 10 else f"{x:.1f} ms"


def main() -> None:
    from recommender.settings import bundled_catalog_path

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=bundled_catalog_path())
    parser.add_argument("--enrich", type=Path, default=None, help="optional netflix_titles-style CSV")
    parser.add_argument("--model-dir", type=Path, default=None, help="reuse this trained model root")
    parser.add_argument("--repeats", type=int, default=5, help="passes over each query list")
    parser.add_argument("--epochs", type=int, default=None, help="default-arch epochs (default: TrainConfig's)")
    parser.add_argument("--seed-epochs", type=int, default=None, help="seed-arch epochs (default: TrainConfig's)")
    parser.add_argument("--serve-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_child:
        serve_child(args.repeats)
        return

    started = time.perf_counter()
    load_at_start = os.getloadavg()[0]
    # Start the serving process now, while this process is still small (see `serve_child`).
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve-child", "--repeats", str(args.repeats)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
    )
    parent_rss_at_spawn = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tmp = tempfile.TemporaryDirectory(prefix="reelmate-bench-")
    trainings: list[dict] = []
    if args.model_dir:
        root = args.model_dir
    else:
        root = Path(tmp.name) / "models"
        print(f"training default arch on {args.data} ...", file=sys.stderr, flush=True)
        _, info = train_version(args.data, args.enrich, root, "default", args.epochs, activate=True)
        trainings.append(info)
    seed_dir = newest_version(root, "seed")
    if seed_dir is None:
        print("training seed arch ...", file=sys.stderr, flush=True)
        seed_dir, info = train_version(args.data, args.enrich, root if not args.model_dir else Path(tmp.name) / "seed",
                                       "seed", args.seed_epochs, activate=False)
        trainings.append(info)

    print("serving benchmarks in a fresh process ...", file=sys.stderr, flush=True)
    out, err = child.communicate(f"{root}\n{seed_dir}\n")
    if child.returncode != 0:
        sys.exit(f"serving child failed:\n{err}")
    serving = json.loads(out.strip().splitlines()[-1])
    print("predict-path benchmarks ...", file=sys.stderr, flush=True)
    predict = predict_path(seed_dir, root, args.repeats)

    print()
    print(f"Reelmate benchmark: {args.data.name}" + (f" + {args.enrich.name}" if args.enrich else "")
          + f", {serving['items']} items, model {serving['version']} (dim {serving['dim']})")
    load_now = os.getloadavg()[0]
    contended = max(load_at_start, load_now) > (os.cpu_count() or 1)
    busy = " (above the CPU count: timings are contended)" if contended else ""
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, repeats={args.repeats}; load average at "
          f"start {load_at_start:.2f}, end {load_now:.2f}{busy}")
    if trainings:
        print("\nTraining (pipeline.train_and_save: load catalog, train, save, verify, gate)")
        training_rows: list[tuple[str, ...]] = []
        for t in trainings:
            e = t["epoch_seconds"]
            training_rows.append((t["arch"], str(t["epochs"]), str(t["batch_size"]), f"{e[0]:.2f} s",
                                  f"{statistics.median(e[1:] or e):.2f} s", f"{t['train_seconds']:.1f} s",
                                  f"{t['wall_seconds']:.1f} s"))
        print(table(training_rows, ("arch", "epochs", "batch", "epoch 1 (traces)", "median epoch", "train total",
                           "wall incl. save+gate")))

    print("\nServing process (numpy + rapidfuzz only; per call, in a fresh process)")
    s = dict(serving["samples"])
    seed_serving = s.pop("seed_recommend_by_id")
    labels = {
        "resolve": f"resolve title ({serving['queries']} queries, incl. misspellings/Korean/unknown)",
        "autocomplete": f"autocomplete ({serving['prefixes']} prefixes of {len(PREFIX_TITLES)} titles)",
        "recommend": f"recommend title, k=10 ({serving['resolved']} resolved queries; includes resolve)",
        "recommend_filtered": "recommend title, k=10, language=Korean",
        "recommend_popular": "recommend title, k=10, by_popularity",
    }
    rows = [(labels[k], str(summary(v)["n"]), ms(summary(v)["median"]), ms(summary(v)["p99"]),
             ms(summary(v)["max"])) for k, v in s.items()]
    print(table(rows, ("operation", "n", "median", "p99", "max")))
    hwm = serving["vm_hwm_mb"]
    print(f"\nload Recommender: {serving['load_ms']:.0f} ms; peak RSS (getrusage ru_maxrss) after imports "
          f"{serving['rss_after_imports_mb']:.0f} MB, after load {serving['rss_after_load_mb']:.0f} MB, "
          f"after all queries {serving['peak_rss_mb']:.0f} MB"
          + (f" (VmHWM {hwm:.0f} MB)" if hwm else "")
          + f"; spawned from a parent of {parent_rss_at_spawn:.0f} MB peak, before any training")
    print(f"tensorflow imported by the serving process: {serving['tensorflow_imported']}"
          f" (keras: {serving['keras_imported']})")

    print(f"\nSame queries ({predict['queries']}, by item id), seed model: Keras model.predict vs numpy serving "
          f"(top-10 agreement of predict with stored embeddings: {predict['top10_agreement']:.0%})")
    p = {k: summary(v) for k, v in predict["samples"].items()}
    clean = summary(seed_serving)
    base = clean["median"]
    names = {
        "seed_predict": "model.predict(query) + numpy top-k",
        "seed_call": "model(query) (no predict() overhead) + numpy top-k",
        "seed_numpy_topk": "numpy top-k over stored embeddings (TF process)",
        "seed_numpy_recommend": "Recommender.recommend(id, k=10) (TF process)",
        "default_numpy_recommend": "default model: Recommender.recommend(id, k=10) (TF process)",
    }
    paths = [("Recommender.recommend(id, k=10), serving process [baseline]", ms(clean["median"]), ms(clean["p99"]),
              "1.0x")]
    paths += [(names[k], ms(v["median"]), ms(v["p99"]), f"{v['median'] / base:.1f}x") for k, v in p.items()]
    print(table(paths, ("path", "median", "p99", "vs baseline")))
    print(f"seed model: {predict['zero_rows']} of {predict['rows']} embedding rows are all-zero (dead ReLU units)")
    print("(TF process = the benchmark's own process, which has TensorFlow loaded and its thread pools "
          "competing for the same cores)")
    print(f"\ntotal benchmark time {time.perf_counter() - started:.0f} s")
    tmp.cleanup()


if __name__ == "__main__":
    main()
