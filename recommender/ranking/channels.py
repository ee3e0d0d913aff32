"""Similarity channels: each one a separate, plain reason why two titles go together.

Why channels instead of one learned space: on real people's co-likes (MovieTweetings, see
`recommender/data/taste/`) the strongest signals are plain ones (title character n-grams, title
words, an acclaim prior, era, genre and description text) and the self-supervised encoder alone is
weaker than title TF-IDF. Each channel is cheap to compute for one query against the whole catalog
(sparse TF-IDF rows are L2-normalised at load time, so cosine = one sparse dot product), and a
handful of global weights (`recommender/ranking/blend.py`) combines them.

Every channel tolerates a missing column: an item table without enrichment gives zeros for the
text and acclaim channels, and the blend then rests on the others.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from typing import Protocol

import numpy as np
import pandas as pd
from scipy import sparse

from recommender import titles as t

# Channel names, in the order of the blend's weight vector (the JSON stores them by name).
PAIR_CHANNELS = (
    "embedding",
    "title_chars",
    "title_words",
    "genres",
    "description",
    "people",
    "country",
    "era",
    "era_acclaim",
    "same_language",
    "same_type",
    "same_maturity",
    "maturity_above",
    "tone",
)
ITEM_CHANNELS = ("hours_viewed", "imdb_votes", "imdb_score", "has_metadata")
# The hub channel depends on the query's kind only (`ranking.hubs`): one row of values per kind.
CHANNELS = PAIR_CHANNELS + ITEM_CHANNELS + ("hub",)
TEXT_CHANNELS = ("title_chars", "title_words", "genres", "description", "people", "country")
# Shared title words are evidence only when the two titles also agree on what they are: these channels
# are multiplied by `Channels.title_gate` (The Stranger is not like Stranger Things, Toy Story 2 is like Toy Story).
TITLE_CHANNELS = ("title_chars", "title_words")
# The channels whose agreement opens the title gate (a shared genre profile or shared people).
GATE_CHANNELS = ("genres", "people")
# The gate's value when either title has no genres: half weight. A shared word alone is weak evidence (You,
# Mother, Night, Boss Baby filled thin queries' lists with namesakes the judges scored 0), but sequels without
# a listing still share their names. On the judged set 1.0 -> 0.5 moved the mean 0.78 -> 0.84 for 0.003 of
# the movie dev set's NDCG@10, whose films now mostly have genres from the film listing (docs/ranking-rules.md).
GATE_UNKNOWN = 0.5
# The gate's value when the query itself has no genres (after borrowing its franchise's, below). Its own
# franchise is never in its list, so a shared word there names another work (A Man Called Otto: She's the Man,
# A Man Apart, Little Man). Chosen on the judged set (docs/ranking-rules.md, "Title words").
GATE_THIN = 0.25
# The gate where both titles have genres is their best agreement raised to this power: a shared word counts
# in full only between titles that agree on nearly everything (a sequel), and a single common word (Red Dragon
# for Red Notice, Night Drive for The Night Agent) between titles of loosely similar genres counts little. Chosen
# by 5-fold CV over the movie dev set's queries among {1, 1.5, 2, 3, 4}; the judged set cannot tell them apart
# (docs/ranking-rules.md, "A number is not a title word").
TITLE_GATE_POWER = 3.0
# The listing fields a query no listing describes borrows from its franchise's best-described entry
# (`franchise_describers`): The Last Kingdom film reads the series' genres, description and people.
DESCRIBED_CHANNELS = tuple(name for name in TEXT_CHANNELS if name not in TITLE_CHANNELS)
# Era and popularity ("what the same people watched the same years") lift a title only as far as it is of the
# query's kind: these channels are multiplied by `Channels.kind_agreement`, `KIND_FLOOR + (1 - KIND_FLOOR) *
# genre cosine` where both titles have genres, `KIND_UNKNOWN` where the candidate has none (a query without
# genres, even borrowed, keeps them whole). A crime show gets no lift from a popular 2023 baking show. Pairs of two
# films are left out: the movie co-likes measure that era and popularity carry across genres there (a floor of
# 0.9 between films cost the dev set's NDCG@10 0.097 -> 0.092). Chosen by 5-fold CV over the judged set's queries
# (docs/ranking-rules.md, "Era and popularity among titles of one kind").
KIND_FLOOR = 0.25
KIND_UNKNOWN = 0.75
KIND_CHANNELS = ("era", "era_acclaim", "hours_viewed", "imdb_votes")

# Genres that say whom a title is for and how it feels, where the genre cosine only says how much two genre
# lists overlap: We Have a Ghost (family, comedy, horror, fantasy) had Paranormal Activity and The Conjuring
# in its list, sharing `horror` and `fantasy`, and Chupa (family) sat next to horror films. The `tone`
# channel adds, per genre of `TONE_FILE`, a penalty when the query has it and the candidate does not
# ("missing") and one when the candidate has it and the query does not ("extra"), both titles with genres
# (the query's own or borrowed). Fitted on the judged set's lists of every kind with the movie dev set as the
# check (`scripts/fit_tone.py`; docs/ranking-rules.md, "Tone"); held at weight 1 in the blend, so the file's
# values are in blend units.
TONE_FILE = "tone_penalties.json"


def load_tone_penalties(text: str) -> dict[str, tuple[float, float]]:
    """genre -> (missing, extra) penalties from their JSON (`{"penalties": {genre: {"missing": x, "extra": y}}}`),
    checked: at most 8 genres (the codes are one byte), values <= 0 (a penalty, never a lift)."""
    penalties = {str(genre): (float(v.get("missing", 0.0)), float(v.get("extra", 0.0)))
                 for genre, v in json.loads(text)["penalties"].items()}
    if len(penalties) > 8:
        raise ValueError("tone penalties name more than 8 genres")
    if any(value > 0 for pair in penalties.values() for value in pair):
        raise ValueError("tone penalties must be <= 0")
    return penalties


TONE_PENALTIES = load_tone_penalties(resources.files("recommender.ranking").joinpath(TONE_FILE).read_text("utf-8"))


def tone_table(penalties: dict[str, tuple[float, float]]) -> np.ndarray:
    """(2^g, 2^g) float32: the tone value between a query's and a candidate's genre bits (bit i: the i-th genre)."""
    size = 1 << len(penalties)
    bits = (np.arange(size)[:, None] >> np.arange(len(penalties))[None, :]) & 1  # (codes, genres)
    missing = np.array([m for m, _ in penalties.values()], dtype=np.float64)
    extra = np.array([e for _, e in penalties.values()], dtype=np.float64)
    query, candidate = bits[:, None, :], bits[None, :, :]
    return ((query & (1 - candidate)) @ missing + ((1 - query) & candidate) @ extra).astype(np.float32)

# The movie co-likes the weights are fitted on hold films only, and reward what people watch the same year;
# fans judging lists (the judged set) reward what kind of title it is. A query's channels are multiplied by
# its kind's factors (absent: 1). The scorer applies them by term, so channels that share a term (era and
# era_acclaim; the two title channels) share one. A show query's factors are fitted on the judged set
# (`show_query_factors.json`, written by `scripts/fit_query_factors.py`: a pairwise logistic fit over the
# judged candidates of the show queries, held near the hand-chosen factors it replaced by a ridge whose strength
# 5-fold cross-validation over those queries chose; docs/ranking-rules.md, "Query factors"): embedding x2.25,
# era x0.28, title words x0.54, genres x4.12, people 0, same type and same language about x4, the priors about 1,
# a small step from the hand factors, which were already near the judged set's optimum. Film queries keep the
# factors below: the movie dev set measures them.
SHOW_FACTORS_FILE = "show_query_factors.json"


def load_query_factors(text: str) -> dict[str, float]:
    """A query kind's factors from their JSON (`{"factors": {channel: factor}, ...}`), checked: known channels,
    factors >= 0, and one factor for the channels the scorer sums into one term."""
    factors = {str(name): float(value) for name, value in json.loads(text)["factors"].items()}
    unknown = sorted(set(factors) - set(CHANNELS))
    if unknown:
        raise ValueError(f"query factors name unknown channels: {', '.join(unknown)}")
    if any(value < 0 for value in factors.values()):
        raise ValueError("query factors must be >= 0 (a factor scales a channel's fitted weight)")
    for shared in (("era", "era_acclaim"), TITLE_CHANNELS):
        if len({factors.get(name, 1.0) for name in shared}) != 1:
            raise ValueError(f"channels {', '.join(shared)} share a term and need one factor")
    return factors


SHOW_QUERY_FACTORS = load_query_factors(
    resources.files("recommender.ranking").joinpath(SHOW_FACTORS_FILE).read_text("utf-8"))
# A film query's hub penalty is halved: the co-likes reward the films everyone watched (at full weight the hub
# count cost the movie dev set 0.0057 NDCG@10, paired interval [-0.0093, -0.0024]; halved, -0.0011
# [-0.0032, +0.0011]), while the judged lists' hubs are shows (docs/ranking-rules.md, "Hubs").
FILM_QUERY_FACTORS = {"genres": 2.0, "hub": 0.5}
# A query no listing describes (no genres, description or people: `Channels.thin`) has only its name, year,
# language and type to go by, and its list is the popular titles of its year. The hub count penalises its
# most popular same-language peers, and other languages' popular titles took their place. Its language is the
# known field that says most (a Korean romance's fans want Korean dramas), so it weighs six times as much;
# the factors of the query's type apply otherwise. On the judged set (docs/ranking-rules.md, "Query factors")
# the 14 such lists scored 0.88 of 2 before the hub count, 0.49 with it, 0.85 with it and this factor; the
# movie dev set holds none of them.
THIN_QUERY_FACTORS = {"same_language": 6.0}
# The factors of each query kind, indexed by `Channels.query_kind`: film, show, and each of them thin.
KIND_FACTORS = (FILM_QUERY_FACTORS, SHOW_QUERY_FACTORS, {**FILM_QUERY_FACTORS, **THIN_QUERY_FACTORS},
                {**SHOW_QUERY_FACTORS, **THIN_QUERY_FACTORS})
SHOW = "Show"

MATURITY_BANDS = ("kids", "family", "teen", "adult", "unknown")
# Years apart at which the era channel has fallen to 1/e. A plateau of "same era" up to 3 years apart was
# measured and not kept: with the film listing's years, the title gate and the hub penalty, 61% of the judged
# set's dated picks are within a year of the query (86% before), the plateau took that to 45% without moving
# the judged mean (0.78 vs 0.79) and cost the movie dev set 0.009 NDCG@10 (docs/ranking-rules.md).
ERA_SCALE_YEARS = 8.0
# The era channel's value when either year is unknown (49% of the taste candidates): the mean proximity of
# two catalog films with known years (0.51), not 0. Zero said "decades apart" and ranked every film
# without a listing below all dated ones. Computed from the catalog, not fitted: on the taste dev set the
# served 5-fold CV NDCG@10 (4 fold splits, one search each) went 0.0699 -> 0.0724 (docs/evaluation.md).
ERA_UNKNOWN = 0.5
_RATING_BANDS = {
    "TV-Y": "kids",
    "TV-Y7": "kids",
    "TV-Y7-FV": "kids",
    "G": "family",
    "TV-G": "family",
    "PG": "family",
    "TV-PG": "family",
    "PG-13": "teen",
    "TV-14": "teen",
    "R": "adult",
    "NC-17": "adult",
    "TV-MA": "adult",
}


def maturity_band(certification: object) -> str:
    """kids / family / teen / adult / unknown from a US certification (TV-Y ... TV-MA, G ... NC-17)."""
    return _RATING_BANDS.get(str(certification).strip().upper(), "unknown")


def _column(items: pd.DataFrame, name: str) -> pd.Series:
    """Text column as clean strings ('' when the column or the cell is missing)."""
    if name not in items.columns:
        return pd.Series([""] * len(items), index=items.index)
    return items[name].fillna("").astype(str).replace({"nan": "", "None": ""})


def _franchise_keys(items: pd.DataFrame) -> pd.Series:
    """The franchise column as strings ('' unknown); a serving load's is categorical, whose fillna needs care."""
    if "franchise_key" not in items.columns:
        return pd.Series([""] * len(items), index=items.index)
    return pd.Series(np.asarray(items["franchise_key"], dtype=object), index=items.index).fillna("").astype(str)


