"""The served ranking and its channels as evaluation systems.

`ServedRanking` asks `Ranker.rank` (what `Recommender.recommend` calls) for each query's list, with
the task's candidates as the allowed set, so the figure `evaluate` prints for `model ...` is the
ranking users get: blend, franchise folding and maturity safety included. `ChannelScorer` ranks by
one channel alone, for the table of what each channel carries.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recommender.evaluation.harness import Task
from recommender.ranking.channels import CHANNELS
from recommender.ranking.ranker import Ranker


@dataclass
class ServedRanking:
    name: str
    ranker: Ranker

    def scores(self, query_rows: np.ndarray, candidate_rows: np.ndarray) -> np.ndarray:
        return np.stack([self.ranker.scores(int(r), candidate_rows) for r in query_rows])

    def lists(self, task: Task) -> list[np.ndarray]:
        ids = task.items["item_id"].to_numpy()
        allowed = np.zeros(len(task.items), dtype=bool)
        allowed[task.candidates] = True
        lists = self.ranker.rank_many(task.queries, task.k, allowed=allowed, fold=task.exclude_franchise)
        return [ids[np.asarray(rows, dtype=np.int64)] for rows in lists]


@dataclass
class ChannelScorer:
    """One channel alone (pair channels: similarity to the query; item channels: a global prior)."""

    name: str
    ranker: Ranker
    channel: str

    def scores(self, query_rows: np.ndarray, candidate_rows: np.ndarray) -> np.ndarray:
        return np.asarray(self.ranker.channels.channel(self.channel, query_rows, candidate_rows))


def channel_systems(ranker: Ranker) -> list[ChannelScorer]:
    """Every channel alone, in `CHANNELS` order."""
    return [ChannelScorer(f"channel: {name}", ranker, name) for name in CHANNELS]
