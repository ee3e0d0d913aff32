"""`python -m recommender fit-blend` and `python -m recommender showcase`: argument definitions and bodies.

`recommender.cli` owns the parser and registers these; keeping them here keeps the ranking's
commands next to the code they drive.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

# Well-known titles across kinds, for a fan's-eye check of the lists (README keeps the output).
SHOWCASE_TITLES = (
    # English shows
    "Wednesday",
    "Stranger Things",
    "The Crown",
    "Ozark",
    "Bridgerton",
    "The Witcher",
    "Outer Banks",
    "You",
    # movies
    "Bird Box",
    "The Gray Man",
    "Glass Onion: A Knives Out Mystery",
    "Red Notice",
    "Extraction",
    "The Irishman",
    # anime
    "Naruto",
    "ONE PIECE",
    "Attack on Titan",
    "Jujutsu Kaisen",
    # kids
    "CoComelon",
    "Peppa Pig",
    "Gabby's Dollhouse",
    "The Boss Baby: Back in Business",
    # Korean
    "The Glory",
    "Squid Game",
    "Crash Landing on You",
    "All of Us Are Dead",
    # Spanish
    "Money Heist",
    "Elite",
    "Narcos",
    "The Marked Heart",
)


def add_fit_blend_arguments(parser: argparse.ArgumentParser, model_dir: Path) -> None:
    parser.add_argument("--model-dir", type=Path, default=model_dir, help="model whose channels are fitted")
    parser.add_argument("--pairs", type=Path, default=None, help="judgments CSV (default: bundled taste dev set)")
    parser.add_argument("--candidates", type=Path, default=None, help="candidates CSV (default: bundled)")
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds over queries (default 5)")
    parser.add_argument("-k", type=int, default=10)
    parser.add_argument(
        "--overlap-penalty",
        type=float,
        default=None,
        help="NDCG traded per unit of list overlap between queries (default: the shipped weights' value)",
    )
    parser.add_argument(
        "--max-overlap",
        type=float,
        default=None,
        help="list overlap between queries allowed for free; above it the fit pays one unit of NDCG per unit "
        "(default: the shipped weights' value; a negative value means no ceiling)",
    )
    parser.add_argument(
        "--negative-similarity",
        action="store_true",
        help="let similarity channels (embedding, title, genres, description, people, country, era) take "
        "negative weights, as fits before the fifth round did (for comparison)",
    )
    parser.add_argument(
        "--bags",
        type=int,
        default=None,
        help="average this many searches on bootstrap resamples of the queries, for weights that do not swing "
        "between retrains (default: the shipped weights' value; 0 or 1: one search)",
    )
    parser.add_argument(
        "--method",
        choices=("search", "logistic"),
        default=None,
        help="search: coordinate ascent on NDCG over a grid; logistic: a logistic regression on the pairs, "
        "rescaled so the held weights keep their strength (default: the shipped weights' method)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="write the weights JSON here (default: print only; the shipped file is "
        "recommender/ranking/blend_weights.json)",
    )


def run_fit_blend(args: argparse.Namespace) -> int:
    from recommender.ranking.blend import BlendWeights, OverlapRule, fit_blend
    from recommender.ranking.taste import bundled, candidate_groups, dev_task, fit_inputs
    from recommender.serving import Recommender

    if args.folds < 2:
        print("error: --folds must be at least 2", file=sys.stderr)
        return 2
    rec = Recommender.load(args.model_dir, family_safe=False)
    task = dev_task(rec.items, rec.resolve, k=args.k, pairs=args.pairs, candidates=args.candidates)
    features, gains, excluded = fit_inputs(rec.ranker, task)
    print(
        f"fitting {features.shape[0]} channel weights on {len(task.queries)} queries x "
        f"{len(task.candidates)} candidates ({args.folds}-fold CV by query) ...",
        file=sys.stderr,
        flush=True,
    )
    shipped_weights = BlendWeights.load()
    shipped = OverlapRule.of(shipped_weights)
    penalty = shipped.penalty if args.overlap_penalty is None else args.overlap_penalty
    cap = shipped.cap if args.max_overlap is None else (None if args.max_overlap < 0 else args.max_overlap)
    bags = shipped_weights.bags if args.bags is None else args.bags
    method = args.method or shipped_weights.method
    result = fit_blend(features, gains, excluded, k=args.k, folds=args.folds, overlap_penalty=penalty,
                       max_overlap=cap, bags=bags, negative_similarity=args.negative_similarity,
                       groups=candidate_groups(rec.ranker, task), method=method,
                       factors=rec.ranker.channels.query_factors(task.queries))
    result.weights.fitted.update({"pairs": str(args.pairs or bundled("dev_pairs.csv").name), "model": rec.version})
    print(
        f"{method}: NDCG@{args.k} in-sample {result.in_sample:.4f}; cross-validated {result.cross_validated:.4f} "
        f"(folds: {', '.join(f'{v:.4f}' for v in result.per_fold)}); overlap penalty {penalty}, ceiling {cap}, "
        f"list overlap in-sample {result.weights.fitted['in_sample_overlap']:.3f}, "
        f"cross-validated {result.weights.fitted['cv_overlap']:.3f}"
    )
    text = result.weights.to_json()
    if args.out is not None:
        args.out.write_text(text, encoding="utf-8")
        print(f"weights written to {args.out}", file=sys.stderr)
    else:
        print(text)
    return 0


def add_showcase_arguments(parser: argparse.ArgumentParser, model_dir: Path) -> None:
    parser.add_argument("--model-dir", type=Path, default=model_dir)
    parser.add_argument("-k", type=int, default=5)
    parser.add_argument("titles", nargs="*", help="titles to show (default: 30 well-known titles across kinds)")


def run_showcase(args: argparse.Namespace) -> int:
    from recommender.serving import Recommender, UnknownTitleError

    rec = Recommender.load(args.model_dir)
    print(f"model {rec.version}; top {args.k} per title (type, language, maturity)")
    for title in args.titles or SHOWCASE_TITLES:
        try:
            result = rec.recommend(title, args.k)
        except UnknownTitleError as exc:
            print(f"\n{title}: {exc}")
            continue
        q = result.query
        print(f"\n{q.title} ({q.content_type}, {q.language}, {q.maturity})")
        for r in result.items:
            i = r.item
            print(f"  {r.rank}. {i.title} ({i.content_type}, {i.language}, {i.maturity})")
    return 0
