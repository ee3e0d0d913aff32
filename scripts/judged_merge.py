"""Merge a judge's `query,candidate,score` file into `recommender/data/judged/judgements.csv`, checked
against the batch it answers (docs/judged-set.md).

Refuses scores off the 0/1/2 scale and rows naming a pair the batch does not hold (a mistyped title
would otherwise become a judgement nobody can match); reports the batch rows nobody has judged yet. A judge
who scores a pair again replaces their earlier score; other judges' scores of the pair are kept.

    PYTHONPATH=. python scripts/judged_merge.py --batch /work/judging/batch_A.csv \\
        --judged /work/judging/judged_A.csv --judge A
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from lab.evaluation.judged import default_judgements_path, load_judgements

KEY = ["query", "candidate"]


def merge(batch: pd.DataFrame, judged: pd.DataFrame, judge: str, existing: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """(merged judgements, batch rows nobody has judged yet); raises SystemExit on rows outside the batch."""
    pairs = set(zip(batch["query"], batch["candidate"], strict=True))
    outside = [pair for pair in zip(judged["query"], judged["candidate"], strict=True) if pair not in pairs]
    if outside:
        raise SystemExit(f"{len(outside)} judged rows are not in the batch, e.g. {outside[0]}")
    new = judged[[*KEY, "score"]].drop_duplicates(KEY, keep="last").assign(judge=judge)
    if "judge" not in existing.columns:
        existing = existing.assign(judge="")
    kept = existing.merge(new[KEY].assign(_new=True), on=KEY, how="left")
    kept = kept[~(kept["_new"].eq(True) & kept["judge"].eq(judge))].drop(columns="_new")
    merged = pd.concat([kept, new], ignore_index=True)
    merged["score"] = merged["score"].astype(int)
    judged_pairs = set(zip(merged["query"], merged["candidate"], strict=True))
    return merged[[*KEY, "score", "judge"]], len(pairs - judged_pairs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=Path, required=True)
    parser.add_argument("--judged", type=Path, required=True)
    parser.add_argument("--judge", required=True, help="a name for the judge (kept in the judge column)")
    parser.add_argument("--out", type=Path, default=default_judgements_path())
    args = parser.parse_args()
    batch = pd.read_csv(args.batch, dtype=str, keep_default_na=False)
    judged = load_judgements(args.judged)  # refuses scores off the scale
    merged, unanswered = merge(batch, judged, args.judge, load_judgements(args.out))
    merged.to_csv(args.out, index=False)
    print(f"{args.out}: {len(merged)} judgements; {len(judged)} from judge {args.judge}; "
          f"{unanswered} batch rows not judged by anyone yet")


if __name__ == "__main__":
    main()
