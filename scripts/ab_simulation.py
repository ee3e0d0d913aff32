"""A/B between model versions on the simulated community, through the bot's own path: is a worse
model version caught, and is an A/A experiment quiet?

Every experiment runs the way the bot runs one: a fresh migrated SQLite store, a
`RecommendService` whose `/experiment start` (`service.start_experiment`) serves a second model
version to 50% of the members by a hash of (member, experiment), simulated members
(`lab.simulate`: MovieTweetings users asking for titles they liked, voting through the outbox on a
share of what they are shown), and the figures come from the store's `experiment_votes` read by
`recommender.evaluation.ab_report.analyse`, the code behind `/experiment status` and `evaluate
--experiment`:

- A/A: the served version against a bit-identical copy saved under another version name, many
  experiments: in how many does the report declare a winner anyway (must be at most 5%)?
- A/B: the served version against a deliberately worse version: in how many experiments is it
  caught, with the right arm, and after how many votes?

The worse version (`--worse inverted`, the default) is the served one with its listing figures
reversed, as a broken listing import would: IMDb score 10 - score, and IMDb votes, TMDB popularity
and hours viewed in reverse rank order (titles, text, embeddings, maturity untouched). Why this
one: the simulated members' opinions depend on the title shown much more than on the title asked
for, so a version is only worse to them if it shows titles they like less. Measured with this
script's machinery (votes per list, 6,000 requests): the served lists get 78.5% 👍; lists for a
random other title 77.7%; a permuted embedding (`shuffled`) or the seed model about the same
(they share about 3.95 of 5 titles with the served lists); listings misaligned between titles
(`garbled`) 76-80%; reversed listing figures (`inverted`) 64%, with fewer votes (members know
fewer of those titles).

Each run's members get their own Discord ids (as if the same people were on another server), so
every experiment draws a fresh hash split; requests and votes use the run's own seed.

Two paths, checked against each other. `--store-runs N`: the first N experiments of each kind run
through the bot's path above (about 25 ms a request on the shared machine, mostly SQLAlchemy and
thread hand-offs). Every experiment also runs in memory (`memory_experiment`): the same requests,
resolution, arm (`arm_for` with the store's experiment id), per-member history (`personal_list`
with the titles shown before for that query and the ones upvoted), vote draws and opinions,
producing the vote records `experiment_votes` would return; for each store run the script checks
that both give the same votes (member, query, rank, value, arm, version) and the same per-arm
figures (only the interleaving of the concurrent store workers, hence the vote order the
sequential test reads, differs). The many experiments behind the A/A and A/B counts use the
in-memory path. In both, each preloaded version computes each distinct list and title resolution
once (`MemoRecommender`: while the vote channel is empty a list depends only on the model, the
title and the exclusions; a channel that holds votes is refused).

Besides the shipped report (one judgement per member and list, the mSPRT with members as
clusters), the same votes are tested on other units for comparison: every vote as independent,
each judgement as independent (the previous report), each member's first judgement only.

    nice -n 10 python scripts/ab_simulation.py --served /work/models/main --work-dir /tmp/ab \
        [--requests 6000] [--ab-runs 20] [--aa-runs 100] [--store-runs 3] [--store-requests 2000] \
        [--vote-rate 0.3] [--worse inverted] [--seed 0] [--out runs.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.experiments.arms import ExperimentArms, ExperimentError  # noqa: E402
from bot.recommend.personal import Personal, personal_list  # noqa: E402
from bot.recommend.service import DID_YOU_MEAN_LIMIT, ITEM_VOTE_LIMIT  # noqa: E402
from bot.settings import BotSettings  # noqa: E402
from common.stats import wilson_interval  # noqa: E402
from feedback import FeedbackStore  # noqa: E402
from feedback.experiments import ArmVote, arm_for  # noqa: E402
from lab.evaluation.coliked import read_ratings  # noqa: E402
from lab.simulate.bot_handle import RecommendService  # noqa: E402
from lab.simulate.driver import simulate  # noqa: E402
from lab.simulate.members import MEMBER_ID_OFFSET, Community, Request  # noqa: E402
from recommender.artifacts import load_artifact, resolve_model_path, save_artifact  # noqa: E402
from recommender.derived import DERIVED_FILES  # noqa: E402
from recommender.evaluation.ab_report import (  # noqa: E402
    CHALLENGER,
    CONTROL,
    TEST_ARM,
    VoteRecord,
    analyse,
    first_judgements,
)
from recommender.evaluation.sequential import msprt_stream  # noqa: E402
from recommender.serving import QueryError, Recommender  # noqa: E402

RATINGS = REPO / "lab" / "data" / "movietweetings_ratings.csv"
SHARE = 50  # percent of members on the challenger
# The listing columns a broken enrichment join would misalign (`garbled`; maturity and certification stay).
GARBLED_COLUMNS = ("genres", "description", "cast", "director", "country", "imdb_score", "imdb_votes",
                   "tmdb_popularity", "has_metadata")
# The listing figures `inverted` reverses (a score out of 10 is mirrored, the others reversed by rank).
INVERTED_COLUMNS = ("imdb_votes", "tmdb_popularity", "hours_viewed")
SERVER_STRIDE = 10**7  # Discord ids of run r: MEMBER_ID_OFFSET + r * SERVER_STRIDE + MovieTweetings id


@dataclass(frozen=True)
class ServerRequest(Request):
    """A simulated request from the member's account on server `server`: same person, other id."""

    server: int = 0

    @property
    def discord_id(self) -> int:
        return MEMBER_ID_OFFSET + self.server * SERVER_STRIDE + self.user_id


