"""The console's /privacy export files under DATA_DIR/exports: where they go and how /forget-me removes them.

Why beside the privacy service: the files hold the very data /forget-me deletes, so it removes
them with the rest; both sides must agree on the name.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path


def export_path(data_dir: Path, user_id: int) -> Path:
    """A new file for each export, named after the member and the time."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return data_dir / "exports" / f"reelmate-data-{user_id}-{stamp}.json"


def remove_exports(data_dir: Path, user_id: int) -> int:
    """Delete the member's earlier export files; returns how many went."""
    removed = 0
    for path in (data_dir / "exports").glob(f"reelmate-data-{user_id}-*.json"):
        path.unlink(missing_ok=True)
        removed += 1
    return removed


def write_export(data_dir: Path, user_id: int, data: bytes) -> Path:
    """A new export file, readable by its owner only (it holds personal data)."""
    path = export_path(data_dir, user_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    path.chmod(0o600)
    return path
