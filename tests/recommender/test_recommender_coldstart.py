"""Cold start: a title absent from training is embedded from its content alone, in memory and from disk.

The Glory (a Korean show) is held out with its whole franchise, so nothing of it leaks into
training; its vector must still land among Korean titles, which make up only ~6% of the catalog.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recommender import artifacts
from recommender.artifacts import ArtifactError
from recommender.catalog import Catalog
from recommender.coldstart import embed_new_items
from recommender.derived import DERIVED_FILES
from recommender.training import TrainConfig, TrainedModel, train

pytestmark = pytest.mark.slow  # trains a model with a title held out

HELD_OUT = "the glory"


@pytest.fixture(scope="module")
def held_out(catalog_small: Catalog) -> tuple[Catalog, pd.DataFrame]:
    items = catalog_small.items
    held = items["franchise_key"] == HELD_OUT
    assert held.sum() == 1 and (items.loc[held, "language"] == "Korean").all()
    seen = Catalog(items=items[~held], languages=catalog_small.languages,
                   content_types=catalog_small.content_types, report=catalog_small.report)
    return seen, items[held]


@pytest.fixture(scope="module")
def cold_model(held_out: tuple[Catalog, pd.DataFrame]) -> TrainedModel:
    return train(held_out[0], TrainConfig(arch="default", epochs=2, seed=42))


def _check_neighbourhood(vector: np.ndarray, model: TrainedModel, seen: pd.DataFrame) -> None:
    np.testing.assert_allclose(np.linalg.norm(vector), 1.0, atol=1e-5)
    sims = model.embeddings @ vector
    korean = (seen["language"] == "Korean").to_numpy()
    assert sims[korean].mean() > sims.mean() + 0.03, (sims[korean].mean(), sims.mean())
    top10 = np.argsort(-sims, kind="stable")[:10]
    base_rate = korean.mean()
    assert korean[top10].mean() >= 3 * base_rate, seen.iloc[top10]["title"].tolist()


def test_held_out_korean_show_lands_near_korean_shows(
    cold_model: TrainedModel, held_out: tuple[Catalog, pd.DataFrame]
) -> None:
    seen, rows = held_out
    vectors = cold_model.embed_items(rows)
    assert vectors.shape == (1, 64)
    _check_neighbourhood(vectors[0], cold_model, seen.items)


def test_cold_start_from_disk_matches_memory(
    cold_model: TrainedModel, held_out: tuple[Catalog, pd.DataFrame], tmp_path: Path
) -> None:
    seen, rows = held_out
    path = artifacts.save_artifact(
        # Saved versions number their items 0..n-1 in row order; the held-out title left a gap.
        tmp_path, embeddings=cold_model.embeddings, items=seen.items.assign(item_id=np.arange(len(seen.items))),
        derived=DERIVED_FILES, vocab=cold_model.vocabulary(),
        metadata={"arch": "default", "params": cold_model.config.to_json()}, keras_model=cold_model.keras_model,
    )
    artifacts.activate(tmp_path, path.name)
    from_disk = embed_new_items(tmp_path, rows)  # through the root's CURRENT pointer
    np.testing.assert_allclose(from_disk, cold_model.embed_items(rows), atol=1e-5)
    _check_neighbourhood(from_disk[0], cold_model, seen.items)
    # Known rows re-embedded from disk reproduce their stored rows: same space, same order.
    np.testing.assert_allclose(embed_new_items(path, seen.items.iloc[[0, 99]]), cold_model.embeddings[[0, 99]],
                               atol=1e-5)
    assert embed_new_items(path, rows.iloc[:0]).shape == (0, 64)
    with pytest.raises(ValueError, match="lack column"):
        embed_new_items(path, rows.drop(columns=["language"]))

    (path / "model.keras").write_bytes(b"not a zip")
    with pytest.raises(ArtifactError, match=r"model\.keras does not match its checksum"):
        embed_new_items(path, rows)
    meta = json.loads((path / "metadata.json").read_text())
    meta["files"]["model.keras"] = artifacts.sha256_file(path / "model.keras")
    (path / "metadata.json").write_text(json.dumps(meta))
    with pytest.raises(ArtifactError, match=r"model\.keras cannot be loaded"):
        embed_new_items(path, rows)
    (path / "model.keras").unlink()
    with pytest.raises(ArtifactError, match=r"model\.keras is missing"):
        embed_new_items(path, rows)
    without = artifacts.save_artifact(
        tmp_path, embeddings=cold_model.embeddings, items=seen.items.assign(item_id=np.arange(len(seen.items))),
        derived=DERIVED_FILES, vocab=cold_model.vocabulary(), metadata={"arch": "default"},
    )
    with pytest.raises(ArtifactError, match=r"no model\.keras"):
        embed_new_items(without, rows)
