"""`python -m recommender train|retrain|recommend`: the library's command line.

Errors a user can fix (bad CSV, missing model, unknown title) print one clear line and exit 2;
`--progress json` turns all output into one JSON object per line for programs such as the bot.
The research commands (`evaluate`, `evaluate-judged`, `fit-blend`, `showcase`, `synth`, `bench-scale`)
belong to the lab: they are handed to `python -m lab` in a child process when the lab is present (a
checkout), with a clear message otherwise; the product never imports the lab. Likewise `retrain
--feedback-database` runs as `python -m bot.retrain_child`: the recommender never imports the database.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from recommender.events import DoneEvent, ErrorEvent, StageEvent, TrainingEvent
from recommender.settings import RecommenderSettings, enrichment_sources

FEEDBACK_DATABASE_ENV = "FEEDBACK_DATABASE_URL"
LAB_COMMANDS = ("evaluate", "evaluate-judged", "fit-blend", "showcase", "synth", "bench-scale")

# Reads every member's latest vote per pair from a feedback database URL. The recommender knows
# nothing of databases: the caller that has one (the bot's retrain child) passes its reader in.
VoteReader = Callable[[str], "pd.DataFrame"]

if TYPE_CHECKING:
    import pandas as pd

    from recommender.serving import Recommender


class VoteDatabaseError(ValueError):
    """The feedback database cannot be read; the message says which and why."""


def _user_errors() -> tuple[type[Exception], ...]:
    """The project's own errors, whose messages are written for people; anything else is a bug."""
    from recommender.artifacts import ArtifactError
    from recommender.catalog import CatalogError
    from recommender.evaluation.pairs import PairsError
    from recommender.matching import QueryError
    from recommender.training import TrainingConfigError

    return (CatalogError, ArtifactError, QueryError, PairsError, TrainingConfigError, VoteDatabaseError)


def _add_train_arguments(parser: argparse.ArgumentParser, settings: RecommenderSettings) -> None:
    parser.add_argument("--data", type=Path, default=settings.catalog_path, help="catalog CSV (default: bundled)")
    parser.add_argument("--enrich", type=Path, default=settings.enrichment_path,
                        help="your own titles CSV, joined in addition to the bundled listings (ENRICHMENT_PATH)")
    parser.add_argument("--no-enrich", dest="bundled_enrichment", action="store_false",
                        default=settings.bundled_enrichment, help="do not join the listings bundled with the package")
    parser.add_argument("--bundled-enrich", dest="bundled_enrichment", action="store_true",
                        help="join the bundled listings even if BUNDLED_ENRICHMENT=false (the default otherwise)")
    parser.add_argument("--arch", choices=("default", "seed"), default="default")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", "--model-dir", dest="out", type=Path, default=settings.resolved_model_dir,
                        help="model root to write into (default: MODEL_DIR)")
    parser.add_argument("--strategy", choices=("default", "mirrored"), default=settings.train_strategy,
                        help="tf.distribute strategy: mirrored = data-parallel over every device (TRAIN_STRATEGY)")
    parser.add_argument("--popularity-sampling", type=float, default=None, metavar="POWER",
                        help="draw items in proportion to (1 + hours viewed) ** POWER (0: each once per epoch)")
    parser.add_argument("--progress", choices=("text", "json"), default="text")
    parser.add_argument("--verbose", action="store_true", help="also show TensorFlow's native (C++) logs")
    parser.set_defaults(keep_versions=settings.keep_model_versions)


