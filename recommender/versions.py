"""The model root as a version store: version names, the atomic `CURRENT` pointer, pins, activation and tidying.

Layout of a model root (what each version directory holds is `recommender.artifacts`'s):

    ROOT/
      CURRENT                      # one line: the active version name; replaced atomically
      PINNED                       # optional, one version a line that tidy keeps (a running A/B challenger)
      20261127-211500-3f9a2c/      # one directory per trained model, never modified after writing
      .tmp-.../                    # a version being saved (renamed into place when complete)

`CURRENT` and `PINNED` are replaced with os.replace, so readers see either the old or the new file,
never a mix. This module reads only metadata.json of a version, never its arrays.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger(__name__)

POINTER = "CURRENT"
PINS = "PINNED"  # versions tidy must keep besides CURRENT (an A/B challenger)
STAGING_PREFIX = ".tmp-"
# A staging directory older than this belongs to no running save (a save takes seconds).
STALE_STAGING_SECONDS = 600
DEFAULT_KEEP_VERSIONS = 5
# Version names are file names and appear in messages and the feedback store (64-character column).
MAX_VERSION_LENGTH = 64
VERSION_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
REQUIRED_FILES = ("metadata.json", "embeddings.npy", "items.csv", "vocab.json")


class ArtifactError(RuntimeError):
    """A model directory that cannot be served; the message names the directory and the problem."""


def check_version_name(name: object, where: str) -> str:
    """A version name is a short, safe file name: never a path, never unbounded."""
    if not isinstance(name, str) or not name:
        raise ArtifactError(f"{where}: the version name is missing")
    if len(name) > MAX_VERSION_LENGTH:
        raise ArtifactError(f"{where}: the version name is {len(name)} characters long (at most {MAX_VERSION_LENGTH})")
    if not VERSION_PATTERN.fullmatch(name):
        raise ArtifactError(f"{where}: {name[:40]!r} is not a valid version name (letters, digits, '.', '_', '-')")
    return name


def new_version_name(data_hash: str, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%d-%H%M%S}-{data_hash[:6]}"


def update_metadata(path: Path, extra: dict) -> None:
    """Add figures (e.g. evaluation results) to a saved version's metadata, atomically."""
    target = Path(path) / "metadata.json"
    metadata = json.loads(target.read_text(encoding="utf-8"))
    metadata.update(extra)
    _write_atomically(target, json.dumps(metadata, indent=2, default=str))


def current_version(root: Path) -> str | None:
    """The raw name `CURRENT` holds (unchecked: `load_serving` validates it), or None without one."""
    pointer = Path(root) / POINTER
    if not pointer.is_file():
        return None
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return "<unreadable CURRENT>"
    return name or None


def is_version_directory(path: Path) -> bool:
    # A version directory that lost its metadata.json is still a version directory: let
    # `load_artifact` say what is missing instead of calling it an empty model root.
    return any((Path(path) / name).exists() for name in (*REQUIRED_FILES, "model.keras"))


def resolve_model_path(path: Path) -> Path:
    """Accept a version directory or a model root with a `CURRENT` pointer (no fallback)."""
    path = Path(path)
    if is_version_directory(path):
        return path
    version = current_version(path)
    if version is None:
        raise ArtifactError(
            f"no trained model in {path}: run `python -m recommender train` (or `make run`, which trains one)"
        )
    return path / check_version_name(version, f"{path / POINTER}")


def _served_versions(root: Path, names: list[str]) -> list[str]:
    """Those of `names` (oldest first) that served before: `activate` recorded it in their metadata."""
    served = []
    for name in names:
        try:
            if json.loads((root / name / "metadata.json").read_text(encoding="utf-8")).get("activated_at"):
                served.append(name)
        except (OSError, ValueError, AttributeError):
            continue
    return served


def activate(root: Path, version: str) -> None:
    """Point `CURRENT` at a version, atomically, and record in it that it served (a fallback candidate).

    Callers verify the version loads first. A broken `CURRENT` is simply replaced.
    """
    root = Path(root)
    check_version_name(version, f"cannot activate in {root}")
    if not (root / version / "metadata.json").is_file():
        raise ArtifactError(f"cannot activate {version}: no such model in {root}")
    update_metadata(root / version, {"activated_at": datetime.now(UTC).isoformat()})
    _write_atomically(root / POINTER, version + "\n")


def tidy(root: Path, keep: int | None = DEFAULT_KEEP_VERSIONS) -> list[str]:
    """Delete abandoned staging folders and all but the newest `keep` versions (None: keep every
    version); returns the names removed.

    The version `CURRENT` names is never deleted, nor the newest that served (what `load_serving`
    falls back to when `CURRENT` is lost or broken), nor a pinned one (`set_pinned`: the challenger of
    a running A/B experiment), nor a staging folder young enough to belong to a save still running
    in another process.
    """
    root = Path(root)
    if not root.is_dir():
        return []
    removed = []
    now = time.time()
    for staging in root.glob(f"{STAGING_PREFIX}*"):
        if staging.is_dir() and now - staging.stat().st_mtime > STALE_STAGING_SECONDS:
            shutil.rmtree(staging, ignore_errors=True)
            removed.append(staging.name)
    versions = list_versions(root) if keep is not None else []
    spared = {current_version(root), *pinned(root), *_served_versions(root, versions)[-1:]}
    for name in versions[: max(0, len(versions) - max(1, keep or 1))]:
        if name not in spared:
            shutil.rmtree(root / name, ignore_errors=True)
            removed.append(name)
    if removed:
        log.info("model root %s: removed %s", root, ", ".join(removed))
    return removed


def pinned(root: Path) -> list[str]:
    """The versions `PINNED` names (one a line): `tidy` keeps them whatever their age."""
    try:
        lines = (Path(root) / PINS).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    return [line.strip() for line in lines if line.strip()]


def set_pinned(root: Path, versions: list[str]) -> None:
    """Replace the pinned versions (atomically). Why a file in the model root: the version an A/B
    experiment serves as challenger is not `CURRENT`, and whoever tidies (a bot restart, the
    retrain child process, `python -m recommender train`) must keep it without reading the bot's
    database; the bot rewrites the file from the store at start, experiment start and stop."""
    root = Path(root)
    names = [check_version_name(v, f"cannot pin in {root}") for v in versions]
    if names or (root / PINS).exists():
        _write_atomically(root / PINS, "".join(f"{name}\n" for name in names))


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
    return sorted(
        p.name for p in root.iterdir()
        if p.is_dir() and not p.name.startswith(".") and (p / "metadata.json").is_file()
    )

