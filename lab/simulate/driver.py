"""Drive simulated members through the bot's own service layer and vote path.

Why this path and no shortcut: the simulation must prove that votes arriving the way the bot
receives them (`RecommendService.recommend` records the request and the list shown;
`accept_item_vote` journals the vote in the outbox, which writes it to the store) improve the
ranking. So nothing here touches a table: it is a member typing `/recommend <title>` and pressing
👍/👎 buttons under some of the items.

Seen marks: a member who is shown a title they rated has seen it (a rating is a title watched), and
presses "Seen it" on a share of those (`seen_rate`, its own generator per request, so the votes
drawn for a seed are the same with or without seen marks): the bot's `accept_seen_item` path,
journaled through the outbox like a vote. The bot then leaves that title out of the member's later
lists, and the vote channel counts the mark as a weak 👍 for the pair (`feedback.vote_stats`).

Determinism: every request draws its votes from its own generator (seed, request index), and a
member's requests are served in order by one worker, each after the member's previous votes have
landed (the bot gives a member who asks again fresh titles below the ones they upvoted, so a list
depends on that member's history); so the votes do not depend on how the concurrent workers
interleave, only the store's ids do. The bot
re-reads the votes it ranks with on a timer; the simulator does it on a request count instead
(`refresh_every`: finish a batch, let its votes land, refresh the service's vote cache), so the
lists, and therefore the votes, are the same for a seed however fast the machine is.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from tqdm import tqdm

from feedback import VoteOutcome, VoteStatus
from lab.simulate.bot_handle import DidYouMean, Recommended, RecommendService, UserError
from lab.simulate.members import Community, Request

GUILD_ID = 424242424242424242  # the simulated server and channel (any fixed snowflakes)
CHANNEL_ID = 434343434343434343
# Requests in flight (lanes): the model runs in a thread while the store writes, and the votes of
# many lanes reach the outbox together, which writes them in one transaction. The votes do not
# depend on it (see Determinism above); docs/community-loop.md has the timings of 4 and 16.
DEFAULT_WORKERS = 16


@dataclass(frozen=True)
class CastVote:
    """One vote a member cast (what the simulator sent; `SimulationReport` says how many landed)."""

    request_index: int
    user_id: int
    title: str
    rank: int
    value: int
    source: str


@dataclass
class SimulationReport:
    requests: int = 0
    answered: int = 0
    picked_from_did_you_mean: int = 0
    failed: int = 0  # the bot answered with a user error (the failure is counted, never hidden)
    shown: int = 0
    votes: list[CastVote] = field(default_factory=list)
    stored: int = 0
    rejected: int = 0
    seen_marks: int = 0  # "Seen it" presses sent (titles the member rated)
    seen_stored: int = 0
    seconds: float = 0.0

    def merge(self, other: SimulationReport) -> None:
        """Add another part's counts (one process of a multi-process run); `seconds` stays this one's."""
        for name in ("requests", "answered", "picked_from_did_you_mean", "failed", "shown", "stored", "rejected",
                     "seen_marks", "seen_stored"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.votes = sorted(self.votes + other.votes, key=lambda v: (v.request_index, v.rank))

    def counts(self) -> Counter[str]:
        """Votes by source and direction, e.g. {'rating up': 120, 'taste down': 80, ...}."""
        return Counter(f"{v.source} {'up' if v.value > 0 else 'down'}" for v in self.votes)

    def lines(self) -> list[str]:
        up = sum(1 for v in self.votes if v.value > 0)
        per_request = len(self.votes) / max(self.requests, 1)
        out = [
            f"{self.requests} requests in {self.seconds:.1f} s ({self.requests / max(self.seconds, 1e-9):.0f}/s): "
            f"{self.answered} answered ({self.picked_from_did_you_mean} via did-you-mean), {self.failed} failed",
            f"{self.shown} titles shown; {len(self.votes)} votes cast ({up} 👍, {len(self.votes) - up} 👎; "
            f"{per_request:.3f} per request); {self.stored} stored, {self.rejected} rejected",
            f"{self.seen_marks} seen marks ({self.seen_marks / max(self.requests, 1):.3f} per request); "
            f"{self.seen_stored} stored",
        ]
        counts = self.counts()
        out.append("  by source: " + ", ".join(f"{k} {counts[k]}" for k in sorted(counts)) if counts else "  no votes")
        return out


async def simulate(
    service: RecommendService,
    community: Community,
    requests: Sequence[Request],
    *,
    vote_rate: float = 0.3,
    seed: int = 0,
    workers: int = DEFAULT_WORKERS,
    refresh_every: int = 0,
    progress: bool = True,
    seen_rate: float = 0.0,
    on_request: Callable[[], None] | None = None,
) -> SimulationReport:
    """Run the requests through `service`, vote, and wait until every vote is written.

    `refresh_every` > 0: after every that many requests, the votes so far are written and the
    service's vote cache is rebuilt from the store (0: the lists use the votes the service loaded).
    `seen_rate`: share of the shown titles the member rated that they mark as seen. `on_request` is
    called after each request (a multi-process run counts progress with it).
    """
    if not 0 <= vote_rate <= 1 or not 0 <= seen_rate <= 1:
        raise ValueError("vote_rate and seen_rate must be in [0, 1]")
    report = SimulationReport(requests=len(requests))
    futures: list[asyncio.Future[VoteOutcome]] = []
    marks: list[asyncio.Future[VoteOutcome]] = []
    batch = refresh_every if refresh_every > 0 else max(len(requests), 1)
    started = time.perf_counter()
    with tqdm(total=len(requests), unit="req", desc="simulating", disable=not progress, leave=False) as bar:
        for first in range(0, len(requests), batch):
            lanes: list[list[Request]] = [[] for _ in range(max(1, workers))]
            for request in requests[first:first + batch]:  # one member, one lane, in request order
                lanes[request.user_id % len(lanes)].append(request)

            async def worker(lane: list[Request]) -> None:
                for request in lane:
                    mine: list[asyncio.Future[VoteOutcome]] = []
                    my_marks: list[asyncio.Future[VoteOutcome]] = []
                    await _one_request(service, community, request, (vote_rate, seen_rate), seed, report,
                                       (mine, my_marks))
                    futures.extend(mine)
                    marks.extend(my_marks)
                    await asyncio.gather(*mine, *my_marks)  # the member's next list sees these votes
                    bar.update()
                    if on_request is not None:
                        on_request()

            await asyncio.gather(*(worker(lane) for lane in lanes))
            if refresh_every > 0:
                await asyncio.gather(*futures, *marks)  # this batch's votes are in the store
                await service.votes.refresh(*service.serving_models())
    outcomes = await asyncio.gather(*futures)
    report.stored = sum(1 for o in outcomes if o.status is VoteStatus.STORED)
    report.rejected = sum(1 for o in outcomes if o.status is VoteStatus.REJECTED)
    report.seen_stored = sum(1 for o in await asyncio.gather(*marks) if o.status is VoteStatus.STORED)
    report.votes.sort(key=lambda v: (v.request_index, v.rank))
    report.seconds = time.perf_counter() - started
    return report


async def _one_request(
    service: RecommendService,
    community: Community,
    request: Request,
    rates: tuple[float, float],
    seed: int,
    report: SimulationReport,
    outstanding: tuple[list[asyncio.Future[VoteOutcome]], list[asyncio.Future[VoteOutcome]]],
) -> None:
    """One `/recommend`, then its votes and seen marks (their futures go to `outstanding`)."""
    vote_rate, seen_rate = rates
    futures, marks = outstanding
    rng = np.random.default_rng([seed, 2, request.index])
    seen_rng = np.random.default_rng([seed, 3, request.index])
    try:
        answer = await _ask(service, request, report)
    except UserError:
        report.failed += 1
        return
    report.answered += 1
    outbox = await service.open_outbox()
    if outbox.holds(request_id=answer.request_id):
        # The database was busy past the record's patience (a loaded machine, a long vote batch), so the
        # list was recorded through the outbox; the member's next list reads this one, so wait for it.
        await outbox.drained()
    targets = answer.vote_targets
    report.shown += len(targets)
    for rank, title in targets:
        if rng.random() >= vote_rate:
            continue
        opinion = community.opinion(request.user_id, title, rng)
        if opinion is None:
            continue
        futures.append(await service.accept_item_vote(
            request_id=answer.request_id, rank=rank, user_id=request.discord_id, value=opinion.value
        ))
        report.votes.append(CastVote(request.index, request.user_id, title, rank, opinion.value, opinion.source))
    for rank, title in targets:
        if seen_rate > 0 and community.has_seen(request.user_id, title) and seen_rng.random() < seen_rate:
            marks.append(await service.accept_seen_item(
                request_id=answer.request_id, rank=rank, user_id=request.discord_id))
            report.seen_marks += 1


async def _ask(service: RecommendService, request: Request, report: SimulationReport) -> Recommended:
    """`/recommend <title>`; on a did-you-mean the member picks their title (or the first offered)."""
    answer = await service.recommend(
        user_id=request.discord_id, guild_id=GUILD_ID, channel_id=CHANNEL_ID, query=request.title
    )
    if isinstance(answer, DidYouMean):
        if not answer.candidates:
            raise UserError(f"nothing matches {request.title!r}")
        exact = [c for c in answer.candidates if c.item.title == request.title]
        pick = (exact or answer.candidates)[0]
        report.picked_from_did_you_mean += 1
        answer = await service.recommend(
            user_id=request.discord_id, guild_id=GUILD_ID, channel_id=CHANNEL_ID,
            query=request.title, item_id=pick.item.item_id,
        )
        assert isinstance(answer, Recommended)  # by id is always a confident resolution
    return answer
