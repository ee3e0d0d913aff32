"""Load and clean a Netflix "What We Watched"-style engagement report into a typed item table.

The published report is messy (see README, "Catalog format"): duplicated titles with different
hours, Indian digit grouping, three date formats across public copies, original-language titles
after ` // `, and seasons as separate rows. Everything downstream (features, serving, the bot)
relies on the invariants established here, so each cleaning decision is counted in a report
instead of happening silently.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from recommender import content_type, enrichment, franchise, languages, maturity
from recommender import titles as t
from recommender.tables import TEXT_COLUMNS, CatalogError, genre_set, read_table

__all__ = ["Catalog", "CatalogError", "CleaningReport", "genre_set", "load_catalog"]

# Canonical column -> accepted header spellings after `_header_key` normalisation.
_COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "title": ("title", "name", "show_title"),
    "available_globally": ("available_globally", "availableglobally", "available", "global"),
    "release_date": ("release_date", "releasedate", "released", "date"),
    "hours_viewed": ("hours_viewed", "hoursviewed", "hours", "views_hours"),
    "language": ("language_indicator", "languageindicator", "language", "lang"),
    "content_type": ("content_type", "contenttype", "type", "kind"),
}
DATE_FORMATS: dict[str, str] = {
    "ISO (YYYY-MM-DD)": "%Y-%m-%d",
    "DD-MM-YYYY": "%d-%m-%Y",
    "M/D/YYYY": "%m/%d/%Y",
    "D/M/YYYY": "%d/%m/%Y",
    "DD.MM.YYYY": "%d.%m.%Y",
}
# A column is "garbage" (and the file refused) when more than this share of its filled cells fail.
MAX_UNPARSEABLE_SHARE = 0.05
_YES = {"yes", "y", "true", "1", "t"}
_NO = {"no", "n", "false", "0", "f", ""}
_NUMBER_SEPARATORS = re.compile(r"[,\s_'’]")
_SAMPLE = 5


@dataclass
class CleaningReport:
    """What cleaning did to the file; printed by the CLI and stored with every trained model."""

    source: str
    rows_read: int = 0
    rows_dropped_no_title: int = 0
    duplicate_rows_merged: int = 0
    merged_examples: list[str] = field(default_factory=list)
    items: int = 0
    date_format: str | None = None
    missing_columns: list[str] = field(default_factory=list)
    unparseable: dict[str, int] = field(default_factory=dict)
    unparseable_samples: dict[str, list[str]] = field(default_factory=dict)
    suspicious_titles: list[str] = field(default_factory=list)
    year_sources: dict[str, int] = field(default_factory=dict)
    items_without_year: int = 0
    enrichment_source: str | None = None  # the listing files joined, `; `-separated
    enriched: int = 0  # items that any listing describes
    enriched_by_source: dict[str, int] = field(default_factory=dict)  # items each listing matched
    # listing -> {"items": matched, "years": years it alone supplied, "genres": items it first gave genres}
    added_by_source: dict[str, dict[str, int]] = field(default_factory=dict)
    type_corrections: dict[str, int] = field(default_factory=dict)  # reason -> items whose type changed
    type_correction_examples: list[str] = field(default_factory=list)
    maturity: dict[str, int] = field(default_factory=dict)  # band -> items
    maturity_inherited: int = 0  # unknown bands filled from another entry of the same franchise
    franchise_folds: int = 0  # titles whose franchise key was folded into another franchise's
    franchises_joined: int = 0  # titles' own work keys merged into another franchise
    franchise_fold_examples: list[str] = field(default_factory=list)
    # What -> {"items": share of items, "hours": share of hours viewed} that have it.
    coverage: dict[str, dict[str, float]] = field(default_factory=dict)
    # "label -> corrected by evidence" -> items whose report language was overruled (`languages`)
    language_corrections: dict[str, int] = field(default_factory=dict)
    language_correction_examples: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """A few human lines for terminals and logs."""
        lines = [
            f"{self.source}: {self.rows_read} rows -> {self.items} items "
            f"({self.rows_dropped_no_title} without title dropped, "
            f"{self.duplicate_rows_merged} duplicate rows merged, keeping the larger hours)",
            f"release dates: {self.date_format or 'none'}; years from "
            + ", ".join(f"{k} {v}" for k, v in self.year_sources.items())
            + f"; {self.items_without_year} items still without a year",
        ]
        if self.missing_columns:
            lines.append(f"missing optional columns (defaults used): {', '.join(self.missing_columns)}")
        for column, count in self.unparseable.items():
            if count:
                sample = ", ".join(repr(s) for s in self.unparseable_samples.get(column, []))
                lines.append(f"unparseable {column}: {count} (e.g. {sample})")
        if self.suspicious_titles:
            lines.append(
                "titles that look like spreadsheet-mangled dates (kept as typed): "
                + ", ".join(repr(s) for s in self.suspicious_titles)
            )
        if self.type_corrections:
            lines.append(
                f"content type corrected for {sum(self.type_corrections.values())} items ("
                + ", ".join(f"{why}: {n}" for why, n in self.type_corrections.items() if n)
                + "), e.g. " + ", ".join(repr(s) for s in self.type_correction_examples)
            )
        if self.language_corrections:
            lines.append(
                f"language corrected for {sum(self.language_corrections.values())} items ("
                + ", ".join(f"{why}: {n}" for why, n in self.language_corrections.items())
                + "), e.g. " + ", ".join(repr(s) for s in self.language_correction_examples)
            )
        if self.enrichment_source:
            lines.append(
                f"enriched {self.enriched} of {self.items} items; per listing (matched / years added / "
                "genres added): " + ", ".join(
                    f"{Path(p).name} {a['items']} / {a['years']} / {a['genres']}"
                    for p, a in self.added_by_source.items()
                )
            )
        if self.franchise_folds:
            lines.append(
                f"franchise keys: {self.franchise_folds} titles ({self.franchises_joined} works) folded into "
                "another franchise, e.g. " + ", ".join(self.franchise_fold_examples)
            )
        if self.maturity:
            lines.append("maturity: " + ", ".join(f"{band} {n}" for band, n in self.maturity.items())
                         + f" ({self.maturity_inherited} from another entry of the same franchise)")
        if self.coverage:
            lines.append("coverage (items / hours viewed): " + ", ".join(
                f"{what} {c['items']:.0%} / {c['hours']:.0%}" for what, c in self.coverage.items()
            ))
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class Catalog:
    """The cleaned item table plus the vocabularies its integer codes refer to.

    `items` has one row per distinct title; its index equals `item_id`, assigned in order of first
    appearance in the file, so the same file always gives the same ids and the three public copies
    of the report agree on them.
    """

    items: pd.DataFrame
    languages: list[str]
    content_types: list[str]
    report: CleaningReport

    def __len__(self) -> int:
        return len(self.items)

    @property
    def has_enrichment(self) -> bool:
        return self.report.enrichment_source is not None


# --------------------------------------------------------------------------------------------
# Reading


def _map_columns(frame: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, list[str]]:
    present = set(frame.columns)
    rename: dict[str, str] = {}
    missing: list[str] = []
    for canonical, aliases in _COLUMN_ALIASES.items():
        found = next((a for a in aliases if a in present), None)
        if found is None:
            missing.append(canonical)
        else:
            rename[found] = canonical
    if "title" in missing:
        shown = ", ".join(repr(c) for c in list(frame.columns)[:8]) or "none"
        raise CatalogError(
            f"catalog {path}: no Title column (found columns: {shown}); expected the engagement-report "
            "header `Title, Available Globally?, Release Date, Hours Viewed, Language Indicator, Content Type` "
            f"separated by commas, semicolons, tabs or pipes (first rows: {frame.attrs.get('sample') or 'none'})"
        )
    frame = frame.rename(columns=rename)[[c for c in _COLUMN_ALIASES if c not in missing]]
    return frame, [m for m in missing if m != "title"]


# --------------------------------------------------------------------------------------------
# Column parsers: each returns parsed values plus a mask of filled-but-unparseable cells.


def _garbage_error(path: Path, column: str, raw: pd.Series, bad: pd.Series, filled: int) -> CatalogError:
    rows = raw[bad]
    # The frame keeps the file's row order in its RangeIndex: line = index + 2 (header, 1-based).
    sample = ", ".join(f"row {int(str(i)) + 2}: {v!r}" for i, v in rows.head(_SAMPLE).items())
    return CatalogError(
        f"catalog {path}: column {column!r} has {int(bad.sum())} of {filled} values that cannot be "
        f"parsed ({sample}); fix the file or remove the column"
    )


def parse_hours(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Hours with any digit grouping (`81,21,00,000`, `812,100,000`, `812 100 000`, `812100000.0`)."""
    cleaned = raw.str.strip().str.replace(_NUMBER_SEPARATORS, "", regex=True)
    numbers = pd.to_numeric(cleaned, errors="coerce")
    filled = cleaned != ""
    # `inf`, `1e400` or `1e30` would crash or wrap around in the int64 cast: count them as bad.
    bad = filled & (numbers.isna() | (numbers < 0) | (numbers >= 2.0**63))
    return numbers.where(~bad).fillna(0).round().astype("int64"), bad


