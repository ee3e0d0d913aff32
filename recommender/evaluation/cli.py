"""`python -m recommender evaluate ...`: argument definitions and the command's body.

The lead's `recommender.cli` owns the parser and calls `add_evaluate_arguments(parser, settings)` and
`run_evaluate(args)`; everything evaluation-specific (modes, defaults, output) lives here so the two
can change independently. Human-readable progress goes to stderr, results to stdout, so that
`--json` output can be piped.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from recommender.evaluation.bootstrap import DEFAULT_RESAMPLES, DEFAULT_SEED


def add_evaluate_arguments(parser: argparse.ArgumentParser, settings: Any = None) -> None:
    """Define the `evaluate` subcommand's options on `parser`."""
    if settings is None:
        from recommender.settings import RecommenderSettings

        settings = RecommenderSettings()
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument(
        "--pairs",
        type=Path,
        metavar="CSV",
        help="human judgments: query_title,relevant_title[,score]; titles resolved like the bot does",
    )
    mode.add_argument(
        "--benchmark",
        choices=("genre", "cold-start", "franchise", "all"),
        help="built-in label-free benchmark (trains models; needs --enrich for genre and cold-start)",
    )
    mode.add_argument(
        "--feedback",
        metavar="DATABASE_URL",
        help="thumbs-up rates, per-item precision and an A/B comparison from the bot's database",
    )
    mode.add_argument(
        "--experiment", type=int, metavar="ID",
        help="an A/B experiment the bot ran (needs --feedback-database): per-arm rates, precision@k, mSPRT",
    )
    parser.add_argument(
        "--candidates", type=Path, metavar="CSV", help="with --pairs: rank only these titles (`title` column)"
    )
    parser.add_argument("-k", type=int, default=10, help="list length (default 10)")
    parser.add_argument("--json", action="store_true", help="print results as JSON")
    parser.add_argument(
        "--model-dir",
        type=Path,
        default=settings.resolved_model_dir,
        help="with --pairs: model root or version directory (default: MODEL_DIR)",
    )
    parser.add_argument("--data", type=Path, default=settings.catalog_path, help="with --benchmark: catalog CSV")
    parser.add_argument(
        "--enrich", type=Path, default=settings.enrichment_path,
        help="with --benchmark: your own titles CSV, joined in addition to the bundled listings",
    )
    parser.add_argument(
        "--no-enrich", dest="bundled_enrichment", action="store_false", default=settings.bundled_enrichment,
        help="with --benchmark: leave the bundled listings out (as `train --no-enrich`)",
    )
    parser.add_argument(
        "--epochs", type=int, default=None, help="training epochs in benchmarks (default: TrainConfig's)"
    )
    parser.add_argument("--queries", type=int, default=500, help="benchmark queries sampled (default 500)")
    parser.add_argument(
        "--withhold",
        default="genres",
        help="with --benchmark genre: comma-separated feature groups not fed to the model (always includes genres)",
    )
    parser.add_argument("--no-seed-model", action="store_true", help="skip training the `seed` reference architecture")
    parser.add_argument(
        "--channels",
        action="store_true",
        help="with --pairs: also rank by every blend channel alone (the per-channel table)",
    )
    parser.add_argument(
        "--include-franchise",
        action="store_true",
        help="with --pairs: let other seasons/parts of the query be ranked and judged",
    )
    parser.add_argument("--resamples", type=int, default=DEFAULT_RESAMPLES, help="bootstrap resamples (default 1000)")
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help="seed for sampling, random baseline and bootstrap"
    )
    parser.add_argument(
        "--versions", nargs=2, metavar=("A", "B"), help="with --feedback: the two model versions to compare"
    )
    parser.add_argument("--report", type=Path, metavar="DIR", help="also write DIR/report.md with PNG charts")
    parser.add_argument(
        "--feedback-database", metavar="DATABASE_URL",
        help="the bot's database, read-only. With --pairs: rank with the vote channel built from its votes (the "
             "feedback-aware serving path) beside the content-only ranking, also on the queries nobody voted on; "
             "with --experiment: the experiment's votes",
    )


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_evaluate(args: argparse.Namespace) -> int:
    """Run the selected evaluation; 0 on success, 2 on input the user can fix (message on stderr)."""
    from recommender.evaluation.benchmarks import BenchmarkError
    from recommender.evaluation.pairs import PairsError
    from recommender.evaluation.report import ReportError

    if args.k < 1:
        print("error: -k must be at least 1", file=sys.stderr)
        return 2
    if args.resamples < 10:
        print("error: --resamples must be at least 10", file=sys.stderr)
        return 2
    try:
        if args.pairs is not None:
            return _run_pairs(args)
        if args.benchmark is not None:
            return _run_benchmarks(args)
        if args.experiment is not None:
            return _run_experiment(args)
        return _run_feedback(args)
    except (PairsError, BenchmarkError, ReportError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _emit_json(payload: dict) -> None:
    print(json.dumps(payload, indent=2, ensure_ascii=False, default=str))


# --------------------------------------------------------------------------------------------
# --pairs


def _run_pairs(args: argparse.Namespace) -> int:
    from recommender.catalog import Catalog, CleaningReport
    from recommender.evaluation.baselines import EmbeddingScorer, standard_baselines
    from recommender.evaluation.harness import evaluate
    from recommender.evaluation.pairs import load_pairs_task
    from recommender.evaluation.report import format_evaluation, write_report
    from recommender.evaluation.systems import ServedRanking, channel_systems
    from recommender.serving import Recommender

    if args.candidates is not None and not args.candidates.is_file():
        print(f"error: candidates file {args.candidates}: not found", file=sys.stderr)
        return 2
    rec = Recommender.load(args.model_dir)
    votes = _vote_channel(args, rec)
    task, pairs_report = load_pairs_task(
        args.pairs,
        rec.items,
        rec.resolve,
        k=args.k,
        candidates_path=args.candidates,
        include_franchise=args.include_franchise,
        reference_space=rec.embeddings,
        reference_space_name=f"model {rec.version} embedding",
    )
    # The served ranking (what `recommend` returns) is the system under test; its parts follow.
    systems: list = [
        ServedRanking(f"model {rec.version}" if votes is None else "content only (no votes)", rec.ranker),
        EmbeddingScorer("embedding alone", rec.embeddings),
    ]
    if votes is not None:  # the feedback-aware ranking is then the one served, and under test
        from recommender.evaluation.votes import VotedRanking

        systems.insert(0, VotedRanking(f"model {rec.version} + votes", rec.ranker, votes[0]))
    if args.channels:
        systems += channel_systems(rec.ranker)
    if not args.no_seed_model:
        from recommender.evaluation.benchmarks import default_trainer

        catalog = Catalog(
            items=rec.items.copy(),
            languages=sorted(rec.items["language"].unique()),
            content_types=sorted(rec.items["content_type"].unique()),
            report=CleaningReport(source=f"model {rec.version} items"),
        )
        seed_model = default_trainer(_progress)(catalog, frozenset(), "seed", args.epochs, 42)
        systems.append(EmbeddingScorer("seed model", seed_model.embeddings))
    systems += standard_baselines(rec.items, seed=args.seed)
    evaluation = evaluate(task, systems, resamples=args.resamples, seed=args.seed)
    vote_summary = None if votes is None else _vote_summary(task, systems[:2], votes, args)
    if args.json:
        _emit_json({"model_version": rec.version, "pairs": pairs_report.to_dict(), "evaluation": evaluation.to_dict(),
                    **({} if vote_summary is None else {"vote_channel": vote_summary})})
    else:
        print("\n".join(pairs_report.lines()))
        print()
        print(format_evaluation(evaluation))
        if vote_summary is not None:
            print()
            print(_format_vote_summary(vote_summary))
    if args.report is not None:
        path = write_report(
            args.report,
            f"Reelmate evaluation on {args.pairs.name}",
            {"pairs": evaluation},
            intro=[f"Model version `{rec.version}`.", "", "```", *pairs_report.lines(), "```"],
            embeddings=rec.embeddings,
            items=rec.items,
        )
        _progress(f"report written to {path}")
    return 0


def _vote_channel(args: argparse.Namespace, rec: Any) -> tuple[Any, Any] | None:
    """(vote channel, pair counts) from `--feedback-database`, or None without it."""
    if not getattr(args, "feedback_database", None):
        return None
    from recommender.evaluation.votes import VoteDatabaseError, read_vote_data

    try:
        pairs = read_vote_data(args.feedback_database)
    except VoteDatabaseError as exc:
        from recommender.evaluation.pairs import PairsError

        raise PairsError(str(exc)) from None
    members = read_vote_data(args.feedback_database, members=True) if rec.vote_settings.co_like_weight > 0 else None
    _progress(f"vote channel: {len(pairs)} voted pairs read from the feedback database")
    return rec.vote_channel(pairs, members), pairs


def _vote_summary(task: Any, pair_of_systems: list, votes: tuple[Any, Any], args: argparse.Namespace) -> dict:
    """The channel's inputs, and NDCG with and without votes on the queries nobody voted on."""
    from recommender.evaluation.harness import evaluate
    from recommender.evaluation.votes import channel_summary, unvoted_subtask

    channel, pairs = votes
    summary: dict[str, Any] = channel_summary(channel, pairs)
    cold = unvoted_subtask(task, pairs)
    summary["unvoted_queries"] = None
    if cold is not None:
        cold_eval = evaluate(cold, pair_of_systems, resamples=args.resamples, seed=args.seed).to_dict()
        with_votes, without = (cold_eval["systems"][s.name]["ndcg"] for s in pair_of_systems)
        summary["unvoted_queries"] = {
            "queries": len(cold.queries), "ndcg_with_votes": with_votes, "ndcg_without_votes": without,
            "paired_difference": cold_eval["paired_differences"][pair_of_systems[1].name]["ndcg"],
        }
    return summary


def _format_vote_summary(summary: dict) -> str:
    lines = [
        f"vote channel: {summary['votes']} votes on {summary['pairs']} pairs "
        f"({summary['pairs_of_unknown_titles']} pairs name titles this model lacks), weight {summary['weight']}, "
        f"global up-rate {summary['global_up_rate']:.1%}"
    ]
    cold = summary["unvoted_queries"]
    if cold is None:
        lines.append("every query was voted on: no cold-start subset")
    else:
        d = cold["paired_difference"]
        lines.append(
            f"queries nobody voted on ({cold['queries']}): NDCG {cold['ndcg_with_votes']['mean']:.4f} with votes, "
            f"{cold['ndcg_without_votes']['mean']:.4f} without; difference {d['mean']:+.4f} "
            f"[{d['ci_low']:+.4f}, {d['ci_high']:+.4f}]"
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# --benchmark


def _caching(trainer):
    """Train each distinct (catalog, features, arch, epochs, seed) once per command: `--benchmark all`
    needs the same genres-withheld model for `genre` and as the warm model of `cold-start`."""
    cache: dict[tuple, Any] = {}

    def train(catalog, withhold, arch, epochs, seed):
        key = (id(catalog), frozenset(withhold), arch, epochs, seed)
        if key not in cache:
            cache[key] = trainer(catalog, withhold, arch, epochs, seed)
        return cache[key]

    return train


def _run_benchmarks(args: argparse.Namespace) -> int:
    from recommender.catalog import load_catalog
    from recommender.evaluation import benchmarks as b
    from recommender.evaluation.report import write_report

    if args.epochs is not None and args.epochs < 1:
        print("error: --epochs must be at least 1", file=sys.stderr)
        return 2
    names = list(b.BENCHMARKS) if args.benchmark == "all" else [args.benchmark]
    from recommender.settings import enrichment_sources

    catalog = load_catalog(args.data, enrichment_sources(args.enrich, args.bundled_enrichment))
    _progress(catalog.report.summary())
    trainer = _caching(b.default_trainer(_progress))
    withhold = frozenset(g.strip() for g in args.withhold.split(",") if g.strip()) | {"genres"}
    results = []
    for name in names:
        _progress(f"running benchmark {name} ...")
        common = dict(epochs=args.epochs, seed=args.seed, resamples=args.resamples, trainer=trainer)
        if name == "genre":
            result = b.genre_benchmark(catalog, k=args.k, queries=args.queries, withhold=withhold,
                                       with_seed_model=not args.no_seed_model, **common)
        elif name == "cold-start":
            result = b.cold_start_benchmark(catalog, k=args.k, queries=args.queries, **common)
        else:
            result = b.franchise_benchmark(catalog, queries=max(args.queries, 1), **common)
        results.append(result)
        if not args.json:
            print(format_benchmark(result))
            print()
    if args.json:
        _emit_json(
            {
                "data": str(args.data),
                "enrichment": str(args.enrich) if args.enrich else None,
                "benchmarks": {r.name: r.to_dict() for r in results},
            }
        )
    if args.report is not None:
        evaluations = {f"{r.name}-{k}": e for r in results for k, e in r.evaluations.items()}
        intro = [f"Catalog `{args.data}`, enrichment `{args.enrich}`.", "", "```", catalog.report.summary(), "```"]
        sections = [benchmark_summary_markdown(r) for r in results]
        head = results[0]
        path = write_report(
            args.report,
            "Reelmate benchmarks",
            evaluations,
            intro=intro,
            extra_sections=sections,
            embeddings=head.space,
            items=catalog.items,
        )
        _progress(f"report written to {path}")
    return 0


def summary_lines(result) -> list[str]:
    """The benchmark's headline facts in a few sentences (terminal and Markdown alike)."""
    s = result.summary
    lines: list[str] = []
    if result.name == "genre":
        chance = s["random_pair_agreement"]
        lines.append(
            f"{s['enriched_items']} of {s['items']} items have genres; {s['queries']} queries (one per franchise); "
            f"features withheld from trained models: {', '.join(s['withheld_features'])}"
        )
        lines.append(
            f"random pairs of titles (different franchises) share a genre {chance['loose']:.1%} of the time "
            f"(loose), {chance['strict']:.1%} on specific genres "
            f"(strict, ignoring {', '.join(s['broad_genres_ignored_by_strict'])})"
        )
        for name, verdict in s["model_beats"].items():
            d = verdict["paired_diff"]
            lines.append(
                f"model vs {name}: loose NDCG intervals "
                f"{'do not overlap' if verdict['ndcg_ci_disjoint'] else 'OVERLAP'}; "
                f"paired difference {d['mean']:+.3f} [{d['ci_low']:+.3f}, {d['ci_high']:+.3f}]"
            )
    elif result.name == "cold-start":
        r = s["cold_over_warm"]
        lines.append(
            f"cold-start keeps {r['mean']:.1%} [{r['ci_low']:.1%}, {r['ci_high']:.1%}] of warm NDCG "
            f"({s['held_out_items']} items held out by franchise, {s['queries']} held-out queries); "
            f"target >= 90%: point estimate {'meets' if s['meets_90_percent'] else 'misses'} it, "
            f"interval's lower bound {'meets' if s['meets_90_percent_at_ci_low'] else 'misses'} it"
        )
    elif result.name == "franchise":
        lines.append(
            f"sibling at rank 1: {s['hit_at_1']['mean']:.1%} "
            f"[{s['hit_at_1']['ci_low']:.1%}, {s['hit_at_1']['ci_high']:.1%}]; "
            f"recall@5 of siblings: {s['recall_at_5']['mean']:.1%} (a sanity gate, not a headline)"
        )
    return lines


def format_benchmark(result) -> str:
    from recommender.evaluation.report import format_evaluation

    parts = [f"##### benchmark {result.name}"]
    for evaluation in result.evaluations.values():
        parts += [format_evaluation(evaluation), ""]
    parts += summary_lines(result)
    return "\n".join(parts)


def benchmark_summary_markdown(result) -> str:
    return f"### Benchmark `{result.name}`\n\n" + "\n".join(f"- {line}" for line in summary_lines(result))


# --------------------------------------------------------------------------------------------
# --feedback


def _run_feedback(args: argparse.Namespace) -> int:
    from recommender.evaluation.feedback import run_feedback

    return run_feedback(args.feedback, k=args.k, versions=args.versions, as_json=args.json)


# --experiment


def _run_experiment(args: argparse.Namespace) -> int:
    from recommender.evaluation.experiment import run_experiment

    if not args.feedback_database:
        print("error: --experiment needs --feedback-database URL (the bot's DATABASE_URL)", file=sys.stderr)
        return 2
    return run_experiment(args.feedback_database, args.experiment, k=args.k, as_json=args.json,
                          report_dir=args.report)
