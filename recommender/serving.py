"""Answer "what is similar to X" from an exported model version, in milliseconds.

Production shape (see README): no `model.predict` per request and no TensorFlow import. The ranking
is `recommender.ranking.Ranker`: a blend of similarity channels (the learned embedding, title
character and word TF-IDF, genres, description, people, era, acclaim, ...) precomputed at load time
as normalised dense/sparse matrices, so one query scores the full catalog in about a millisecond.
Everything here is synchronous and CPU-bound: async callers use `asyncio.to_thread`.
"""

from __future__ import annotations

import contextlib
import ctypes
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache, partial
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

from recommender.artifacts import TITLE_INDEX_FILE, ArtifactError, load_items, load_serving
from recommender.catalog import genre_set
from recommender.content_type import MOVIE
from recommender.derived import DERIVED_FILES
from recommender.index import AnnIndex, IndexMode, wants_index
from recommender.matching import CONFIDENT_SCORE, QueryError, TitleIndex, clean_query
from recommender.ranking.blend import BlendWeights
from recommender.ranking.channel_store import CHANNELS_FILE
from recommender.ranking.channels import NOT_GENRES
from recommender.ranking.correction import EmbeddingCorrection
from recommender.ranking.hubs import Hubs
from recommender.ranking.ranker import Ranker
from recommender.ranking.votes import VoteChannel, VoteSettings

__all__ = [
    "ArtifactError", "Item", "Match", "QueryError", "Recommendation", "RecommendationResult",
    "Recommender", "Resolution", "UnknownTitleError",
]
# Popularity re-ranking reorders this many best-ranked titles by hours viewed.
POPULARITY_POOL = 50
# With an ANN index, the blended ranking orders this many nearest titles (x4 while too few survive).
CANDIDATE_POOL = 400
MAX_CANDIDATE_POOL = 6400


@dataclass(frozen=True)
class Item:
    item_id: int
    title: str
    content_type: str
    language: str
    release_date: str | None
    release_year: int | None
    hours_viewed: int
    genres: str
    franchise_key: str
    maturity: str = "unknown"


@dataclass(frozen=True)
class Match:
    item: Item
    score: float


@dataclass(frozen=True)
class Resolution:
    """What a typed title resolved to. `note` explains a franchise-level or approximate answer
    ("Stranger Things — using Stranger Things 4 (most watched); ..."); `ambiguity_reason` says why
    the top candidates tie when no candidate is clearly ahead (then the answer is not confident).
    `alternatives` are the other works carrying exactly the typed name (the anime `One Piece` when
    the live-action one answered), most watched first: the did-you-mean of a confident answer; they
    also follow the answer in `candidates`."""

    query: str
    item: Item | None
    confidence: float
    candidates: list[Match]
    note: str | None = None
    ambiguity_reason: str | None = None
    alternatives: list[Match] = field(default_factory=list)

    @property
    def confident(self) -> bool:
        return self.item is not None and self.confidence >= CONFIDENT_SCORE and self.ambiguity_reason is None


@dataclass(frozen=True)
class Recommendation:
    item: Item
    rank: int
    score: float
    reason: str


@dataclass(frozen=True)
class RecommendationResult:
    query: Item
    items: list[Recommendation]
    model_version: str
    resolution: Resolution


class UnknownTitleError(QueryError):
    """No confident match: `resolution.candidates` holds the "did you mean" choices."""

    def __init__(self, message: str, resolution: Resolution) -> None:
        super().__init__(message)
        self.resolution = resolution