def _numeric(items: pd.DataFrame, name: str) -> np.ndarray:
    if name not in items.columns:
        return np.full(len(items), np.nan)
    return pd.to_numeric(items[name], errors="coerce").to_numpy(dtype=np.float64)


def _scaled_log(values: np.ndarray) -> np.ndarray:
    """log1p scaled to [0, 1] over the catalog; unknown = 0 (the has_metadata channel says which)."""
    logs = np.log1p(np.clip(np.nan_to_num(values, nan=0.0), 0.0, None))
    top = logs.max() if len(logs) else 0.0
    return (logs / top if top > 0 else logs).astype(np.float32)


def _scaled_sqrt(values: np.ndarray) -> np.ndarray:
    """sqrt scaled to [0, 1] over the catalog; unknown = 0.

    Why not log1p for IMDb votes: on the taste dev set (5-fold CV by query, fold seeds 0/1/2, overlap
    ceiling 0.25) sqrt scored 0.0756 / 0.0710 / 0.0730 against log1p's 0.0745 / 0.0685 / 0.0684, and the
    lists covered more of the catalog (0.28 vs 0.18): log1p flattens the gap between a film thousands
    rated and one millions did.
    """
    roots = np.sqrt(np.clip(np.nan_to_num(values, nan=0.0), 0.0, None))
    top = roots.max() if len(roots) else 0.0
    return (roots / top if top > 0 else roots).astype(np.float32)


