"""The item table is a contract for the ranking code: columns, types, and a CSV round trip that keeps
them; and the reading modules import in one direction only (tables <- enrichment <- catalog)."""

from __future__ import annotations

import ast
import io
from pathlib import Path

import numpy as np
import pandas as pd

import recommender
from recommender.artifacts import ITEM_COLUMNS
from recommender.catalog import load_catalog, restore_item_types

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


def test_csv_round_trip_restores_the_types() -> None:
    items = load_catalog(FIXTURES / "catalog_iso.csv", FIXTURES / "enrichment_jw.csv").items
    saved = items.loc[:, [c for c in ITEM_COLUMNS if c in items.columns]]
    buffer = io.StringIO()
    saved.to_csv(buffer, index=False)
    # How artifacts.load_artifact reads items.csv: empty cells stay '' rather than NaN.
    loaded = pd.read_csv(io.StringIO(buffer.getvalue()), dtype={"title": str}, keep_default_na=False)
    assert not pd.api.types.is_float_dtype(loaded["imdb_votes"])  # '' cells make it text: hence the helper
    restored = restore_item_types(loaded)
    for column in ("imdb_score", "imdb_votes", "tmdb_popularity", "seasons", "has_metadata", "maturity"):
        pd.testing.assert_series_equal(restored[column], saved[column].reset_index(drop=True), check_names=False)


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