def _release_freed_memory() -> None:
    """Give memory that loading freed back to the system. glibc keeps freed heap memory for reuse by
    malloc only, so after a large load (gigabytes of temporaries at a million titles) the process
    would hold it for good, and Python's own object arenas, allocated separately, add to it. A no-op
    where the C library has no `malloc_trim`."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)


@lru_cache(maxsize=65_536)
def _kinds(genres: str) -> frozenset[str]:
    """A genres cell's kinds of title, without the where-tags (`NOT_GENRES`): read once per distinct cell, not
    twice per listed title."""
    return genre_set(genres) - NOT_GENRES


def _sorted_codes(column: pd.Series) -> tuple[list[str], np.ndarray]:
    """A column's distinct values, sorted, and each row's position among them (small integers)."""
    categorical = pd.Categorical(column)
    categorical = categorical.reorder_categories(sorted(categorical.categories))
    return list(categorical.categories), np.asarray(categorical.codes)


class _ItemColumns:
    """The item table's serving columns as arrays; `Item`s are built only for the rows a request
    returns (a million frozen dataclasses, built up front, cost about a gigabyte). A categorical
    column stays codes and its distinct values (a pointer per row is 8 MB at a million titles)."""

    def __init__(self, table: pd.DataFrame, maturity: np.ndarray, titles: Sequence[str], years: np.ndarray,
                 hours: np.ndarray) -> None:
        ids = table["item_id"].to_numpy()
        # Saved versions number items 0..n-1 in row order: the id is the row. Anything else gets a map.
        self._identity = bool(np.array_equal(ids, np.arange(len(ids))))
        self._ids = None if self._identity else ids
        self._count = len(ids)
        self._row_of_id = {} if self._identity else {int(i): row for row, i in enumerate(ids.tolist())}
        self._text: dict[str, tuple[Sequence[str] | np.ndarray, np.ndarray | None]] = {
            name: self._strings(table[name]) for name in ("content_type", "language", "release_date", "genres",
                                                          "franchise_key")}
        self._text["title"] = (titles, None)  # the title index's (a restored index keeps them as one buffer)
        self._years = years  # float, NaN unknown (the ranker's era channel holds the same array)
        self._hours = hours  # float64 (whole numbers: exact below 2**53)
        self._maturity = maturity

    @staticmethod
    def _strings(column: pd.Series) -> tuple[np.ndarray, np.ndarray | None]:
        """(values, None), or (distinct values, codes) of a categorical column."""
        if isinstance(column.dtype, pd.CategoricalDtype):
            return column.cat.categories.to_numpy(dtype=object), column.cat.codes.to_numpy()
        return column.to_numpy(dtype=object), None

    def __len__(self) -> int:
        return self._count

    def row_of(self, item_id: int) -> int | None:
        if self._identity:
            return item_id if 0 <= item_id < self._count else None
        return self._row_of_id.get(item_id)

    def id_of(self, row: int) -> int:
        return row if self._ids is None else int(self._ids[row])

    def text(self, name: str, row: int) -> str:
        values, codes = self._text[name]
        return str(values[row if codes is None else codes.item(row)])  # item(): a Python int, no numpy scalar

    def year(self, row: int) -> int | None:
        year = self._years.item(row)
        return None if year != year else int(year)  # NaN: unknown

    def item(self, row: int) -> Item:
        return Item(
            item_id=self.id_of(row),
            title=self.text("title", row),
            content_type=self.text("content_type", row),
            language=self.text("language", row),
            release_date=self.text("release_date", row) or None,
            release_year=self.year(row),
            hours_viewed=int(self._hours.item(row)),
            genres=self.text("genres", row),
            franchise_key=self.text("franchise_key", row),
            maturity=str(self._maturity.item(row)),
        )


class _TitleRows:
    """Exact title -> row without a dict of every title (about 150 MB at a million titles, for the few
    thousand titles anyone votes on): the titles' hashes sorted once (16 MB), and each hit checked
    against the stored title. Of equal titles the last row answers, as a dict built in row order would."""

    def __init__(self, titles: Sequence[str]) -> None:
        self._titles = titles
        hashes = np.fromiter((hash(title) for title in titles), dtype=np.int64, count=len(titles))
        self._order = np.argsort(hashes, kind="stable")
        self._hashes = hashes[self._order]

    def __len__(self) -> int:
        return len(self._titles)

    def get(self, title: str, default: int | None = None) -> int | None:
        key = hash(title)
        lo, hi = np.searchsorted(self._hashes, key, "left"), np.searchsorted(self._hashes, key, "right")
        rows = [int(row) for row in self._order[lo:hi] if self._titles[int(row)] == title]
        return max(rows) if rows else default


class Recommender:
    """A loaded model version: embeddings, item table and title index, all in memory.

    `text_channels`, `title_index`: as saved with the version (else built from `items`).
    `whole_table`: where the whole item table comes from when `items` holds only the columns serving
    reads (a compact load); see `items`.
    """

    def __init__(self, embeddings: np.ndarray, items: pd.DataFrame, metadata: dict, *,
                 weights: BlendWeights | None = None, family_safe: bool = False, ann: AnnIndex | None = None,
                 text_channels: dict[str, sparse.csr_matrix] | None = None, title_index: TitleIndex | None = None,
                 whole_table: Callable[[], pd.DataFrame] | None = None, hubs: Hubs | None = None) -> None:
        self.embeddings = embeddings
        _release_freed_memory()  # reading the item table's temporaries, before the channels' peak
        # Above a size, an ANN index proposes the titles the blend ranks (None: exact over all).
        self.ann = ann
        self._table: pd.DataFrame | None = items.reset_index(drop=True)
        self._whole_table = whole_table
        self.metadata = metadata
        self.version = str(metadata.get("version", "unversioned"))
        # Every list family-safe (a server setting, FAMILY_SAFE); kids/family queries always are.
        self.family_safe = family_safe
        self.ranker = Ranker(self._table, embeddings, weights, text=text_channels, hubs=hubs)
        _release_freed_memory()  # the channels' fitting temporaries, before the title index allocates
        self._hours = self._table["hours_viewed"].to_numpy(dtype=np.float64)
        # A compact load's table has no titles: the restored title index holds them.
        self.index = title_index or TitleIndex(self._table["title"].tolist(), self._hours)
        self._columns = _ItemColumns(self._table, self.ranker.maturity, self.index.titles, self.ranker.channels.year,
                                     self._hours)
        self._franchise = self.ranker.franchise_codes
        # Integer codes: a filter is one int comparison per item (object-string ones cost ~20 ms at 10^6).
        self.languages, self._language_code = _sorted_codes(self._table["language"])
        self.content_types, self._type_code = _sorted_codes(self._table["content_type"])
        films = (self._type_code == self.content_types.index(MOVIE) if MOVIE in self.content_types
                 else np.zeros(len(self._type_code), dtype=bool))
        self.index.describe_items(films, self._language_code, self.languages)
        self.vote_settings = VoteSettings.load()  # a loaded version's own fitted settings replace these
        self.vote_correction: EmbeddingCorrection | None = None  # fitted at retrain on the votes, if any
        if whole_table is not None:  # everything serving reads is in the arrays above; `items` reads the rest
            self._table = None
        _release_freed_memory()

    @property
    def items(self) -> pd.DataFrame:
        """The whole item table, row i = item i.

        A version loaded with its saved text channels holds only the columns serving reads (the free
        text is most of the table's memory: about a gigabyte at a million titles); the first access
        here reads the whole table from the version, once. The bot never makes it; offline tools
        (`evaluate`, the blend fit, the quality gate) do.
        """
        if self._table is None:
            assert self._whole_table is not None  # the table goes only when it can be read again
            self._table, self._whole_table = self._whole_table(), None
        return self._table

    @classmethod
    def load(cls, path: str | Path, *, family_safe: bool | None = None) -> Recommender:
        """Load a version directory, or the version a model root's `CURRENT` names (or, if that one is
        broken, the newest intact version: `metadata["serving_fallback"]` then says so).

        `family_safe=None` takes the `FAMILY_SAFE` setting (environment or `.env`).
        """
        from recommender.settings import RecommenderSettings

        settings = RecommenderSettings()
        if family_safe is None:
            family_safe = settings.family_safe
        # the saved text channels and title index, and the columns serving reads
        artifact = load_serving(Path(path), compact=True, derived=DERIVED_FILES)
        ann = artifact.index
        if settings.ann_index == IndexMode.OFF:
            ann = None
        elif ann is None and wants_index(len(artifact.embeddings), settings.ann_index, settings.ann_min_items):
            ann = AnnIndex.build(artifact.embeddings)  # a version saved without one (older, or a smaller setting)
        # With an index, its stored vectors are the embeddings (one copy of the matrix, not two); without
        # one, a plain copy, so that the unused index does not stay in memory behind its vectors.
        embeddings = ann.vectors if ann is not None else (
            np.array(artifact.embeddings) if artifact.index is not None else artifact.embeddings)
        artifact.embeddings, artifact.index = embeddings, ann  # let the loaded copies go
        text_channels, title_index = artifact.derived.get(CHANNELS_FILE), artifact.derived.get(TITLE_INDEX_FILE)
        whole = None if text_channels is None else partial(load_items, artifact.path)
        recommender = cls(embeddings, artifact.items, artifact.metadata, family_safe=family_safe, ann=ann,
                          weights=BlendWeights.for_model(artifact.path),  # its own fitted weights, else the package's
                          text_channels=text_channels, title_index=title_index,
                          whole_table=whole,
                          hubs=Hubs.load(artifact.path, len(embeddings)))  # counted for its weights at training
        recommender.vote_settings = VoteSettings.load(artifact.path)
        recommender.vote_correction = EmbeddingCorrection.load(artifact.path, len(recommender))
        return recommender

    def vote_channel(self, pairs: pd.DataFrame, member_votes: pd.DataFrame | None = None) -> VoteChannel:
        """The vote channel for this model's catalog from pair counts and, for the members' co-likes,
        each member's votes (`feedback.vote_stats`); the version's embedding correction, if it has one."""
        return VoteChannel(pairs, self._title_rows, self.vote_settings, member_votes, self.vote_correction,
                           self.ranker.channels.embeddings)

    @cached_property
    def _title_rows(self) -> _TitleRows:
        return _TitleRows(self.index.titles)

    def __len__(self) -> int:
        return len(self._columns)

    def item(self, item_id: int) -> Item:
        return self._item(self._row(item_id))

    def franchise_ids(self, item_ids: Collection[int]) -> frozenset[int]:
        """Every item id of the franchises `item_ids` belong to (unknown ids ignored): for a member
        who was shown `Lucifer: Season 5`, `Lucifer: Season 1` is no fresh title."""
        rows = [row for row in (self._columns.row_of(int(i)) for i in item_ids) if row is not None]
        if not rows:
            return frozenset()
        members = np.flatnonzero(np.isin(self._franchise, self._franchise[rows]))
        return frozenset(self._columns.id_of(row) for row in members.tolist())

    def _item(self, row: int) -> Item:
        return self._columns.item(row)

    def _row(self, item_id: int) -> int:
        try:
            row = self._columns.row_of(int(item_id))
        except (TypeError, ValueError, OverflowError):
            row = None
        if row is None:
            raise QueryError(f"No title has id {item_id}.")
        return row

    # -- title resolution ----------------------------------------------------------------------

    def resolve(self, query: str, *, language: str | None = None, content_type: str | None = None) -> Resolution:
        """The item a typed title means; the filters break ties (`Kingdom` + Korean is the K-drama)."""
        clean_query(query)
        outcome = self.index.resolve(query, self._preference(language, content_type))
        candidates = [Match(self._item(h.item_index), h.score) for h in outcome.hits]
        item = self._item(outcome.answer) if outcome.answer is not None else None
        by_row = {h.item_index: match for h, match in zip(outcome.hits, candidates, strict=True)}
        alternatives = [by_row.get(row) or Match(self._item(row), 100.0) for row in outcome.alternatives]
        return Resolution(query, item, outcome.confidence, candidates, outcome.note, outcome.ambiguity_reason,
                          alternatives)

    def _preference(self, language: str | None, content_type: str | None) -> np.ndarray | None:
        """Per item, how many of the user's filters it matches (None without filters)."""
        if not language and not content_type:
            return None
        preference = np.zeros(len(self), dtype=np.int8)
        if language:
            preference += self._language_code == self.languages.index(
                self.match_choice(language, self.languages, "language"))
        if content_type:
            preference += self._type_code == self.content_types.index(
                self.match_choice(content_type, self.content_types, "type"))
        return preference

    def autocomplete(self, prefix: str, limit: int = 25) -> list[Item]:
        """Titles for a partly typed name: franchises before their seasons, most watched first, then
        fuzzy matches."""
        limit = max(1, min(limit, 25))
        try:
            clean_query(prefix)
        except QueryError:
            rows = np.argsort(-self._hours, kind="stable")[:limit]
            return [self._item(r) for r in rows]
        return [self._item(r) for r in self.index.autocomplete(prefix, limit)]

    # -- recommendations -----------------------------------------------------------------------

    def _query_row(
        self, query: str | int, *, language: str | None = None, content_type: str | None = None,
    ) -> tuple[int, Resolution]:
        if isinstance(query, (int, np.integer)):
            row = self._row(int(query))
            item = self._item(row)
            return row, Resolution(str(query), item, 100.0, [Match(item, 100.0)])
        resolution = self.resolve(query, language=language, content_type=content_type)
        if not resolution.confident:
            if resolution.ambiguity_reason and resolution.candidates:
                names = ", ".join(f"`{c.item.title}`" for c in resolution.candidates[:3])
                message = f"`{query.strip()[:80]}` could mean several titles: {resolution.ambiguity_reason}. " \
                          f"Did you mean {names}?"
            elif resolution.candidates:
                names = ", ".join(f"`{c.item.title}`" for c in resolution.candidates[:3])
                message = f"No title matches `{query.strip()[:80]}` closely. Did you mean {names}?"
            else:
                message = f"No title resembles `{query.strip()[:80]}`. Check the spelling or try another title."
            raise UnknownTitleError(message, resolution)
        assert resolution.item is not None  # confident implies an item
        return self._row(resolution.item.item_id), resolution

    def recommend(
        self,
        query: str | int,
        k: int = 10,
        *,
        language: str | None = None,
        content_type: str | None = None,
        include_franchise: bool = False,
        by_popularity: bool = False,
        family_safe: bool | None = None,
        exclude_ids: Collection[int] = (),
        votes: VoteChannel | None = None,
        any_maturity: bool = False,
    ) -> RecommendationResult:
        """Top-k by the blended ranking, one entry per franchise unless `include_franchise`.

        `exclude_ids` are never listed (titles the member marked as seen; unknown ids are ignored).

        Kids and family queries (and every query when `family_safe`, default: the instance's
        setting) never get adult items, and get unknown-maturity items only after known-safe ones.
        `votes` (built for this model's catalog) re-orders the content shortlist by community votes.
        `any_maturity`: the member asked for titles of any maturity, so the maturity ceiling (a preschool
        query's preschool titles first, a step down for titles above the query's band) is off; the kids'
        safety rules are not.
        """
        if not 1 <= int(k) <= 100:
            raise QueryError("k must be between 1 and 100.")
        row, resolution = self._query_row(query, language=language, content_type=content_type)
        matched = self._preference(language, content_type)  # how many of the filters each item meets
        filters = bool(language) + bool(content_type)
        allowed = np.ones(len(self), dtype=bool) if matched is None else matched == filters
        excluded = [row for row in (self._columns.row_of(int(i)) for i in exclude_ids) if row is not None]
        if excluded:
            allowed[excluded] = False
        safe = self.family_safe if family_safe is None else family_safe
        chosen, scores = self._top_rows(row, k, allowed, fold=not include_franchise, by_popularity=by_popularity,
                                        family_safe=safe, votes=votes, maturity_ceiling=not any_maturity)
        query_item = resolution.item  # the query row's item (`_query_row`)
        assert query_item is not None
        recs = [
            Recommendation(self._item(r), rank, float(scores[r]), self._reason(row, r))
            for rank, r in enumerate(chosen, start=1)
        ]
        return RecommendationResult(query_item, recs, self.version, resolution)

    @staticmethod
    def match_choice(value: str, choices: list[str], what: str) -> str:
        """The catalog's spelling of a filter value typed in any case (`korean` -> `Korean`)."""
        for choice in choices:
            if choice.casefold() == value.strip().casefold():
                return choice
        raise QueryError(f"Unknown {what} `{value[:40]}`; choose one of {', '.join(choices)}.")

    def _top_rows(self, row: int, k: int, allowed: np.ndarray, *, fold: bool, by_popularity: bool,
                  family_safe: bool, votes: VoteChannel | None = None,
                  maturity_ceiling: bool = True) -> tuple[list[int], np.ndarray]:
        want = max(k, POPULARITY_POOL) if by_popularity else k
        chosen, scores = self._rank(row, want, allowed, fold=fold, family_safe=family_safe, votes=votes,
                                    maturity_ceiling=maturity_ceiling)
        if by_popularity:
            tiers = self.ranker.tiers(row, family_safe, maturity_ceiling)
            tier = tiers if tiers is not None else np.zeros(len(self), dtype=np.int64)
            chosen = sorted(chosen, key=lambda r: (tier[r], -self._hours[r]))
        return chosen[:k], scores

    def _rank(self, row: int, want: int, allowed: np.ndarray, *, fold: bool, family_safe: bool,
              votes: VoteChannel | None = None, maturity_ceiling: bool = True) -> tuple[list[int], np.ndarray]:
        """The blended ranking over the ANN shortlist (grown while folding and safety leave too few),
        or over the whole catalog without an index; never fewer titles than the exact path would give."""
        if self.ann is not None:
            pool = max(CANDIDATE_POOL, 8 * want)
            while pool <= MAX_CANDIDATE_POOL:
                shortlist = self.ann.search(self.embeddings[row], pool, allowed=allowed)
                chosen, scores = self.ranker.rank(row, want, allowed=allowed, fold=fold, family_safe=family_safe,
                                                  candidates=shortlist, votes=votes, maturity_ceiling=maturity_ceiling)
                if len(chosen) == want or len(shortlist) < pool:
                    return chosen, scores
                pool *= 4
        return self.ranker.rank(row, want, allowed=allowed, fold=fold, family_safe=family_safe, votes=votes,
                                maturity_ceiling=maturity_ceiling)

    def _reason(self, query_row: int, row: int) -> str:
        """A short, truthful why: shared genres, franchise, language, type and era."""
        parts = []
        genres = self._columns.text("genres", query_row), self._columns.text("genres", row)
        shared = sorted(_kinds(genres[0]) & _kinds(genres[1]))
        if shared:
            parts.append("shared genres: " + ", ".join(shared[:2]))
        if self._franchise.item(query_row) == self._franchise.item(row):
            parts.append("same franchise")
        same = []
        language = self._language_code.item(row)
        if self._language_code.item(query_row) == language:
            same.append(self.languages[language])
        content_type = self._type_code.item(row)
        if self._type_code.item(query_row) == content_type:
            same.append(self.content_types[content_type].lower())
        if same:
            parts.append("also " + " ".join(same))
        q_year, r_year = self._columns.year(query_row), self._columns.year(row)
        if q_year and r_year and abs(q_year - r_year) <= 2:
            parts.append(f"same era ({r_year})")
        return "; ".join(parts) or "similar title and profile"