def _split_list(text: str) -> list[str]:
    return [part.strip().casefold() for part in text.split(",") if part.strip()]


# Listing "genres" that say where a title is from, not what kind of title it is: the language and country
# channels already carry that. In the genres channel they made The Crown like Top Boy and Sex Education (all
# "british, international") and every Korean title like every other, and the genre cosine is what the title gate
# and the era/popularity agreement read. Without them (docs/ranking-rules.md, "Genres say what kind of title"):
# judged set NDCG@10 of the judged candidates 0.6295 -> 0.6332, movie dev set 0.0962 -> 0.0971 (saved channels
# refitted, same weights). Dropping "independent", "classic" and "cult" as well cost the dev set 0.0025.
NOT_GENRES = frozenset({"international", "european", "british", "korean", "spanish-language"})
TONE_TABLE = tone_table(TONE_PENALTIES)


def _genre_list(text: str) -> list[str]:
    return [genre for genre in _split_list(text) if genre not in NOT_GENRES]


def tone_codes(genres: pd.Series) -> np.ndarray:
    """(n,) uint8: per item, bit i set when its genres name the i-th genre of `TONE_PENALTIES`."""
    position = {genre: i for i, genre in enumerate(TONE_PENALTIES)}
    codes = [sum(1 << position[g] for g in set(_genre_list(text)) if g in position) for text in genres.tolist()]
    return np.asarray(codes, dtype=np.uint8)


