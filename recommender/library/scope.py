"""Rank "similar to X" among one server's titles only: its catalog titles plus its extra titles.

Why not a Ranker per server: building the channels (TF-IDF, hubs) for a subset costs seconds and
memory per server, and a library is at most 10,000 titles, so scoring its rows directly is cheap
(a few milliseconds): the catalog titles get the served blend itself (`Ranker.rank` over the
library's rows as candidates, so every safety, folding and vote rule of `/recommend` holds), and the
extra titles, which have no precomputed channels, get a score on the same scale: the channels they
do have (the learned embedding, shared genres, era, same type, language and maturity band) combined
by weights fitted, per query, on the library's catalog titles (least squares of the served blend on
those channels). So an extra title ranks where a catalog title with the same evidence would.

Maturity: a kids or family query (or a family-safe bot) never gets a library title of unknown
maturity, catalog or extra (a server's file rarely carries a certification, and a kids' list is the
worst place to guess); an unknown-maturity query never gets an adult one, as everywhere.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

import numpy as np

from recommender import titles as t
from recommender.catalog import genre_set
from recommender.content_type import SHOW
from recommender.library.extras import ExtraTitle
from recommender.ranking.channels import ERA_SCALE_YEARS, ERA_UNKNOWN
from recommender.ranking.votes import VoteChannel
from recommender.serving import (
    Item,
    Match,
    QueryError,
    Recommendation,
    RecommendationResult,
    Recommender,
    Resolution,
)

_TIER_GAP = 1e4
_SAFETY_TIER = {"kids": 0, "family": 0, "teen": 1, "unknown": 2, "adult": 3}
# Below this many library catalog titles, a fixed sample of the catalog joins the calibration fit.
MIN_FIT_ROWS = 50
FIT_SAMPLE = 2000
_FEATURES = ("bias", "embedding", "genres", "era", "same_type", "same_language", "same_maturity")


# Extra titles' ids: far above any catalog row, and within a 32-bit INTEGER column (requests store them).
EXTRA_ID_BASE = 2_000_000_000


def extra_id(position: int) -> int:
    """The id of a server's extra title (its position among the server's extra titles)."""
    return EXTRA_ID_BASE + position


@dataclass(frozen=True)
class ServerLibrary:
    """What a server has: catalog ids, and extra titles with their embeddings (rows in `extras` order)."""

    item_ids: frozenset[int]
    extras: tuple[ExtraTitle, ...] = ()
    embeddings: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))

    def __len__(self) -> int:
        return len(self.item_ids) + len(self.extras)


@dataclass(frozen=True)
class _Profile:
    """Per title, what the extras' channels compare: one array each (catalog rows then extras)."""

    vectors: np.ndarray
    genres: list[frozenset[str]]
    years: np.ndarray  # float, NaN unknown
    types: np.ndarray
    languages: np.ndarray
    bands: np.ndarray


