"""The full bundled catalog as a servable model, for title-resolution tests (no training needed).

Resolution reads only the item table, so the embedding matrix is a cheap stand-in; everything else
(artifact files, loading, the title index) is the real serving code.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from recommender import artifacts
from recommender.catalog import Catalog, load_catalog
from recommender.serving import Recommender

REPO = Path(__file__).resolve().parents[1]
CATALOG = REPO / "recommender" / "data" / "netflix_content_2023.csv"
TITLE_QUERIES = REPO / "tests" / "fixtures" / "title_queries.tsv"
MUST_NOT = "must-not-resolve"


@dataclass(frozen=True)
class TitleQuery:
    query: str
    expected: str
    kind: str
    filters: dict[str, str]


def load_title_queries(path: Path = TITLE_QUERIES) -> list[TitleQuery]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            TitleQuery(row["query"], row["expected_title"], row["kind"],
                       dict(part.split("=", 1) for part in row["filters"].split(";") if part))
            for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        ]


def stand_in_embeddings(n: int) -> np.ndarray:
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(n, 8)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def full_catalog() -> Catalog:
    return load_catalog(CATALOG)


def full_catalog_recommender(catalog: Catalog | None = None) -> Recommender:
    items = (catalog or full_catalog()).items
    return Recommender(stand_in_embeddings(len(items)), items, {"version": "full-catalog-stand-in"})


def write_full_catalog_model(root: Path, catalog: Catalog | None = None) -> Path:
    """A real, activated model version over the full catalog (stand-in embeddings) under `root`."""
    items = (catalog or full_catalog()).items
    path = artifacts.save_artifact(
        root, embeddings=stand_in_embeddings(len(items)), items=items, vocab={},
        metadata={"arch": "stand-in", "data_sha256": "full-catalog"},
    )
    artifacts.activate(root, path.name)
    return root