def detect_date_format(values: pd.Series) -> str | None:
    """The one format that parses the most filled dates; refuses to guess between D/M and M/D."""
    filled = values[values != ""]
    if filled.empty:
        return None
    sample = filled.head(2000)
    scores = {
        name: int(pd.to_datetime(sample, format=fmt, errors="coerce").notna().sum())
        for name, fmt in DATE_FORMATS.items()
    }
    best = max(scores.values())
    if best == 0:
        return None
    winners = [name for name, score in scores.items() if score == best]
    if len(winners) > 1:
        raise CatalogError(
            f"release dates are ambiguous: formats {' and '.join(winners)} both read every sampled "
            "date, so day and month cannot be told apart; write dates as YYYY-MM-DD"
        )
    return winners[0]


def parse_dates(raw: pd.Series, path: Path) -> tuple[pd.Series, pd.Series, str | None]:
    values = raw.str.strip()
    try:
        name = detect_date_format(values)
    except CatalogError as exc:
        raise CatalogError(f"catalog {path}: column 'release_date': {exc}") from None
    if name is None:
        dates = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
        return dates, values != "", None
    dates = pd.to_datetime(values, format=DATE_FORMATS[name], errors="coerce")
    return dates, (values != "") & dates.isna(), name


def parse_flags(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    lowered = raw.str.strip().str.lower()
    yes = lowered.isin(_YES)
    bad = ~(yes | lowered.isin(_NO))
    return yes, bad


# --------------------------------------------------------------------------------------------
# Cleaning


def _check_column(report: CleaningReport, path: Path, column: str, raw: pd.Series, bad: pd.Series) -> None:
    filled = int((raw.str.strip() != "").sum())
    count = int(bad.sum())
    report.unparseable[column] = count
    if count:
        report.unparseable_samples[column] = [str(v) for v in raw[bad].head(_SAMPLE)]
    if count and count > MAX_UNPARSEABLE_SHARE * max(filled, 1):
        raise _garbage_error(path, column, raw, bad, filled)


def load_catalog(path: str | Path, enrichment: str | Path | Sequence[str | Path] | None = None) -> Catalog:
    """Read, validate and clean a catalog CSV; optionally join one or more listing files.

    `enrichment` is one path or a sequence of them (earlier files win where sources disagree on a
    single value; `settings.enrichment_sources` gives the bundled listings plus the user's own).

    Raises `CatalogError` with the file, the column and sample rows when the file cannot be used
    as a whole; it never returns half a file.
    """
    path = Path(path)
    frame = read_table(path, "catalog")
    report = CleaningReport(source=str(path), rows_read=len(frame))
    # Columns first: a one-line file that is no catalog at all (HTML, prose) lacks a Title column.
    frame, report.missing_columns = _map_columns(frame, path)
    if frame.empty:
        raise CatalogError(f"catalog {path}: has a header but no rows")

    frame["title"] = frame["title"].str.strip().str.replace(r"\s+", " ", regex=True)
    has_title = frame["title"] != ""
    report.rows_dropped_no_title = int((~has_title).sum())
    frame = frame[has_title]
    if frame.empty:
        raise CatalogError(f"catalog {path}: no row has a title")

    if "hours_viewed" in frame:
        hours, bad = parse_hours(frame["hours_viewed"])
        _check_column(report, path, "hours_viewed", frame["hours_viewed"], bad)
        frame["hours_viewed"] = hours
    else:
        frame["hours_viewed"] = 0
    if "release_date" in frame:
        dates, bad, report.date_format = parse_dates(frame["release_date"], path)
        _check_column(report, path, "release_date", frame["release_date"], bad)
        frame["release_date"] = dates
    else:
        frame["release_date"] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    if "available_globally" in frame:
        flags, bad = parse_flags(frame["available_globally"])
        _check_column(report, path, "available_globally", frame["available_globally"], bad)
        frame["available_globally"] = flags
    else:
        frame["available_globally"] = False
    for column, default in (("language", "Unknown"), ("content_type", "Unknown")):
        if column in frame:
            frame[column] = frame[column].str.strip().replace("", default)
        else:
            frame[column] = default

    report.suspicious_titles = [s for s in frame["title"].unique() if t.looks_like_mangled_date(s)]
    items = _merge_duplicates(frame, report)
    items = _derive_columns(items, report)
    _join_listings(items, report, _as_paths(enrichment))
    # After the listings: their countries and genres are evidence too.
    items["language"], corrected = languages.correct(items)
    report.language_corrections, report.language_correction_examples = corrected.corrections, corrected.examples
    language_values = sorted(items["language"].unique())
    content_types = sorted(items["content_type"].unique())
    items["language_id"] = items["language"].map({v: i for i, v in enumerate(language_values)}).astype("int32")
    items["type_id"] = items["content_type"].map({v: i for i, v in enumerate(content_types)}).astype("int32")
    catalog = Catalog(items=items, languages=language_values, content_types=content_types, report=report)
    _finish_years(catalog)
    report.items = len(items)
    return catalog


def _as_paths(enrichment: str | Path | Sequence[str | Path] | None) -> list[Path]:
    if enrichment is None:
        return []
    if isinstance(enrichment, str | Path):
        return [Path(enrichment)]
    return [Path(p) for p in enrichment]


def _join_listings(items: pd.DataFrame, report: CleaningReport, paths: list[Path]) -> None:
    """Listings first (they know the type of most big shows), then the type from all evidence."""
    reported = items["content_type"].copy()
    provisional = content_type.provisional(items["title"], reported)
    listing_is_show, report.added_by_source = enrichment.enrich(items, provisional.str.lower().eq("show"), paths)
    report.enriched_by_source = {p: added["items"] for p, added in report.added_by_source.items()}
    types, report.type_corrections, report.type_correction_examples = content_type.infer(items, listing_is_show)
    items["content_type"] = types
    if paths:
        report.enrichment_source = "; ".join(str(p) for p in paths)
    report.enriched = int(items["has_metadata"].sum())
    items["maturity"], report.maturity_inherited = maturity.inherit_within_franchise(
        items["maturity"], items["franchise_key"]
    )
    counts = items["maturity"].value_counts()
    report.maturity = {band: int(counts.get(band, 0)) for band in maturity.BANDS}
    # Last: the join and the maturity sharing work per title's own work (a film must not take its
    # show's listing, nor a spin-off its franchise's certification); lists need whole franchises.
    folding = franchise.fold_frame(items)
    items["franchise_key"] = folding.keys
    report.franchise_folds, report.franchises_joined = folding.folded_titles, folding.franchises_joined
    report.franchise_fold_examples = folding.examples
    hours = items["hours_viewed"].to_numpy(dtype="float64")
    total = max(float(hours.sum()), 1.0)
    known = {
        "genres": items["genres"].ne(""),
        "maturity": items["maturity"].ne(maturity.UNKNOWN),
        "imdb_votes": items["imdb_votes"].notna(),
        "any metadata": items["has_metadata"],
    }
    report.coverage = {
        what: {"items": round(float(mask.mean()), 4), "hours": round(float(hours[mask.to_numpy()].sum()) / total, 4)}
        for what, mask in known.items()
    }


def _merge_duplicates(frame: pd.DataFrame, report: CleaningReport) -> pd.DataFrame:
    """One row per title: the report lists some titles twice (global and regional figures), and the
    larger figure is the natural reading, so the row with the most hours wins; ids follow the
    title's first appearance."""
    frame = frame.reset_index(drop=True)
    frame["_first_seen"] = frame.groupby("title", sort=False).ngroup()
    duplicated = frame["title"].duplicated(keep=False)
    report.duplicate_rows_merged = int(frame["title"].duplicated().sum())
    report.merged_examples = list(frame.loc[duplicated, "title"].drop_duplicates().head(_SAMPLE))
    winners = frame.sort_values(["_first_seen", "hours_viewed"], ascending=[True, False], kind="stable")
    items = winners.drop_duplicates("title", keep="first").sort_values("_first_seen")
    items = items.drop(columns="_first_seen").reset_index(drop=True)
    items.insert(0, "item_id", np.arange(len(items), dtype="int64"))
    return items


def _derive_columns(items: pd.DataFrame, report: CleaningReport) -> pd.DataFrame:
    split = items["title"].map(t.split_alias)
    items["english_title"] = split.str[0]
    items["original_title"] = split.str[1]
    items["franchise_key"] = items["title"].map(t.franchise_key)
    items["release_year"] = items["release_date"].dt.year.astype("Int64")
    items["year_source"] = np.where(items["release_year"].notna(), "date", "")
    from_title = items["title"].map(t.year_in_title).astype("Int64")
    use_title = items["release_year"].isna() & from_title.notna()
    items.loc[use_title, "release_year"] = from_title[use_title]
    items.loc[use_title, "year_source"] = "title"
    # Log hours rescaled to 0..1 over this catalog: hours span four orders of magnitude.
    log_hours = np.log1p(items["hours_viewed"].to_numpy(dtype="float64"))
    span = max(float(log_hours.max() - log_hours.min()), 1e-9)
    items["popularity"] = ((log_hours - log_hours.min()) / span).astype("float32")
    for column in TEXT_COLUMNS:
        items[column] = ""
    return items


def _finish_years(catalog: Catalog) -> None:
    items, report = catalog.items, catalog.report
    counts = items["year_source"].value_counts()
    report.year_sources = {k: int(counts.get(k, 0)) for k in ("date", "title", "enrichment")}
    report.items_without_year = int(items["release_year"].isna().sum())

