"""Whether a change to the serving path's computation left every list as it was: record, then compare.

A speed-up of the per-request ranking must not move a list. Run this on the code before the change and after
it, on the same model directory:

    PYTHONPATH=. python scripts/lists_identical.py --model-dir /work/models/final4 --out before.json
    ... change the code ...
    PYTHONPATH=. python scripts/lists_identical.py --model-dir /work/models/final4 --compare before.json

It records `recommend` by id for a seeded sample of queries of every kind the ranking treats differently (kids
and family, preschool, teen, adult, shows, films, thin queries without a listing, queries that borrow their
franchise's listing), each with the default options and a few others (a language or type filter, by popularity,
any maturity, family-safe, the whole franchise, excluded titles), plus a few typed titles. Compared: the same
items in the same order, the same reasons, and scores within 1e-6. Exit status 1 on any difference.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PER_GROUP = 40
SEED = 0
TOLERANCE = 1e-6
TITLES = ("Wednesday", "Stranger Things", "The Crown", "CoComelon", "Naruto", "Money Heist", "Bird Box", "Pokémon",
          "Cobra Kai", "Ginny & Georgia", "Red Notice", "Peppa Pig")


def _queries(rec: Any) -> dict[str, list[int]]:
    """Item rows per group, `PER_GROUP` each, drawn with a fixed seed (ids equal rows in a saved version)."""
    ranker = rec.ranker
    ch = ranker.channels
    n = len(rec)
    rows = np.arange(n)
    groups = {
        "random": np.ones(n, dtype=bool),
        "kids": ranker.maturity == "kids",
        "family": ranker.maturity == "family",
        "preschool": ranker.preschool,
        "teen": ranker.maturity == "teen",
        "adult": ranker.maturity == "adult",
        "unknown_maturity": ranker.maturity == "unknown",
        "show": ch.show,
        "thin": ch.thin[ch.describer],
        "borrowed_listing": ch.describer != rows,
    }
    rng = np.random.default_rng(SEED)
    out = {}
    for name, mask in groups.items():
        members = rows[mask]
        out[name] = sorted(int(r) for r in rng.choice(members, size=min(PER_GROUP, len(members)), replace=False))
    return out


def _variants(rec: Any, row: int) -> dict[str, dict[str, Any]]:
    item = rec.item(row)
    return {
        "default": {},
        "language": {"language": item.language},
        "type": {"content_type": "Movie" if item.content_type == "Show" else "Show"},
        "popularity": {"by_popularity": True},
        "any_maturity": {"any_maturity": True},
        "family_safe": {"family_safe": True},
        "franchise": {"include_franchise": True, "k": 20},
        "exclude": {"exclude_ids": [(row + 1) % len(rec), (row + 7) % len(rec)]},
    }


def _lists(rec: Any) -> dict[str, Any]:
    from recommender.matching import QueryError

    out: dict[str, Any] = {}
    for group, rows in _queries(rec).items():
        for row in rows:
            for variant, options in _variants(rec, row).items():
                options = {"k": 10, **options}
                key = f"{group}/{row}/{variant}"
                try:
                    result = rec.recommend(row, **options)
                except QueryError as exc:
                    out[key] = {"error": str(exc)}
                    continue
                out[key] = {"items": [[r.item.item_id, r.score, r.reason] for r in result.items]}
    for title in TITLES:
        try:
            result = rec.recommend(title, k=10)
        except QueryError as exc:
            out[f"title/{title}"] = {"error": str(exc)}
            continue
        out[f"title/{title}"] = {"items": [[r.item.item_id, r.score, r.reason] for r in result.items]}
    return out


def _differences(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    problems = []
    for key in sorted(set(before) | set(after)):
        a, b = before.get(key), after.get(key)
        if a is None or b is None or ("error" in a) != ("error" in b):
            problems.append(f"{key}: {a} vs {b}")
            continue
        if "error" in a:
            if a != b:
                problems.append(f"{key}: {a['error']} vs {b['error']}")
            continue
        ids_a, ids_b = [i for i, _, _ in a["items"]], [i for i, _, _ in b["items"]]
        if ids_a != ids_b:
            problems.append(f"{key}: items {ids_a} vs {ids_b}")
            continue
        reasons = [(x[2], y[2]) for x, y in zip(a["items"], b["items"], strict=True) if x[2] != y[2]]
        if reasons:
            problems.append(f"{key}: reasons {reasons[:2]}")
        gap = max((abs(x[1] - y[1]) for x, y in zip(a["items"], b["items"], strict=True)), default=0.0)
        if gap > TOLERANCE:
            problems.append(f"{key}: scores differ by {gap:.2e}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, required=True)
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--out", type=Path, help="record the lists here")
    action.add_argument("--compare", type=Path, help="compare with lists recorded before")
    args = parser.parse_args(argv)

    from recommender.serving import Recommender

    rec = Recommender.load(args.model_dir, family_safe=False)
    lists = _lists(rec)
    if args.out:
        args.out.write_text(json.dumps(lists, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
        print(f"{len(lists)} lists -> {args.out}")
        return 0
    before = json.loads(args.compare.read_text(encoding="utf-8"))
    problems = _differences(before, lists)
    gap = max((abs(x[1] - y[1]) for key, value in lists.items() if "items" in value and key in before
               and "items" in before[key] for x, y in zip(before[key]["items"], value["items"], strict=False)),
              default=0.0)
    print(f"{len(lists)} lists compared with {len(before)}: {len(problems)} differ; largest score gap {gap:.2e}")
    for problem in problems[:20]:
        print("  " + problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
