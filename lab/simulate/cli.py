"""`python -m lab.simulate`: a simulated community asks the bot for recommendations and votes.

    python -m lab.simulate --ratings lab/data/movietweetings_ratings.csv --requests 20000 \
        --database sqlite+aiosqlite:///var/sim.db [--model-dir DIR] [--half A] [--users-fraction F] \
        [--vote-rate 0.3] [--seen-rate 0.3] [--noise-share 0.05] [--ratings-only] [--seed 0] \
        [--refresh-every N] [--processes P]

Progress goes to stderr, the votes cast to stdout. The database is the bot's own store (migrated on
open), so `python -m recommender evaluate --feedback-database URL` can then measure what the votes did.

`--processes P` runs P bot processes on the one database, as a server under load would (each with
its own service, store connection pool and vote outbox journal; see `feedback.outbox`), every
member served by one of them (by a hash of the member): one Python process is bound to one core by
its interpreter lock, so this is what uses a second core. The votes are the same as with one
process for a seed (a member's requests stay in order in one process, and the lists use the votes
loaded at start).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from tqdm import tqdm

from lab.evaluation.coliked import read_ratings
from lab.simulate.driver import DEFAULT_WORKERS, SimulationReport, simulate
from lab.simulate.members import Community, Request

BUNDLED_RATINGS = Path(__file__).resolve().parents[1] / "data" / "movietweetings_ratings.csv"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m lab.simulate", description=__doc__.split("\n\n")[0])
    p.add_argument("--ratings", type=Path, default=BUNDLED_RATINGS,
                   help="user_id,title,rating[,timestamp] CSV (default: the bundled MovieTweetings ratings)")
    p.add_argument("--requests", type=int, required=True, help="how many /recommend requests to simulate")
    p.add_argument("--database", required=True, help="the feedback store's URL, e.g. sqlite+aiosqlite:///var/sim.db")
    p.add_argument("--model-dir", type=Path, default=None, help="model root (default: the bot's MODEL_DIR)")
    p.add_argument("--half", choices=("A", "B"), default=None,
                   help="members only from this half of the users (by hash; the other half is for measuring)")
    p.add_argument("--users-fraction", type=float, default=1.0, help="share of those users who take part")
    p.add_argument("--vote-rate", type=float, default=0.3, help="share of the shown titles a member votes on")
    p.add_argument("--seen-rate", type=float, default=0.3,
                   help="share of the shown titles a member rated (so has seen) that they mark as seen (0: none)")
    p.add_argument("--noise-share", type=float, default=0.05, help="share of members who vote at random")
    p.add_argument("--ratings-only", action="store_true", help="vote only on titles the member rated")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--skip", type=int, default=0,
                   help="start at this request of the seed's sequence (continue an earlier run on the same database)")
    p.add_argument("--workers", type=int, default=DEFAULT_WORKERS, help="requests in flight per process")
    p.add_argument("--processes", type=int, default=1,
                   help="bot processes sharing the database (members split between them by hash)")
    p.add_argument("--refresh-every", type=int, default=0, metavar="N",
                   help="rebuild the bot's vote cache after every N requests (default: only when the run starts)")
    p.add_argument("--no-progress", action="store_true")
    return p


def part_of(user_id: int, parts: int) -> int:
    """Which of `parts` processes serves this member (a multiplicative hash: ids are not uniform mod P)."""
    return ((user_id * 0x9E3779B1) & 0xFFFFFFFF) * parts >> 32


async def run(args: argparse.Namespace, part: int = 0, on_request: Any = None,
              community: Community | None = None, ready: Any = None) -> SimulationReport:
    """Open the bot's store and service the way the bot does, then simulate (this process's members)."""
    from bot.settings import BotSettings
    from feedback import FeedbackStore
    from lab.simulate.bot_handle import RecommendService

    if community is None:
        community = build_community(args)
    requests: list[Request] = community.requests(args.skip + args.requests, args.seed)[args.skip:]
    if args.processes > 1:
        requests = [r for r in requests if part_of(r.user_id, args.processes) == part]
    overrides = {"model_dir": args.model_dir} if args.model_dir is not None else {}
    settings = BotSettings(database_url=args.database, **overrides)
    store = await FeedbackStore.open(settings.resolved_database_url)
    service = RecommendService(settings, store)
    try:
        await service.open_outbox()
        if await service.load_current() is None:
            raise SystemExit(f"no model in {settings.resolved_model_dir}: train one with `python -m recommender train`")
        if ready is not None:  # every process has read the votes it ranks with before any writes more
            await asyncio.to_thread(ready.wait)
        if part == 0:
            print(f"{community.members} members ({len(community.noisy)} vote at random), model "
                  f"{service.recommender.version}, {args.processes} process(es)", file=sys.stderr)
        return await simulate(service, community, requests, vote_rate=args.vote_rate, seed=args.seed,
                              workers=args.workers, refresh_every=args.refresh_every,
                              progress=not args.no_progress and args.processes == 1, seen_rate=args.seen_rate,
                              on_request=on_request)
    finally:
        await service.close()
        await store.close()


def build_community(args: argparse.Namespace) -> Community:
    return Community.build(read_ratings(args.ratings), half=args.half, users_fraction=args.users_fraction,
                           noise_share=args.noise_share, ratings_only=args.ratings_only, seed=args.seed)


_done: Any = None  # a child's shared request counter and start barrier (set by `_init_child`)
_ready: Any = None


def _init_child(counter: Any, ready: Any) -> None:
    global _done, _ready
    _done, _ready = counter, ready


def _count_request() -> None:
    with _done.get_lock():
        _done.value += 1


def _run_part(args: argparse.Namespace, part: int, community: Community) -> SimulationReport:
    return asyncio.run(run(args, part, _count_request, community, _ready))


def run_processes(args: argparse.Namespace) -> SimulationReport:
    """`--processes P`: migrate once, then P spawned processes each serve their members; one report."""
    from feedback import FeedbackStore

    async def migrate() -> None:
        await (await FeedbackStore.open(args.database)).close()

    asyncio.run(migrate())  # before the children, so they never race to upgrade the schema
    community = build_community(args)
    started = time.perf_counter()
    context = multiprocessing.get_context("spawn")
    counter = context.Value("q", 0)
    ready = context.Barrier(args.processes, timeout=600)
    with ProcessPoolExecutor(args.processes, mp_context=context, initializer=_init_child,
                             initargs=(counter, ready)) as pool:
        futures = [pool.submit(_run_part, args, part, community) for part in range(args.processes)]
        with tqdm(total=args.requests, unit="req", desc="simulating", disable=args.no_progress, leave=False) as bar:
            while not all(f.done() for f in futures):
                time.sleep(0.5)
                bar.update(counter.value - bar.n)
        parts = [f.result() for f in futures]
    report = SimulationReport()
    for one in parts:
        report.merge(one)
    report.seconds = time.perf_counter() - started
    return report


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.requests < 0 or args.skip < 0 or args.processes < 1:
        print("--requests and --skip must be >= 0, --processes >= 1", file=sys.stderr)
        return 2
    if args.processes > 1 and args.refresh_every > 0:
        print("--refresh-every needs one process (the processes would have to refresh in step)", file=sys.stderr)
        return 2
    try:
        report = run_processes(args) if args.processes > 1 else asyncio.run(run(args))
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("\n".join(report.lines()))
    return 0
