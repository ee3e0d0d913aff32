"""`python -m bot.simulate`: a simulated community asks the bot for recommendations and votes.

    python -m bot.simulate --ratings recommender/data/taste/movietweetings_ratings.csv --requests 20000 \
        --database sqlite+aiosqlite:///var/sim.db [--model-dir DIR] [--half A] [--users-fraction F] \
        [--vote-rate 0.3] [--noise-share 0.05] [--ratings-only] [--seed 0] [--refresh-every N]

Progress goes to stderr, the votes cast to stdout. The database is the bot's own store (migrated on
open), so `python -m recommender evaluate --feedback-database URL` can then measure what the votes did.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.simulate.driver import DEFAULT_WORKERS, SimulationReport, simulate
from bot.simulate.members import Community, Request
from recommender.evaluation.coliked import read_ratings

BUNDLED_RATINGS = Path(__file__).resolve().parents[2] / "recommender" / "data" / "taste" / "movietweetings_ratings.csv"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bot.simulate", description=__doc__.split("\n\n")[0])
    p.add_argument("--ratings", type=Path, default=BUNDLED_RATINGS,
                   help="user_id,title,rating[,timestamp] CSV (default: the bundled MovieTweetings ratings)")
    p.add_argument("--requests", type=int, required=True, help="how many /recommend requests to simulate")
    p.add_argument("--database", required=True, help="the feedback store's URL, e.g. sqlite+aiosqlite:///var/sim.db")
    p.add_argument("--model-dir", type=Path, default=None, help="model root (default: the bot's MODEL_DIR)")
    p.add_argument("--half", choices=("A", "B"), default=None,
                   help="members only from this half of the users (by hash; the other half is for measuring)")
    p.add_argument("--users-fraction", type=float, default=1.0, help="share of those users who take part")
    p.add_argument("--vote-rate", type=float, default=0.3, help="share of the shown titles a member votes on")
    p.add_argument("--noise-share", type=float, default=0.05, help="share of members who vote at random")
    p.add_argument("--ratings-only", action="store_true", help="vote only on titles the member rated")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--skip", type=int, default=0,
                   help="start at this request of the seed's sequence (continue an earlier run on the same database)")
    p.add_argument("--workers", type=int, default=DEFAULT_WORKERS, help="requests in flight")
    p.add_argument("--refresh-every", type=int, default=0, metavar="N",
                   help="rebuild the bot's vote cache after every N requests (default: only when the run starts)")
    p.add_argument("--no-progress", action="store_true")
    return p


async def run(args: argparse.Namespace) -> SimulationReport:
    """Open the bot's store and service the way the bot does, then simulate."""
    from bot.service import RecommendService
    from bot.settings import BotSettings
    from feedback import FeedbackStore

    ratings = read_ratings(args.ratings)
    community = Community.build(ratings, half=args.half, users_fraction=args.users_fraction,
                                noise_share=args.noise_share, ratings_only=args.ratings_only, seed=args.seed)
    requests: list[Request] = community.requests(args.skip + args.requests, args.seed)[args.skip:]
    overrides = {"model_dir": args.model_dir} if args.model_dir is not None else {}
    settings = BotSettings(database_url=args.database, **overrides)
    store = await FeedbackStore.open(settings.resolved_database_url)
    service = RecommendService(settings, store)
    try:
        await service.open_outbox()
        if await service.load_current() is None:
            raise SystemExit(f"no model in {settings.resolved_model_dir}: train one with `python -m recommender train`")
        print(f"{community.members} members ({len(community.noisy)} vote at random), model "
              f"{service.recommender.version}", file=sys.stderr)
        return await simulate(service, community, requests, vote_rate=args.vote_rate, seed=args.seed,
                              workers=args.workers, refresh_every=args.refresh_every,
                              progress=not args.no_progress)
    finally:
        await service.close()
        await store.close()


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.requests < 0 or args.skip < 0:
        print("--requests and --skip must be >= 0", file=sys.stderr)
        return 2
    try:
        report = asyncio.run(run(args))
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("\n".join(report.lines()))
    return 0
