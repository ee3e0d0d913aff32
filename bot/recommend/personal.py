"""A member's list without repeats: titles they marked as seen never come back, and asking for the
same title again gives fresh titles below the ones they upvoted instead of the identical list.

Seen marks and 👍 are permanent; "shown before" is not: only the member's last two lists for that
query title are avoided (`feedback.seen.RECENT_LISTS`). Avoiding every list ever shown ran a repeat
asker's lists dry within about five asks (weaker and weaker titles); with a short memory the lists
rotate through the good titles and then come back round to them.

Why in the bot and not the recommender: it depends on one member's history in the feedback store;
the recommender only offers the `exclude_ids` hook. Runs in a worker thread (it ranks).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from recommender.ranking.ranker import SAFE_QUERY_BANDS
from recommender.ranking.votes import EXPLORE_POOL, VoteChannel, thompson_slot
from recommender.serving import Item, Recommendation, RecommendationResult, Recommender


@dataclass(frozen=True)
class Personal:
    """What one member's list must respect (from `feedback.seen`)."""

    seen: frozenset[int] = frozenset()
    shown_before: frozenset[int] = frozenset()  # shown for this query title in their recent requests
    upvoted_before: tuple[int, ...] = ()  # of those, the ones they gave 👍, best first


def personal_list(rec: Recommender, item_id: int, k: int, personal: Personal, *,
                  language: str | None = None, content_type: str | None = None,
                  votes: VoteChannel | None = None, member: int | None = None) -> RecommendationResult:
    """Top-k for `item_id` without seen titles; on a repeated query, the titles the member upvoted
    (still in the ranking) first, then titles they were not shown before. With the vote channel's
    `explore_slot` on, the last slot may go to a title ranked right below the list (`explore_last`)."""
    explore = votes is not None and votes.settings.explore_slot and member is not None and k > 1
    taste = votes is not None and votes.settings.taste_weight > 0 and member is not None
    want = min(k + EXPLORE_POOL, 100) if explore or taste else k
    keep = [i for i in personal.upvoted_before if i not in personal.seen]
    # A title shown before stands for its franchise: the lists hold one entry per franchise, so
    # excluding the entry alone brought the next season of the same show back as a "fresh" title.
    exclude = personal.seen | (rec.franchise_ids(personal.shown_before - set(keep)) - set(keep))
    result = rec.recommend(item_id, want, language=language, content_type=content_type, exclude_ids=exclude,
                           votes=votes)
    ranked = {r.item.item_id: r for r in result.items}
    # Upvoted titles that fell below the top k of this ranking are not forced back in.
    first = [ranked[i] for i in keep if i in ranked]
    rest = [r for r in result.items if r.item.item_id not in set(keep)]
    if taste and votes is not None and member is not None and not _maturity_shaped(rec, result.query):
        rest = by_taste(rec, rest, votes, member)
    items = [replace(r, rank=rank) for rank, r in enumerate(first + rest, start=1)]
    if explore and votes is not None and len(items) > k and items[k - 1].item.item_id not in set(keep):
        items = explore_last(rec, result.query, items, k, votes,
                             np.random.default_rng([member or 0, item_id, len(personal.shown_before)]))
    return replace(result, items=items[:k])


def _maturity_shaped(rec: Recommender, query: Item) -> bool:
    """A kids', family or unknown-maturity query, or a family-safe bot: the order is the safety rule's."""
    return rec.family_safe or query.maturity in SAFE_QUERY_BANDS or query.maturity == "unknown"


def by_taste(rec: Recommender, items: list[Recommendation], votes: VoteChannel,
             member: int) -> list[Recommendation]:
    """`items` re-ordered by their score plus `taste_weight` times the member's taste for each
    (`VoteChannel.member_taste`: the co-likes of the titles they liked); a member the votes do not
    know keeps the order."""
    rows = np.array([votes.row_of.get(r.item.title, -1) for r in items], dtype=np.int64)
    taste = votes.member_taste(member, np.maximum(rows, 0)) * (rows >= 0)
    if not taste.any():
        return items
    keyed = [r.score + votes.settings.taste_weight * t for r, t in zip(items, taste.tolist(), strict=True)]
    order = sorted(range(len(items)), key=lambda i: (-keyed[i], i))
    return [items[i] for i in order]


def explore_last(rec: Recommender, query: Item, items: list[Recommendation], k: int, votes: VoteChannel,
                 rng: np.random.Generator) -> list[Recommendation]:
    """Thompson-sample slot k among the k-th title and the ones ranked right below it. Never on a list
    the maturity rule shapes (a kids', family or unknown-maturity query, or a family-safe bot): there
    the order of every slot is the safety rule's, and no vote estimate may trade it."""
    if _maturity_shaped(rec, query):
        return items
    candidates = items[k - 1:]
    pick = thompson_slot(votes, query.title, [r.item.title for r in candidates], [r.score for r in candidates], rng)
    if pick == 0:
        return items
    return [*items[:k - 1], replace(candidates[pick], rank=k)]