class LibraryScope:
    """A server library compiled against one loaded model (build once per library and model version)."""

    def __init__(self, rec: Recommender, library: ServerLibrary) -> None:
        self.rec = rec
        self.library = library
        rows = [rec._columns.row_of(int(i)) for i in library.item_ids]
        rows_found = np.array(sorted({r for r in rows if r is not None}), dtype=np.int64)
        self.rows = self._with_seasons(rows_found)
        self.row_set = frozenset(self.rows.tolist())
        sample = np.random.default_rng(0).permutation(len(rec))[:FIT_SAMPLE]
        self._fit_rows = self.rows if len(self.rows) >= MIN_FIT_ROWS else np.union1d(self.rows, sample)
        self._catalog = self._catalog_profile(self._fit_rows)
        extras = library.extras
        self._extras = _Profile(
            vectors=library.embeddings if len(extras) else np.zeros((0, rec.embeddings.shape[1]), np.float32),
            genres=[genre_set(e.genres) for e in extras],
            years=np.array([np.nan if e.year is None else e.year for e in extras], dtype=np.float64),
            types=np.array([e.content_type for e in extras], dtype=object),
            languages=np.array([e.language for e in extras], dtype=object),
            bands=np.array([e.maturity for e in extras], dtype=object),
        )
        self._extra_tier = np.array([_SAFETY_TIER.get(e.maturity, 2) for e in extras], dtype=np.int64)
        self._extra_franchise = [t.franchise_key(e.title) for e in extras]
        self.extra_items = [
            Item(item_id=extra_id(i), title=e.title, content_type=e.content_type, language=e.language,
                 release_date=None, release_year=e.year, hours_viewed=0, genres=e.genres,
                 franchise_key=self._extra_franchise[i], maturity=e.maturity)
            for i, e in enumerate(extras)
        ]

    def _with_seasons(self, rows: np.ndarray) -> np.ndarray:
        """A show the server has, with every season the catalog lists of it (one entry per show in an export)."""
        rec = self.rec
        if not len(rows):
            return rows
        franchise = rec.ranker.franchise_codes
        if SHOW not in rec.content_types:
            return rows
        is_show = rec._type_code == rec.content_types.index(SHOW)
        shows = rows[is_show[rows]]
        if not len(shows):
            return rows
        same = np.isin(franchise, franchise[shows]) & is_show
        return np.union1d(rows, np.flatnonzero(same))

    def _catalog_profile(self, rows: np.ndarray) -> _Profile:
        rec = self.rec
        return _Profile(
            vectors=rec.embeddings[rows],
            genres=[genre_set(rec._columns.text("genres", int(r))) for r in rows],
            years=np.asarray(rec.ranker.channels.year, dtype=np.float64)[rows],
            types=np.array([rec.content_types[c] for c in rec._type_code[rows]], dtype=object),
            languages=np.array([rec.languages[c] for c in rec._language_code[rows]], dtype=object),
            bands=np.asarray(rec.ranker.maturity, dtype=object)[rows],
        )

    def has(self, item_id: int) -> bool:
        """Whether the server has this title (an extra title's negative id, or a catalog id)."""
        if item_id >= EXTRA_ID_BASE:
            return item_id - EXTRA_ID_BASE < len(self.extra_items)
        row = self.rec._columns.row_of(int(item_id))
        return row is not None and row in self.row_set

    def __len__(self) -> int:
        return len(self.rows) + len(self.extra_items)

    # -- ranking -----------------------------------------------------------------------------------

    def recommend(self, item_id: int, k: int, *, language: str | None = None, content_type: str | None = None,
                  include_franchise: bool = False, family_safe: bool | None = None,
                  exclude_ids: Collection[int] = (), votes: VoteChannel | None = None,
                  any_maturity: bool = False) -> RecommendationResult:
        """Top-k for a catalog title among this server's titles (see the module doc)."""
        if not 1 <= int(k) <= 100:
            raise QueryError("k must be between 1 and 100.")
        rec = self.rec
        row = rec._row(int(item_id))
        query = rec._item(row)
        safe = rec.family_safe if family_safe is None else family_safe
        safe_query = rec.ranker.is_safe_query(row, safe)
        fold = not include_franchise
        allowed = np.zeros(len(rec), dtype=bool)
        allowed[self.rows] = True
        preference = rec._preference(language, content_type)
        if preference is not None:
            allowed &= preference == bool(language) + bool(content_type)
        if safe_query:  # a library title of unknown maturity never reaches a kids' list
            allowed &= rec.ranker.safety_tier != 2
        for i in exclude_ids:
            excluded = rec._columns.row_of(int(i)) if int(i) < EXTRA_ID_BASE else None
            if excluded is not None:
                allowed[excluded] = False
        want = min(k + len(self.extra_items), 100)
        chosen, scores = rec.ranker.rank(row, want, allowed=allowed, fold=fold, family_safe=safe, votes=votes,
                                         candidates=self.rows, maturity_ceiling=not any_maturity)
        tiers = rec.ranker.tiers(row, safe, not any_maturity)
        entries: list[tuple[float, Item, float, str]] = [
            (float(scores[r]) - (_TIER_GAP * float(tiers[r]) if tiers is not None else 0.0), rec._item(r),
             float(scores[r]), rec._reason(row, r)) for r in chosen]
        entries += self._extra_entries(row, query, safe_query, rec.ranker.blocks_adult(row, safe), fold,
                                       language, content_type, set(exclude_ids))
        entries.sort(key=lambda e: (-e[0], e[1].item_id))
        resolution = Resolution(str(item_id), query, 100.0, [Match(query, 100.0)])
        return RecommendationResult(query, _first(entries, query, k, fold), rec.version, resolution)

    def with_extras(self, result: RecommendationResult, k: int, *, language: str | None = None,
                    content_type: str | None = None, family_safe: bool | None = None,
                    exclude_ids: Collection[int] = ()) -> RecommendationResult:
        """A whole-catalog list (`/recommend`, `from:all`) with this server's extra titles merged in where
        they rank: the catalog titles keep their order (a member's upvoted-first order, the explore slot),
        and each extra title goes before the first catalog title it outscores."""
        if not self.extra_items or not result.items:
            return result
        rec = self.rec
        row = rec._row(result.query.item_id)
        safe = rec.family_safe if family_safe is None else family_safe
        tiers = rec.ranker.tiers(row, safe)

        def key(item: Item, score: float) -> float:
            r = rec._columns.row_of(item.item_id)
            return score - (_TIER_GAP * float(tiers[r]) if tiers is not None and r is not None else 0.0)

        catalog = [(key(r.item, r.score), r.item, r.score, r.reason) for r in result.items]
        extras = sorted(self._extra_entries(row, result.query, rec.ranker.is_safe_query(row, safe),
                                            rec.ranker.blocks_adult(row, safe), True, language, content_type,
                                            set(exclude_ids)), key=lambda e: (-e[0], e[1].item_id))
        merged: list[tuple[float, Item, float, str]] = []
        while catalog or extras:
            take_extra = bool(extras) and (not catalog or extras[0][0] > catalog[0][0])
            merged.append((extras if take_extra else catalog).pop(0))
        return RecommendationResult(result.query, _first(merged, result.query, k, True), result.model_version,
                                    result.resolution)

    def _extra_entries(self, row: int, query: Item, safe_query: bool, blocks_adult: bool, fold: bool,
                       language: str | None, content_type: str | None,
                       excluded: set[int]) -> list[tuple[float, Item, float, str]]:
        if not self.extra_items:
            return []
        keep = np.ones(len(self.extra_items), dtype=bool)
        if safe_query:
            keep &= self._extra_tier < 2
        elif blocks_adult:
            keep &= self._extra_tier < 3
        if language:
            keep &= np.array([lang.casefold() == language.casefold() for lang in self._extras.languages], dtype=bool)
        if content_type:
            keep &= np.array([kind.casefold() == content_type.casefold() for kind in self._extras.types], dtype=bool)
        if fold:
            keep &= np.array([key != query.franchise_key for key in self._extra_franchise], dtype=bool)
        keep &= np.array([extra_id(i) not in excluded for i in range(len(keep))], dtype=bool)
        if not keep.any():
            return []
        scores = self.extra_scores(row)
        tier = self._extra_tier if safe_query else np.zeros(len(keep), dtype=np.int64)
        return [(float(scores[i]) - _TIER_GAP * float(tier[i]), self.extra_items[i], float(scores[i]),
                 shared_reason(query, self.extra_items[i])) for i in np.flatnonzero(keep)]

    def extra_scores(self, row: int) -> np.ndarray:
        """The extra titles' scores for a query row, on the served blend's scale (module doc)."""
        rec = self.rec
        query = self._catalog_profile(np.array([row]))
        served = rec.ranker.scores(row, self._fit_rows).astype(np.float64)
        # The served blend makes titles that fill many lists pay (`ranking.hubs`); a feature of its own, so the
        # fit does not spread that penalty over the channels the extras share. An extra title is no hub (0).
        channels = rec.ranker.channels
        hub = channels.hub_values[int(channels.hub_kind[row])].toarray().ravel()[self._fit_rows]
        fit = np.column_stack([_features(query, self._catalog), hub])
        fit_mask = self._fit_rows != row
        beta, *_ = np.linalg.lstsq(fit[fit_mask], served[fit_mask], rcond=None)
        return np.column_stack([_features(query, self._extras), np.zeros(len(self.extra_items))]) @ beta