class MemoRecommender:
    """A loaded version whose lists and title resolutions are computed once per distinct call.

    Equivalent to the model itself while the vote channel it is handed holds no votes (then a
    list depends only on the title, the filters and the exclusions); a channel with votes is
    refused rather than answered from a stale memo.
    """

    def __init__(self, recommender: Recommender) -> None:
        self.recommender = recommender
        self._lists: dict[tuple, Any] = {}
        self._resolutions: dict[tuple, Any] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.recommender, name)

    def recommend(self, item_id: int, k: int = 10, *, votes: Any = None, exclude_ids: Any = (),
                  **filters: Any) -> Any:
        if votes is not None and votes.votes:
            raise RuntimeError("MemoRecommender holds lists computed without votes; this channel has votes")
        key = (item_id, k, frozenset(exclude_ids), tuple(sorted(filters.items())))
        if key not in self._lists:
            self._lists[key] = self.recommender.recommend(item_id, k, votes=votes, exclude_ids=exclude_ids, **filters)
        return self._lists[key]

    def resolve(self, query: str, **filters: Any) -> Any:
        key = (query, tuple(sorted(filters.items())))
        if key not in self._resolutions:
            self._resolutions[key] = self.recommender.resolve(query, **filters)
        return self._resolutions[key]


class PreloadedArms(ExperimentArms):
    """`/experiment start` as the bot runs it, with the challenger taken from the versions loaded once."""

    def __init__(self, models: dict[str, MemoRecommender]) -> None:
        super().__init__()
        self.models = models

    async def load_version(self, model_root: Path, version: str) -> Recommender:
        if version not in self.models:
            raise ExperimentError(f"There is no model version `{version}` loaded for the simulation.")
        return cast(Recommender, self.models[version])


