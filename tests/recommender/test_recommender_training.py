"""Real training on the 686-item fixture: both architectures learn, and the output is usable.

"Usable" means what serving relies on: one L2-normalised row per catalog item in catalog order, the
same vectors for the same seed (so a retrain with unchanged data cannot change recommendations),
and different vectors for a different seed (so the determinism check could fail).
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from recommender import artifacts
from recommender.catalog import Catalog
from recommender.coldstart import embed_new_items
from recommender.derived import DERIVED_FILES
from recommender.features import FeatureSpace
from recommender.training import TrainConfig, TrainedModel, TrainingConfigError, train

pytestmark = pytest.mark.slow  # trains real models

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SEED_EPOCHS = 4  # the seed model's loss moves slowly; each of its epochs takes ~0.1 s here


@pytest.fixture(scope="module")
def seed_model(catalog_small: Catalog) -> TrainedModel:
    return train(catalog_small, TrainConfig(arch="seed", epochs=SEED_EPOCHS, seed=42))


def _assert_usable(embeddings: np.ndarray, catalog: Catalog, dim: int, distinct: int) -> None:
    assert embeddings.shape == (len(catalog.items), dim)
    assert embeddings.dtype == np.float32
    assert np.isfinite(embeddings).all()
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 1.0, atol=1e-5)
    # Not collapsed: items with different inputs get different vectors, or neighbours mean nothing.
    assert len(np.unique(embeddings.round(4), axis=0)) == distinct


def _distinct_inputs(vocab: dict, catalog: Catalog) -> int:
    """Items whose feature ids are all equal (e.g. rare title words only, same language, type and era)
    are indistinguishable to a content model; everything else must be told apart."""
    space = FeatureSpace.from_json(vocab)
    arrays = space.transform(catalog.items)
    return len(np.unique(np.concatenate([arrays[g] for g in space.groups], axis=1), axis=0))


def test_default_arch_learns_and_is_deterministic(model_root: Path, catalog_small: Catalog) -> None:
    saved = artifacts.load_artifact(artifacts.resolve_model_path(model_root))
    history = saved.metadata["loss_history"]
    assert len(history) == 2 and history[1] < history[0], history
    distinct = _distinct_inputs(saved.vocab, catalog_small)
    assert distinct > 0.9 * len(catalog_small.items)
    _assert_usable(saved.embeddings, catalog_small, dim=64, distinct=distinct)
    assert saved.items["title"].tolist() == catalog_small.items["title"].tolist()  # row i is item i

    again = train(catalog_small, TrainConfig(arch="default", epochs=2, seed=42))
    np.testing.assert_allclose(again.embeddings, saved.embeddings, atol=1e-5)
    assert again.history == pytest.approx(history, abs=1e-4)
    # Rows are aligned with items: re-embedding arbitrary rows reproduces exactly their rows.
    rows = [0, 17, 300, len(catalog_small.items) - 1]
    np.testing.assert_allclose(again.embed_items(catalog_small.items.iloc[rows]), saved.embeddings[rows], atol=1e-5)

    other = train(catalog_small, TrainConfig(arch="default", epochs=1, seed=7))
    assert not np.allclose(other.embeddings, saved.embeddings, atol=1e-3)


def test_seed_arch_learns_and_is_deterministic(seed_model: TrainedModel, catalog_small: Catalog) -> None:
    history = seed_model.history
    assert len(history) == SEED_EPOCHS
    assert all(b < a for a, b in itertools.pairwise(history)), history
    _assert_usable(seed_model.embeddings, catalog_small, dim=32, distinct=len(catalog_small.items))  # own ids

    again = train(catalog_small, TrainConfig(arch="seed", epochs=SEED_EPOCHS, seed=42))
    np.testing.assert_allclose(again.embeddings, seed_model.embeddings, atol=1e-5)
    other = train(catalog_small, TrainConfig(arch="seed", epochs=SEED_EPOCHS, seed=43))
    assert not np.allclose(other.embeddings, seed_model.embeddings, atol=1e-3)


def test_seed_model_reloaded_from_disk_embeds_like_in_memory(
    seed_model: TrainedModel, catalog_small: Catalog, tmp_path: Path
) -> None:
    path = artifacts.save_artifact(
        tmp_path, derived=DERIVED_FILES, embeddings=seed_model.embeddings, items=catalog_small.items,
        vocab=seed_model.vocabulary(), metadata={"arch": "seed"}, keras_model=seed_model.keras_model,
    )
    rows = catalog_small.items.iloc[[3, 40, 500]].copy()
    # Another catalog load may number languages differently; the loader must recode them.
    rows["language_id"] = 99
    rows["type_id"] = 99
    np.testing.assert_allclose(embed_new_items(path, rows), seed_model.embeddings[[3, 40, 500]], atol=1e-5)


def test_config_rejects_nonsense() -> None:
    with pytest.raises(TrainingConfigError, match="unknown architecture"):
        TrainConfig(arch="transformer")
    with pytest.raises(TrainingConfigError, match="epochs must be >= 1"):
        TrainConfig(epochs=0)
    assert json.loads(json.dumps(TrainConfig(withhold=frozenset({"genres"})).to_json()))["withhold"] == ["genres"]


def test_cli_training_prints_no_tensorflow_native_logs(tmp_path: Path) -> None:
    """As a user runs it (no TF_CPP_MIN_LOG_LEVEL set): no `I0000 ...`/`E0000 ...` lines, no absl warning."""
    tiny = tmp_path / "tiny.csv"
    lines = (FIXTURES / "catalog_iso.csv").read_text(encoding="utf-8").splitlines()[:9]
    tiny.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "REELMATE_TF_VERBOSE")}
    proc = subprocess.run(
        [sys.executable, "-m", "recommender", "train", "--data", str(tiny), "--arch", "seed", "--epochs", "1",
         "--out", str(tmp_path / "models")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180,
    )
    assert proc.returncode == 0, proc.stderr
    assert "activated" in proc.stdout
    native = [line for line in proc.stderr.splitlines() if re.match(r"[IWEF]\d{4} ", line) or "absl::" in line]
    assert native == [], proc.stderr
