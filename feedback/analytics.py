"""Read-side queries that turn stored votes into per-model-version figures.

Why separate from the store: these are the numbers evaluation and A/B decisions rest on; keeping
the SQL here and the arithmetic in `feedback.stats` means each can be read (and tested) alone.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from feedback.errors import StoreError
from feedback.models import (
    ItemVote,
    MessageVote,
    ModelVersion,
    RecommendationMessage,
    RecommendationRequest,
    RecommendedItem,
)
from feedback.stats import mean_precision_at_k, two_proportion_difference, wilson_interval
from feedback.validation import PositiveK, Version


@dataclass(frozen=True)
class VersionStats:
    """Votes on recommendations served by `version`.

    up/down/total/rate/interval are the 👍/👎 reactions on whole recommendation messages (one
    judgement per member per list: what the A/B comparison and `evaluate --feedback` rest on);
    `item_up`/`item_down` are the per-item button votes, reported beside them (`all_votes` is both).
    rate = up / total; with total == 0 the rate is 0.0 and the interval (0.0, 1.0): check `total`.
    """

    version: str
    up: int
    down: int
    total: int
    rate: float
    ci_low: float
    ci_high: float
    requests: int = 0
    active: bool = False
    item_up: int = 0
    item_down: int = 0

    @property
    def all_votes(self) -> int:
        return self.total + self.item_up + self.item_down


@dataclass(frozen=True)
class ItemPrecision:
    """Mean precision@k from per-item votes; `lists` is how many (request, voter) lists counted."""

    version: str
    k: int
    precision: float | None
    lists: int


@dataclass(frozen=True)
class VersionComparison:
    """Up-rate of `a` minus up-rate of `b`, with a 95% interval and a two-sided p-value."""

    a: VersionStats
    b: VersionStats
    diff: float
    ci_low: float
    ci_high: float
    p_value: float


async def _tallies(session: AsyncSession, vote: type[MessageVote] | type[ItemVote]) -> dict[str, tuple[int, int]]:
    """(up, down) per model version for one kind of vote."""
    up = func.sum(case((vote.value > 0, 1), else_=0))
    down = func.sum(case((vote.value < 0, 1), else_=0))
    query = select(RecommendationRequest.model_version, up, down)
    if vote is MessageVote:
        query = query.join(
            RecommendationMessage, RecommendationMessage.request_id == RecommendationRequest.id
        ).join(MessageVote, MessageVote.message_id == RecommendationMessage.message_id)
    else:
        query = query.join(RecommendedItem, RecommendedItem.request_id == RecommendationRequest.id).join(
            ItemVote, ItemVote.recommended_item_id == RecommendedItem.id
        )
    rows = await session.execute(
        query.where(RecommendationRequest.model_version.is_not(None)).group_by(RecommendationRequest.model_version)
    )
    return {str(version): (int(u or 0), int(d or 0)) for version, u, d in rows}


async def version_stats(session: AsyncSession) -> list[VersionStats]:
    """Per model version (registered or seen in requests): reaction and item votes, up-rate, Wilson 95%."""
    message_tallies = await _tallies(session, MessageVote)
    item_tallies = await _tallies(session, ItemVote)
    request_rows = await session.execute(
        select(RecommendationRequest.model_version, func.count())
        .where(RecommendationRequest.model_version.is_not(None))
        .group_by(RecommendationRequest.model_version)
    )
    requests = {str(version): int(n) for version, n in request_rows}
    registered_rows = await session.execute(select(ModelVersion.version, ModelVersion.active))
    registered = {version: bool(active) for version, active in registered_rows}
    result = []
    for version in sorted(set(message_tallies) | set(item_tallies) | set(requests) | set(registered)):
        item_up, item_down = item_tallies.get(version, (0, 0))
        u, d = message_tallies.get(version, (0, 0))
        total = u + d
        rate, low, high = wilson_interval(u, total) if total else (0.0, 0.0, 1.0)
        result.append(
            VersionStats(
                version=version, up=u, down=d, total=total, rate=rate,
                ci_low=low, ci_high=high, requests=int(requests.get(version, 0)),
                active=bool(registered.get(version, False)), item_up=item_up, item_down=item_down,
            )
        )
    return result


async def item_precision(session: AsyncSession, version: Version, k: PositiveK = 5) -> ItemPrecision:
    """Mean precision@k of `version` from per-item votes (judged items only)."""
    rows = await session.execute(
        select(RecommendedItem.request_id, ItemVote.user_id, RecommendedItem.rank, ItemVote.value)
        .join(ItemVote, ItemVote.recommended_item_id == RecommendedItem.id)
        .join(RecommendationRequest, RecommendationRequest.id == RecommendedItem.request_id)
        .where(RecommendationRequest.model_version == version)
    )
    lists: dict[tuple[int, int], dict[int, int]] = defaultdict(dict)
    for request_id, user_id, rank, value in rows:
        lists[(request_id, user_id)][rank] = value
    precision, counted = mean_precision_at_k(lists.values(), k)
    return ItemPrecision(version=version, k=k, precision=precision, lists=counted)


async def compare_versions(session: AsyncSession, a: Version, b: Version) -> VersionComparison:
    """A/B: up-rate of `a` minus up-rate of `b` with a 95% CI; both need votes."""
    by_version = {s.version: s for s in await version_stats(session)}
    for version in (a, b):
        if version not in by_version or by_version[version].total == 0:
            raise StoreError(
                f"model version {version} has no thumbs votes yet; "
                "an A/B comparison needs feedback on both versions"
            )
    return compare(by_version[a], by_version[b])


def compare(a: VersionStats, b: VersionStats) -> VersionComparison:
    d = two_proportion_difference(a.up, a.total, b.up, b.total)
    return VersionComparison(a=a, b=b, diff=d.diff, ci_low=d.ci_low, ci_high=d.ci_high,
                             p_value=d.p_value)