def prepare_versions(served_root: Path, work_root: Path, worse: str, seed: int) -> tuple[str, str, str]:
    """Save, as real versions in `work_root`: the served one, its A/A twin and the worse one."""
    source = load_artifact(resolve_model_path(served_root))
    served = source.version
    twin, bad = f"{served}-twin"[:64], f"{served}-{worse}"[:64]
    if work_root.exists():
        shutil.rmtree(work_root)
    rng = np.random.default_rng([seed, 7])
    items = source.items.copy()
    embeddings = source.embeddings
    if worse in ("garbled", "shuffled"):
        embeddings = embeddings[rng.permutation(len(embeddings))]
    if worse == "garbled":
        columns = [c for c in GARBLED_COLUMNS if c in items.columns]
        items[columns] = items[columns].iloc[rng.permutation(len(items))].to_numpy()
    elif worse == "inverted":
        items["imdb_score"] = 10.0 - items["imdb_score"]
        for column in INVERTED_COLUMNS:
            items[column] = _reversed_by_rank(items[column])
    elif worse != "shuffled":
        raise SystemExit(f"--worse must be inverted, garbled or shuffled, got {worse!r}")
    for name, vectors, table in ((served, source.embeddings, source.items), (twin, source.embeddings, source.items),
                                 (bad, embeddings, items)):
        save_artifact(work_root, embeddings=vectors, items=table, vocab=source.vocab, metadata=source.metadata,
                      derived=DERIVED_FILES, version=name, index_mode="off")
    (work_root / "CURRENT").write_text(served + "\n", encoding="utf-8")
    return served, twin, bad


def _reversed_by_rank(values: pd.Series) -> pd.Series:
    """The same values, the largest where the smallest was (blanks stay blank)."""
    known = values.notna().to_numpy()
    order = np.argsort(values.to_numpy()[known], kind="stable")
    ascending = np.sort(values.to_numpy()[known])
    reversed_values = np.empty_like(ascending)
    reversed_values[order] = ascending[::-1]
    out = values.copy()
    out[known] = reversed_values
    return out


async def make_template(path: Path) -> None:
    """A migrated empty store (the caller removed any old one), copied for every run."""
    store = await FeedbackStore.open(f"sqlite+aiosqlite:///{path}")
    await store.close()


@dataclass
class Setup:
    """What every experiment shares: the versions (loaded once), the community and the options."""

    models: dict[str, MemoRecommender]
    served: str
    community: Community
    args: argparse.Namespace
    k: int  # the bot's list length (DEFAULT_K)

    def requests(self, seed: int, server: int, n: int) -> list[ServerRequest]:
        return [ServerRequest(r.index, r.user_id, r.title, server=server) for r in self.community.requests(n, seed)]


async def store_experiment(setup: Setup, challenger: str, seed: int, server: int, n: int) -> list[ArmVote]:
    """One experiment through the bot's path in a fresh store; the votes as `/experiment status` reads them."""
    args = setup.args
    directory = args.work_dir / f"run-{server}"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    database = directory / "feedback.db"
    shutil.copy(args.work_dir / "template.db", database)
    url = f"sqlite+aiosqlite:///{database}"
    settings = BotSettings(database_url=url, model_dir=args.work_dir / "models", vote_refresh_seconds=0)
    store = await FeedbackStore.open(url)
    service = RecommendService(settings, store, recommender=cast(Recommender, setup.models[setup.served]))
    service.experiments = PreloadedArms(setup.models)
    try:
        await service.open_outbox()
        await service.start_experiment(version=challenger, share=SHARE, started_by=None)
        await simulate(service, setup.community, setup.requests(seed, server, n), vote_rate=args.vote_rate,
                       seed=seed, progress=False)
        experiment = await store.running_experiment()
        assert experiment is not None
        return await store.experiment_votes(experiment.id)
    finally:
        await service.close()
        await store.close()
        shutil.rmtree(directory, ignore_errors=True)