def _tfidf(texts: Sequence[str], **options: object) -> sparse.csr_matrix:
    """Rows L2-normalised (cosine = dot product); an all-empty column gives an all-zero matrix."""
    from sklearn.feature_extraction.text import TfidfVectorizer  # fitting only: serving loads saved channels

    if not any(text.strip() for text in texts):
        return sparse.csr_matrix((len(texts), 1), dtype=np.float32)
    vectorizer = TfidfVectorizer(sublinear_tf=True, dtype=np.float32, **options)
    try:
        return sparse.csr_matrix(vectorizer.fit_transform(texts))
    except ValueError:  # every text only stop words
        return sparse.csr_matrix((len(texts), 1), dtype=np.float32)


# Posting entries above which a query's walk goes through scipy's compiled row gather and product.
# Below it scipy's fixed cost per call (about 0.06 ms) outweighs its speed; above it (a long title's
# character n-grams touch 40-150 thousand entries) it takes half the time of the numpy walk.
COMPILED_WALK = 12_000


def one_row_product(matrix: sparse.csr_matrix, postings: sparse.csr_matrix, row: int) -> np.ndarray:
    """Row `row` of matrix @ postings as a dense vector, walking the query terms' posting lists.

    The same product as scipy's, without its per-call index checks and conversions, which cost more
    than the arithmetic for one query (about 0.1 ms per channel) unless the walk is long (`COMPILED_WALK`).
    """
    lo, hi = matrix.indptr[row], matrix.indptr[row + 1]
    terms, weights = matrix.indices[lo:hi], matrix.data[lo:hi]
    starts = postings.indptr[terms]
    sizes = postings.indptr[terms + 1] - starts
    total = int(sizes.sum())
    if total == 0:
        return np.zeros(postings.shape[1], dtype=np.float32)
    if total > COMPILED_WALK:
        return np.asarray(weights @ postings[terms], dtype=np.float32).ravel()
    offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(sizes)[:-1])), sizes)
    index = np.arange(total) + offsets
    values = postings.data[index] * np.repeat(weights, sizes)
    return np.bincount(postings.indices[index], weights=values, minlength=postings.shape[1]).astype(np.float32)


def rows_product(matrix: sparse.csr_matrix, row: int, columns: np.ndarray) -> np.ndarray:
    """Dot products of row `row` with rows `columns` of the same matrix (a shortlist's text scores).

    Gathers the shortlist's own nonzeros and weighs them by the query's dense row: the cost follows
    the shortlist, not the catalog, and avoids scipy's per-call slicing overhead (~1 ms per channel).
    """
    lo, hi = matrix.indptr[row], matrix.indptr[row + 1]
    query = np.zeros(matrix.shape[1], dtype=np.float32)
    query[matrix.indices[lo:hi]] = matrix.data[lo:hi]
    starts = matrix.indptr[columns]
    sizes = matrix.indptr[columns + 1] - starts
    total = int(sizes.sum())
    if total == 0 or hi == lo:
        return np.zeros(len(columns), dtype=np.float32)
    offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(sizes)[:-1])), sizes)
    index = np.arange(total) + offsets
    values = matrix.data[index] * query[matrix.indices[index]]
    owner = np.repeat(np.arange(len(columns)), sizes)
    return np.bincount(owner, weights=values, minlength=len(columns)).astype(np.float32)


