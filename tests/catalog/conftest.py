"""Fixtures for the catalog tests: the bundled catalog (loaded once) and a tmp CSV writer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from recommender.catalog import Catalog, load_catalog
from recommender.settings import bundled_catalog_path, bundled_enrichment_paths


@pytest.fixture(scope="session")
def bundled_path() -> Path:
    return bundled_catalog_path()


@pytest.fixture(scope="session")
def bundled_catalog(bundled_path: Path) -> Catalog:
    """The full shipped catalog, loaded once: every full-file assertion reads the same object."""
    return load_catalog(bundled_path)


@pytest.fixture(scope="session")
def bundled_enriched_catalog(bundled_path: Path) -> Catalog:
    """The shipped catalog joined with both bundled listings, as `train` loads it (loaded once)."""
    return load_catalog(bundled_path, bundled_enrichment_paths())


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    """Write an inline CSV (text or raw bytes) into tmp_path and return its path."""

    def write(content: str | bytes, name: str = "catalog.csv") -> Path:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return write
