"""The runtime-state directory, read once for every settings class (recommender, feedback, bot).

`DATA_DIR` (environment, then `.env`) holds the models and the database; `RecommenderSettings` and
`FeedbackSettings` both derive from this class, and the bot's settings from both, so the field and its
default live here only.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class StateSettings(BaseSettings):
    """Where runtime state lives."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    data_dir: Path = Field(default=Path("var"), description="Runtime state: models, database.")
