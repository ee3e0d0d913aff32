"""`evaluate --pairs ... --feedback-database URL`: the served ranking with the community's votes.

Why here and not in the harness: the harness ranks with what a model version knows; this adds what a
server's members said (`feedback.vote_stats`, read once, in bulk, at the CLI edge: the `feedback`
package is imported lazily so the recommender never needs it) and measures the feedback-aware
ranking beside the content-only one, overall and on the queries nobody voted on (cold start: those
must not get worse).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from recommender.evaluation.harness import Task
from recommender.ranking.ranker import Ranker
from recommender.ranking.votes import TitleRows, VoteChannel


class VoteDatabaseError(ValueError):
    """The feedback database cannot be read; the message says which and why."""


def read_vote_data(url: str, *, members: bool = False) -> pd.DataFrame:
    """Pair counts (or, with `members`, every member's latest vote per pair) from the database at `url`.

    Read-only: the database is never created or migrated here.
    """
    from feedback import StoreError
    from feedback.readonly import read_votes

    try:
        return read_votes(url, members=members)
    except StoreError as exc:
        raise VoteDatabaseError(str(exc)) from None


@dataclass
class VotedRanking:
    """`Ranker.rank` with the vote channel's bounded addition: what a bot with these votes serves."""

    name: str
    ranker: Ranker
    channel: VoteChannel

    def _allowed(self, task: Task) -> np.ndarray:
        allowed = np.zeros(len(task.items), dtype=bool)
        allowed[task.candidates] = True
        return allowed

    def scores(self, query_rows: np.ndarray, candidate_rows: np.ndarray) -> np.ndarray:
        out = []
        for row in query_rows:
            content = self.ranker.scores(int(row)).astype(np.float64)
            out.append((content + self.channel.scores(int(row), content))[candidate_rows])
        return np.stack(out)

    def lists(self, task: Task) -> list[np.ndarray]:
        ids = task.items["item_id"].to_numpy()
        allowed = self._allowed(task)
        lists = []
        for row in task.queries:
            chosen, _ = self.ranker.rank(int(row), task.k, allowed=allowed, fold=task.exclude_franchise,
                                         votes=self.channel)
            lists.append(ids[np.asarray(chosen, dtype=np.int64)])
        return lists


def unvoted_subtask(task: Task, pairs: pd.DataFrame) -> Task | None:
    """The task restricted to queries whose title no vote was ever cast for (None if there are none)."""
    voted = set(pairs["query_title"].astype(str))
    titles = task.items["title"].astype(str).to_numpy()
    keep = [q for q, row in enumerate(task.queries) if titles[row] not in voted]
    if not keep:
        return None
    return Task(
        name=f"{task.name} (queries nobody voted on)", items=task.items, queries=task.queries[keep],
        candidates=task.candidates, relevance=[task.relevance[q] for q in keep], k=task.k,
        exclude_franchise=task.exclude_franchise, reference_space=task.reference_space,
        reference_space_name=task.reference_space_name, notes=dict(task.notes),
        extra_metrics=task.extra_metrics,
    )


def channel_summary(channel: VoteChannel, pairs: pd.DataFrame) -> dict[str, Any]:
    """What the vote channel was built from, for the JSON output and the report."""
    return {
        "pairs": len(pairs),
        "votes": int(channel.votes),
        "seen_marks": int(channel.seen_marks),
        "seen_weight": channel.settings.seen_weight,
        "explore_slot": channel.settings.explore_slot,
        "pairs_of_unknown_titles": channel.unknown_pairs,
        "voted_titles": channel.voted_items,
        "global_up_rate": round(channel.global_rate, 4),
        "weight": channel.settings.weight,
        "prior_strength": channel.settings.prior_strength,
        "shortlist": channel.settings.shortlist,
        "fitted": channel.settings.fitted,
    }


@dataclass(frozen=True)
class HeldOutMember:
    """One voting member of a simulated community, for scoring their list against their own held-out likes."""

    user_id: int  # the Discord id the simulator gave them
    query: int  # row of the last title they asked about
    held: frozenset[int]  # rows of titles they like but never asked about nor 👍'd: what a good list finds
    known_rows: np.ndarray  # rows they asked about or 👍'd: never counted as found


def held_out_members(votes: pd.DataFrame, own_likes: dict[int, set[str]],
                     row_of: Mapping[str, int] | TitleRows) -> list[HeldOutMember]:
    """The voting members whose ratings hold likes the votes never showed (`own_likes` by rating-file user
    id); the members' scripts score each one's list for their last query against those."""
    from lab.simulate.members import MEMBER_ID_OFFSET

    members = []
    for key, mine in votes.sort_values("voted_at", kind="stable").groupby("user_id"):
        user_id = int(str(key))
        known = set(mine["query_title"]) | set(mine.loc[mine["value"] > 0, "item_title"])
        held = {row_of.get(t) for t in own_likes.get(user_id - MEMBER_ID_OFFSET, set()) - known} - {None}
        query = row_of.get(str(mine["query_title"].iloc[-1]))
        if not held or query is None:
            continue
        known_rows = np.array(sorted(r for r in (row_of.get(t) for t in known) if r is not None), dtype=np.int64)
        members.append(HeldOutMember(user_id, query, frozenset(r for r in held if r is not None), known_rows))
    return members
