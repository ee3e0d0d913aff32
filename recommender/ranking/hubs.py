"""Hubs: titles that a blend puts in the lists of many unrelated queries, found once per catalog and weights.

Why: a few popular, broadly described shows (a crime drama with five genres, a recent fantasy hit) are
close enough to everything that they fill every weak slot, so the same title ends up in a quarter of all
lists. Which titles do that is a property of the whole ranking, not of one pair, so it is measured the
direct way: rank the most-watched title of each of the most-watched franchises with the blend (without
this channel), and count in what share of those lists each title appears. The `hub` item channel carries
that share, and its (negative, held) weight makes a title pay for every list it already fills.

The pass costs one scored query per sampled franchise (about a second for the bundled catalog) and runs
when a ranker takes its weights, never per request; its size is bounded so that a large catalog's load
does not grow with it (`HUB_BUDGET`).
"""

from __future__ import annotations

import numpy as np

from recommender.ranking.channels import CHANNELS, ITEM_CHANNELS, Channels
from recommender.ranking.scorer import OneQueryScorer

# Most-watched franchises whose lists are counted.
HUB_QUERIES = 400
# Counting passes: each ranks with the shares counted so far, so the titles that take a penalised hub's
# place (the next most broadly similar ones) are counted too instead of becoming the new hubs.
HUB_PASSES = 3
# Places of each list counted.
HUB_DEPTH = 10
# Query x catalog cells the pass may score: fewer queries for larger catalogs (1,000 at 20,000 titles).
HUB_BUDGET = 20_000_000
# Below this many queries the shares are too coarse to act on: no hub channel (all zero).
MIN_HUB_QUERIES = 100


def hub_queries(channels: Channels, franchise: np.ndarray) -> np.ndarray:
    """The most-watched title of each franchise, most-watched franchises first, as many as the budget allows."""
    n = len(channels)
    wanted = min(HUB_QUERIES, HUB_BUDGET // max(n, 1))
    hours = channels.item_features[ITEM_CHANNELS.index("hours_viewed")]
    order = np.lexsort((np.arange(n), -hours))
    _, first = np.unique(franchise[order], return_index=True)
    heads = order[np.sort(first)][:wanted]
    return heads.astype(np.int64) if len(heads) >= MIN_HUB_QUERIES else np.zeros(0, dtype=np.int64)


def hub_shares(channels: Channels, weights: np.ndarray, franchise: np.ndarray) -> np.ndarray:
    """Per item, the share of the sampled queries' top-`HUB_DEPTH` lists (one per franchise) it appears in,
    summed over `HUB_PASSES` passes (one pass when the weights give hubs no weight).

    Leaves the shares it returns set on `channels`' hub channel only at the last pass's input: the caller
    sets the result (`Channels.set_hubs`)."""
    n = len(channels)
    queries = hub_queries(channels, franchise)
    counts = np.zeros(n, dtype=np.float64)
    if len(queries) == 0:
        return counts.astype(np.float32)
    hub = CHANNELS.index("hub")
    shares = np.zeros(n, dtype=np.float32)
    for _ in range(HUB_PASSES if weights[hub] else 1):
        channels.set_hubs(shares)
        shares = shares + _share_of_lists(OneQueryScorer(channels, weights), queries, franchise)
    return shares


def _share_of_lists(scorer: OneQueryScorer, queries: np.ndarray, franchise: np.ndarray) -> np.ndarray:
    """Per item, the share of the queries' top-`HUB_DEPTH` lists (one entry per franchise) its franchise is in."""
    counts = np.zeros(len(franchise), dtype=np.float64)
    pool = min(len(franchise), HUB_DEPTH * 4)
    for q in queries.tolist():
        scores = scorer.scores(q)
        scores[franchise == franchise[q]] = -np.inf
        top = np.argpartition(-scores, pool - 1)[:pool]
        top = top[np.lexsort((top, -scores[top]))]
        seen: set[int] = set()
        for r in top.tolist():
            if not np.isfinite(scores[r]) or franchise[r] in seen:
                continue
            seen.add(int(franchise[r]))
            counts[r] += 1
            if len(seen) == HUB_DEPTH:
                break
    # A franchise is one hub whichever season a list picked (Lucifer's seasons shared its slots).
    per_franchise = np.bincount(franchise, weights=counts)
    return (per_franchise[franchise] / len(queries)).astype(np.float32)
