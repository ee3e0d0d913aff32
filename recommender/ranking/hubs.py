"""Hubs: titles the served lists of one kind of query keep showing, counted once per version and weights.

Why: a few titles are close enough to everything of their kind that they fill every weak slot. The
embedding is no help in telling them apart: it is so anisotropic that a title's ten nearest neighbours
are at cosine 0.93-0.999 whatever the title (so CSLS, which subtracts each title's mean similarity to its
neighbours, moves nothing), and between titles this alike the popularity prior decides. One-Punch Man, the
most-watched anime with a listing, was in 8 of the judged set's 20 anime lists; with it penalised alone,
Beckham (a 2023 documentary, no listing) took its place in 8 lists of popular 2023 shows.

So hubness is measured the direct way, as in nearest-neighbour search: a title's k-occurrence, the number
of top-k lists it appears in. Two choices make the count match what members see:

- per kind of query (language, children's or not, show or film): an anime hub is a hub of anime lists,
  a preschool hub one of preschool lists; each kind counts the lists of its `HUB_KIND_QUERIES`
  most-watched franchises (small kinds share one row per type), served as the ranker serves them
  (safety tiers, one entry per franchise);
- each list weighs what it is asked for: its title's hours viewed. Over all franchises unweighted, the
  count is dominated by the long tail's lists (a title without a listing gets priors and era: The Dark
  Knight is in 4,438 of 5,846 English films' lists) and misses the hubs of the lists people open.

The `hub` channel is the log of the lists a title fills beyond a fair share, per query kind: with s the
demand-weighted share of its kind's Q lists that hold its franchise, `log(max(s Q, k) / k) / log(Q / k)`
(0 up to k lists' worth, 1 in every list), so the penalty grows with each doubling and never touches a
title that fills no more than its share. Its held, negative weight makes a hub pay. Further passes rank
with the penalty counted so far and each title keeps its largest share, so the titles that take a
penalised hub's place are counted too instead of becoming the next hubs.

Counted when a version is trained and saved beside it (`HUBS_FILE`; the pipeline writes it), never per
request; a ranker without a count made for its weights counts at load (about 10 s for the bundled catalog).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse

from recommender.ranking.channels import CHANNELS, ITEM_CHANNELS, Channels

HUBS_FILE = "hubs.npz"
# Places of each list counted (k of the k-occurrence): the five a member sees (the bot's default list, and the
# top-5 lists the judged set's hub limit is counted on). Counted over ten places, One-Punch Man stayed in 6 of
# the judged set's 100 top-5 lists; over five it is in 5, and the movie dev set's NDCG@10 rose by 0.0033
# [+0.0012, +0.0057] (docs/ranking-rules.md, "Hubs").
HUB_DEPTH = 5
# The share of a kind's lists a title may fill before it pays (the judged set's limit), and the largest share
# of a kind's demand one list may carry.
HUB_SHARE = 0.05
# Lists counted per kind: its most-watched franchises'.
HUB_KIND_QUERIES = 200
# A kind with fewer franchises is counted with the other small kinds of its type.
MIN_KIND_QUERIES = 50
# Query x catalog cells the count may score: fewer lists per kind for larger catalogs.
HUB_BUDGET = 400_000_000
# Below this many lists in all the counts are too coarse to act on: no hub channel (all zero).
MIN_HUB_QUERIES = 100
HUB_PASSES = 3
# The saved file's layout: bump when what the arrays mean changes (an older file is then counted again).
# 2: counted over `HUB_DEPTH` = 5 places (1: ten).
HUBS_LAYOUT = 2


@dataclass
class Hubs:
    """Per item its kind as a query (`kind`), and per kind the hub value of every item (`values`)."""

    kind: np.ndarray  # (n,) int16: the row of `values` a query of this item reads
    values: sparse.csr_matrix  # (kinds, n) float32 in [0, 1]; nonzero only for the titles that fill too many lists
    queries: int = 0  # lists counted
    weights: np.ndarray | None = None  # the (normalised) blend weights the lists were ranked with

    @classmethod
    def none(cls, n: int, weights: np.ndarray | None = None) -> Hubs:
        return cls(np.zeros(n, dtype=np.int16), sparse.csr_matrix((1, n), dtype=np.float32), 0,
                   None if weights is None else np.asarray(weights, dtype=np.float32).copy())

    def counted_with(self, weights: np.ndarray) -> bool:
        """Whether these counts were made with these weights: a saved count serves only its own weights."""
        return self.weights is not None and self.weights.shape == weights.shape and bool(
            np.allclose(self.weights, weights, rtol=1e-5, atol=1e-7))

    def save(self, directory: Path) -> Path:
        """`HUBS_FILE` in `directory` (numpy's own container, read without pickle)."""
        path = Path(directory) / HUBS_FILE
        weights = np.asarray(self.weights if self.weights is not None else [], dtype=np.float32)
        with path.open("wb") as handle:
            np.savez(handle, kind=self.kind, data=self.values.data, indices=self.values.indices,
                     indptr=self.values.indptr, shape=np.array(self.values.shape), queries=np.array([self.queries]),
                     weights=weights, layout=np.array([HUBS_LAYOUT]))
        return path

    @classmethod
    def load(cls, directory: Path, n: int) -> Hubs | None:
        """The count saved in `directory`; None when there is none, or it is another layout or catalog size
        (the ranker then counts again)."""
        path = Path(directory) / HUBS_FILE
        if not path.is_file():
            return None
        with np.load(path, allow_pickle=False) as saved:
            arrays = {name: saved[name] for name in saved.files}
        if "layout" not in arrays or arrays["layout"].tolist() != [HUBS_LAYOUT]:
            return None
        kind, shape = arrays["kind"], tuple(int(x) for x in arrays["shape"])
        if kind.shape != (n,) or len(shape) != 2 or shape[1] != n or int(kind.max(initial=0)) >= shape[0]:
            return None
        values = sparse.csr_matrix((arrays["data"].astype(np.float32), arrays["indices"], arrays["indptr"]),
                                   shape=shape)
        return cls(kind.astype(np.int16), values, int(arrays["queries"][0]),
                   arrays["weights"].astype(np.float32) if arrays["weights"].size else None)


def query_kinds(channels: Channels, safe: np.ndarray) -> np.ndarray:
    """Per item, its kind as a query: (language, a children's list or not, show or film) as one integer whose
    last bit is the type (small kinds share one row per type)."""
    return (channels.language.astype(np.int64) * 2 + safe.astype(np.int64)) * 2 + channels.show.astype(np.int64)


def hub_queries(channels: Channels, franchise: np.ndarray,
                safe: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(queries, each query's kind row, each item's kind row as a query).

    Per kind, the most-watched title of each of its most-watched franchises (`HUB_KIND_QUERIES`, fewer for a
    large catalog); kinds with fewer than `MIN_KIND_QUERIES` franchises are pooled into one row per type.
    No queries below `MIN_HUB_QUERIES` in all.
    """
    n = len(channels)
    hours = channels.item_features[ITEM_CHANNELS.index("hours_viewed")]
    order = np.lexsort((np.arange(n), -hours))
    _, first = np.unique(franchise[order], return_index=True)
    heads = order[np.sort(first)]  # each franchise's most-watched title, most-watched first
    raw = query_kinds(channels, safe)
    kinds, sizes = np.unique(raw[heads], return_counts=True)
    own = kinds[sizes >= MIN_KIND_QUERIES]
    item_kind = np.where(np.isin(raw, own), np.searchsorted(own, raw), len(own) + raw % 2)
    per_kind = min(HUB_KIND_QUERIES, HUB_BUDGET // max(n, 1) // (len(own) + 2))
    head_kind = item_kind[heads]
    place = np.zeros(len(heads), dtype=np.int64)  # each head's place within its kind, most-watched first
    for kind in np.unique(head_kind):
        members = np.flatnonzero(head_kind == kind)
        place[members] = np.arange(len(members))
    chosen = place < per_kind
    if chosen.sum() < MIN_HUB_QUERIES:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(n, dtype=np.int64)
    return heads[chosen].astype(np.int64), head_kind[chosen], item_kind


def count_hubs(channels: Channels, weights: np.ndarray, franchise: np.ndarray, demand: np.ndarray, safe: np.ndarray,
               served: Callable[[int], list[int]], set_hubs: Callable[[Hubs], None]) -> Hubs:
    """The hub values of every item for every query kind, under these (normalised) weights.

    `served(row)`: the query's list as served, with the hubs last given to `set_hubs`. `demand`: per item,
    how much its list is asked for (hours viewed). `safe`: per item, whether its list is a children's one.
    """
    n = len(channels)
    queries, query_kind, item_kind = hub_queries(channels, franchise, safe)
    if len(queries) == 0:
        return Hubs.none(n, weights)
    kinds = int(item_kind.max()) + 1
    asked = np.maximum(np.asarray(demand, dtype=np.float64)[queries], 0.0)
    # Per kind, each of its lists' share of the kind's demand, no list above `HUB_SHARE`.
    shares = [np.where(query_kind == kind, _capped(np.where(query_kind == kind, asked, 0.0)), 0.0)
              for kind in range(kinds)]
    # The share a title may fill for free: the limit, or twice a fair share in a small catalog (each of its
    # franchises in k of every franchise's lists), and never less than one list.
    fair = 2.0 * HUB_DEPTH / len(np.unique(franchise))
    floors = np.array([max(HUB_SHARE, fair, 1.0 / max(int((query_kind == kind).sum()), 1)) for kind in range(kinds)])
    kind = item_kind.astype(np.int16)
    set_hubs(Hubs(kind, sparse.csr_matrix((kinds, n), dtype=np.float32)))
    best = _shares(_lists(served, queries), shares, franchise)
    for _ in range(HUB_PASSES - 1 if weights[CHANNELS.index("hub")] else 0):
        set_hubs(Hubs(kind, _scaled(best, floors)))
        best = np.maximum(best, _shares(_lists(served, queries), shares, franchise))
    return Hubs(kind, _scaled(best, floors), len(queries), np.asarray(weights, dtype=np.float32).copy())


def _lists(served: Callable[[int], list[int]], queries: np.ndarray) -> np.ndarray:
    """(queries, HUB_DEPTH) the rows each query's list holds (-1 pads a short list)."""
    out = np.full((len(queries), HUB_DEPTH), -1, dtype=np.int64)
    for j, q in enumerate(queries.tolist()):
        chosen = served(q)[:HUB_DEPTH]
        out[j, :len(chosen)] = chosen
    return out


def _shares(lists: np.ndarray, shares: list[np.ndarray], franchise: np.ndarray) -> np.ndarray:
    """(kinds, n) per kind, the demand-weighted share of its lists that hold each item's franchise.

    Per franchise: a show is one hub whichever season a list picked (Breaking Bad's seasons took turns)."""
    filled = lists >= 0
    picked = franchise[lists[filled]]
    out = np.zeros((len(shares), len(franchise)), dtype=np.float64)
    for i, share in enumerate(shares):
        per_franchise = np.bincount(picked, weights=np.repeat(share, filled.sum(1)), minlength=int(franchise.max()) + 1)
        out[i] = per_franchise[franchise]
    return out


def _capped(demand: np.ndarray) -> np.ndarray:
    """Shares of `demand` (summing to 1) where no share exceeds `HUB_SHARE`: the largest are cut to one level
    (water-filling), so one list that half a kind's members open still counts as one list, not as half of them.
    Equal shares when nothing is known, or when there are too few lists for the limit."""
    members = demand > 0
    if not members.any() or members.sum() * HUB_SHARE <= 1.0:
        counted = demand >= 0 if not members.any() else members
        return np.where(counted, 1.0 / max(int(counted.sum()), 1), 0.0)
    low, high = 0.0, float(demand.max())
    for _ in range(60):  # the level c with c = HUB_SHARE * sum(min(demand, c))
        level = (low + high) / 2
        low, high = (level, high) if HUB_SHARE * np.minimum(demand, level).sum() >= level else (low, level)
    capped = np.minimum(demand, low)
    return capped / capped.sum()


def _scaled(shares: np.ndarray, floors: np.ndarray) -> sparse.csr_matrix:
    """Share of a kind's lists -> log of the share beyond its floor (`HUB_SHARE`): 0 up to it, 1 in every list."""
    floor = floors[:, None]
    values = np.log(np.maximum(shares, floor) / floor) / np.log(1.0 / np.minimum(floor, 0.5))
    return sparse.csr_matrix(values.astype(np.float32))
