"""A member's list without repeats: titles they marked as seen never come back, and asking for the
same title again gives fresh titles below the ones they upvoted instead of the identical list.

Why in the bot and not the recommender: it depends on one member's history in the feedback store;
the recommender only offers the `exclude_ids` hook. Runs in a worker thread (it ranks).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from recommender.ranking.votes import VoteChannel
from recommender.serving import RecommendationResult, Recommender


@dataclass(frozen=True)
class Personal:
    """What one member's list must respect (from `feedback.seen`)."""

    seen: frozenset[int] = frozenset()
    shown_before: frozenset[int] = frozenset()  # shown for this query title in earlier requests
    upvoted_before: tuple[int, ...] = ()  # of those, the ones they gave 👍, best first

    @property
    def empty(self) -> bool:
        return not (self.seen or self.shown_before)


def personal_list(rec: Recommender, item_id: int, k: int, personal: Personal, *,
                  language: str | None = None, content_type: str | None = None,
                  votes: VoteChannel | None = None) -> RecommendationResult:
    """Top-k for `item_id` without seen titles; on a repeated query, the titles the member upvoted
    (still in the ranking) first, then titles they were not shown before."""
    if personal.empty:
        return rec.recommend(item_id, k, language=language, content_type=content_type, votes=votes)
    keep = [i for i in personal.upvoted_before if i not in personal.seen]
    exclude = personal.seen | (personal.shown_before - set(keep))
    result = rec.recommend(item_id, k, language=language, content_type=content_type, exclude_ids=exclude,
                           votes=votes)
    ranked = {r.item.item_id: r for r in result.items}
    # Upvoted titles that fell below the top k of this ranking are not forced back in.
    first = [ranked[i] for i in keep if i in ranked]
    rest = [r for r in result.items if r.item.item_id not in set(keep)]
    items = [replace(r, rank=rank) for rank, r in enumerate(first + rest, start=1)]
    return replace(result, items=items[:k])
