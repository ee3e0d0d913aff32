"""Settings shared by the recommender CLI, the bot and the console.

Values come from environment variables and a `.env` file in the working directory, so that a
server admin configures the product in one place. Every default works offline with nothing set.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def bundled_catalog_path() -> Path:
    """The catalog shipped inside the package, so an installed copy finds it without the repo."""
    return Path(str(resources.files("recommender") / "data" / "netflix_content_2023.csv"))


class RecommenderSettings(BaseSettings):
    """Where the catalog, the enrichment file and the trained models live."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    data_dir: Path = Field(default=Path("var"), description="Runtime state: models, database.")
    model_dir: Path | None = Field(default=None, description="Trained models; default DATA_DIR/models.")
    catalog_path: Path = Field(default_factory=bundled_catalog_path)
    enrichment_path: Path | None = Field(default=None, description="Optional netflix_titles-style CSV.")
    keep_model_versions: int = Field(default=5, ge=1, description="Versions kept on disk (always the active one).")

    @property
    def resolved_model_dir(self) -> Path:
        return self.model_dir if self.model_dir is not None else self.data_dir / "models"
