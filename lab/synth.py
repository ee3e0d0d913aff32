"""A synthetic catalog (and listings) of any size, shaped like the bundled one, for scale benchmarks.

Why synthetic: no public catalog has a million titles, yet training, the ANN index and title
resolution must be measured at that size. A uniform random table would flatter every one of them
(no near-duplicate names, no franchises, no skew), so the generator copies the bundled catalog's
structure: franchises with seasons and numbered sequels, the real language shares, lognormal hours
(a few titles hold most viewing), title words drawn with their real frequencies, ` // ` original-
language aliases, release dates for about a third of rows; and, optionally, a listing file in the
bundled `netflix_titles.csv` format describing a share of the franchises (genres, certification,
cast, description), so the enrichment join runs too. Everything depends only on the seed.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from recommender import titles as t
from recommender.settings import bundled_catalog_path, bundled_enrichment_paths

CATALOG_HEADER = ("Title", "Available Globally?", "Release Date", "Hours Viewed", "Language Indicator", "Content Type")
LISTING_HEADER = ("show_id", "type", "title", "director", "cast", "country", "date_added", "release_year", "rating",
                  "duration", "listed_in", "description")
# Shares observed in the bundled catalog (rows per franchise, movie sequels, aliases, dates, global).
SHOW_FRANCHISE_SHARE = 0.25
MOVIE_SEQUEL_SHARE = 0.06
DATED_SHARE = 0.33
GLOBAL_SHARE = 0.31
ALIAS_SHARE = 0.6  # of non-English franchises
YEAR_SUFFIX_SHARE = 0.02
ENRICHED_SHARE = 0.45  # of franchises, when a listing file is asked for
_WORD = re.compile(r"[^\W\d_][\w'’&-]*", re.UNICODE)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class _Vocabulary:
    """What the bundled files say titles, languages and listings look like."""

    words: np.ndarray  # English title words, with their frequencies as sampling weights
    word_weights: np.ndarray
    title_lengths: np.ndarray  # words per base title, sampled as observed
    languages: np.ndarray
    language_weights: np.ndarray
    original_words: dict[str, np.ndarray]  # language -> words of its original-language titles
    genres: np.ndarray
    ratings: np.ndarray
    rating_weights: np.ndarray
    people: np.ndarray
    countries: np.ndarray
    description_words: np.ndarray


def _weights(counter: Counter[str]) -> tuple[np.ndarray, np.ndarray]:
    keys = sorted(counter)  # sorted: the same vocabulary order on every run, whatever the dict order
    counts = np.array([counter[k] for k in keys], dtype="float64")
    return np.array(keys, dtype=object), counts / counts.sum()


def _read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def load_vocabulary() -> _Vocabulary:
    """Word, language and listing distributions of the bundled files (read once, ~0.5 s)."""
    catalog = _read_rows(bundled_catalog_path())
    words: Counter[str] = Counter()
    lengths: list[int] = []
    languages: Counter[str] = Counter()
    original: dict[str, Counter[str]] = {}
    for row in catalog:
        english, alias = t.split_alias(row["Title"])
        base = _WORD.findall(t.base_title(english))
        if base:
            words.update(base)
            lengths.append(min(len(base), 6))
        language = row["Language Indicator"].strip() or "English"
        languages[language] += 1
        if alias:
            original.setdefault(language, Counter()).update(alias.split(":", 1)[0].split())
    listing = _read_rows(bundled_enrichment_paths()[0])
    genres: Counter[str] = Counter()
    ratings: Counter[str] = Counter()
    people: Counter[str] = Counter()
    countries: Counter[str] = Counter()
    description: Counter[str] = Counter()
    for row in listing:
        genres.update(g.strip() for g in row["listed_in"].split(",") if g.strip())
        if re.fullmatch(r"[A-Z0-9-]+", row["rating"]):
            ratings[row["rating"]] += 1
        people.update(p.strip() for p in row["cast"].split(",") if p.strip())
        countries.update(c.strip() for c in row["country"].split(",") if c.strip())
        description.update(_WORD.findall(row["description"]))
    word_keys, word_weights = _weights(words)
    language_keys, language_weights = _weights(languages)
    rating_keys, rating_weights = _weights(ratings)
    return _Vocabulary(
        words=word_keys, word_weights=word_weights, title_lengths=np.array(lengths),
        languages=language_keys, language_weights=language_weights,
        original_words={lang: np.array(sorted(c), dtype=object) for lang, c in sorted(original.items()) if len(c) >= 5},
        genres=np.array(sorted(genres), dtype=object), ratings=rating_keys, rating_weights=rating_weights,
        people=np.array(sorted(people), dtype=object), countries=np.array(sorted(countries), dtype=object),
        description_words=np.array(sorted(description), dtype=object),
    )


def indian_grouping(number: int) -> str:
    """`812100000` -> `81,21,00,000`, the digit grouping of the published report."""
    digits = str(number)
    if len(digits) <= 3:
        return digits
    head, tail = digits[:-3], digits[-3:]
    groups = [head[max(i - 2, 0):i] for i in range(len(head), 0, -2)][::-1]
    return ",".join([*groups, tail])


@dataclass(frozen=True)
class SynthSummary:
    """What was written, for the CLI's one-line answer."""

    items: int
    franchises: int
    listings: int


