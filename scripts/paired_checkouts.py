"""Paired before/after figures for two checkouts of the ranking code (each with its own model).

The served ranking's code changes between the two, so they cannot run in one process: each checkout dumps
its per-query results, then `compare` pairs them (bootstrap over queries, `common.stats`):

    cd OLD && PYTHONPATH=. python /path/to/scripts/paired_checkouts.py dump --model-dir M1 --out before.json
    cd NEW && PYTHONPATH=. python scripts/paired_checkouts.py dump --model-dir M2 --out after.json
    python scripts/paired_checkouts.py compare before.json after.json

A dump holds the judged set's served top-10 lists and the movie dev set's per-query NDCG@10. `compare` scores
both sets of lists against the current judgements (so a pick judged since counts in both) and prints the
paired difference after - before with its 95% interval, for the judged mean and the dev NDCG@10.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
TASTE = REPO / "recommender" / "data" / "taste"


def dump(model_dir: Path, out: Path) -> None:
    try:  # the lab's home since the product/lab split; the recommender's before it
        from lab.evaluation.judged import default_queries_path, load_queries, serve_lists
    except ImportError:
        from recommender.evaluation.judged import default_queries_path, load_queries, serve_lists  # type: ignore
    from recommender.evaluation.harness import run_system
    from recommender.evaluation.pairs import load_pairs_task
    from recommender.evaluation.systems import ServedRanking
    from recommender.serving import Recommender

    rec = Recommender.load(model_dir)
    lists, _ = serve_lists(rec, load_queries(default_queries_path()))
    task, _ = load_pairs_task(TASTE / "dev_pairs.csv", rec.items, rec.resolve, k=10,
                              candidates_path=TASTE / "dev_candidates.csv", include_franchise=False,
                              reference_space=rec.embeddings, reference_space_name="model")
    ndcg = run_system(task, ServedRanking("served", rec.ranker)).per_query["ndcg"]
    out.write_text(json.dumps({
        "model": rec.version,
        "judged_lists": {served.query: [pick.title for pick in served.picks] for served in lists},
        "dev_queries": [str(rec.items["title"].iloc[int(q)]) for q in task.queries],
        "dev_ndcg": [None if np.isnan(v) else float(v) for v in ndcg],
    }, ensure_ascii=False))
    print(f"{out}: {len(lists)} judged lists, {len(ndcg)} dev queries (model {rec.version})")


def compare(before_path: Path, after_path: Path) -> None:
    from common.stats import paired_difference, resample_indices
    from lab.evaluation.judged import default_judgements_path, load_judgements, pair_scores

    before, after = (json.loads(p.read_text()) for p in (before_path, after_path))
    scores = pair_scores(load_judgements(default_judgements_path()))

    def judged_mean(lists: dict[str, list[str]], query: str) -> float:
        known = [scores[(query, c)] for c in lists.get(query, []) if (query, c) in scores]
        return float(np.mean(known)) if known else np.nan

    queries = sorted(set(before["judged_lists"]) & set(after["judged_lists"]))
    b = np.array([judged_mean(before["judged_lists"], q) for q in queries])
    a = np.array([judged_mean(after["judged_lists"], q) for q in queries])
    _report("judged mean of 2", b, a, paired_difference, resample_indices)
    if before["dev_queries"] != after["dev_queries"]:
        print("dev: the two checkouts resolved different query sets; no pairing", file=sys.stderr)
        return
    b = np.array(before["dev_ndcg"], dtype=float)
    a = np.array(after["dev_ndcg"], dtype=float)
    _report("dev NDCG@10", b, a, paired_difference, resample_indices)


def _report(name: str, before: np.ndarray, after: np.ndarray, paired_difference, resample_indices) -> None:
    ok = ~np.isnan(before) & ~np.isnan(after)
    diff = paired_difference(after[ok], before[ok], resample_indices(int(ok.sum())))
    print(f"{name}: {int(ok.sum())} queries; before {before[ok].mean():.4f}, after {after[ok].mean():.4f}; "
          f"after - before {diff.mean:+.4f} [{diff.low:+.4f}, {diff.high:+.4f}]; "
          f"better {int((after[ok] > before[ok]).sum())}, worse {int((after[ok] < before[ok]).sum())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dump", help="this checkout's judged lists and dev per-query NDCG@10")
    d.add_argument("--model-dir", type=Path, required=True)
    d.add_argument("--out", type=Path, required=True)
    c = sub.add_parser("compare", help="paired after - before of two dumps")
    c.add_argument("before", type=Path)
    c.add_argument("after", type=Path)
    args = parser.parse_args()
    if args.command == "dump":
        dump(args.model_dir, args.out)
    else:
        compare(args.before, args.after)


if __name__ == "__main__":
    main()
