"""The one ranking users get: blended channel scores, maturity safety, one entry per franchise.

`Recommender.recommend`, the CLI, `evaluate` (the system named `model ...`) and the retrain gate all
call `Ranker.rank`, so what is measured is what users get.

Safety rule (kids' lists are the worst place to be wrong): when the query is kids or family (or
`family_safe` is on), adult items are never returned, and items of unknown maturity (or teen, for
kids and family-safe lists) come only after every known-safe candidate. A query whose own maturity
is unknown (no listing describes it: Peppa Pig, Blippi, Paw Patrol: The Movie) may be a children's
title, so it never gets adult items either. It is applied as tiers and exclusions on top of the
blended score, so no weight fitted on taste data can trade it away.

Maturity ceiling: those tiers already keep every list within one band of a kids or family query's band
(teen titles only after every kids/family one, adult never). Two finer rules sit on top: a preschool
query (TV-Y, TV-G, G) gets the other preschool titles before shows for older children (TV-Y7) and
family titles, and a TV-Y query (CoComelon) gets TV-Y titles before TV-G ones (TV-G also rates tween
sitcoms); the mirror of both, every other children's or family list (TV-G, TV-Y7, family, an unrated
children's franchise) gets TV-Y titles, made for the youngest, after its other known-safe ones; and, for
every query, a title of a band above the query's pays the
`maturity_above` channel's weight (a teen query's adult titles come only where they fit much better).
A member who asks for any maturity (`maturity_ceiling=False`) gets neither; the kids' safety rules hold
regardless.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd
from scipy import sparse

from recommender.maturity import childrens_franchise_queries, preschool_queries
from recommender.ranking.blend import BlendWeights
from recommender.ranking.channels import CHANNELS, Channels
from recommender.ranking.hubs import HUB_DEPTH, Hubs, count_hubs
from recommender.ranking.scorer import OneQueryScorer
from recommender.ranking.votes import VoteChannel

SAFE_QUERY_BANDS = frozenset({"kids", "family"})
# Certifications for the youngest viewers; the kids band also holds TV-Y7 (shows for older children).
PRESCHOOL_CERTIFICATIONS = frozenset({"TV-Y", "TV-G", "G"})
# Tier offsets: a lower tier always ranks below every item of a higher one (blend scores are far smaller).
_TIER_GAP = 1e4


class Ranker:
    """Precomputed channels + weights; `scores` for one query row over the whole catalog in ~1 ms."""

    def __init__(self, items: pd.DataFrame, embeddings: np.ndarray, weights: BlendWeights | None = None, *,
                 text: dict[str, sparse.csr_matrix] | None = None, hubs: Hubs | None = None) -> None:
        """`text`: the text channels saved with a model version (`channel_store`), else fitted from `items`.
        `hubs`: the hub counts saved with the version for `weights` (`ranking.hubs`), else counted here."""
        self.channels = Channels.build(items, embeddings, text)
        # Compact types: at a million titles every int64 column is 8 MB. A categorical column (a serving
        # load's) has its codes already: factorising its strings again cost ~40 MB of temporaries.
        franchise = items["franchise_key"]
        codes = (franchise.cat.codes if isinstance(franchise.dtype, pd.CategoricalDtype)
                 else pd.factorize(franchise.fillna("").astype(str))[0])
        self._franchise = np.asarray(codes, dtype=np.int32)
        # How often each title's list is asked for, for the hub count: its hours viewed.
        self._demand = pd.to_numeric(items["hours_viewed"], errors="coerce").fillna(0.0).to_numpy(np.float64) \
            if "hours_viewed" in items.columns else np.ones(len(items))
        self.maturity = self.channels.maturity
        band = self.maturity
        # 0 = known safe for children, 1 = teen, 2 = unknown, 3 = adult (never shown on safe lists)
        self.safety_tier = np.select(
            [np.isin(band, ["kids", "family"]), band == "teen", band == "unknown"], [0, 1, 2], default=3
        ).astype(np.int8)
        certification = _certifications(items)
        self.preschool = (band == "kids") & certification.isin(PRESCHOOL_CERTIFICATIONS).to_numpy()
        # Unrated preschool franchises (Peppa Pig) get a TV-Y query's list; they stay unknown in other lists.
        unrated_preschool = preschool_queries(pd.Series(band, dtype=object),
                                              pd.Series(np.asarray(franchise, dtype=object)))
        self._preschool_query = self.preschool | unrated_preschool
        self._youngest = (band == "kids") & (certification == "TV-Y").to_numpy()
        self._youngest_query = self._youngest | unrated_preschool
        # Unrated entries of an all-children's franchise (The Boss Baby film) get a kids' list, likewise.
        self._safe_query = (np.isin(band, list(SAFE_QUERY_BANDS)) | self._preschool_query
                            | childrens_franchise_queries(pd.Series(band, dtype=object),
                                                         pd.Series(np.asarray(franchise, dtype=object))))
        self.use_weights(weights or BlendWeights.load(), hubs)

    def __len__(self) -> int:
        return len(self._franchise)

    @property
    def franchise_codes(self) -> np.ndarray:
        """Per item, a number its franchise shares with no other franchise."""
        return self._franchise

    def use_weights(self, weights: BlendWeights, hubs: Hubs | None = None) -> None:
        """Rank with these weights from now on (the channels do not depend on them, so nothing is rebuilt:
        training fits a version's own weights on the ranker it has just loaded). The hubs depend on the rest
        of the blend: `hubs`, counted for these weights (a version's saved file), else counted again here."""
        self.weights = weights
        w = weights.vector()
        # Scaled so that a blended score stays in [-1, 1] (every channel is in [-1, 1]); order is unchanged.
        self._w = w / max(float(np.abs(w).sum()), 1e-12)
        self.__dict__.pop("_one_query", None)  # the cached one-query scorer holds the old weights
        if not self._w[CHANNELS.index("hub")]:
            hubs = Hubs.none(len(self))
        elif hubs is None or not hubs.counted_with(self._w):
            hubs = self._count_hubs()
        self.hubs = hubs
        self.channels.set_hubs(hubs)
        self.__dict__.pop("_one_query", None)

    def _count_hubs(self) -> Hubs:
        """The hubs of the lists as served with these weights (`ranking.hubs`); each pass ranks afresh."""
        def served(row: int) -> list[int]:
            return self.rank(row, HUB_DEPTH)[0]

        def set_hubs(hubs: Hubs) -> None:
            self.channels.set_hubs(hubs)
            self.__dict__.pop("_one_query", None)

        return count_hubs(self.channels, self._w, self._franchise, self._demand, self._safe_query, served, set_hubs)

    @cached_property
    def _one_query(self) -> OneQueryScorer:
        """Built on first full-catalog query: a shortlist-only (ANN) ranker never pays its memory."""
        return OneQueryScorer(self.channels, self._w)

    def scores(self, row: int, columns: np.ndarray | None = None) -> np.ndarray:
        """Blended score of every item (or of `columns`) for the query row (the per-request fast path)."""
        scores = self._one_query.scores(row)
        return scores if columns is None else scores[columns]

    def tiers(self, row: int, family_safe: bool = False, maturity_ceiling: bool = True) -> np.ndarray | None:
        """Per item, the tier the query's list ranks it in (lower first), or None when one tier holds all."""
        if not self.is_safe_query(row, family_safe):
            return None
        if not maturity_ceiling:
            return self.safety_tier
        if self._youngest_query[row]:
            return self._youngest_tiers
        return self._preschool_tiers if self._preschool_query[row] else self._older_tiers

    @cached_property
    def _youngest_tiers(self) -> np.ndarray:
        """A TV-Y query's tiers: other TV-Y titles, then TV-G/G, then older children's and family."""
        safe = self.safety_tier == 0
        return self.safety_tier + 0.25 * (safe & ~self._youngest) + 0.25 * (safe & ~self.preschool)

    @cached_property
    def _preschool_tiers(self) -> np.ndarray:
        """A TV-G/G query's tiers: other TV-G/G titles, then older children's and family, then TV-Y."""
        safe = self.safety_tier == 0
        return self.safety_tier + 0.5 * (safe & ~self.preschool) + 0.75 * (safe & self._youngest)

    @cached_property
    def _older_tiers(self) -> np.ndarray:
        """Every other safe list's tiers (TV-Y7, family, unrated children's franchises): TV-Y titles, made for
        the youngest, after the other known-safe ones (a Minions or Henry Danger fan is past CoComelon)."""
        return self.safety_tier + 0.75 * ((self.safety_tier == 0) & self._youngest)

    def without_ceiling(self, row: int, scores: np.ndarray, columns: np.ndarray | None = None) -> np.ndarray:
        """`scores` without the `maturity_above` step (a member who asked for any maturity)."""
        weight = float(self._w[CHANNELS.index("maturity_above")])
        if not weight:
            return scores
        above = self.channels.maturity_above(self.channels.maturity_code[[row]])[0]
        return scores - weight * (above if columns is None else above[columns])

    def is_safe_query(self, row: int, family_safe: bool = False) -> bool:
        return family_safe or bool(self._safe_query[row])

    def blocks_adult(self, row: int, family_safe: bool = False) -> bool:
        """Whether the query's list may never hold adult items: a safe query, or one of unknown maturity."""
        return self.is_safe_query(row, family_safe) or self.maturity[row] == "unknown"

    def never_shown(self, rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
        """(len(rows), len(columns)) True where the safety rule removes the item from the query's list.

        The blend is fitted with these cells excluded, so its weights are tuned for the lists users get
        (without it the fit spends weight on adult titles that unknown-maturity queries never see).
        """
        blocked = np.array([self.blocks_adult(int(r)) for r in np.atleast_1d(rows)], dtype=bool)
        return blocked[:, None] & (self.safety_tier[np.asarray(columns)] == 3)[None, :]

    def rank(
        self, row: int, k: int, *, allowed: np.ndarray | None = None, fold: bool = True, family_safe: bool = False,
        votes: VoteChannel | None = None,
        candidates: np.ndarray | None = None,
        maturity_ceiling: bool = True,
    ) -> tuple[list[int], np.ndarray]:
        """Top-k item rows for the query row and the blended scores they were ranked by.

        `allowed` (bool over items) removes items (filters, candidate sets); the query and, with
        `fold`, its whole franchise are always removed and at most one item per franchise is kept.
        `votes` (the community's vote channel, `ranking.votes`) adds its bounded re-ordering to the
        blended scores computed here, before the safety rules, which therefore still hold. Ties break
        by ascending row, so the same query always gives the same list. `candidates` (rows, e.g. an
        ANN shortlist) scores only those rows, the same rules applied among them. `maturity_ceiling=False`:
        the member asked for titles of any maturity (module doc).
        """
        if candidates is not None:
            return self._rank_candidates(row, np.asarray(candidates, dtype=np.int64), k, allowed, fold, family_safe,
                                         votes, maturity_ceiling)
        scores = self.scores(row).astype(np.float64)
        if not maturity_ceiling:
            scores = self.without_ceiling(row, scores)
        if votes is not None:
            scores += votes.scores(row, scores, allowed)
        return self._rank_scores(row, scores, k, allowed, fold, family_safe, maturity_ceiling)

    def _rank_candidates(
        self, row: int, rows: np.ndarray, k: int, allowed: np.ndarray | None, fold: bool, family_safe: bool,
        votes: VoteChannel | None = None, maturity_ceiling: bool = True,
    ) -> tuple[list[int], np.ndarray]:
        """`_rank_scores` restricted to `rows`: every step costs the shortlist's size, not the catalog's."""
        keep = rows != row
        if allowed is not None:
            keep &= allowed[rows]
        if fold:
            keep &= self._franchise[rows] != self._franchise[row]
        if self.is_safe_query(row, family_safe) or self.maturity[row] == "unknown":
            keep &= self.safety_tier[rows] < 3
        rows = rows[keep]
        scores = np.zeros(len(self), dtype=np.float64)  # calloc'd: untouched pages cost nothing
        scores[rows] = self.channels.blend(self._w, np.array([row]), rows)[0]
        if not maturity_ceiling:
            scores[rows] = self.without_ceiling(row, scores[rows], rows)
        if votes is not None:  # its shortlist is drawn from these rows only, like everything here
            kept = np.zeros(len(self), dtype=bool)
            kept[rows] = True
            scores[rows] += votes.scores(row, scores, kept)[rows]
        tiers = self.tiers(row, family_safe, maturity_ceiling)
        order_key = scores[rows] - (_TIER_GAP * tiers[rows] if tiers is not None else 0)
        return self._first_per_franchise(rows[np.lexsort((rows, -order_key))], k, fold), scores

    def _first_per_franchise(self, ordered: np.ndarray, k: int, fold: bool) -> list[int]:
        """The first k rows of `ordered`, keeping only the best of each franchise when `fold`."""
        chosen: list[int] = []
        seen: set[int] = set()
        for r, franchise in zip(ordered.tolist(), self._franchise[ordered].tolist(), strict=True):
            if fold and franchise in seen:
                continue
            seen.add(franchise)
            chosen.append(r)
            if len(chosen) == k:
                break
        return chosen

    def rank_many(
        self,
        rows: np.ndarray,
        k: int,
        *,
        allowed: np.ndarray | None = None,
        fold: bool = True,
        family_safe: bool = False,
        chunk: int = 64,
    ) -> list[list[int]]:
        """`rank` for many query rows, scoring them in blocks (evaluation, the gate, the safety test)."""
        out: list[list[int]] = []
        rows = np.asarray(rows, dtype=np.int64)
        for start in range(0, len(rows), chunk):
            block = rows[start : start + chunk]
            scores = self.channels.blend(self._w, block).astype(np.float64)
            out += [
                self._rank_scores(int(r), s, k, allowed, fold, family_safe)[0]
                for r, s in zip(block, scores, strict=False)
            ]
        return out

    def _rank_scores(
        self, row: int, scores: np.ndarray, k: int, allowed: np.ndarray | None, fold: bool, family_safe: bool,
        maturity_ceiling: bool = True,
    ) -> tuple[list[int], np.ndarray]:
        keep = np.ones(len(scores), dtype=bool) if allowed is None else allowed.copy()
        keep[row] = False
        if fold:
            keep &= self._franchise != self._franchise[row]
        if self.blocks_adult(row, family_safe):  # an unknown-maturity title may be a children's one
            keep &= self._not_adult
        tiers = self.tiers(row, family_safe, maturity_ceiling)
        order_key = scores if tiers is None else scores - _TIER_GAP * tiers
        pool = max(4 * k, k + 32)
        # A shortlist of the best kept rows, grown while folding leaves fewer than k franchises in it (a list of
        # Naruto seasons); the whole catalog's partition only where no shortlist can be drawn.
        while (shortlist := _best_rows(order_key, keep, pool)) is not None:
            chosen = self._first_per_franchise(shortlist[np.lexsort((shortlist, -order_key[shortlist]))], k, fold)
            if len(chosen) == k or len(shortlist) == np.count_nonzero(keep):
                return chosen, scores
            pool *= 4
        candidates = np.flatnonzero(keep)
        if len(candidates) == 0:
            return [], scores
        pool = min(len(candidates), max(4 * k, k + 32))
        chosen = []
        while True:
            part = (
                candidates[np.argpartition(-order_key[candidates], pool - 1)[:pool]]
                if pool < len(candidates)
                else candidates
            )
            part = part[np.lexsort((part, -order_key[part]))]
            chosen = self._first_per_franchise(part, k, fold)
            if len(chosen) == k or pool >= len(candidates):
                return chosen, scores
            pool = min(len(candidates), pool * 4)

    @cached_property
    def _not_adult(self) -> np.ndarray:
        return self.safety_tier < 3


# Rows per group in `_best_rows`: the groups' maxima are few enough to partition in microseconds.
_GROUP = 32
# At most this many rows removed from a list (its franchise, excluded titles): the bound is taken without masking them.
_FEW_REMOVED = 256


def _best_rows(key: np.ndarray, keep: np.ndarray, pool: int) -> np.ndarray | None:
    """Kept rows, in no order, whose `key` is at least some bound, so that they are the best kept rows and, on
    most queries, at least `pool` of them; None where that takes the caller's partition of the whole catalog.

    Why: `np.argpartition` over the whole catalog cost a quarter of a request. The rows are split into groups
    (row i in group i % groups): the `pool`-th largest of the groups' maxima is at most the `pool`-th largest
    key, so the rows at or above it hold the best `pool` and a few more. Where `keep` removes only a few rows
    (the query's franchise) they are left in for the bound and dropped after (masking them costs a whole pass);
    otherwise (adult titles, a filter), or when too few kept rows clear that bound, they are masked first. Sorted
    by key, the rows returned are the same prefix of the kept rows' order as sorting them all would give.
    """
    groups = len(key) // _GROUP
    if groups < pool:
        return None
    if np.count_nonzero(keep) >= len(keep) - _FEW_REMOVED:
        rows = _at_or_above(key, groups, pool)
        if rows is not None:
            rows = rows[keep[rows]]
            if len(rows) >= pool:
                return rows
    return _at_or_above(np.where(keep, key, -np.inf), groups, pool)


def _at_or_above(key: np.ndarray, groups: int, pool: int) -> np.ndarray | None:
    """The rows whose key is at least the `pool`-th largest of the groups' maxima (None if that is not finite)."""
    maxima = np.concatenate((key[:groups * _GROUP].reshape(_GROUP, groups).max(axis=0), key[groups * _GROUP:]))
    bound = np.partition(maxima, len(maxima) - pool)[len(maxima) - pool]
    return np.flatnonzero(key >= bound) if np.isfinite(bound) else None


def _certifications(items: pd.DataFrame) -> pd.Series:
    """Each item's certification (TV-Y, PG-13, ...): the `certification` column, else `rating`, upper case."""
    column = next((items[name] for name in ("certification", "rating") if name in items.columns), None)
    if column is None:
        return pd.Series([""] * len(items), index=items.index)
    return column.astype(str).str.strip().str.upper()
