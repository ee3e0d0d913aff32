"""Where the feedback database lives: one settings class for the store, its CLI, Alembic and the bot.

Why a class here: `python -m feedback upgrade`, `alembic upgrade head` and the bot must act on the
same file. They all read DATABASE_URL / DATA_DIR from the environment and `.env` through this class
(the bot's settings inherit it), so the default `DATA_DIR/reelmate.db` is computed in one place.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from common.settings import StateSettings
from feedback.db import is_sqlite, sqlite_path

DATABASE_FILE = "reelmate.db"
DEFAULT_DATABASE_URL = f"sqlite+aiosqlite:///var/{DATABASE_FILE}"  # with no DATA_DIR/DATABASE_URL set
OUTBOX_SUFFIX = "-outbox"  # beside the database, like SQLite's own "-wal" and "-journal" files


class FeedbackSettings(StateSettings):
    """The feedback store's configuration (environment variables, then `.env`; DATA_DIR: `StateSettings`)."""

    database_url: str | None = Field(
        default=None, description="SQLAlchemy async URL; default sqlite+aiosqlite:///DATA_DIR/reelmate.db."
    )
    retention_days: int = Field(default=180, ge=1, description="Feedback older than this is purged.")

    @property
    def resolved_database_url(self) -> str:
        """DATABASE_URL if set (a blank line in .env counts as unset), else the file under DATA_DIR."""
        if self.database_url and self.database_url.strip():
            return self.database_url.strip()
        return f"sqlite+aiosqlite:///{Path(self.data_dir) / DATABASE_FILE}"

    @property
    def outbox_path(self) -> Path:
        """The vote outbox journal: next to the SQLite file, else under DATA_DIR."""
        url = self.resolved_database_url
        database = sqlite_path(url) if is_sqlite(url) else None
        if database is not None:
            return database.with_name(database.name + OUTBOX_SUFFIX)
        return Path(self.data_dir) / (DATABASE_FILE + OUTBOX_SUFFIX)


def database_url_from_env() -> str:
    """DATABASE_URL, else DATA_DIR/reelmate.db, from the environment and `.env` (as the bot reads them)."""
    return FeedbackSettings().resolved_database_url
