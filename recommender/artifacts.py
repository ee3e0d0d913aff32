"""A model version's files on disk: the format, saving a version atomically, verifying and loading it.

The model root around the versions (the `CURRENT` pointer, pins, activation, tidying) is
`recommender.versions`'s; its names are re-exported here. Layout of a model root (documented in the
README for other tools):

    ROOT/
      CURRENT                      # one line: the active version name; replaced atomically
      PINNED                       # optional, one version a line that tidy keeps (a running A/B challenger)
      20261127-211500-3f9a2c/      # one directory per trained model, never modified after writing
        metadata.json              # format, version, created_at, arch, data hash, params, report, evaluation,
                                   # sha256 of every other file (`files`), of the rows (`rows_sha256`),
                                   # activated_at once it served
        embeddings.npy             # float32 (n_items, dim), rows L2-normalised, row i == items.csv row i
        items.csv                  # the item table aligned with the embedding rows
        vocab.json                 # feature vocabularies (default arch) or content ids (seed arch)
        model.keras                # the Keras encoder, for cold-start embedding of new titles
        ann.faiss                  # large catalogs only (ANN_INDEX): HNSW index over embeddings.npy
        channels.npz               # derived: the ranker's text channels (TF-IDF matrices) fitted from items.csv
        title_index.npz            # derived: the title-resolution index built from items.csv's titles
                                   # (`recommender.derived` describes both; the pipeline has them saved)

A version directory is written under a temporary name and renamed into place, so a crash mid-save
never leaves a half-written version that looks complete (only metadata.json is later rewritten, to add
evaluation figures, again through an atomic replace); `CURRENT` is replaced with os.replace,
so readers see either the old or the new version, never a mix.

Loading is strict because a version that loads but is wrong serves garbage: every file must match
its checksum, item ids must be 0..n-1 in row order (row i of items.csv is row i of embeddings.npy),
numeric columns must parse, strings are bounded and every embedding row is finite and unit-length.
Checksums alone cannot tell rows moved with their ids renumbered and the checksums redone: every row
would still parse, but row i would describe another title than embedding row i. So the metadata also
keeps `rows_sha256`, a digest of each row's title, hours and year in row order, which loading
recomputes from items.csv (and the saved title index's titles when serving reads those instead);
versions saved before it existed load without that check.
When `CURRENT` names a version that is missing or fails these checks, or is missing or empty itself,
`load_serving` falls back to the newest intact version that has served before, logs why, and records
it in the metadata (`serving_fallback`) so `/model` can say so; only with no intact version is there
"no model".
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from recommender.index import INDEX_FILE, AnnIndex, IndexMode, wants_index
from recommender.versions import (  # the version store; re-exported: callers know them as artifacts.*
    DEFAULT_KEEP_VERSIONS,
    MAX_VERSION_LENGTH,
    PINS,
    POINTER,
    REQUIRED_FILES,
    STAGING_PREFIX,
    STALE_STAGING_SECONDS,
    VERSION_PATTERN,
    ArtifactError,
    _served_versions,
    activate,
    check_version_name,
    current_version,
    is_version_directory,
    list_versions,
    new_version_name,
    pinned,
    resolve_model_path,
    set_pinned,
    tidy,
    update_metadata,
)

__all__ = [
    "DEFAULT_KEEP_VERSIONS",
    "MAX_VERSION_LENGTH",
    "PINS",
    "POINTER",
    "REQUIRED_FILES",
    "STAGING_PREFIX",
    "STALE_STAGING_SECONDS",
    "Artifact",
    "ArtifactError",
    "DerivedFile",
    "activate",
    "check_version_name",
    "current_version",
    "is_version_directory",
    "list_versions",
    "load_artifact",
    "load_items",
    "load_serving",
    "new_version_name",
    "pinned",
    "resolve_model_path",
    "save_artifact",
    "set_pinned",
    "sha256_file",
    "tidy",
    "update_metadata",
]

log = logging.getLogger(__name__)

# Format 2 checksums every file (`files`); format 1 only embeddings.npy (still loadable).
FORMAT_VERSION = 2
SUPPORTED_FORMATS = (1, 2)
UNIT_NORM_TOLERANCE = 1e-3
_CHECK_ROWS = 65_536
ITEM_COLUMNS = (
    "item_id", "title", "english_title", "original_title", "franchise_key", "available_globally",
    "release_date", "release_year", "hours_viewed", "popularity", "language", "content_type",
    "language_id", "type_id", "genres", "description", "cast", "director", "country", "rating",
    "maturity", "certification", "imdb_score", "imdb_votes", "tmdb_popularity", "seasons", "has_metadata",
)

# The item columns the serving code reads; an items.csv without them cannot be served.
SERVING_COLUMNS = (
    "item_id", "title", "franchise_key", "release_date", "release_year", "hours_viewed", "language",
    "content_type", "genres",
)
# What a serving process reads of items.csv when the version carries its text channels: the serving
# columns and the inputs of the ranker's other channels. The free text (descriptions, cast, other
# title spellings) is most of the table's memory and only fitting the text channels reads it.
RANKING_COLUMNS = (*SERVING_COLUMNS, "maturity", "certification", "rating", "imdb_score", "imdb_votes", "has_metadata")
# Read besides, to be checked and dropped: whole numbers in every row, so a row cut short is refused
# as it is when the whole table is read.
_ROW_CHECK_COLUMNS = ("language_id", "type_id")
# Repeating values kept as categories in that compact table (one string per distinct value, not per row).
CATEGORY_COLUMNS = ("language", "content_type", "maturity", "certification", "rating", "release_date", "genres",
                    "franchise_key")
# Columns that must hold a whole number in every row, and those that may be empty.
INTEGER_COLUMNS = ("item_id", "hours_viewed", "language_id", "type_id")
# Figures that may be unknown (blank in items.csv, NaN once loaded): the year, and the listings'.
OPTIONAL_NUMBER_COLUMNS = ("release_year", "popularity", "imdb_score", "imdb_votes", "tmdb_popularity", "seasons")
BOOLEAN_COLUMNS = ("available_globally", "has_metadata")
TEXT_COLUMNS = tuple(c for c in ITEM_COLUMNS if c not in INTEGER_COLUMNS + OPTIONAL_NUMBER_COLUMNS)
MAX_TEXT_LENGTH = 10_000
# The title index's file: its arrays carry the titles (`titles.offsets`, `titles.buffer`), which a compact
# load reads instead of items.csv's title column, so the row check below reads them from there.
TITLE_INDEX_FILE = "title_index.npz"
# The columns `_rows_digest` reads besides the title (the item id only to parse the table).
_ROW_DIGEST_COLUMNS = ("item_id", "hours_viewed", "release_year")


@dataclass(frozen=True)
class DerivedFile:
    """A file built from items.csv when a version is saved, and restored instead of rebuilt when it is served.

    The files themselves (the ranker's text channels, the title index) belong to the ranking and the
    resolver; `recommender.derived` describes them and the pipeline and serving pass them in, so this
    storage module never imports what it stores.
    """

    name: str
    columns: tuple[str, ...]  # the items.csv columns building it reads
    build: Callable[[pd.DataFrame], dict[str, np.ndarray]]  # items.csv as a load reads it -> named arrays
    fits: Callable[[set[str], Any], bool]  # (saved keys, saved `layout` array or None): this code's layout
    restore: Callable[[dict[str, np.ndarray], pd.DataFrame], Any]  # (arrays, item table) -> object; ValueError


@dataclass
class Artifact:
    path: Path
    metadata: dict
    embeddings: np.ndarray
    items: pd.DataFrame
    vocab: dict
    index: AnnIndex | None = None  # the saved nearest-neighbour index, when the version has one
    # What a compact load (`load_artifact(compact=True, derived=...)`) restored of the derived files the
    # version saved, by file name (empty otherwise: the caller builds them from `items`).
    derived: dict[str, Any] = field(default_factory=dict)

    @property
    def version(self) -> str:
        return str(self.metadata["version"])


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def save_artifact(
    root: Path,
    *,
    embeddings: np.ndarray,
    items: pd.DataFrame,
    vocab: dict,
    metadata: dict,
    keras_model=None,
    version: str | None = None,
    index_mode: IndexMode | str | None = None,
    ann: AnnIndex | None = None,
    derived: Sequence[DerivedFile] = (),
) -> Path:
    """Write a complete version directory atomically and return its path (it is not activated).

    A nearest-neighbour index is built and saved with it when `index_mode` (default: the `ANN_INDEX`
    and `ANN_MIN_ITEMS` settings) asks for one, or saved when given (`ann`, already built); it is
    checksummed like every other file. So are the `derived` files (the pipeline passes the ranker's text
    channels and the title index), built here from items.csv as loading reads it back (serving loads them
    instead of building them).
    """
    root.mkdir(parents=True, exist_ok=True)
    if version is None:
        # Two trainings on the same data finishing within one second would get the same name.
        base = new_version_name(metadata.get("data_sha256", "000000"))
        version, n = base, 1
        while (root / version).exists():
            n += 1
            version = f"{base}-{n}"
    check_version_name(version, f"model root {root}")
    ids = items["item_id"].to_numpy()
    if len(ids) != len(embeddings) or not np.array_equal(ids, np.arange(len(ids))):
        raise ArtifactError(
            f"cannot save to {root}: items must be ids 0..n-1 in row order, one per embedding row "
            "(row i of items.csv describes row i of embeddings.npy)"
        )
    final = root / version
    if final.exists():
        raise ArtifactError(f"model version {version} already exists in {root}")
    staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{version}-", dir=root))
    staging.chmod(0o755)
    try:
        vectors = np.ascontiguousarray(embeddings, dtype=np.float32)
        np.save(staging / "embeddings.npy", vectors)
        table = items.loc[:, [c for c in ITEM_COLUMNS if c in items.columns]].copy()
        table["release_date"] = pd.to_datetime(table["release_date"]).dt.strftime("%Y-%m-%d")
        table.to_csv(staging / "items.csv", index=False)
        del table
        row_digest = _save_derived(staging, derived)
        (staging / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
        if keras_model is not None:
            keras_model.save(staging / "model.keras")
        if ann is not None or _index_wanted(len(vectors), index_mode):
            (ann or AnnIndex.build(vectors)).save(staging / INDEX_FILE)
        meta = {
            **{k: v for k, v in metadata.items() if k not in ("activated_at", "serving_fallback", "embeddings_sha256",
                                                                 "rows_sha256")},
            "format": FORMAT_VERSION,
            "version": version,
            "created_at": metadata.get("created_at") or datetime.now(UTC).isoformat(),
            "n_items": int(vectors.shape[0]),
            "dim": int(vectors.shape[1]),
            "files": {f.name: sha256_file(f) for f in sorted(staging.iterdir()) if f.name != "metadata.json"},
        }
        meta["derived_from"] = meta["files"]["items.csv"]  # what the channels and the title index were built from
        if row_digest is not None:  # a table without the columns it reads cannot be served anyway
            meta["rows_sha256"] = row_digest
        (staging / "metadata.json").write_text(json.dumps(meta, indent=2, default=str), encoding="utf-8")
        for file in staging.iterdir():
            file.chmod(0o644)
        os.replace(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return final


def _save_derived(staging: Path, derived: Sequence[DerivedFile]) -> str | None:
    """The derived files, from items.csv exactly as a load reads it back; returns the rows' digest
    (`rows_sha256`), also as a load computes it (None without the columns it reads)."""
    table = _read_items_csv(staging, ("title", *(c for d in derived for c in d.columns), *_ROW_DIGEST_COLUMNS))
    digest = (_rows_digest(_string_arrays(table["title"].tolist()),
                           _parse_items(staging, table[list(_ROW_DIGEST_COLUMNS)]))
              if {"title", *_ROW_DIGEST_COLUMNS} <= set(table.columns) else None)
    for file in derived:
        _save_arrays(staging / file.name, file.build(table))
    # (`load_artifact` relies on their checksums and on metadata's `derived_from`, set by the caller.)
    return digest


def _string_arrays(strings: list[str]) -> tuple[np.ndarray, bytes]:
    """Strings as the title index stores them: end offsets into one UTF-8 buffer."""
    encoded = [text.encode("utf-8", "surrogatepass") for text in strings]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    return offsets, b"".join(encoded)


def _rows_digest(titles: tuple[np.ndarray, bytes | np.ndarray], items: pd.DataFrame) -> str:
    """sha256 of the rows in order: their titles (`_string_arrays`, or a saved title index's), hours and
    years. Why these: a title, its hours and its year are what a card shows of a row, and the hours
    and years come from items.csv even when the titles come from the saved title index, so the digest
    also ties items.csv to that index."""
    offsets, buffer = titles
    digest = hashlib.sha256()
    digest.update(np.asarray(offsets, dtype="<i8").tobytes())
    digest.update(np.ascontiguousarray(buffer).data if isinstance(buffer, np.ndarray) else buffer)  # no copy
    digest.update(items["hours_viewed"].to_numpy(dtype="<i8").tobytes())
    years = items["release_year"].to_numpy(dtype="<f8")
    digest.update(np.where(np.isnan(years), -1.0, years).tobytes())  # one spelling of "unknown"
    return digest.hexdigest()


def _check_rows(path: Path, metadata: dict, titles: tuple[np.ndarray, bytes | np.ndarray],
                items: pd.DataFrame) -> None:
    """Refuse rows that are not the ones saved (see `_rows_digest`); older versions have no digest."""
    expected = metadata.get("rows_sha256")
    if expected is not None and _rows_digest(titles, items) != expected:
        raise ArtifactError(
            f"model directory {path}: items.csv rows do not match the ones this version was saved with "
            "(rows moved or edited and the checksums redone), so they would not line up with the embedding rows"
        )


def _save_arrays(file: Path, arrays: dict[str, np.ndarray]) -> None:
    """Named arrays in one uncompressed .npz (numpy's own container; loaded without pickle)."""
    with file.open("wb") as handle:
        np.savez(handle, **arrays)  # type: ignore[arg-type]  # numpy's stubs miss the **arrays form


def _saved_layout_fits(path: Path, metadata: dict, name: str, fits: Callable[[set[str], Any], bool]) -> bool:
    """Whether the version saved `name` and in this code's layout (`fits(keys, layout array)`), read
    without loading its arrays; a file of another layout is logged and rebuilt at load instead."""
    if name not in (metadata.get("files") or {}):
        return False
    try:
        with np.load(path / name, allow_pickle=False) as stored:
            keys = set(stored.files)
            fitting = fits(keys, stored["layout"] if "layout" in keys else None)
    except (OSError, EOFError, ValueError, zipfile.BadZipFile) as exc:
        raise ArtifactError(f"model directory {path}: {name} cannot be read ({str(exc)[:120]})") from None
    if not fitting:
        log.warning("model directory %s: %s was saved by code of another layout; rebuilding it", path, name)
    return fitting


def _restore_saved(path: Path, name: str, restore: Callable[[dict[str, np.ndarray]], Any]) -> Any:
    """`restore(arrays)` of a saved .npz (checksummed already); its ValueError refuses the version."""
    try:
        with np.load(path / name, allow_pickle=False) as stored:
            arrays = {key: stored[key] for key in stored.files}
    except (OSError, EOFError, ValueError, zipfile.BadZipFile) as exc:
        raise ArtifactError(f"model directory {path}: {name} cannot be read ({str(exc)[:120]})") from None
    try:
        return restore(arrays)
    except ValueError as exc:
        raise ArtifactError(f"model directory {path}: {name}: {exc}") from None


def _index_wanted(n_items: int, mode: IndexMode | str | None) -> bool:
    from recommender.settings import RecommenderSettings

    settings = RecommenderSettings()
    return wants_index(n_items, mode or settings.ann_index, settings.ann_min_items)


def _load_index(path: Path, metadata: dict, embeddings: np.ndarray) -> AnnIndex | None:
    """The version's index (verified by its checksum already); None when it has none."""
    if INDEX_FILE not in (metadata.get("files") or {}):
        return None
    try:
        return AnnIndex.load(path / INDEX_FILE, embeddings)
    except (ValueError, RuntimeError, OSError) as exc:
        raise ArtifactError(f"model directory {path}: {INDEX_FILE} cannot be read ({exc})") from None


def load_artifact(path: Path, *, compact: bool = False, derived: Sequence[DerivedFile] = ()) -> Artifact:
    """Load and verify a version directory; refuse anything partial, corrupt or inconsistent.

    `compact` (serving): when the version carries every `derived` file but the title index, restore them
    and read only `RANKING_COLUMNS` of the item table, repeating values as categories, and the title index
    (when it is one of `derived`) with the titles it saved (then the table has no `title` column); with an
    ANN index, `embeddings` is the index's stored copy (one copy in memory, not two). A version without
    them (or whose items.csv is not the one they were built from, or saved in another layout) gives the
    whole table, which building them needs.
    """
    path = Path(path)
    if not path.is_dir():
        raise ArtifactError(f"model directory {path} does not exist")
    missing = [name for name in REQUIRED_FILES if not (path / name).is_file()]
    if missing:
        raise ArtifactError(f"model directory {path} is incomplete: missing {', '.join(missing)}")
    try:
        metadata = json.loads((path / "metadata.json").read_text(encoding="utf-8"))
        vocab = json.loads((path / "vocab.json").read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ArtifactError(f"model directory {path}: metadata or vocabulary is not valid JSON ({exc})") from None
    if not isinstance(metadata, dict):
        raise ArtifactError(f"model directory {path}: metadata.json is not a JSON object")
    if metadata.get("format") not in SUPPORTED_FORMATS:
        raise ArtifactError(f"model directory {path}: unsupported format {metadata.get('format')!r}")
    check_version_name(metadata.get("version"), f"model directory {path}: metadata.json")
    _verify_checksums(path, metadata)
    # Built from this very items.csv (an edited table with its checksum redone is read and built anew).
    others = [d for d in derived if d.name != TITLE_INDEX_FILE]
    title_index = next((d for d in derived if d.name == TITLE_INDEX_FILE), None)
    compact = (compact and bool(others)
               and metadata.get("derived_from") == (metadata.get("files") or {}).get("items.csv")
               and _has_ranking_columns(path)
               and all(_saved_layout_fits(path, metadata, d.name, d.fits) for d in others))
    saved_titles = compact and title_index is not None and _saved_layout_fits(
        path, metadata, TITLE_INDEX_FILE, title_index.fits)
    try:
        embeddings = np.load(path / "embeddings.npy", allow_pickle=False)
        items = _read_compact_items(path, titles=not saved_titles) if compact else _read_items_csv(path, None)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise ArtifactError(f"model directory {path}: cannot read embeddings or items ({exc})") from None
    absent = [c for c in SERVING_COLUMNS if c not in items.columns and not (c == "title" and saved_titles)]
    if absent:
        raise ArtifactError(f"model directory {path}: items.csv lacks column(s) {', '.join(absent)}")
    expected = (metadata.get("n_items"), metadata.get("dim"))
    if embeddings.dtype != np.float32 or embeddings.ndim != 2 or embeddings.shape != expected:
        raise ArtifactError(
            f"model directory {path}: embeddings have shape {embeddings.shape} and dtype {embeddings.dtype}, "
            f"expected {expected} float32"
        )
    if len(items) != embeddings.shape[0]:
        raise ArtifactError(
            f"model directory {path}: {len(items)} items but {embeddings.shape[0]} embedding rows"
        )
    items = _parse_items(path, items)
    if not saved_titles:
        _check_rows(path, metadata, _string_arrays(items["title"].tolist()), items)
    _check_embeddings(path, embeddings, allow_zero_rows=metadata.get("arch") == "seed")
    index = _load_index(path, metadata, embeddings)
    if not compact:
        return Artifact(path=path, metadata=metadata, embeddings=embeddings, items=items, vocab=vocab, index=index)
    items = items.drop(columns=[c for c in _ROW_CHECK_COLUMNS if c in items.columns])
    for column in CATEGORY_COLUMNS:
        if column in items.columns:
            items[column] = items[column].astype("category")
    if index is not None:
        embeddings = index.vectors  # equal to embeddings.npy (checked); the read copy goes before the channels load
    restored: dict[str, Any] = {d.name: _restore_saved(path, d.name, partial(_restore_derived, d, items=items))
                                for d in others}
    if saved_titles and title_index is not None:
        restored[TITLE_INDEX_FILE] = _restore_saved(
            path, TITLE_INDEX_FILE, lambda a: _restore_title_index(path, metadata, a, items, title_index))
    return Artifact(path=path, metadata=metadata, embeddings=embeddings, items=items, vocab=vocab, index=index,
                    derived=restored)


def _restore_derived(file: DerivedFile, arrays: dict[str, np.ndarray], *, items: pd.DataFrame) -> Any:
    return file.restore(arrays, items)


def _restore_title_index(path: Path, metadata: dict, arrays: dict[str, np.ndarray],
                         items: pd.DataFrame, file: DerivedFile) -> Any:
    """The title index, and a check that its saved titles are the rows this version was saved with."""
    index = file.restore(arrays, items)
    _check_rows(path, metadata, (arrays["titles.offsets"], arrays["titles.buffer"]), items)
    return index


def load_items(path: Path) -> pd.DataFrame:
    """A version's whole item table, checked as `load_artifact` checks it (for offline tools such as
    `evaluate`, which read the free text a compact serving load leaves on disk)."""
    path = Path(path)
    metadata = json.loads((path / "metadata.json").read_text(encoding="utf-8"))
    digest = (metadata.get("files") or {}).get("items.csv")
    if digest is not None and sha256_file(path / "items.csv") != digest:
        raise ArtifactError(f"model directory {path}: items.csv does not match its checksum (corrupt file)")
    items = _parse_items(path, _read_items_csv(path, None))
    _check_rows(path, metadata, _string_arrays(items["title"].tolist()), items)
    return items


def _read_compact_items(path: Path, *, titles: bool) -> pd.DataFrame:
    """The compact table's columns, numbers parsed straight to numbers.

    Why not as strings first: at a million rows the per-cell strings of the id, hours and vote
    columns, freed after parsing, left tens of MB of Python's small-object pools resident for the
    process's life. A table the fast parse refuses (a cell that is not a number, a blank whole number,
    an infinite value) is read again as strings, so the strict check names the cell as always.
    (Reading the repeating columns straight to categories measured worse: the parser's per-chunk
    categories are merged afterwards.)
    """
    wanted = {*RANKING_COLUMNS, *_ROW_CHECK_COLUMNS} - (set() if titles else {"title"})  # or the index's
    types: dict[str, Any] = {c: str for c in wanted}
    types.update({c: "int64" for c in INTEGER_COLUMNS})
    types.update({c: "float64" for c in OPTIONAL_NUMBER_COLUMNS})
    try:
        items = pd.read_csv(path / "items.csv", keep_default_na=False, usecols=lambda name: name in wanted,
                            dtype=types, na_values={c: [""] for c in OPTIONAL_NUMBER_COLUMNS})
    except (ValueError, TypeError, OverflowError):
        return _read_items_csv(path, tuple(wanted))
    if any(np.isinf(items[c].to_numpy()).any() for c in OPTIONAL_NUMBER_COLUMNS if c in items.columns):
        return _read_items_csv(path, tuple(wanted))
    return items


def _has_ranking_columns(path: Path) -> bool:
    """Whether the compact table gives the ranker what it needs: without `has_metadata` the ranker
    derives it from the descriptions (a table saved by hand), so such a table is read whole."""
    try:
        return "has_metadata" in pd.read_csv(path / "items.csv", nrows=0).columns
    except (ValueError, OSError):
        return False  # the whole read then says what is wrong


def _read_items_csv(path: Path, columns: tuple[str, ...] | None) -> pd.DataFrame:
    """items.csv as strings (every column, or those of `columns` it has)."""
    wanted = None if columns is None else set(columns)
    return pd.read_csv(path / "items.csv", dtype=str, keep_default_na=False,
                       usecols=None if wanted is None else lambda name: name in wanted)


def _verify_checksums(path: Path, metadata: dict) -> None:
    if metadata.get("format") == 1:  # before every file was checksummed
        expected = {"embeddings.npy": metadata.get("embeddings_sha256")}
    else:
        files = metadata.get("files")
        if not isinstance(files, dict) or not all(name in files for name in REQUIRED_FILES[1:]):
            raise ArtifactError(f"model directory {path}: metadata.json lists no checksums for its files")
        expected = files
    for name, digest in expected.items():
        file = path / str(name)
        if not VERSION_PATTERN.fullmatch(str(name)) or not file.is_file():
            raise ArtifactError(f"model directory {path}: {str(name)[:40]} is missing")
        if sha256_file(file) != digest:
            raise ArtifactError(f"model directory {path}: {name} does not match its checksum (corrupt file)")


def _parse_items(path: Path, items: pd.DataFrame) -> pd.DataFrame:
    """Numbers as numbers, text bounded, ids 0..n-1 in row order; the first bad cell is named."""
    items = items.copy()
    for column in INTEGER_COLUMNS + OPTIONAL_NUMBER_COLUMNS:
        if column not in items.columns or pd.api.types.is_numeric_dtype(items[column]):
            continue  # absent, or parsed as a number already (`_read_compact_items`)
        text = items[column].str.strip()
        values = pd.to_numeric(text, errors="coerce")
        optional = column in OPTIONAL_NUMBER_COLUMNS
        bad = (values.isna() & ~(optional & (text == ""))) | ~np.isfinite(values.fillna(0))
        if column in INTEGER_COLUMNS:
            bad |= values.fillna(0) % 1 != 0
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise ArtifactError(
                f"model directory {path}: items.csv row {row + 1} has {column} {str(items[column].iloc[row])[:40]!r}, "
                "not a number (a cut or edited file)"
            )
        items[column] = values.astype("int64") if column in INTEGER_COLUMNS else values
    for column in TEXT_COLUMNS:
        if column in items.columns:
            too_long = items[column].str.len() > MAX_TEXT_LENGTH
            if too_long.any():
                row = int(np.flatnonzero(too_long.to_numpy())[0])
                raise ArtifactError(
                    f"model directory {path}: items.csv row {row + 1} has a {column} longer than "
                    f"{MAX_TEXT_LENGTH} characters"
                )
    for column in BOOLEAN_COLUMNS:
        if column in items.columns:
            items[column] = items[column].str.strip().str.lower().isin(("true", "1", "yes"))
    if "maturity" in items.columns:  # versions saved before maturity bands existed leave it blank
        items["maturity"] = items["maturity"].replace("", "unknown")
    ids = items["item_id"].to_numpy()
    if ids.size and not np.array_equal(ids, np.arange(len(ids))):
        duplicated = items["item_id"].duplicated()
        if duplicated.any():
            detail = f"item id {int(items['item_id'][duplicated].iloc[0])} appears more than once"
        else:
            row = int(np.flatnonzero(ids != np.arange(len(ids)))[0])
            detail = f"the row of item {row} holds item id {int(ids[row])}"
        raise ArtifactError(
            f"model directory {path}: items.csv rows are not item ids 0..{len(ids) - 1} in order ({detail}), "
            "so they would not line up with the embedding rows"
        )
    return items


def _check_embeddings(path: Path, embeddings: np.ndarray, *, allow_zero_rows: bool) -> None:
    # In blocks of rows: a float64 copy of a million-row matrix would double the load's peak memory.
    blocks = range(0, len(embeddings), _CHECK_ROWS)
    if not all(np.isfinite(embeddings[start:start + _CHECK_ROWS]).all() for start in blocks):
        raise ArtifactError(f"model directory {path}: embeddings contain NaN or infinite values")
    norms = np.concatenate([np.linalg.norm(embeddings[start:start + _CHECK_ROWS].astype(np.float64), axis=1)
                            for start in blocks]) if len(embeddings) else np.zeros(0)
    # The seed model's embedding is a ReLU layer: a row whose units are all dead is exactly zero.
    bad = np.abs(norms - 1.0) > UNIT_NORM_TOLERANCE
    if allow_zero_rows:
        bad &= norms != 0.0
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ArtifactError(
            f"model directory {path}: embedding row {row} has length {norms[row]:.4g}, not 1 "
            f"({int(bad.sum())} such row(s)); cosine scores would be meaningless"
        )


def load_serving(path: Path, *, compact: bool = False, derived: Sequence[DerivedFile] = ()) -> Artifact:
    """Load a version directory, or the version a model root's `CURRENT` names, falling back if broken.

    When `CURRENT` names a missing or damaged version, or is missing or empty itself (a lost or
    truncated file, or one deleted by hand), the newest intact version that has been active before
    (see `activate`) serves instead; the returned metadata's `serving_fallback` says which version was
    wanted (None when `CURRENT` names none) and why it was refused. With no intact version the
    original error is raised, so callers train anew exactly as for an empty root. `compact`, `derived`: as
    for `load_artifact`.
    """
    path = Path(path)
    if is_version_directory(path):
        return load_artifact(path, compact=compact, derived=derived)
    try:
        return load_artifact(resolve_model_path(path), compact=compact, derived=derived)
    except ArtifactError as exc:
        wanted = current_version(path)
        refused = exc
    if wanted is None:
        # Only versions that served: one saved but never activated (refused by the gate) was never vetted.
        candidates = _served_versions(path, list_versions(path))
        reason = f"{POINTER} is {'empty' if (path / POINTER).exists() else 'missing'}"
    else:
        names = [n for n in list_versions(path) if n != wanted]
        candidates = _served_versions(path, names) or names  # a root from before activations were recorded: all
        reason = str(refused)
    for name in reversed(candidates):
        try:
            artifact = load_artifact(path / name, compact=compact, derived=derived)
        except ArtifactError as exc:
            log.warning("fallback candidate %s is not intact either: %s", name, exc)
            continue
        said = (f"{path / POINTER} names {wanted[:MAX_VERSION_LENGTH]!r}, which cannot be served ({refused})"
                if wanted else f"{path} has no version to serve: {reason}")
        log.error("%s; serving %s, the newest intact version that served, instead", said, name)
        artifact.metadata["serving_fallback"] = {"wanted": wanted[:MAX_VERSION_LENGTH] if wanted else None,
                                                 "reason": reason}
        return artifact
    if wanted is None:
        raise refused
    raise ArtifactError(f"{refused}; no other intact model version in {path}") from None


