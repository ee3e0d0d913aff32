"""Versioned model artifacts on disk, and the atomic `current` pointer.

Layout of a model root (documented in the README for other tools):

    ROOT/
      CURRENT                      # one line: the active version name; replaced atomically
      20261127-211500-3f9a2c/      # one directory per trained model, never modified after writing
        metadata.json              # format, version, created_at, arch, data hash, params, report, evaluation,
                                   # sha256 of embeddings.npy
        embeddings.npy             # float32 (n_items, dim), rows L2-normalised, row i == items.csv row i
        items.csv                  # the item table aligned with the embedding rows
        vocab.json                 # feature vocabularies (default arch) or content ids (seed arch)
        model.keras                # the Keras encoder, for cold-start embedding of new titles

A version directory is written under a temporary name and renamed into place, so a crash mid-save
never leaves a half-written version that looks complete (only metadata.json is later rewritten, to add
evaluation figures, again through an atomic replace); `CURRENT` is replaced with os.replace,
so readers see either the old or the new version, never a mix.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

FORMAT_VERSION = 1
POINTER = "CURRENT"
REQUIRED_FILES = ("metadata.json", "embeddings.npy", "items.csv", "vocab.json")
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


class ArtifactError(RuntimeError):
    """A model directory that cannot be served; the message names the directory and the problem."""


@dataclass
class Artifact:
    path: Path
    metadata: dict
    embeddings: np.ndarray
    items: pd.DataFrame
    vocab: dict

    @property
    def version(self) -> str:
        return str(self.metadata["version"])


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def new_version_name(data_hash: str, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%d-%H%M%S}-{data_hash[:6]}"


def save_artifact(
    root: Path,
    *,
    embeddings: np.ndarray,
    items: pd.DataFrame,
    vocab: dict,
    metadata: dict,
    keras_model=None,
    version: str | None = None,
) -> Path:
    """Write a complete version directory atomically and return its path (it is not activated)."""
    root.mkdir(parents=True, exist_ok=True)
    if version is None:
        # Two trainings on the same data finishing within one second would get the same name.
        base = new_version_name(metadata.get("data_sha256", "000000"))
        version, n = base, 1
        while (root / version).exists():
            n += 1
            version = f"{base}-{n}"
    final = root / version
    if final.exists():
        raise ArtifactError(f"model version {version} already exists in {root}")
    staging = Path(tempfile.mkdtemp(prefix=f".tmp-{version}-", dir=root))
    staging.chmod(0o755)
    try:
        vectors = np.ascontiguousarray(embeddings, dtype=np.float32)
        np.save(staging / "embeddings.npy", vectors)
        table = items.loc[:, [c for c in ITEM_COLUMNS if c in items.columns]].copy()
        table["release_date"] = pd.to_datetime(table["release_date"]).dt.strftime("%Y-%m-%d")
        table.to_csv(staging / "items.csv", index=False)
        (staging / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
        if keras_model is not None:
            keras_model.save(staging / "model.keras")
        meta = {
            **metadata,
            "format": FORMAT_VERSION,
            "version": version,
            "created_at": metadata.get("created_at") or datetime.now(UTC).isoformat(),
            "n_items": int(vectors.shape[0]),
            "dim": int(vectors.shape[1]),
            "embeddings_sha256": sha256_file(staging / "embeddings.npy"),
        }
        (staging / "metadata.json").write_text(json.dumps(meta, indent=2, default=str), encoding="utf-8")
        for file in staging.iterdir():
            file.chmod(0o644)
        os.replace(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return final


def load_artifact(path: Path) -> Artifact:
    """Load and verify a version directory; refuse anything partial, corrupt or inconsistent."""
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
    if metadata.get("format") != FORMAT_VERSION:
        raise ArtifactError(f"model directory {path}: unsupported format {metadata.get('format')!r}")
    if sha256_file(path / "embeddings.npy") != metadata.get("embeddings_sha256"):
        raise ArtifactError(f"model directory {path}: embeddings.npy does not match its checksum (corrupt file)")
    try:
        embeddings = np.load(path / "embeddings.npy", allow_pickle=False)
        items = pd.read_csv(path / "items.csv", dtype={"title": str}, keep_default_na=False)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise ArtifactError(f"model directory {path}: cannot read embeddings or items ({exc})") from None
    absent = [c for c in SERVING_COLUMNS if c not in items.columns]
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
    if not np.isfinite(embeddings).all():
        raise ArtifactError(f"model directory {path}: embeddings contain NaN or infinite values")
    return Artifact(path=path, metadata=metadata, embeddings=embeddings, items=items, vocab=vocab)


def update_metadata(path: Path, extra: dict) -> None:
    """Add figures (e.g. evaluation results) to a saved version's metadata, atomically."""
    target = Path(path) / "metadata.json"
    metadata = json.loads(target.read_text(encoding="utf-8"))
    metadata.update(extra)
    _write_atomically(target, json.dumps(metadata, indent=2, default=str))


def current_version(root: Path) -> str | None:
    pointer = Path(root) / POINTER
    if not pointer.is_file():
        return None
    name = pointer.read_text(encoding="utf-8").strip()
    return name or None


def resolve_model_path(path: Path) -> Path:
    """Accept a version directory or a model root with a `CURRENT` pointer."""
    path = Path(path)
    # A version directory that lost its metadata.json is still a version directory: let
    # `load_artifact` say what is missing instead of calling it an empty model root.
    if any((path / name).exists() for name in (*REQUIRED_FILES, "model.keras")):
        return path
    version = current_version(path)
    if version is None:
        raise ArtifactError(
            f"no trained model in {path}: run `python -m recommender train` (or `make run`, which trains one)"
        )
    return path / version


def activate(root: Path, version: str) -> None:
    """Point `CURRENT` at a version, atomically. Callers verify the version loads first."""
    root = Path(root)
    if not (root / version / "metadata.json").is_file():
        raise ArtifactError(f"cannot activate {version}: no such model in {root}")
    _write_atomically(root / POINTER, version + "\n")


def _write_atomically(target: Path, text: str) -> None:
    """Write to a temporary file in the same directory, fsync, then rename over the target."""
    handle, temp = tempfile.mkstemp(prefix=f".{target.name}-", dir=target.parent)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    os.chmod(temp, 0o644)
    os.replace(temp, target)


def list_versions(root: Path) -> list[str]:
    root = Path(root)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and (p / "metadata.json").is_file())