class _NameMaker:
    """Unique base titles: words sampled by real frequency, one more word on a collision."""

    def __init__(self, vocab: _Vocabulary, rng: np.random.Generator, count: int) -> None:
        self._vocab, self._rng = vocab, rng
        self._lengths = rng.choice(vocab.title_lengths, size=count)
        self._pool = rng.choice(vocab.words, size=count * 7, p=vocab.word_weights)
        self._cursor = 0
        self._seen: set[str] = set()

    def _word(self) -> str:
        if self._cursor >= len(self._pool):
            self._pool = self._rng.choice(self._vocab.words, size=len(self._pool), p=self._vocab.word_weights)
            self._cursor = 0
        self._cursor += 1
        return str(self._pool[self._cursor - 1])

    def make(self, index: int) -> str:
        parts = [self._word() for _ in range(int(self._lengths[index]))]
        name = " ".join(parts)
        # casefold, not titles.normalize: 3x faster, and a rare punctuation-only clash just merges two franchises.
        while name.casefold() in self._seen or parts[-1].casefold() in {"season", "part"}:
            parts.append(self._word())
            name = " ".join(parts)
        self._seen.add(name.casefold())
        return name


def generate(items: int, out: Path, *, seed: int = 0, enrich_out: Path | None = None) -> SynthSummary:
    """Write a catalog of exactly `items` rows to `out` (and listings to `enrich_out`); deterministic by seed."""
    if items < 1:
        raise ValueError("items must be at least 1")
    vocab = load_vocabulary()
    rng = np.random.default_rng(seed)
    # Franchise sizes: shows get geometric season counts, a few movies get sequels; stop at `items` rows.
    upper = items  # never more franchises than rows
    is_show = rng.random(upper) < SHOW_FRANCHISE_SHARE
    sizes = np.where(is_show, np.minimum(rng.geometric(0.45, upper), 15),
                     np.where(rng.random(upper) < MOVIE_SEQUEL_SHARE, rng.integers(2, 5, upper), 1))
    cumulative = np.cumsum(sizes)
    franchises = int(np.searchsorted(cumulative, items) + 1)
    sizes = sizes[:franchises].copy()
    sizes[-1] -= int(cumulative[franchises - 1] - items)
    is_show = is_show[:franchises]
    language = rng.choice(vocab.languages, size=franchises, p=vocab.language_weights)
    first_year = np.clip(2023 - np.floor(rng.exponential(7.0, franchises)), 1950, 2023).astype(int)
    # Popularity lognormal per franchise, later seasons a little less watched; rounded to 100,000s like the report.
    base_hours = rng.lognormal(mean=14.5, sigma=1.6, size=franchises)
    has_alias = rng.random(franchises) < ALIAS_SHARE
    year_suffix = rng.random(franchises) < YEAR_SUFFIX_SHARE
    names = _NameMaker(vocab, rng, franchises)
    base_names = [names.make(f) for f in range(franchises)]
    aliases = _aliases(vocab, rng, language, has_alias)

    # Per-row figures, vectorised: franchise, part number, year, hours, date.
    franchise_of = np.repeat(np.arange(franchises), sizes)
    part = np.arange(items) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    show_row = is_show[franchise_of]
    year = first_year[franchise_of] + np.where(show_row, part, 2 * part)
    hours = np.round(base_hours[franchise_of] * rng.lognormal(0.0, 0.4, size=items) * 0.8**part, -5)
    hours = np.maximum(hours, 100_000).astype("int64")
    dated = (rng.random(items) < DATED_SHARE) & (year <= 2023)
    days = (np.clip(year, 1970, 2023) - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    dates = np.where(dated, np.datetime_as_string(days + rng.integers(0, 365, size=items)), "")
    global_flag = np.where(rng.random(items) < GLOBAL_SHARE, "Yes", "No")
    type_name = np.where(show_row, "Show", "Movie")
    grouped: dict[int, str] = {}
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CATALOG_HEADER)
        for row in range(items):
            f, n = int(franchise_of[row]), int(part[row]) + 1
            name, alias = base_names[f], aliases[f]
            if show_row[row]:
                title = f"{name}: Season {n}" + (f"{t.ALIAS_SEPARATOR}{alias}: {n}" if alias else "")
            else:
                if year_suffix[f]:
                    name = f"{name} ({first_year[f]})"
                suffix = "" if n == 1 else f" {n}"
                title = f"{name}{suffix}" + (f"{t.ALIAS_SEPARATOR}{alias}{suffix}" if alias else "")
            count = int(hours[row])
            text = grouped.get(count) or grouped.setdefault(count, indian_grouping(count))
            writer.writerow((title, global_flag[row], dates[row], text, language[f], type_name[row]))
    listings = 0
    if enrich_out is not None:
        listings = _write_listings(enrich_out, vocab, rng, base_names, is_show, first_year, sizes)
    return SynthSummary(items=items, franchises=franchises, listings=listings)


