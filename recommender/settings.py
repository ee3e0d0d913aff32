"""Settings shared by the recommender CLI, the bot and the console.

Values come from environment variables and a `.env` file in the working directory, so that a
server admin configures the product in one place. Every default works offline with nothing set.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import Field

from common.settings import StateSettings


def bundled_catalog_path() -> Path:
    """The catalog shipped inside the package, so an installed copy finds it without the repo."""
    return Path(str(resources.files("recommender") / "data" / "netflix_content_2023.csv"))


# The public listings shipped with the package (credits in the README), joined in this order: the two
# Netflix listings, then the MovieTweetings film list (years and IMDb genres of licensed films; after
# them, so the Netflix listings' years win), then Wikipedia's list of Netflix originals (genres, years
# and languages of the 2022-23 originals the others miss), then Wikipedia's American films (genres, cast
# and the article's lead paragraph for the year's films and licensed Hollywood films; last, so it only
# fills what the others leave empty). No later list's presence counts as "described" (see `movielist`,
# `wikilist`, `wikifilms`).
BUNDLED_ENRICHMENT = ("netflix_titles.csv", "netflix_titles_2023_jw.csv", "movietweetings_movies.dat",
                      "wikipedia_netflix_originals.csv", "wikipedia_american_films.csv")


def bundled_enrichment_paths() -> list[Path]:
    """Genres, descriptions, certifications and IMDb figures for about half the bundled catalog, and
    years and genres for most licensed films."""
    return [Path(str(resources.files("recommender") / "data" / name)) for name in BUNDLED_ENRICHMENT]


def enrichment_sources(own: Path | None, bundled: bool = True) -> list[Path]:
    """Every listing to join: the user's file first (it wins on single values), then the bundled."""
    return ([own] if own is not None else []) + (bundled_enrichment_paths() if bundled else [])


class RecommenderSettings(StateSettings):
    """Where the catalog, the enrichment file and the trained models live (DATA_DIR: `StateSettings`)."""

    model_dir: Path | None = Field(default=None, description="Trained models; default DATA_DIR/models.")
    catalog_path: Path = Field(default_factory=bundled_catalog_path)
    enrichment_path: Path | None = Field(
        default=None, description="A user's own listing CSV, joined in addition to the bundled ones."
    )
    bundled_enrichment: bool = Field(default=True, description="Join the listings shipped with the package.")
    family_safe: bool = Field(default=False, description="Every list family-safe: no adult titles, unknown last.")
    ann_index: str = Field(default="auto", pattern="^(auto|on|off)$",
                           description="Approximate nearest-neighbour index: auto (from ANN_MIN_ITEMS), on, off.")
    ann_min_items: int = Field(default=50_000, ge=1, description="Catalog size from which `auto` builds the index.")
    train_strategy: Literal["default", "mirrored"] = Field(
        default="default", description="tf.distribute strategy for training: mirrored = data-parallel over devices."
    )

    @property
    def enrichment_sources(self) -> list[Path]:
        return enrichment_sources(self.enrichment_path, self.bundled_enrichment)
    keep_model_versions: int = Field(default=5, ge=1, description="Versions kept on disk (always the active one).")

    @property
    def resolved_model_dir(self) -> Path:
        return self.model_dir if self.model_dir is not None else self.data_dir / "models"
