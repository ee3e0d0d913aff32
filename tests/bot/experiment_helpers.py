"""A second model version in a model root, for A/B tests: a real artifact under another name."""

from __future__ import annotations

import shutil
from pathlib import Path

from recommender.artifacts import current_version, update_metadata

CHALLENGER_VERSION = "challenger-v2"


def add_challenger(root: Path, name: str = CHALLENGER_VERSION) -> str:
    """Copy the current version under `name` (its metadata says so); CURRENT is left alone."""
    current = current_version(root)
    assert current is not None
    shutil.copytree(root / current, root / name)
    update_metadata(root / name, {"version": name})
    return name