def memory_experiment(setup: Setup, challenger: str, seed: int, server: int, n: int,
                      experiment_id: int = 1) -> list[ArmVote]:
    """The same experiment without the store: what `store_experiment` records, request after request.

    Mirrors `RecommendService.recommend` (resolution by the serving model, a did-you-mean answered
    with the member's exact title or the first candidate, the arm by `arm_for`, `personal_list`
    with the member's history for that query title) and `lab.simulate.driver` (vote draws and
    opinions); the experiment id is the one a fresh store gives its first experiment.
    """
    current = setup.models[setup.served]
    arms = {CONTROL: current, CHALLENGER: setup.models[challenger]}
    shown: dict[tuple[int, int], set[int]] = defaultdict(set)
    upvoted: dict[tuple[int, int], list[tuple[int, int, int]]] = defaultdict(list)  # (request, rank, item)
    votes = []
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    for request in setup.requests(seed, server, n):
        item = _resolved(current, request.title)
        if item is None:
            continue
        member = request.discord_id
        arm = arm_for(member, experiment_id, SHARE)
        model = arms[arm]
        key = (member, item.item_id)
        liked = [i for _, _, i in sorted(upvoted[key], key=lambda t: (-t[0], t[1]))]
        personal = Personal(frozenset(), frozenset(shown[key]), tuple(dict.fromkeys(liked)))
        result = personal_list(cast(Recommender, model), item.item_id, setup.k, personal)
        rng = np.random.default_rng([seed, 2, request.index])
        for entry in result.items[:ITEM_VOTE_LIMIT]:
            if rng.random() >= setup.args.vote_rate:
                continue
            opinion = setup.community.opinion(request.user_id, entry.item.title, rng)
            if opinion is None:
                continue
            moment += timedelta(seconds=1)
            votes.append(ArmVote(moment, arm, model.version, "item", opinion.value, request.index, member, entry.rank))
            if opinion.value > 0:
                upvoted[key].append((request.index, entry.rank, entry.item.item_id))
        shown[key].update(entry.item.item_id for entry in result.items)
    return votes


def _resolved(model: MemoRecommender, title: str) -> Any:
    """The item `/recommend <title>` serves, as the simulated member picks it (None: they give up)."""
    try:
        resolution = model.resolve(title.strip(), language=None, content_type=None)
    except QueryError:
        return None
    if resolution.confident:
        return resolution.item
    candidates = list(resolution.candidates)[:DID_YOU_MEAN_LIMIT]
    exact = [c for c in candidates if c.item.title == title]
    picked = exact or candidates
    return picked[0].item if picked else None


def same_votes(store: Sequence[ArmVote], memory: Sequence[ArmVote]) -> list[str]:
    """Differences between the store's and the in-memory votes of one experiment (empty: equivalent):
    the votes by (member, rank, value, arm, version), and every per-arm figure of the report (lists
    judged, 👍, rates, precision and their intervals, which also group the votes by list)."""
    def bag(votes: Sequence[ArmVote]) -> Counter:
        return Counter((v.user_id, v.rank, v.value, v.arm, v.model_version) for v in votes)

    problems = []
    a, b = bag(store), bag(memory)
    if a != b:
        problems.append(f"{sum((a - b).values())} store votes not in memory, {sum((b - a).values())} the reverse")
    ra, rb = analyse(store), analyse(memory)
    for arm in (CONTROL, CHALLENGER):
        fa, fb = ra.arms[arm].to_dict(), rb.arms[arm].to_dict()
        if fa != fb:
            problems.append(f"{arm}: store {fa} != memory {fb}")
    return problems


def units(votes: Sequence[ArmVote]) -> dict[str, dict[str, Any]]:
    """The shipped report and three other units of the same votes: when and whom each declares."""
    out: dict[str, dict[str, Any]] = {}
    report = analyse(votes)
    judged = [v for v in first_judgements(votes) if v.arm in TEST_ARM]
    out["report"] = _decided(report.trace.decided_after, report.trace.final.decision, judged, votes)
    first_per_member, members = [], set()
    for v in judged:
        if v.user_id not in members:
            members.add(v.user_id)
            first_per_member.append(v)
    for name, stream in (("every_vote", list(votes)), ("judgement_iid", judged), ("member_first", first_per_member)):
        trace = msprt_stream([(TEST_ARM[v.arm], v.value > 0) for v in stream])
        out[name] = _decided(trace.decided_after, trace.final.decision, stream, votes)
    out["report"].update(rates={arm: figures.rate for arm, figures in report.arms.items()},
                         judgements=sum(f.judgements for f in report.arms.values()),
                         members=len({v.user_id for v in votes}))
    return out


