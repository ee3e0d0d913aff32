"""Small shared fixtures: the 686-item fixture catalog and a saved model with hand-made embeddings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from recommender import artifacts
from recommender.catalog import Catalog, load_catalog
from recommender.derived import DERIVED_FILES

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
# Pairs that the hand-made embedding places as nearest neighbours of their query (see `model_dir`).
NEAR_PAIRS = (
    ("Squid Game: Season 1 // 오징어 게임: 시즌 1", "The Glory: Season 1 // 더 글로리: 시즌 1"),
    ("Wednesday: Season 1", "Emily in Paris: Season 3"),
)


@pytest.fixture(scope="session")
def fixture_catalog() -> Catalog:
    return load_catalog(FIXTURES / "catalog_iso.csv", FIXTURES / "enrichment.csv")


def hand_made_embeddings(catalog: Catalog) -> np.ndarray:
    """Random directions, except that each NEAR_PAIRS relevant item sits next to its query."""
    items = catalog.items
    vectors = np.random.default_rng(0).normal(size=(len(items), 16)).astype(np.float32)
    row = {title: i for i, title in enumerate(items["title"])}
    for query, relevant in NEAR_PAIRS:
        vectors[row[relevant]] = vectors[row[query]] + 0.01
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory, fixture_catalog) -> Path:
    root = tmp_path_factory.mktemp("models")
    path = artifacts.save_artifact(
        root, derived=DERIVED_FILES,
        embeddings=hand_made_embeddings(fixture_catalog),
        items=fixture_catalog.items,
        vocab={},
        metadata={"arch": "hand-made"},
        version="test-v1",
    )
    return path
