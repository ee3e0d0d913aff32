"""Build the judged set's candidate pool and write it as two judge batches (docs/judged-set.md).

For each query of `recommender/data/judged/queries.csv`, the union of the top-10 lists of three rankings
over one model version, each served with the product's rules (`Recommender.recommend`, default options:
one entry per franchise, maturity safety):

- `served`: the version as it is served (its own blend weights);
- `soft_era`: the same weights with `era`, `era_acclaim`, `title_words` and `title_chars` cut to a fifth
  (what a ranking that no longer leans on release year and title words is likely to show);
- `content`: genres, description and people only (with the same-type and same-language priors).

Candidates of the query's own franchise are removed (the served fold, plus sub-series sharing a rare
first word, such as Pokémon's, and the known spin-offs in `SPIN_OFFS`). Candidate order within a query
is shuffled so judges see neither the rank nor which ranking proposed a title; which ranking proposed
what is kept in a separate provenance file the judges do not get.

    PYTHONPATH=. python scripts/judged_pool.py --model-dir /work/models/base --out-dir /work/judging \
        --provenance /work/judged-pool/pool_provenance.csv
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import pandas as pd

from lab.evaluation.judged_info import describe
from recommender.franchise import zipf
from recommender.ranking.blend import BlendWeights
from recommender.serving import Recommender

QUERIES = Path(__file__).resolve().parents[1] / "recommender" / "data" / "judged" / "queries.csv"
K = 10
SOFTENED = ("era", "era_acclaim", "title_words", "title_chars")
CONTENT = ("genres", "description", "people", "same_type", "same_language")
# A first word rarer than this (Zipf) names one franchise: `pokémon journeys` is Pokémon.
RARE_ROOT_ZIPF = 4.0
# Known spin-offs whose names share nothing (franchise key word -> words of the other franchise's key).
SPIN_OFFS = {"cobra kai": ("karate kid",), "karate kid": ("cobra kai",)}
_SKIP = {"the", "a", "an", "my", "of"}

def _root(key: str) -> str:
    words = [w for w in str(key).split() if w not in _SKIP]
    return words[0] if words else str(key)


def same_franchise(query_key: str, candidate_key: str) -> bool:
    """The served fold's test (equal keys), sub-series sharing a rare first word, and known spin-offs."""
    if query_key == candidate_key:
        return True
    root = _root(query_key)
    if root == _root(candidate_key) and zipf(root) < RARE_ROOT_ZIPF:
        return True
    return any(q in query_key and any(o in candidate_key for o in others) for q, others in SPIN_OFFS.items())


def rankings(model_dir: Path) -> dict[str, Recommender]:
    """The three rankers, each a loaded version with its own weights (one load, weights swapped per ranker
    would share state; three loads keep them independent and cost seconds)."""
    served = Recommender.load(model_dir)
    base = served.ranker.weights
    soft = {name: value / 5.0 if name in SOFTENED else value for name, value in base.weights.items()}
    content = {name: value for name, value in base.weights.items() if name in CONTENT}
    out = {"served": served}
    for name, weights in (("soft_era", soft), ("content", content)):
        recommender = Recommender.load(model_dir)
        recommender.ranker.use_weights(BlendWeights(weights, {"source": f"judged pool: {name}"}))
        out[name] = recommender
    return out


def build_pool(model_dir: Path, queries: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    rankers = rankings(model_dir)
    served = rankers["served"]
    items = served.items
    row_of_title = {title: row for row, title in enumerate(items["title"])}
    item_ids = items["item_id"].to_numpy()
    rows = []
    for query in queries.itertuples():
        q_row = row_of_title[query.query]
        q_key = str(items.at[q_row, "franchise_key"])
        for ranker_name, recommender in rankers.items():
            result = recommender.recommend(int(item_ids[q_row]), K)
            for rec in result.items:
                if same_franchise(q_key, rec.item.franchise_key):
                    continue
                rows.append({"query": query.query, "group": query.group, "candidate": rec.item.title,
                             "ranker": ranker_name, "rank": rec.rank})
    pool = pd.DataFrame(rows)
    info = {t: describe(items.iloc[row_of_title[t]]) for t in set(pool["candidate"]) | set(queries["query"])}
    return pool, info


def write_batches(pool: pd.DataFrame, info: dict[str, str], queries: pd.DataFrame, out_dir: Path,
                  provenance: Path, seed: int = 20261203) -> None:
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    # Halves balanced by group: alternate each group's queries (in the file's order) between A and B.
    batch_of = {}
    for _, of_group in queries.groupby("group", sort=False):
        for i, title in enumerate(of_group["query"]):
            batch_of[title] = "AB"[i % 2]
    lines: dict[str, list[dict[str, str]]] = {"A": [], "B": []}
    for query in queries["query"]:
        candidates = sorted(set(pool.loc[pool["query"] == query, "candidate"]))
        rng.shuffle(candidates)
        lines[batch_of[query]] += [{"query": query, "query_info": info[query], "candidate": c,
                                    "candidate_info": info[c]} for c in candidates]
    for batch, batch_rows in lines.items():
        pd.DataFrame(batch_rows).to_csv(out_dir / f"batch_{batch}.csv", index=False)
    # Which ranking proposed what, at which rank: kept away from the judges' folder.
    provenance.parent.mkdir(parents=True, exist_ok=True)
    pool.assign(batch=pool["query"].map(batch_of)).to_csv(provenance, index=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, required=True)
    parser.add_argument("--queries", type=Path, default=QUERIES)
    parser.add_argument("--out-dir", type=Path, required=True, help="the judges' folder (batches only)")
    parser.add_argument("--provenance", type=Path, required=True,
                        help="where to write which ranking proposed each candidate (outside the judges' folder)")
    args = parser.parse_args()
    queries = pd.read_csv(args.queries)
    pool, info = build_pool(args.model_dir, queries)
    write_batches(pool, info, queries, args.out_dir, args.provenance)
    per_query = pool.groupby("query")["candidate"].nunique()
    print(f"queries {len(per_query)}, candidates per query: mean {per_query.mean():.1f}, "
          f"min {per_query.min()}, max {per_query.max()}, total {int(per_query.sum())}")
    print(pool.drop_duplicates(["query", "candidate"]).groupby("group").size().to_string())


if __name__ == "__main__":
    main()