def build_parser(settings: RecommenderSettings | None = None) -> argparse.ArgumentParser:
    settings = settings or RecommenderSettings()
    parser = argparse.ArgumentParser(
        prog="python -m recommender", description=__doc__.splitlines()[0],
        epilog=f"lab commands (run by `python -m lab` from a checkout): {', '.join(LAB_COMMANDS)}")
    sub = parser.add_subparsers(dest="command", required=True)

    train = sub.add_parser("train", help="train a model and activate it")
    _add_train_arguments(train, settings)
    train.add_argument("--no-activate", action="store_true", help="save the version without serving it")

    retrain = sub.add_parser("retrain", help="train, compare with the current model, activate if not worse")
    _add_train_arguments(retrain, settings)
    retrain.add_argument(
        "--feedback-database", metavar="DATABASE_URL", default=os.environ.get(FEEDBACK_DATABASE_ENV) or None,
        help="fit the vote channel's weight for the new version on this database's votes "
             f"(default: ${FEEDBACK_DATABASE_ENV}, which keeps a password out of the process list); "
             "the command then runs as the bot's retrain child (`python -m bot.retrain_child`), which reads them",
    )

    rec = sub.add_parser("recommend", help="titles similar to a title")
    rec.add_argument("title")
    rec.add_argument("-k", type=int, default=10)
    rec.add_argument("--model-dir", type=Path, default=settings.resolved_model_dir)
    rec.add_argument("--type", dest="content_type")
    rec.add_argument("--language")
    rec.add_argument("--include-franchise", action="store_true", help="keep other seasons/parts of the title")
    rec.add_argument("--by-popularity", action="store_true", help="re-rank the nearest titles by hours viewed")
    rec.add_argument("--json", action="store_true")

    return parser


def _printer(mode: str) -> Callable[[TrainingEvent], None]:
    """Render events: one JSON object per line for programs, else each event's own one-line wording."""

    def emit(event: TrainingEvent) -> None:
        if mode == "json":
            print(event.to_json(), flush=True)
        elif isinstance(event, ErrorEvent):
            print(f"error: {event.message}", file=sys.stderr, flush=True)
        else:
            print(event.describe(), flush=True)
            if isinstance(event, StageEvent) and event.report:
                print(event.report, flush=True)
            elif isinstance(event, DoneEvent):
                print(json.dumps(event.metrics, indent=2), flush=True)

    return emit


def _run_train(args: argparse.Namespace, *, gate: bool, read_votes: VoteReader | None = None) -> int:
    from recommender.pipeline import train_and_save
    from recommender.training import TrainConfig

    emit = _printer(args.progress)
    overrides = {k: v for k, v in (("epochs", args.epochs), ("batch_size", args.batch_size),
                                   ("popularity_sampling", args.popularity_sampling)) if v is not None}
    config = TrainConfig(arch=args.arch, seed=args.seed, strategy=args.strategy, **overrides)
    fit_votes = _vote_fitter(args, emit, read_votes) if getattr(args, "feedback_database", None) else None
    outcome = train_and_save(
        args.data, args.out, config, enrichment=enrichment_sources(args.enrich, args.bundled_enrichment), on_event=emit,
        activate=not getattr(args, "no_activate", False), gate=gate, keep_versions=args.keep_versions,
        before_activation=fit_votes,
    )
    emit(DoneEvent(version=outcome.version, path=str(outcome.path), activated=outcome.activated,
                   reason=outcome.reason, metrics=outcome.metrics))
    return 0


def _vote_fitter(args: argparse.Namespace, emit: Callable[[TrainingEvent], None],
                 read_votes: VoteReader | None) -> Callable[[Path, Recommender], dict]:
    """Read the votes now (a database problem stops the retrain before it trains), fit the vote
    channel for the new version once it is saved (`pipeline.train_and_save(before_activation=...)`)."""
    from recommender import artifacts
    from recommender.artifacts import ArtifactError
    from recommender.pipeline import fit_votes_for_version
    from recommender.ranking.votes import VoteSettings

    if read_votes is None:  # `main` hands such a command to the bot's retrain child, which passes one
        raise VoteDatabaseError("--feedback-database needs a reader of the feedback store's votes")
    votes = read_votes(args.feedback_database)  # VoteDatabaseError: exit 2, nothing trained
    try:  # the weight the serving version uses is kept when the new votes cannot judge another
        previous = VoteSettings.load(artifacts.resolve_model_path(args.out))
    except (ArtifactError, ValueError, OSError):
        previous = VoteSettings.load()

    def fit(version_dir: Path, rec: Recommender) -> dict:
        emit(StageEvent(stage="fitting the vote channel", report=f"{len(votes)} member votes"))
        return {"votes": fit_votes_for_version(version_dir, votes, previous, rec)}

    return fit


