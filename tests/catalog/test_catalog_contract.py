"""The item table is a contract for the ranking code: columns, types, and a CSV round trip that keeps
them; and the reading modules import in one direction only (tables <- enrichment <- catalog)."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pandas as pd

import recommender
from recommender.artifacts import ITEM_COLUMNS, load_artifact, save_artifact
from recommender.catalog import load_catalog
from recommender.derived import DERIVED_FILES

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LISTING_COLUMNS = ("maturity", "certification", "imdb_score", "imdb_votes", "tmdb_popularity", "seasons",
                   "country", "genres", "description", "cast", "director", "has_metadata")


def test_items_have_the_listing_columns_with_their_types() -> None:
    listings = [FIXTURES / "enrichment.csv", FIXTURES / "enrichment_jw.csv"]
    items = load_catalog(FIXTURES / "catalog_iso.csv", listings).items
    assert set(LISTING_COLUMNS) <= set(items.columns) and set(LISTING_COLUMNS) <= set(ITEM_COLUMNS)
    for column in ("imdb_score", "imdb_votes", "tmdb_popularity", "seasons"):
        assert items[column].dtype == np.float64, column
    assert items["has_metadata"].dtype == bool
    for column in ("maturity", "certification", "country", "genres", "description", "cast", "director"):
        assert items[column].map(type).eq(str).all(), column


def test_saved_and_loaded_model_items_keep_the_types(tmp_path: Path) -> None:
    """A model's items.csv (blank cells for unknown figures) loads back with the catalog's types."""
    items = load_catalog(FIXTURES / "catalog_iso.csv", FIXTURES / "enrichment_jw.csv").items
    rng = np.random.default_rng(0)
    embeddings = rng.normal(size=(len(items), 4)).astype(np.float32)
    embeddings /= np.linalg.norm(embeddings, axis=1, keepdims=True)
    metadata = {"n_items": len(items), "dim": 4, "data_sha256": "abc123"}
    path = save_artifact(tmp_path, embeddings=embeddings, items=items, vocab={}, metadata=metadata,
                         derived=DERIVED_FILES)
    loaded = load_artifact(path).items
    assert loaded["imdb_votes"].isna().any() and loaded["imdb_votes"].notna().any()
    for column in ("imdb_score", "imdb_votes", "tmdb_popularity", "seasons", "has_metadata", "maturity"):
        pd.testing.assert_series_equal(loaded[column], items[column].reset_index(drop=True), check_names=False)


def _imports(module: str) -> set[str]:
    path = Path(recommender.__file__).parent / f"{module}.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("recommender")}


def test_reading_modules_import_one_way() -> None:
    assert not {"recommender.catalog", "recommender.enrichment"} & _imports("tables")
    assert not any(name.startswith("recommender.catalog") for name in _imports("enrichment"))
    assert {"recommender.enrichment", "recommender.tables"} <= _imports("catalog")
