"""`python -m lab evaluate|evaluate-judged|fit-blend|showcase|synth|bench-scale`: the lab's command line.

Errors a user can fix (bad CSV, missing model, unknown title) print one clear line and exit 2, as in
the product's `python -m recommender`, which forwards these commands here.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from recommender.settings import RecommenderSettings

COMMANDS = ("evaluate", "evaluate-judged", "fit-blend", "showcase", "synth", "bench-scale")


def _user_errors() -> tuple[type[Exception], ...]:
    """The project's own errors, whose messages are written for people; anything else is a bug."""
    from lab.evaluation.benchmarks import BenchmarkError
    from lab.evaluation.report import ReportError
    from lab.evaluation.votes import VoteDatabaseError
    from recommender.artifacts import ArtifactError
    from recommender.catalog import CatalogError
    from recommender.evaluation.pairs import PairsError
    from recommender.matching import QueryError
    from recommender.training import TrainingConfigError

    return (CatalogError, ArtifactError, QueryError, BenchmarkError, PairsError, ReportError, TrainingConfigError,
            VoteDatabaseError)


def build_parser(settings: RecommenderSettings | None = None) -> argparse.ArgumentParser:
    settings = settings or RecommenderSettings()
    parser = argparse.ArgumentParser(prog="python -m lab", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    from lab.evaluation.cli import add_evaluate_arguments

    add_evaluate_arguments(sub.add_parser("evaluate", help="quality figures with baselines"), settings)

    from lab.evaluation.judged_cli import add_judged_arguments

    add_judged_arguments(sub.add_parser("evaluate-judged", help="score the served lists against fans' judgements"),
                         settings.resolved_model_dir)

    from lab.ranking_commands import add_fit_blend_arguments, add_showcase_arguments

    add_fit_blend_arguments(sub.add_parser("fit-blend", help="fit the ranking's channel weights on the taste dev set"),
                            settings.resolved_model_dir)
    add_showcase_arguments(sub.add_parser("showcase", help="top lists for 30 well-known titles, to judge by eye"),
                           settings.resolved_model_dir)

    synth = sub.add_parser("synth", help="write a synthetic catalog of N titles (benchmarks at scale)")
    synth.add_argument("--items", type=int, required=True)
    synth.add_argument("--out", type=Path, required=True, help="catalog CSV to write")
    synth.add_argument("--seed", type=int, default=0)
    synth.add_argument("--enrich-out", type=Path, default=None, help="also write listings for a share of the titles")

    from lab.scale_bench import add_arguments as add_bench_scale_arguments

    add_bench_scale_arguments(sub.add_parser("bench-scale", help="training and serving figures against catalog size"))
    return parser


def _run_synth(args: argparse.Namespace) -> int:
    from lab.synth import generate

    summary = generate(args.items, args.out, seed=args.seed, enrich_out=args.enrich_out)
    print(f"wrote {summary.items} titles in {summary.franchises} franchises to {args.out}"
          + (f"; {summary.listings} listings to {args.enrich_out}" if args.enrich_out else ""))
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser(RecommenderSettings()).parse_args(argv)
    try:
        if args.command == "fit-blend":
            from lab.ranking_commands import run_fit_blend

            return run_fit_blend(args)
        if args.command == "evaluate-judged":
            from lab.evaluation.judged_cli import run_judged

            return run_judged(args)
        if args.command == "synth":
            return _run_synth(args)
        if args.command == "bench-scale":
            from lab.scale_bench import run as run_bench_scale

            return run_bench_scale(args)
        if args.command == "showcase":
            from lab.ranking_commands import run_showcase

            return run_showcase(args)
        from lab.evaluation.cli import run_evaluate

        return run_evaluate(args)
    except _user_errors() as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 2