def _aliases(vocab: _Vocabulary, rng: np.random.Generator, language: np.ndarray, has_alias: np.ndarray) -> list[str]:
    """An original-language title (words of that language's real aliases) for most non-English franchises."""
    picks = rng.integers(0, 1 << 30, size=(len(language), 3))
    lengths = rng.integers(1, 4, size=len(language))
    aliases = []
    for f, lang in enumerate(language):
        words = vocab.original_words.get(str(lang))
        if words is None or lang == "English" or not has_alias[f]:
            aliases.append("")
            continue
        aliases.append(" ".join(str(words[i % len(words)]) for i in picks[f, : lengths[f]]))
    return aliases


def _write_listings(out: Path, vocab: _Vocabulary, rng: np.random.Generator, names: list[str],
                    is_show: np.ndarray, first_year: np.ndarray, sizes: np.ndarray) -> int:
    """One listing per described franchise, in the Flixable `netflix_titles.csv` columns."""
    described = np.flatnonzero(rng.random(len(names)) < ENRICHED_SHARE)
    n = len(described)
    genre_picks = rng.choice(vocab.genres, size=(n, 3))
    genre_counts = rng.integers(1, 4, size=n)
    cast_picks = rng.choice(vocab.people, size=(n, 4))
    directors = rng.choice(vocab.people, size=n)
    countries = rng.choice(vocab.countries, size=n)
    ratings = rng.choice(vocab.ratings, size=n, p=vocab.rating_weights)
    words = rng.choice(vocab.description_words, size=(n, 16))
    minutes = rng.integers(75, 150, size=n)
    added_day = rng.integers(1, 29, size=n)
    added_month = rng.integers(0, 12, size=n)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(LISTING_HEADER)
        for i, f in enumerate(described):
            show = bool(is_show[f])
            seasons = int(sizes[f])
            writer.writerow((
                f"s{i + 1}", "TV Show" if show else "Movie", names[f], "" if show else directors[i],
                ", ".join(cast_picks[i]), countries[i],
                f"{added_day[i]}-{_MONTHS[added_month[i]]}-{min(int(first_year[f]) + 1, 2023) % 100:02d}",
                int(first_year[f]), ratings[i],
                (f"{seasons} Season{'s' if seasons > 1 else ''}" if show else f"{minutes[i]} min"),
                ", ".join(genre_picks[i, : genre_counts[i]]), " ".join(words[i]).capitalize() + ".",
            ))
    return n