def _first(entries: list[tuple[float, Item, float, str]], query: Item, k: int, fold: bool) -> list[Recommendation]:
    """The first k entries (in the given order), one per franchise when `fold`, ranked from 1."""
    picked: list[tuple[Item, float, str]] = []
    franchises = {query.franchise_key} if fold else set()
    for _, item, score, reason in entries:
        if fold and item.franchise_key in franchises:
            continue
        franchises.add(item.franchise_key)
        picked.append((item, score, reason))
        if len(picked) == k:
            break
    return [Recommendation(item, rank, score, reason) for rank, (item, score, reason) in enumerate(picked, 1)]


def _features(query: _Profile, profile: _Profile) -> np.ndarray:
    """(len(profile), len(_FEATURES)): the channels an extra title has, for each title against the query."""
    n = len(profile.genres)
    out = np.zeros((n, len(_FEATURES)), dtype=np.float64)
    out[:, 0] = 1.0
    if n == 0:
        return out
    out[:, 1] = profile.vectors @ query.vectors[0]
    mine = query.genres[0]
    out[:, 2] = [len(mine & g) / len(mine | g) if mine and g else 0.0 for g in profile.genres]
    gap = np.abs(profile.years - query.years[0])
    out[:, 3] = np.where(np.isnan(gap), ERA_UNKNOWN, np.exp(-np.nan_to_num(gap) / ERA_SCALE_YEARS))
    out[:, 4] = profile.types == query.types[0]
    out[:, 5] = profile.languages == query.languages[0]
    out[:, 6] = (profile.bands == query.bands[0]) & (profile.bands != "unknown")
    return out


def shared_reason(query: Item, item: Item) -> str:
    """A short, truthful why for an extra title: what it shares with the query."""
    parts = []
    shared = sorted(genre_set(query.genres) & genre_set(item.genres))
    if shared:
        parts.append("shared genres: " + ", ".join(shared[:2]))
    same = [word for word, ours, theirs in ((query.language, query.language, item.language),
                                            (query.content_type.lower(), query.content_type, item.content_type))
            if ours == theirs]
    if same:
        parts.append("also " + " ".join(same))
    if query.release_year and item.release_year and abs(query.release_year - item.release_year) <= 2:
        parts.append(f"same era ({item.release_year})")
    return "; ".join(parts) or "similar profile"
