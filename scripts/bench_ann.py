"""FAISS vs usearch for the serving index: recall@10 against exact search, build time, p99, memory.

Rerunnable: `python -m scripts.bench_ann --items 100000 [--items 1000000] --model-dir /path/to/model`.
Vectors: a trained model's embeddings (real structure: clusters of franchises, languages) resampled
with noise up to N rows and re-normalised, so neighbourhoods are as crowded as a real catalog's.
Queries are single-threaded, one at a time (what a request does); build may use every core.
FAISS is a project dependency; the usearch rows need `pip install usearch` (not a dependency: it lost).
"""

from __future__ import annotations

import argparse
import gc
import json
import time
from pathlib import Path

import numpy as np

from recommender.artifacts import load_serving

K = 10


def vectors(model_dir: Path, n: int, seed: int = 0) -> np.ndarray:
    base = load_serving(model_dir).embeddings
    rng = np.random.default_rng(seed)
    rows = base[rng.integers(0, len(base), n)] + rng.normal(0, 0.08, (n, base.shape[1])).astype(np.float32)
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def exact(data: np.ndarray, queries: np.ndarray) -> np.ndarray:
    out = []
    for start in range(0, len(queries), 64):
        scores = queries[start:start + 64] @ data.T
        out.append(np.argsort(-scores, axis=1)[:, :K])
    return np.concatenate(out)


def rss_mb() -> float:
    """Current resident memory (Linux /proc), MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(name: str, build, search, data: np.ndarray, queries: np.ndarray, truth: np.ndarray) -> dict:
    gc.collect()
    before = rss_mb()
    start = time.perf_counter()
    index = build(data)
    build_s = time.perf_counter() - start
    found, times = [], []
    for q in queries:
        t0 = time.perf_counter()
        found.append(search(index, q))
        times.append((time.perf_counter() - t0) * 1000)
    recall = float(np.mean([len(set(f[:K]) & set(t)) / K for f, t in zip(found, truth, strict=True)]))
    row = {"index": name, "items": len(data), "recall_at_10": round(recall, 4), "build_s": round(build_s, 2),
           "p50_ms": round(float(np.percentile(times, 50)), 3), "p99_ms": round(float(np.percentile(times, 99)), 3),
           "rss_delta_mb": round(rss_mb() - before, 1)}
    del index
    return row


def faiss_hnsw(m: int, ef: int):
    import faiss

    def build(data):
        faiss.omp_set_num_threads(2)
        index = faiss.IndexHNSWFlat(data.shape[1], m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.add(data)
        index.hnsw.efSearch = ef
        faiss.omp_set_num_threads(1)
        return index

    return build, lambda index, q: index.search(q[None, :], K)[1][0]


def faiss_ivf(nprobe: int):
    import faiss

    def build(data):
        faiss.omp_set_num_threads(2)
        nlist = int(4 * np.sqrt(len(data)))
        quantizer = faiss.IndexFlatIP(data.shape[1])
        index = faiss.IndexIVFFlat(quantizer, data.shape[1], nlist, faiss.METRIC_INNER_PRODUCT)
        index.train(data[np.random.default_rng(0).choice(len(data), min(len(data), 50 * nlist), replace=False)])
        index.add(data)
        index.nprobe = nprobe
        faiss.omp_set_num_threads(1)
        return index

    return build, lambda index, q: index.search(q[None, :], K)[1][0]


def usearch_hnsw(dtype: str, m: int, ef: int):
    from usearch.index import Index

    def build(data):
        index = Index(ndim=data.shape[1], metric="ip", dtype=dtype, connectivity=m, expansion_add=80,
                      expansion_search=ef)
        index.add(np.arange(len(data)), data, threads=2)
        return index

    return build, lambda index, q: index.search(q, K, threads=1).keys


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, action="append", required=True)
    parser.add_argument("--model-dir", type=Path, required=True)
    parser.add_argument("--queries", type=int, default=500)
    args = parser.parse_args()
    candidates = {
        "faiss-hnsw32-ef64": faiss_hnsw(32, 64),
        "faiss-hnsw32-ef128": faiss_hnsw(32, 128),
        "faiss-ivf-nprobe16": faiss_ivf(16),
        "usearch-f32-m16-ef64": usearch_hnsw("f32", 16, 64),
        "usearch-f32-m32-ef128": usearch_hnsw("f32", 32, 128),
        "usearch-i8-m32-ef128": usearch_hnsw("i8", 32, 128),
    }
    for n in args.items:
        data = vectors(args.model_dir, n)
        rng = np.random.default_rng(1)
        queries = data[rng.choice(n, args.queries, replace=False)]
        truth = exact(data, queries)
        for name, (build, search) in candidates.items():
            print(json.dumps(measure(name, build, search, data, queries, truth)), flush=True)


if __name__ == "__main__":
    main()