def _unit_rows(e: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (zero rows stay zero). Rows already unit length (a saved model's,
    within float32 rounding) are used as they are: no second copy of a large matrix."""
    norms = np.concatenate([np.linalg.norm(e[i:i + 65_536], axis=1) for i in range(0, len(e), 65_536)])
    if len(e) and np.all(np.abs(norms - 1.0) <= 1e-6):
        return e
    norms = norms[:, None]
    return np.divide(e, norms, out=np.zeros_like(e), where=norms > 0)


def maturity_of(items: pd.DataFrame) -> np.ndarray:
    """Each item's band: the catalog's `maturity` column, else derived from `certification`/`rating`."""
    if "maturity" in items.columns:
        # Cleaned once per distinct value: a new string per row cost ~60 MB at a million titles.
        codes, distinct = pd.factorize(items["maturity"].fillna("unknown").astype(str))
        bands = pd.Series(distinct, dtype=object).str.strip().str.lower()
        return np.where(bands.isin(MATURITY_BANDS), bands, "unknown").astype(object)[codes]
    for name in ("certification", "rating"):
        if name in items.columns:
            return np.array([maturity_band(c) for c in items[name].fillna("")], dtype=object)
    return np.full(len(items), "unknown", dtype=object)


# A title word holds a letter: a number alone ("2", "100", "1917") names a sequel, a season or a year, and two
# works sharing it are no more alike for that (The Expendables 2 and The Debt Collector 2 for Extraction 2, The 100
# for Physical: 100). Sequels of one work still share their names' words.
TITLE_WORD_PATTERN = r"(?u)\b\w*[^\W\d_]\w*\b"

# The item columns the text channels are fitted from (`fit_text`).
TEXT_SOURCE_COLUMNS = ("title", "genres", "description", "cast", "director", "country")


def fit_text(items: pd.DataFrame) -> dict[str, sparse.csr_matrix]:
    """The TF-IDF text channels of the catalog (`TEXT_CHANNELS`), rows L2-normalised.

    A function of its own because a saved model version stores its result (fitting takes minutes and
    about a gigabyte above the result at a million titles, so serving loads it instead).
    """
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS  # fitting only (65 MB of imports)

    # The work's name, both halves, without ": Season 6" / "(2018)": otherwise every sixth season
    # of every show would look alike.
    normalised = [t.normalize(f"{t.base_title(x)} {t.alias_key(x)}") for x in _column(items, "title")]
    people = (_column(items, "cast") + "," + _column(items, "director")).map(_split_list)
    return {
        "title_chars": _tfidf(normalised, analyzer="char_wb", ngram_range=(2, 4), min_df=2),
        "title_words": _tfidf(normalised, analyzer="word", token_pattern=TITLE_WORD_PATTERN),
        "genres": _tfidf(_column(items, "genres").tolist(), analyzer=_genre_list),
        "description": _tfidf(
            _column(items, "description").tolist(), stop_words=list(ENGLISH_STOP_WORDS), min_df=2, max_df=0.3
        ),
        "people": _tfidf([",".join(p) for p in people], analyzer=_split_list, min_df=2),
        "country": _tfidf(_column(items, "country").tolist(), analyzer=_split_list),
    }


def franchise_describers(franchise: pd.Series, text: dict[str, sparse.csr_matrix],
                         hours: np.ndarray) -> np.ndarray:
    """Per item, the row whose listing fields describe it as a query: itself, unless no listing describes it
    (no genres, description or people) and another entry of its franchise is described; then that franchise's
    best-described entry (most of those fields, then most watched, then first).

    Query side only, like the children's-franchise rule (`recommender.maturity`): The Last Kingdom film has no
    listing, the series has one, so the film's list is drawn from the series' genres, story and cast instead of
    the popular titles of its year. As a candidate the film stays as it is.
    """
    n = len(franchise)
    fields = np.zeros(n, dtype=np.int64)
    for name in ("genres", "description", "people"):
        if name in text:
            fields += np.diff(text[name].indptr) > 0
    rows = np.arange(n)
    keys = franchise.to_numpy(dtype=object)
    named = keys != ""
    if not (named & (fields == 0)).any():
        return rows
    order = np.lexsort((rows, -np.nan_to_num(hours, nan=0.0), -fields))
    codes = pd.factorize(keys)[0]
    best = np.full(codes.max() + 1, -1, dtype=np.int64)
    firsts, where = np.unique(codes[order], return_index=True)
    best[firsts] = order[where]
    best_fields = fields[best[codes]]
    return np.where(named & (fields == 0) & (best_fields > 0), best[codes], rows)


class HubValues(Protocol):
    """What `Channels.set_hubs` reads (`ranking.hubs.Hubs`)."""

    kind: np.ndarray
    values: sparse.csr_matrix


@dataclass
class Channels:
    """Per-item precomputed features; `pair_scores` gives every channel for query rows x all items."""

    embeddings: np.ndarray  # (n, d) float32, rows L2-normalised
    text: dict[str, sparse.csr_matrix]  # channel -> (n, vocab) L2-normalised TF-IDF rows
    year: np.ndarray  # float, nan unknown
    language: np.ndarray  # int codes
    content_type: np.ndarray  # int codes
    maturity: np.ndarray  # str bands
    item_features: np.ndarray  # (len(ITEM_CHANNELS), n) float32
    acclaim: np.ndarray  # percentile of IMDb votes among the catalog (0 unknown), float32
    maturity_code: np.ndarray  # index into MATURITY_BANDS
    show: np.ndarray  # bool: the item is a show (its list takes `SHOW_QUERY_FACTORS`, others `FILM_QUERY_FACTORS`)
    hub_kind: np.ndarray  # (n,) int: the row of `hub_values` a query of this item reads (`set_hubs`)
    hub_values: sparse.csr_matrix  # (kinds, n) float32: each item's hub value for each kind of query (`ranking.hubs`)
    describer: np.ndarray  # (n,) int: the row whose listing fields (`DESCRIBED_CHANNELS`) a query of this item reads
    tone_code: np.ndarray  # (n,) uint8: which of `TONE_PENALTIES`' genres the item's listing gives (bit i: i-th)

    @classmethod
    def build(cls, items: pd.DataFrame, embeddings: np.ndarray,
              text: dict[str, sparse.csr_matrix] | None = None) -> Channels:
        """`text`: the text channels fitted before (`fit_text`, saved with a model version), else fitted here."""
        items = items.reset_index(drop=True)
        text = fit_text(items) if text is None else text
        year = _numeric(items, "release_year")
        votes = _numeric(items, "imdb_votes")
        score = _numeric(items, "imdb_score")
        has_meta = (
            items["has_metadata"].fillna(False).astype(bool).to_numpy()
            if "has_metadata" in items.columns
            else (_column(items, "genres") != "").to_numpy() | (_column(items, "description") != "").to_numpy()
        )
        item_features = np.column_stack(
            [
                _scaled_log(_numeric(items, "hours_viewed")),
                _scaled_sqrt(votes),
                np.nan_to_num(score, nan=0.0) / 10.0,
                has_meta.astype(np.float32),
            ]
        ).T.astype(np.float32, order="C")
        e = _unit_rows(np.asarray(embeddings, dtype=np.float32))
        maturity = maturity_of(items)
        return cls(
            embeddings=e,
            text=text,
            year=year,
            language=pd.factorize(_column(items, "language"))[0],
            content_type=pd.factorize(_column(items, "content_type"))[0],
            maturity=maturity,
            item_features=item_features,
            acclaim=pd.Series(votes).rank(pct=True).fillna(0.0).to_numpy(dtype=np.float32),
            maturity_code=np.array([MATURITY_BANDS.index(b) for b in maturity], dtype=np.int8),
            show=(_column(items, "content_type") == SHOW).to_numpy(),
            hub_kind=np.zeros(len(items), dtype=np.int16),
            hub_values=sparse.csr_matrix((1, len(items)), dtype=np.float32),
            describer=franchise_describers(_franchise_keys(items), text, _numeric(items, "hours_viewed")),
            tone_code=tone_codes(_column(items, "genres")),
        )

    def __len__(self) -> int:
        return len(self.year)

    @cached_property
    def postings(self) -> dict[str, sparse.csr_matrix]:
        """channel -> (vocab, n): the transposed rows, for scoring one query against the whole catalog.
        Built on first use: a shortlist-only (ANN) ranker never needs this second copy of every matrix."""
        return {name: m.T.tocsr() for name, m in self.text.items()}

    @cached_property
    def has_genres(self) -> np.ndarray:
        """Per item, whether a listing gives it genres (the title gate can only judge those)."""
        genres = self.text.get("genres")
        return np.zeros(len(self), dtype=bool) if genres is None else np.diff(genres.indptr) > 0

    @cached_property
    def thin(self) -> np.ndarray:
        """Per item, whether no listing describes it: no genres, description or people."""
        described = np.zeros(len(self), dtype=bool)
        for name in ("genres", "description", "people"):
            if name in self.text:
                described |= np.diff(self.text[name].indptr) > 0
        return ~described

    def query_kind(self, rows: np.ndarray) -> np.ndarray:
        """Per query row, its index into `KIND_FACTORS`: 1 for a show, plus 2 when no listing describes it
        (nor, borrowed, its franchise)."""
        return self.show[rows].astype(np.int64) + 2 * self.thin[self.describer[rows]].astype(np.int64)

    def kind_agreement(self, rows: np.ndarray, columns: np.ndarray | None = None,
                       genres: np.ndarray | None = None) -> np.ndarray:
        """(len(rows), items) the factor of `KIND_CHANNELS` (see `KIND_FLOOR`): for a query with genres (its own or
        borrowed), `KIND_FLOOR + (1 - KIND_FLOOR) * genre cosine` where the candidate has genres too, unless both
        are films (1), and `KIND_UNKNOWN` where it has none; 1 for a query without genres. `genres`: that channel
        already computed."""
        rows = np.atleast_1d(np.asarray(rows, dtype=np.int64))
        cols = slice(None) if columns is None else np.asarray(columns, dtype=np.int64)
        if "genres" not in self.text:
            return np.ones((len(rows), len(self.year[cols])), dtype=np.float32)
        cosine = self.channel("genres", rows, columns) if genres is None else genres
        agreement = np.float32(KIND_FLOOR) + np.float32(1.0 - KIND_FLOOR) * np.clip(cosine, 0.0, 1.0)
        films = ~self.show[rows][:, None] & ~self.show[cols][None, :]
        candidate = np.where(self.has_genres[cols][None, :], np.where(films, np.float32(1.0), agreement),
                             np.float32(KIND_UNKNOWN))
        return np.where(self.has_genres[self.describer[rows]][:, None], candidate, np.float32(1.0)).astype(np.float32)

    def set_hubs(self, hubs: HubValues) -> None:
        """The hub channel: per query kind, each item's log k-occurrence among that kind's lists (`ranking.hubs`)."""
        self.hub_kind = np.asarray(hubs.kind, dtype=np.int16)
        self.hub_values = sparse.csr_matrix(hubs.values, dtype=np.float32)

    def title_gate(self, rows: np.ndarray, columns: np.ndarray | None = None,
                   agreement: dict[str, np.ndarray] | None = None) -> np.ndarray:
        """(len(rows), items) in [0, 1]: how far the two titles agree on what they are, beyond their names.

        The best of the genre and people cosines where both titles have genres, `GATE_THIN` where the query has
        none (its own or borrowed), `GATE_UNKNOWN` where the candidate has none. `agreement`: those channels'
        values already computed (the per-request scorer's).
        """
        rows = np.atleast_1d(np.asarray(rows, dtype=np.int64))
        cols = slice(None) if columns is None else np.asarray(columns, dtype=np.int64)
        values = [agreement[name] if agreement is not None else self.channel(name, rows, columns)
                  for name in GATE_CHANNELS if name in self.text]
        query_genres = self.has_genres[self.describer[rows]][:, None]  # none when no listing gives genres
        unknown = np.where(query_genres, np.float32(GATE_UNKNOWN), np.float32(GATE_THIN))
        if not values:
            return np.broadcast_to(unknown, (len(rows), len(self.year[cols]))).astype(np.float32)
        best = np.clip(np.maximum.reduce(values), 0.0, 1.0) ** np.float32(TITLE_GATE_POWER)
        known = query_genres & self.has_genres[cols][None, :]
        return np.where(known, best, unknown).astype(np.float32)

    def era_row(self, year: float, columns: np.ndarray | None = None, unknown: float = 0.0) -> np.ndarray:
        """Era proximity of every item (or of `columns`) to `year` (`unknown` where either year is), float32."""
        years = self.year if columns is None else self.year[columns]
        with np.errstate(invalid="ignore"):
            era = np.exp(-np.abs(year - years) / ERA_SCALE_YEARS)
        return np.nan_to_num(era, nan=unknown).astype(np.float32)

    def channel(self, name: str, rows: np.ndarray, columns: np.ndarray | None = None) -> np.ndarray:
        """(len(rows), items) float32 values of one channel; `columns=None` means the whole catalog.

        Text channels multiply the query rows by the transposed (posting-list) matrix, so the cost
        follows the postings of the query's terms, not the catalog's size.
        """
        rows = np.atleast_1d(np.asarray(rows, dtype=np.int64))
        cols = slice(None) if columns is None else np.asarray(columns, dtype=np.int64)  # no copy when serving
        if name == "embedding":
            if len(rows) == 1:
                # One query (serving): einsum stays on this thread; a threaded BLAS call for a
                # 1 x 64 x 19k product costs more in thread hand-offs than in arithmetic on a busy host.
                return np.einsum("ij,j->i", self.embeddings[cols], self.embeddings[rows[0]])[None, :]
            return self.embeddings[rows] @ self.embeddings[cols].T
        if name in TITLE_CHANNELS and name in self.text:
            return self._text_channel(name, rows, columns) * self.title_gate(rows, columns)
        if name in self.text:
            return self._text_channel(name, self.describer[rows] if name in DESCRIBED_CHANNELS else rows, columns)
        if name in KIND_CHANNELS and (KIND_FLOOR != 1.0 or KIND_UNKNOWN != 1.0):
            return self._plain_channel(name, rows, columns) * self.kind_agreement(rows, columns)
        return self._plain_channel(name, rows, columns)

    def _plain_channel(self, name: str, rows: np.ndarray, columns: np.ndarray | None = None) -> np.ndarray:
        """`channel` for the channels that are not text, before any agreement factor."""
        cols = slice(None) if columns is None else np.asarray(columns, dtype=np.int64)
        if name == "era":
            return np.stack([self.era_row(y, columns, ERA_UNKNOWN) for y in self.year[rows]])
        if name == "era_acclaim":
            # "Well-known titles of the same years", what co-likes are largely made of: both years known.
            return np.stack([self.era_row(y, columns) for y in self.year[rows]]) * self.acclaim[cols][None, :]
        if name == "same_language":
            return (self.language[rows][:, None] == self.language[cols][None, :]).astype(np.float32)
        if name == "same_type":
            return (self.content_type[rows][:, None] == self.content_type[cols][None, :]).astype(np.float32)
        if name == "same_maturity":
            qm, cm = self.maturity_code[rows][:, None], self.maturity_code[cols][None, :]
            return ((qm == cm) & (qm != MATURITY_BANDS.index("unknown"))).astype(np.float32)
        if name == "maturity_above":
            return self.maturity_above(self.maturity_code[rows])[:, cols]
        if name == "tone":
            return self.tone(rows, columns)
        if name == "hub":
            return self.hub_values[self.hub_kind[rows]][:, cols].toarray()  # a shortlist's columns only
        values = self.item_features[ITEM_CHANNELS.index(name), cols]
        return np.broadcast_to(values, (len(rows), len(values)))

    def _text_channel(self, name: str, rows: np.ndarray, columns: np.ndarray | None) -> np.ndarray:
        """A TF-IDF channel as fitted (cosines), before any gate."""
        cols = slice(None) if columns is None else np.asarray(columns, dtype=np.int64)
        if columns is not None and len(rows) == 1:  # a shortlist: its rows' dot products only
            return rows_product(self.text[name], int(rows[0]), np.asarray(columns, dtype=np.int64))[None, :]
        if len(rows) == 1:
            product = one_row_product(self.text[name], self.postings[name], int(rows[0]))[None, :]
        else:
            product = (self.text[name][rows] @ self.postings[name]).toarray()
        return product if columns is None else product[:, cols]

    def maturity_above(self, query_codes: np.ndarray) -> np.ndarray:
        """(len(query_codes), items) 1.0 where the item's band is above the query's, both known.

        A soft step, not a filter: a teen query may still get an adult title that fits it much better
        than anything else (the kids' rule in `Ranker` is the hard one).
        """
        unknown = MATURITY_BANDS.index("unknown")
        q = np.asarray(query_codes)[:, None]
        c = self.maturity_code[None, :]
        return ((c > q) & (c != unknown) & (q != unknown)).astype(np.float32)

    def tone(self, rows: np.ndarray, columns: np.ndarray | None = None) -> np.ndarray:
        """(len(rows), items) the `tone` channel: 0 unless both titles have genres (the query's own or borrowed)."""
        rows = np.atleast_1d(np.asarray(rows, dtype=np.int64))
        cols = slice(None) if columns is None else np.asarray(columns, dtype=np.int64)
        described = self.describer[rows]
        values = TONE_TABLE[self.tone_code[described]][:, self.tone_code[cols]]
        known = self.has_genres[described][:, None] & self.has_genres[cols][None, :]
        return np.where(known, values, np.float32(0.0)).astype(np.float32)

    def pair_scores(
        self, query_rows: np.ndarray, columns: np.ndarray | None = None, only: Sequence[int] | None = None
    ) -> np.ndarray:
        """(len(CHANNELS), queries, items) float32: every channel (or `only` these) for each query x item."""
        rows = np.atleast_1d(np.asarray(query_rows, dtype=np.int64))
        n_cols = len(self) if columns is None else len(columns)
        out = np.zeros((len(CHANNELS), len(rows), n_cols), dtype=np.float32)
        for index in range(len(CHANNELS)) if only is None else only:
            out[index] = self.channel(CHANNELS[index], rows, columns)
        return out

    def query_factors(self, rows: np.ndarray) -> np.ndarray:
        """(len(CHANNELS), len(rows)) float32: each channel's factor for each query row (`SHOW_QUERY_FACTORS`
        for a show, `FILM_QUERY_FACTORS` otherwise). The blend, the per-request scorer and the fit apply them."""
        rows = np.atleast_1d(np.asarray(rows, dtype=np.int64))
        table = np.array([[factors.get(name, 1.0) for factors in KIND_FACTORS] for name in CHANNELS], dtype=np.float32)
        return table[:, self.query_kind(rows)]

    def blend(self, weights: np.ndarray, rows: np.ndarray, columns: np.ndarray | None = None) -> np.ndarray:
        """(len(rows), items) weighted sum of the channels, one channel at a time (no 3-D array)."""
        rows = np.atleast_1d(np.asarray(rows, dtype=np.int64))
        total = np.zeros((len(rows), len(self) if columns is None else len(columns)), dtype=np.float32)
        factors = self.query_factors(rows)
        for index, (name, weight) in enumerate(zip(CHANNELS, weights, strict=False)):
            if weight != 0:
                total += (np.float32(weight) * factors[index])[:, None] * self.channel(name, rows, columns)
        return total