def _run_recommend(args: argparse.Namespace) -> int:
    from recommender.serving import Recommender, UnknownTitleError

    recommender = Recommender.load(args.model_dir)
    try:
        result = recommender.recommend(
            args.title, args.k, language=args.language, content_type=args.content_type,
            include_franchise=args.include_franchise, by_popularity=args.by_popularity,
        )
    except UnknownTitleError as exc:
        if args.json:
            print(json.dumps({"error": str(exc), "did_you_mean": [c.item.title for c in exc.resolution.candidates],
                              "note": exc.resolution.note, "ambiguity_reason": exc.resolution.ambiguity_reason},
                             ensure_ascii=False))
        else:
            print(str(exc), file=sys.stderr)
            if exc.resolution.note:
                print(exc.resolution.note, file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({
            "query": result.query.__dict__, "confidence": result.resolution.confidence,
            "note": result.resolution.note,
            "did_you_mean": [m.item.title for m in result.resolution.alternatives],
            "model_version": result.model_version,
            "items": [{"rank": r.rank, "score": round(r.score, 4), "reason": r.reason, **r.item.__dict__}
                      for r in result.items],
        }, ensure_ascii=False, indent=2))
        return 0
    q = result.query
    print(f"{q.title} ({q.content_type}, {q.language}{', ' + str(q.release_year) if q.release_year else ''})"
          f"  [match {result.resolution.confidence:.0f}%, model {result.model_version}]")
    if result.resolution.note:
        print(result.resolution.note)
    for m in result.resolution.alternatives:
        print(f"  did you mean: {m.item.title} ({m.item.content_type}, {m.item.language})")
    for r in result.items:
        item = r.item
        print(f"{r.rank:>3}. {item.title}  ({item.content_type}, {item.language})  {r.score:.3f}  - {r.reason}")
    return 0


def _run_with_votes(argv: list[str]) -> int:
    """`retrain --feedback-database` reads the members' votes, which only the bot's side may: hand the same
    command line to its retrain child (`python -m bot.retrain_child`, what `/retrain` runs), same output."""
    if importlib.util.find_spec("bot") is None or importlib.util.find_spec("feedback") is None:
        print("error: --feedback-database needs the bot and its feedback store (installed with the product)",
              file=sys.stderr)
        return 2
    return subprocess.run([sys.executable, "-m", "bot.retrain_child", *argv], check=False).returncode


def _run_lab(argv: list[str]) -> int:
    """Hand a lab command to `python -m lab` (same arguments, same output and exit status)."""
    if importlib.util.find_spec("lab") is None:
        print(f"error: `{argv[0]}` is a lab command and the lab is not installed here: from a checkout of the "
              "repository, `pip install -e '.[lab]'` and run it from the checkout's root", file=sys.stderr)
        return 2
    return subprocess.run([sys.executable, "-m", "lab", *argv], check=False).returncode


def main(argv: list[str] | None = None, *, read_votes: VoteReader | None = None) -> int:
    """Run a command; `read_votes` lets `retrain --feedback-database` read the votes (the bot's retrain child)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in LAB_COMMANDS:
        return _run_lab(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    settings = RecommenderSettings()
    args = build_parser(settings).parse_args(argv)
    if getattr(args, "feedback_database", None) and read_votes is None:
        return _run_with_votes(argv)
    if getattr(args, "verbose", False):
        from recommender.tensorflow_runtime import set_verbose

        set_verbose(True)
    try:
        if args.command in ("train", "retrain"):
            return _run_train(args, gate=args.command == "retrain", read_votes=read_votes)
        return _run_recommend(args)
    except _user_errors() as exc:
        _printer(getattr(args, "progress", "text"))(ErrorEvent(message=str(exc)))
        return 2
    except Exception as exc:
        # A bug: the traceback goes to stderr; a program reading JSON still gets one clear last line
        # (a library's log chatter on stderr is no error message).
        if getattr(args, "progress", "text") == "json":
            _printer("json")(ErrorEvent(message=f"{type(exc).__name__}: {exc}"))
        raise


def train_main(argv: list[str] | None = None) -> int:
    """`train_recommender --data CSV ...`: the original write-up's entry point, same as `train`."""
    return main(["train", *(sys.argv[1:] if argv is None else argv)])