def _decided(after: int | None, decision: str | None, stream: Sequence[VoteRecord], votes: Sequence[ArmVote]
             ) -> dict[str, Any]:
    """The decision, and how many observations, votes and members it took (None: no decision)."""
    if after is None:
        return {"decision": None, "observations": None, "votes": None, "voters": None}
    deciding = stream[after - 1]
    position = next(i for i, v in enumerate(votes) if v is deciding) + 1
    winner = None if decision is None else (CHALLENGER if decision == "b" else CONTROL)
    return {"decision": winner, "observations": after, "votes": position,
            "voters": len({v.user_id for v in votes[:position]})}


async def campaign(label: str, runs: int, challenger: str, setup: Setup, first_server: int) -> list[dict[str, Any]]:
    """`runs` experiments in memory; the first `--store-runs` of them also through the store, compared."""
    args = setup.args
    results = []
    for run in range(runs):
        started = time.perf_counter()
        server = first_server + run
        seed = args.seed + server
        memory = memory_experiment(setup, challenger, seed, server, args.requests)
        result: dict[str, Any] = {"run": run, "seed": seed, "votes": len(memory), "memory": units(memory)}
        if run < args.store_runs:
            stored = await store_experiment(setup, challenger, seed, server, args.store_requests)
            short = memory_experiment(setup, challenger, seed, server, args.store_requests)
            result["store"] = units(stored)
            result["store_votes"] = len(stored)
            result["equivalence"] = same_votes(stored, short)
        result["seconds"] = round(time.perf_counter() - started, 1)
        results.append(result)
        shipped = result["memory"]["report"]
        print(f"{label} {run + 1}/{runs}: {len(memory)} votes, thumbs-up {shipped['rates'][CONTROL]:.2f} / "
              f"{shipped['rates'][CHALLENGER]:.2f}; report: {shipped['decision'] or 'no winner'}"
              + (f" after {shipped['votes']} votes" if shipped["votes"] else "")
              + (f"; store run: {result['store_votes']} votes, {result['store']['report']['decision'] or 'no winner'}"
                 f", {'same votes as in memory' if not result['equivalence'] else result['equivalence']}"
                 if "store" in result else "")
              + f" ({result['seconds']} s)", file=sys.stderr, flush=True)
        if args.out:  # partial results survive an interrupted run
            partial = args.out.with_suffix(".partial.json")
            partial.write_text(json.dumps({"args": _jsonable(args), label: results}, indent=1, default=str))
    return results
def summarise(ab: list[dict[str, Any]], aa: list[dict[str, Any]], path: str) -> list[str]:
    """The A/A and A/B counts per unit over the runs of one path ("memory" or "store")."""
    ab, aa = [r for r in ab if path in r], [r for r in aa if path in r]
    if not ab and not aa:
        return []
    lines = [f"-- {path} path: {len(ab)} A/B and {len(aa)} A/A experiments"]
    for unit, what in (("report", "shipped report: member's first vote per list, mSPRT clustered by member"),
                       ("judgement_iid", "member's first vote per list, each as independent (previous report)"),
                       ("member_first", "each member's first judgement only"),
                       ("every_vote", "every vote as independent")):
        lines.append(what + ":")
        if aa:
            false = sum(1 for r in aa if r[path][unit]["decision"] is not None)
            _, low, high = wilson_interval(false, len(aa))
            lines.append(f"  A/A: a winner declared in {false}/{len(aa)} experiments ({false / len(aa):.1%}, "
                         f"95% Wilson {low:.1%}-{high:.1%}); alpha 0.05")
        if ab:
            found = [r[path][unit] for r in ab if r[path][unit]["decision"] is not None]
            right = sum(1 for r in found if r["decision"] == CONTROL)
            line = f"  A/B: worse version caught in {len(found)}/{len(ab)} experiments ({right} naming the served arm)"
            if found:
                q_votes = np.percentile([r["votes"] for r in found], [50, 90])
                q_voters = np.percentile([r["voters"] for r in found], [50, 90])
                line += (f"; votes until then: median {q_votes[0]:.0f}, 90th percentile {q_votes[1]:.0f} "
                         f"(members who had voted: median {q_voters[0]:.0f}, 90th {q_voters[1]:.0f})")
            lines.append(line)
    if ab:
        served = statistics.mean(r[path]["report"]["rates"][CONTROL] for r in ab)
        worse = statistics.mean(r[path]["report"]["rates"][CHALLENGER] for r in ab)
        lines.append(f"A/B thumbs-up rate over whole experiments: served {served:.3f}, worse {worse:.3f}")
    return lines


