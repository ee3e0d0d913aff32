"""What a model directory serves, written as one JSON file, so that two checkouts can be compared byte for byte.

A refactoring that claims "behaviour unchanged" runs this on the code before and after, on the same model
directory, and diffs the two files:

    python scripts/behaviour_snapshot.py --model-dir /work/models/final1 --out before.json
    ... change the code ...
    python scripts/behaviour_snapshot.py --model-dir /work/models/final1 --out after.json
    diff before.json after.json

It records the top-10 lists (ids, titles, scores, reasons) of 500 queries (the judged set's queries plus a
seeded sample of the catalog's titles), the resolution of every line of `tests/fixtures/title_queries.tsv`,
and the output of `python -m recommender evaluate --pairs ... --json` and `evaluate-judged --json`.
It uses only the installed product's public API and command line, so it runs on any checkout.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
TITLE_QUERIES = REPO / "tests" / "fixtures" / "title_queries.tsv"
JUDGED_QUERIES = REPO / "recommender" / "data" / "judged" / "queries.csv"
TASTE = REPO / "recommender" / "data" / "taste"
QUERIES = 500
SEED = 0


def _queries(rec: Any) -> list[str]:
    """The judged set's queries, then catalog titles drawn with a fixed seed, 500 distinct in all."""
    with JUDGED_QUERIES.open(encoding="utf-8", newline="") as handle:
        chosen = [row["query"] for row in csv.DictReader(handle)]
    titles = sorted(set(rec.items["title"].astype(str)))
    rng = np.random.default_rng(SEED)
    for i in rng.permutation(len(titles)):
        if len(chosen) >= QUERIES:
            break
        if titles[i] not in chosen:
            chosen.append(titles[i])
    return chosen


def _recommendations(rec: Any) -> list[dict]:
    from recommender.matching import QueryError

    out: list[dict[str, Any]] = []
    for query in _queries(rec):
        try:
            result = rec.recommend(query, k=10)
        except QueryError as exc:
            out.append({"query": query, "error": str(exc)})
            continue
        out.append({
            "query": query,
            "resolved": result.query.item_id,
            "items": [[r.item.item_id, r.item.title, repr(r.score), r.reason] for r in result.items],
        })
    return out


def _resolutions(rec: Any) -> list[dict]:
    out = []
    with TITLE_QUERIES.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            filters = dict(part.split("=", 1) for part in row["filters"].split(";") if part)
            try:
                r = rec.resolve(row["query"], **filters)
            except Exception as exc:  # a QueryError for unusable input is part of the behaviour too
                out.append({"query": row["query"], "filters": filters, "error": f"{type(exc).__name__}: {exc}"})
                continue
            out.append({
                "query": row["query"], "filters": filters,
                "item": None if r.item is None else [r.item.item_id, r.item.title],
                "confidence": repr(r.confidence), "confident": r.confident, "note": r.note,
                "ambiguity": r.ambiguity_reason,
                "candidates": [[m.item.item_id, repr(m.score)] for m in r.candidates],
                "alternatives": [m.item.item_id for m in r.alternatives],
            })
    return out


def _command(args: list[str]) -> Any:
    done = subprocess.run([sys.executable, "-m", "recommender", *args], cwd=REPO, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        return {"returncode": done.returncode, "stderr_tail": done.stderr.strip().splitlines()[-3:]}
    return json.loads(done.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--skip-evaluate", action="store_true", help="lists and resolutions only (fast)")
    args = parser.parse_args(argv)

    from recommender.serving import Recommender

    rec = Recommender.load(args.model_dir)
    snapshot: dict[str, Any] = {
        "model_version": rec.version,
        "recommendations": _recommendations(rec),
        "resolutions": _resolutions(rec),
    }
    if not args.skip_evaluate:
        snapshot["evaluate_pairs"] = _command([
            "evaluate", "--pairs", str(TASTE / "dev_pairs.csv"), "--candidates", str(TASTE / "dev_candidates.csv"),
            "--channels", "--no-seed-model", "--json", "--model-dir", str(args.model_dir)])
        snapshot["evaluate_judged"] = _command(["evaluate-judged", "--json", "--model-dir", str(args.model_dir)])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(snapshot, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{len(snapshot['recommendations'])} lists, {len(snapshot['resolutions'])} resolutions -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
