"""Read-side queries that turn stored votes into per-model-version figures.

Why separate from the store: these are the numbers evaluation and A/B decisions rest on; keeping
the SQL here and the arithmetic in `feedback.stats` means each can be read (and tested) alone.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from feedback.models import (
    ItemVote,
    MessageVote,
    ModelVersion,
    RecommendationMessage,
    RecommendationRequest,
    RecommendedItem,
)
from feedback.stats import mean_precision_at_k, two_proportion_difference, wilson_interval


@dataclass(frozen=True)
class VersionStats:
    """Thumbs votes on messages whose request was served by `version`.

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


async def version_stats(session: AsyncSession) -> list[VersionStats]:
    up = func.sum(case((MessageVote.value > 0, 1), else_=0))
    down = func.sum(case((MessageVote.value < 0, 1), else_=0))
    votes = await session.execute(
        select(RecommendationRequest.model_version, up, down)
        .join(RecommendationMessage, RecommendationMessage.request_id == RecommendationRequest.id)
        .join(MessageVote, MessageVote.message_id == RecommendationMessage.message_id)
        .where(RecommendationRequest.model_version.is_not(None))
        .group_by(RecommendationRequest.model_version)
    )
    tallies = {version: (int(u or 0), int(d or 0)) for version, u, d in votes}
    request_rows = await session.execute(
        select(RecommendationRequest.model_version, func.count())
        .where(RecommendationRequest.model_version.is_not(None))
        .group_by(RecommendationRequest.model_version)
    )
    requests = {version: int(n) for version, n in request_rows}
    registered_rows = await session.execute(select(ModelVersion.version, ModelVersion.active))
    registered = {version: bool(active) for version, active in registered_rows}
    result = []
    for version in sorted(set(tallies) | set(requests) | set(registered)):
        u, d = tallies.get(version, (0, 0))
        total = u + d
        low, high = wilson_interval(u, total)
        result.append(
            VersionStats(
                version=version, up=u, down=d, total=total, rate=u / total if total else 0.0,
                ci_low=low, ci_high=high, requests=int(requests.get(version, 0)),
                active=bool(registered.get(version, False)),
            )
        )
    return result


async def item_precision(session: AsyncSession, version: str, k: int) -> ItemPrecision:
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


def compare(a: VersionStats, b: VersionStats) -> VersionComparison:
    d = two_proportion_difference(a.up, a.total, b.up, b.total)
    return VersionComparison(a=a, b=b, diff=d.diff, ci_low=d.ci_low, ci_high=d.ci_high,
                             p_value=d.p_value)