def _jsonable(args: argparse.Namespace) -> dict[str, Any]:
    return {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}


async def main_async(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    args.work_dir.mkdir(parents=True, exist_ok=True)
    served, twin, worse = prepare_versions(args.served, args.work_dir / "models", args.worse, args.seed)
    (args.work_dir / "template.db").unlink(missing_ok=True)
    await make_template(args.work_dir / "template.db")
    models = {name: MemoRecommender(Recommender.load(args.work_dir / "models" / name))
              for name in (served, twin, worse)}
    community = Community.build(read_ratings(RATINGS), ratings_only=args.ratings_only, seed=args.seed)
    setup = Setup(models, served, community, args, BotSettings(model_dir=args.work_dir / "models").default_k)
    print(f"{community.members} members; versions {served} (served), {twin} (A/A twin), {worse} (worse); "
          f"ready in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    aa = await campaign("A/A", args.aa_runs, twin, setup, first_server=1001)
    ab = await campaign("A/B", args.ab_runs, worse, setup, first_server=1)
    stored = [r for r in ab + aa if "store" in r]
    lines = [f"served {served} vs {worse} (A/B) and vs {twin} (A/A); {SHARE}% on the challenger; vote rate "
             f"{args.vote_rate}{', ratings only' if args.ratings_only else ''}; seed {args.seed}; "
             f"{args.requests} requests per experiment in memory, {args.store_requests} through the store",
             f"store path vs memory path: {sum(1 for r in stored if not r['equivalence'])}/{len(stored)} experiments "
             "with the same votes and per-arm figures",
             *summarise(ab, aa, "memory"), *summarise(ab, aa, "store"),
             f"({time.perf_counter() - started:.0f} s)"]
    print("\n".join(lines))
    if args.out:
        args.out.write_text(json.dumps({"args": _jsonable(args), "summary": lines, "runs": {"A/B": ab, "A/A": aa}},
                                       indent=1, default=str))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--served", type=Path, required=True, help="model root (or version directory) of the served model")
    p.add_argument("--worse", default="inverted", choices=("inverted", "garbled", "shuffled"),
                   help="how the worse version is derived from the served one (see the module docstring)")
    p.add_argument("--work-dir", type=Path, required=True, help="scratch directory: versions, stores (rewritten)")
    p.add_argument("--requests", type=int, default=6000, help="requests per experiment in memory (both arms)")
    p.add_argument("--ab-runs", type=int, default=20)
    p.add_argument("--aa-runs", type=int, default=100)
    p.add_argument("--store-runs", type=int, default=3,
                   help="the first N experiments of each kind also run through the store and are compared")
    p.add_argument("--store-requests", type=int, default=2000, help="requests per experiment through the store")
    p.add_argument("--vote-rate", type=float, default=0.3)
    p.add_argument("--ratings-only", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=None, help="also write every run as JSON here")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if (min(args.requests, args.store_requests) <= 0 or min(args.ab_runs, args.aa_runs, args.store_runs) < 0
            or not 0 < args.vote_rate <= 1):
        print("--requests and --store-requests must be > 0, run counts >= 0, 0 < --vote-rate <= 1", file=sys.stderr)
        return 2
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
