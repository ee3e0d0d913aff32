"""Drive simulated members through the bot's own service layer and vote path.

Why this path and no shortcut: the simulation must prove that votes arriving the way the bot
receives them (`RecommendService.recommend` records the request and the list shown;
`accept_item_vote` journals the vote in the outbox, which writes it to the store) improve the
ranking. So nothing here touches a table: it is a member typing `/recommend <title>` and pressing
👍/👎 buttons under some of the items.

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
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from tqdm import tqdm

from bot.service import DidYouMean, Recommended, RecommendService, UserError
from bot.simulate.members import Community, Request
from feedback import VoteOutcome, VoteStatus

GUILD_ID = 424242424242424242  # the simulated server and channel (any fixed snowflakes)
CHANNEL_ID = 434343434343434343
DEFAULT_WORKERS = 4  # requests in flight: the model runs in a thread while the store writes


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
    seconds: float = 0.0

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
) -> SimulationReport:
    """Run the requests through `service`, vote, and wait until every vote is written.

    `refresh_every` > 0: after every that many requests, the votes so far are written and the
    service's vote cache is rebuilt from the store (0: the lists use the votes the service loaded).
    """
    if not 0 <= vote_rate <= 1:
        raise ValueError("vote_rate must be in [0, 1]")
    report = SimulationReport(requests=len(requests))
    futures: list[asyncio.Future[VoteOutcome]] = []
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
                    await _one_request(service, community, request, vote_rate, seed, report, mine)
                    futures.extend(mine)
                    await asyncio.gather(*mine)  # the member's next list sees these votes
                    bar.update()

            await asyncio.gather(*(worker(lane) for lane in lanes))
            if refresh_every > 0:
                await asyncio.gather(*futures)  # this batch's votes are in the store
                await service.votes.refresh(*service.serving_models())
    outcomes = await asyncio.gather(*futures)
    report.stored = sum(1 for o in outcomes if o.status is VoteStatus.STORED)
    report.rejected = sum(1 for o in outcomes if o.status is VoteStatus.REJECTED)
    report.votes.sort(key=lambda v: (v.request_index, v.rank))
    report.seconds = time.perf_counter() - started
    return report


async def _one_request(
    service: RecommendService,
    community: Community,
    request: Request,
    vote_rate: float,
    seed: int,
    report: SimulationReport,
    futures: list[asyncio.Future[VoteOutcome]],
) -> None:
    rng = np.random.default_rng([seed, 2, request.index])
    try:
        answer = await _ask(service, request, report)
    except UserError:
        report.failed += 1
        return
    report.answered += 1
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
