"""`python -m recommender evaluate-judged`: score a model's served lists against the judged set.

`recommender.cli` owns the parser and registers these, as it does for `evaluate`. Results go to stdout
(`--json` for programs), and `--write-unjudged` writes the picks nobody has judged yet in the judges'
batch format, so a changed ranking's new picks can be judged before its figures are trusted.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from common.stats import DEFAULT_RESAMPLES, DEFAULT_SEED


def add_judged_arguments(parser: argparse.ArgumentParser, model_dir: Path) -> None:
    parser.add_argument("--model-dir", type=Path, default=model_dir, help="model root or version directory")
    parser.add_argument("--judgements", type=Path, default=None,
                        help="query,candidate,score[,judge] CSV (default: the bundled judged set)")
    parser.add_argument("--queries", type=Path, default=None,
                        help="query,group CSV (default: the bundled judged set's queries)")
    parser.add_argument("--write-unjudged", type=Path, metavar="CSV",
                        help="write the served picks without a judgement, as a judges' batch "
                             "(query,query_info,candidate,candidate_info)")
    parser.add_argument("--json", action="store_true", help="print results as JSON")
    parser.add_argument("--resamples", type=int, default=DEFAULT_RESAMPLES, help="bootstrap resamples (default 1000)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="bootstrap and shuffling seed")


def run_judged(args: argparse.Namespace) -> int:
    """Serve every query's top 10, score it, print; 2 on a file the user can fix."""
    from lab.evaluation.judged import (
        JudgementsError,
        default_judgements_path,
        default_queries_path,
        format_report,
        load_judgements,
        load_queries,
        score_lists,
        serve_lists,
        unjudged_rows,
    )
    from lab.evaluation.judged_info import describe
    from recommender.serving import Recommender

    if args.resamples < 10:
        print("error: --resamples must be at least 10", file=sys.stderr)
        return 2
    judgements_path = args.judgements or default_judgements_path()
    if args.judgements is not None and not args.judgements.is_file():
        print(f"error: judgements file {args.judgements}: not found", file=sys.stderr)
        return 2
    try:
        queries = load_queries(args.queries or default_queries_path())
        judgements = load_judgements(judgements_path)
    except JudgementsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    recommender = Recommender.load(args.model_dir)
    lists, missing = serve_lists(recommender, queries)
    report = score_lists(lists, judgements, resamples=args.resamples, seed=args.seed, missing=missing)
    source = f"{judgements_path} ({len(judgements)} rows)" if judgements_path.is_file() else "none yet"
    if args.write_unjudged is not None:
        items = recommender.items
        row_of = {title: row for row, title in enumerate(items["title"])}
        batch = unjudged_rows(lists, judgements, lambda title: describe(items.iloc[row_of[title]]), seed=args.seed)
        args.write_unjudged.parent.mkdir(parents=True, exist_ok=True)
        batch.to_csv(args.write_unjudged, index=False)
        print(f"wrote {len(batch)} unjudged picks to {args.write_unjudged}", file=sys.stderr)
    if args.json:
        print(json.dumps({"model_version": recommender.version, "judgements": source, **report.to_dict()},
                         indent=2, ensure_ascii=False))
    else:
        print(format_report(report, recommender.version, source))
    return 0
